"""Configuration as code: export -> import into an empty database -> export is byte-identical
(on the test world and on the demo), errors name the item's path, all or nothing, dry runs
write nothing, published versions never change, publishing goes through version_publish."""

import io

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from kpis.config import MAX_BYTES, ConfigInvalid, config_export, config_import
from kpis.models import (
    KPI,
    ModelLine,
    Period,
    RecomputeMark,
    ScoringModel,
    ScoringModelVersion,
    Tier,
    TierRequirement,
)
from partners.models import PartnerType, Region

CONFIG_TABLES = [
    "kpis_tierrequirement",
    "kpis_tier",
    "kpis_modelline",
    "kpis_scoringmodelversion",
    "kpis_scoringmodel",
    "kpis_kpi",
    "kpis_period",
    "partners_partnertype",
    "partners_region",
    "django_celery_beat_periodictask",
]


def empty_the_configuration() -> None:
    """As an empty database: the configuration tables and everything that refers to them."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks left pending
        cursor.execute(f"TRUNCATE {', '.join(CONFIG_TABLES)} CASCADE")


def schedule_world() -> None:
    every = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="Sweep", task="assessments.tasks.recompute_marked", interval=every, kwargs="{}"
    )


def edited(text: str, change) -> str:
    data = yaml.safe_load(text)
    change(data)
    return yaml.safe_dump(data, sort_keys=False)


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigInvalid) as caught:
        config_import(text)
    return caught.value.errors


def tier_rules_world(world) -> None:
    """SCORING.md 14 and 15 on the world's version: requirements on two tiers, grace, approval."""
    gold, silver = (Tier.objects.get(version=world.version, name=n) for n in ("Gold", "Silver"))
    TierRequirement.objects.create(tier=gold, kpi=world.revenue, min_kpi_score=80)
    TierRequirement.objects.create(tier=gold, kpi=world.nps, min_kpi_score=62.5)
    TierRequirement.objects.create(tier=silver, kpi=world.late, min_kpi_score=40)
    ScoringModelVersion.objects.filter(pk=world.version.pk).update(
        demotion_grace=2, tier_changes_need_approval=True
    )


def test_round_trip_into_an_empty_database_is_byte_identical(world):
    schedule_world()
    tier_rules_world(world)
    first = config_export()
    v1 = yaml.safe_load(first)["models"][0]["versions"][0]
    assert (v1["demotion_grace"], v1["tier_changes_need_approval"]) == (2, True)
    assert [t["requirements"] for t in v1["tiers"]] == [
        [{"kpi": "nps", "min_kpi_score": 62.5}, {"kpi": "revenue", "min_kpi_score": 80.0}],
        [{"kpi": "late_deliveries", "min_kpi_score": 40.0}],
        [],
    ]
    empty_the_configuration()
    assert KPI.objects.count() == 0
    report = config_import(first)
    assert report.counts["kpis"]["created"] == 3
    assert report.counts["versions"]["published"] == 1
    assert config_export() == first
    imported = ScoringModelVersion.objects.get()
    assert (imported.demotion_grace, imported.tier_changes_need_approval) == (2, True)
    assert sorted(
        TierRequirement.objects.values_list("tier__name", "kpi__code", "min_kpi_score")
    ) == [("Gold", "nps", 62.5), ("Gold", "revenue", 80.0), ("Silver", "late_deliveries", 40.0)]
    again = config_import(first)  # the same file again changes nothing
    assert all(c["created"] == c["updated"] == c["published"] == 0 for c in again.counts.values())


