"""The configuration as plain data and as YAML. Every list has a fixed order (codes, numbers,
names) and every item lists its fields in a fixed order, so exporting twice, or exporting what
an import of this file produced, gives the same bytes."""

import json
from typing import Any

import yaml
from django.db.models import Prefetch
from django_celery_beat.models import PeriodicTask

from kpis.drafts import version_as_data
from kpis.models import (
    KPI,
    ModelLine,
    Period,
    ScoringModel,
    ScoringModelVersion,
    Tier,
    TierRequirement,
)
from partners.models import PartnerType, Region

FORMAT = "partnerscore-config/1"
HEADER = (
    "# partnerscore configuration: manage.py import_config FILE [--dry-run] applies it.\n"
    "# Published versions (active, retired) cannot change: add a version (a draft) instead.\n"
)
KPI_FIELDS = tuple(
    name
    for name in (
        "code",
        "name",
        "category",
        "unit",
        "direction",
        "source",
        "aggregation",
        "formula",
        "description",
        "stale_after_days",
    )
    if any(f.name == name for f in KPI._meta.get_fields())
)
PERIOD_FIELDS = ("code", "start", "end", "granularity", "status")
MODEL_FIELDS = ("code", "name", "partner_type", "is_default")
SCHEDULE_FIELDS = ("name", "task", "interval", "crontab", "args", "kwargs", "queue", "enabled")
SCHEDULE_OPTIONAL = ("one_off", "description")
CRONTAB_FIELDS = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year", "timezone")


def config_export() -> str:
    return HEADER + yaml.safe_dump(
        config_as_data(), sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )


def config_as_data() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "partner_types": [
            {"code": t.code, "name": t.name} for t in PartnerType.objects.order_by("code")
        ],
        "regions": [{"code": r.code, "name": r.name} for r in Region.objects.order_by("code")],
        "kpis": [
            {name: getattr(k, name) for name in KPI_FIELDS} for k in KPI.objects.order_by("code")
        ],
        "periods": [period_as_data(p) for p in Period.objects.order_by("start", "granularity")],
        "models": [model_as_data(m) for m in _models()],
        "schedules": [schedule_as_data(t) for t in _schedules()],
    }


def period_as_data(period: Period) -> dict[str, Any]:
    return {name: getattr(period, name) for name in PERIOD_FIELDS}


def _models():
    tiers = Tier.objects.prefetch_related(
        Prefetch("requirements", TierRequirement.objects.select_related("kpi"))
    )
    versions = ScoringModelVersion.objects.order_by("number").prefetch_related(
        Prefetch("lines", ModelLine.objects.select_related("kpi")), Prefetch("tiers", tiers)
    )
    return (
        ScoringModel.objects.select_related("partner_type")
        .prefetch_related(Prefetch("versions", versions))
        .order_by("code")
    )


def model_as_data(model: ScoringModel) -> dict[str, Any]:
    return {
        "code": model.code,
        "name": model.name,
        "partner_type": model.partner_type.code if model.partner_type else None,
        "is_default": model.is_default,
        "versions": [version_as_data(v) for v in model.versions.all()],
    }


def _schedules():
    return PeriodicTask.objects.select_related("interval", "crontab").order_by("name")


def schedule_as_data(task: PeriodicTask) -> dict[str, Any]:
    """Interval and crontab schedules; args and kwargs as data (they are JSON text in the
    table). Solar and clocked schedules are left out (the app uses neither)."""
    data: dict[str, Any] = {"name": task.name, "task": task.task}
    if task.interval is not None:
        data["interval"] = {"every": task.interval.every, "period": task.interval.period}
    elif task.crontab is not None:
        data["crontab"] = {name: str(getattr(task.crontab, name)) for name in CRONTAB_FIELDS}
    data["args"] = json.loads(task.args or "[]")
    data["kwargs"] = json.loads(task.kwargs or "{}")
    data["queue"] = task.queue or None
    data["enabled"] = task.enabled
    data["one_off"] = task.one_off
    data["description"] = task.description
    return data
