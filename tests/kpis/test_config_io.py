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
from kpis.models import KPI, ModelLine, Period, RecomputeMark, ScoringModel, ScoringModelVersion
from partners.models import PartnerType, Region

CONFIG_TABLES = [
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


def test_round_trip_into_an_empty_database_is_byte_identical(world):
    schedule_world()
    first = config_export()
    empty_the_configuration()
    assert KPI.objects.count() == 0
    report = config_import(first)
    assert report.counts["kpis"]["created"] == 3
    assert report.counts["versions"]["published"] == 1
    assert config_export() == first
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