@pytest.mark.slow
def test_demo_round_trip_is_byte_identical(db, tmp_path):
    call_command("seed_demo", "--partners", "50", stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()
    call_command("export_config", stdout=out)
    first = out.getvalue()
    assert "formula:" in first and "versions:" in first
    empty_the_configuration()  # (partners and their values go with their types)
    path = tmp_path / "scoring.yaml"
    path.write_text(first)
    call_command("import_config", str(path), stdout=io.StringIO())
    out = io.StringIO()
    call_command("export_config", stdout=out)
    assert out.getvalue() == first


def test_dry_run_counts_and_writes_nothing(world, tmp_path):
    text = edited(config_export(), lambda d: d["regions"].append({"code": "apac", "name": "APAC"}))
    text = edited(text, lambda d: d["kpis"][0].update(name="Renamed"))
    path = tmp_path / "scoring.yaml"
    path.write_text(text)
    out = io.StringIO()
    call_command("import_config", str(path), "--dry-run", stdout=out)
    assert "regions: 1 created, 0 updated, 1 unchanged" in out.getvalue()
    assert "kpis: 0 created, 1 updated, 2 unchanged" in out.getvalue()
    assert "Dry run: nothing was written." in out.getvalue()
    assert not Region.objects.filter(code="apac").exists()
    assert not KPI.objects.filter(name="Renamed").exists()


def test_errors_name_the_path_and_nothing_is_written(world):
    def break_it(data):
        data["partner_types"].append({"code": "msp", "name": "MSP"})  # valid, must not stay
        line = data["models"][0]["versions"][0]["lines"]
        data["models"][0]["versions"].append(
            {
                "number": 2,
                "status": "draft",
                "lines": [
                    {**line[0], "weight": -5},
                    {**line[1], "floor": 60, "target": 50},
                    {"kpi": "nope", "weight": 1, "floor": 0, "target": 1},
                    {**line[0]},
                ],
                "tiers": [{"name": "Gold", "min_score": 80}],
            }
        )

    errors = errors_of(edited(config_export(), break_it))
    path = "models[0].versions[1]"
    assert f"{path}.lines[0].weight: Weight must be greater than 0 (got -5)." in errors
    assert f"{path}.lines[1].floor: Floor (60) must be below the target (50)." in errors
    assert f"{path}.lines[2].kpi: Unknown KPI code 'nope'." in errors
    assert f"{path}.lines[3].kpi: KPI 'late_deliveries' is already lines[0]." in errors, errors
    assert f"{path}.tiers: The tiers must include one with min score 0." in errors
    assert not PartnerType.objects.filter(code="msp").exists()
    assert world.version.model.versions.count() == 1


def test_a_published_version_cannot_change(world):
    text = edited(
        config_export(), lambda d: d["models"][0]["versions"][0]["lines"][0].update(weight=45)
    )
    (error,) = errors_of(text)
    assert error.startswith("models[0].versions[0]: reseller v1 is active")
    assert "(lines[0].weight: 30.0 -> 45)" in error  # lines by KPI code: late, nps, revenue
    assert "make a new version" in error
    assert ModelLine.objects.get(version=world.version, kpi=world.late).weight == 30


def test_a_new_active_version_is_published_through_the_service(world, sent_marks):
    def add_v2(data):
        v1 = data["models"][0]["versions"][0]
        v2 = {**v1, "number": 2, "status": "active"}
        v2["lines"] = [{**line, "weight": 10} for line in v1["lines"]]
        v1["status"] = "retired"
        data["models"][0]["versions"].append(v2)

    report = config_import(edited(config_export(), add_v2))
    assert report.counts["versions"]["published"] == 1
    statuses = dict(world.version.model.versions.values_list("number", "status"))
    assert statuses == {1: "retired", 2: "active"}
    v2 = ScoringModelVersion.objects.get(model=world.version.model, number=2)
    assert v2.published_at is not None
    reasons = set(RecomputeMark.objects.values_list("reason", flat=True))
    assert reasons == {"published reseller v2: configuration import"}


@pytest.fixture
def sent_marks(world):
    RecomputeMark.objects.all().delete()


def test_a_retired_version_cannot_come_back(world):
    def bad(data):
        data["models"][0]["versions"][0]["status"] = "retired"

    (error,) = errors_of(edited(config_export(), bad))
    assert error.startswith("models[0].versions[0].status: v1 is active, the file says retired")


def test_a_period_cannot_be_closed_by_import(world):
    text = edited(config_export(), lambda d: d["periods"][0].update(status="closed"))
    (error,) = errors_of(text)
    assert error.startswith("periods[0].status: The period is open: close or reopen it")
    assert Period.objects.get(code="2026-Q2").status == "open"


def test_formula_kpis_may_use_kpis_listed_after_them(world):
    def add(data):
        data["kpis"].insert(
            0,
            {
                "code": "a_growth",
                "name": "Growth",
                "source": "formula",
                "formula": "100 * (z_sales / prev(z_sales) - 1)",
                "aggregation": "sum",
            },
        )
        data["kpis"].append({"code": "z_sales", "name": "Sales"})

    config_import(edited(config_export(), add))
    assert KPI.objects.get(code="a_growth").formula == "100 * (z_sales / prev(z_sales) - 1)"


def test_bad_formula_and_unknown_fields_are_named(world):
    def add(data):
        data["kpis"].append({"code": "bad", "name": "Bad", "source": "formula", "formula": "x +"})
        data["regions"].append({"code": "x", "name": "X", "colour": "red"})
        data["models"][0]["partner_type"] = "nope"
        data["schedules"] = [
            {"name": "S", "task": "no.such.task", "interval": {"every": 1, "period": "minutes"}}
        ]

    errors = errors_of(edited(config_export(), add))
    assert any(e.startswith("kpis[3].formula: ") for e in errors)
    assert any(e.startswith("regions[1].colour: unknown field") for e in errors)
    assert "models[0].partner_type: Unknown partner type 'nope'." in errors
    assert "schedules[0].task: Unknown task 'no.such.task'." in errors


def test_file_level_refusals(db):
    assert errors_of("a: [1, 2")[0].startswith("file: not valid YAML")
    assert errors_of("- 1") == [
        "file: expected a mapping with partner_types, regions, kpis, periods, models, schedules"
    ]
    assert errors_of("format: other/9\n")[0] == (
        "format: expected 'partnerscore-config/1', got 'other/9'"
    )
    bomb = "a: &a [" + ", ".join(["x"] * 20) + "]\n"
    for level in "bcdef":  # 20 ** 6 values from 150 bytes
        bomb += f"{level}: &{level} [" + ", ".join(["*" + chr(ord(level) - 1)] * 20) + "]\n"
    assert errors_of(bomb) == ["file: more than 1,000,000 values (are aliases nested?)"]
    assert "too large" in errors_of("#" * (MAX_BYTES + 1))[0]
    with pytest.raises(ConfigInvalid):  # python objects are never built
        config_import("format: !!python/object/apply:os.system ['true']\n")


def test_import_of_a_schedule_creates_and_updates_it(world):
    def add(data):
        data["schedules"] = [
            {
                "name": "Nightly",
                "task": "assessments.tasks.recompute_open_periods",
                "crontab": {
                    "minute": "0",
                    "hour": "3",
                    "day_of_week": "*",
                    "day_of_month": "*",
                    "month_of_year": "*",
                    "timezone": "UTC",
                },
                "args": [],
                "kwargs": {"trigger": "schedule"},
                "queue": None,
                "enabled": True,
            }
        ]

    config_import(edited(config_export(), add))
    task = PeriodicTask.objects.get(name="Nightly")
    assert (task.crontab.hour, task.kwargs) == ("3", '{"trigger": "schedule"}')
    text = config_export()
    config_import(edited(text, lambda d: d["schedules"][0]["crontab"].update(hour="4")))
    assert PeriodicTask.objects.get(name="Nightly").crontab.hour == "4"
    assert ScoringModel.objects.count() == 1


def draft_with(tiers: list[dict], **settings):
    """An edit adding v2, a draft copied from v1 with these tiers and settings."""

    def add(data):
        v1 = data["models"][0]["versions"][0]
        data["models"][0]["versions"].append(
            {**v1, "number": 2, "status": "draft", **settings, "tiers": tiers}
        )

    return add


def test_a_draft_with_tier_rules_is_imported_and_listed_again(world):
    tiers = [
        {"name": "Gold", "min_score": 80, "requirements": [{"kpi": "nps", "min_kpi_score": 70}]},
        {"name": "Member", "min_score": 0, "requirements": []},
    ]
    text = edited(config_export(), draft_with(tiers, demotion_grace=1))
    report = config_import(text)
    assert report.counts["versions"]["created"] == 1
    draft = ScoringModelVersion.objects.get(number=2)
    assert (draft.status, draft.demotion_grace, draft.tier_changes_need_approval) == (
        "draft",
        1,
        False,
    )
    assert list(TierRequirement.objects.values_list("tier__version__number", "kpi__code")) == [
        (2, "nps")
    ]
    exported = yaml.safe_load(config_export())["models"][0]["versions"][1]
    assert exported["tiers"][0]["requirements"] == [{"kpi": "nps", "min_kpi_score": 70.0}]
    assert config_import(config_export()).counts["versions"]["updated"] == 0


def test_bad_tier_rules_are_refused_with_their_path_and_nothing_is_written(world):
    KPI.objects.create(code="certifications", name="Certifications")  # a KPI, not a line
    tiers = [
        {
            "name": "Gold",
            "min_score": 80,
            "requirements": [
                {"kpi": "certifications", "min_kpi_score": 10},
                {"kpi": "nps", "min_kpi_score": 130},
                {"kpi": "revenue", "min_kpi_score": 50},
                {"kpi": "revenue", "min_kpi_score": 60},
                {"kpi": "nope", "min_kpi_score": 1},
                {"kpi": "nps"},
            ],
        },
        {"name": "Member", "min_score": 0, "requirements": [{"kpi": "nps", "min_kpi_score": 10}]},
    ]
    bad = draft_with(tiers, demotion_grace=13, tier_changes_need_approval="maybe")
    errors = errors_of(edited(config_export(), bad))
    path = "models[0].versions[1]"
    gold = f"{path}.tiers[0].requirements"
    assert sorted(errors) == sorted(
        [
            f"{path}.demotion_grace: Ensure this value is less than or equal to 12.",
            f"{path}.tier_changes_need_approval: \u201cmaybe\u201d value must be either True or "
            "False.",
            f"{gold}[0].kpi: Gold cannot require certifications: it is not a KPI line of this "
            "version (lines: late_deliveries, nps, revenue).",
            f"{gold}[1].min_kpi_score: Ensure this value is less than or equal to 120.0.",
            f"{gold}[3].kpi: KPI 'revenue' is already tiers[0].requirements[2].",
            f"{gold}[4].kpi: Unknown KPI code 'nope'.",
            f"{gold}[5].min_kpi_score: This field is required.",
            f"{path}.tiers[1].requirements[0]: Member is the entry tier (min score 0): it "
            "cannot have requirements (got one on nps).",
        ]
    )
    assert world.version.model.versions.count() == 1
    assert not TierRequirement.objects.exists()


def test_a_whole_number_setting_is_not_bent(world):
    errors = errors_of(edited(config_export(), draft_with([], demotion_grace=1.5)))
    assert errors == ["models[0].versions[1].demotion_grace: Expected a whole number, got 1.5."]
    errors = errors_of(edited(config_export(), draft_with([], min_coverage=True)))
    assert errors == ["models[0].versions[1].min_coverage: Expected a number, got true."]


def test_a_published_versions_tier_rules_cannot_change(world):
    tier_rules_world(world)

    def loosen(data):
        data["models"][0]["versions"][0]["tiers"][0]["requirements"][1]["min_kpi_score"] = 70

    (error,) = errors_of(edited(config_export(), loosen))
    assert error.startswith("models[0].versions[0]: reseller v1 is active")
    assert "(tiers[0].requirements[1].min_kpi_score: 80.0 -> 70)" in error
    (error,) = errors_of(
        edited(config_export(), lambda d: d["models"][0]["versions"][0].update(demotion_grace=0))
    )
    assert "(demotion_grace: 2 -> 0)" in error
    assert TierRequirement.objects.get(kpi=world.revenue).min_kpi_score == 80
