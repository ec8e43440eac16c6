"""The qualitative side of the shared world, for the assessment tests: two KPIs with source
`assessment` (with rubrics) on the reseller model's lines, and one assessment KPI the model
does not use."""

from dataclasses import dataclass

from assessments.models import Rubric
from kpis.models import KPI, ModelLine
from tests.world import World


@dataclass
class Qualitative:
    relationship: KPI
    communication: KPI
    unused: KPI


def qualitative_build(world: World) -> Qualitative:
    def kpi(code: str, name: str) -> KPI:
        made = KPI.objects.create(
            code=code, name=name, source="assessment", aggregation="mean", category="relationship"
        )
        Rubric.objects.create(
            kpi=made,
            level_1=f"{name}: poor",
            level_2=f"{name}: weak",
            level_3=f"{name}: fair",
            level_4=f"{name}: good",
            level_5=f"{name}: excellent",
        )
        return made

    relationship = kpi("relationship", "Relationship strength")
    communication = kpi("communication", "Communication")
    unused = kpi("marketing_execution", "Marketing execution")
    ModelLine.objects.bulk_create(
        [
            ModelLine(version=world.version, kpi=k, weight=w, floor=1, target=4, stretch=5)
            for k, w in ((relationship, 20), (communication, 10))
        ]
    )
    return Qualitative(relationship, communication, unused)
