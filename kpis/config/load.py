"""Import a configuration file: every item checked by its model's own validation (full_clean,
and for versions kpis.drafts, which the API uses too), every problem named by its path in the
file (`models[2].versions[0].lines[3].weight: ...`), applied in one transaction or not at all.

Items are matched by their key (code; a version by its number within its model; a schedule by
name): new ones are created, changed ones updated, the rest left alone. Items the file does not
mention are kept. Published versions never change; a version the file marks active or retired
that is still a draft here is published through kpis.services.version_publish, as the admin
and the API do, so the open periods are recomputed."""

import json
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from kpis.config.export import (
    CRONTAB_FIELDS,
    FORMAT,
    KPI_FIELDS,
    PERIOD_FIELDS,
    schedule_as_data,
)
from kpis.drafts import VERSION_SETTINGS, VersionPublished, draft_write, version_as_data
from kpis.models import KPI, Period, PeriodStatus, ScoringModel, ScoringModelVersion
from kpis.models import VersionStatus as Status
from kpis.recompute import request_recompute, request_recompute_of_open_periods
from kpis.services import version_publish
from partners.models import PartnerType, Region

MAX_BYTES = 2 * 1024 * 1024  # a real configuration is a few hundred kB
MAX_ITEMS = 1_000_000  # values, counting each use of an alias
SECTIONS = ("partner_types", "regions", "kpis", "periods", "models", "schedules")
KINDS = (*SECTIONS[:5], "versions", "schedules")


class ConfigInvalid(Exception):
    """`errors`: every problem, as 'path: message'."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class ConfigReport:
    dry_run: bool
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            kind: {"created": 0, "updated": 0, "unchanged": 0, "published": 0} for kind in KINDS
        }
    )

    def lines(self) -> list[str]:
        verb = "would be" if self.dry_run else "were"
        out = []
        for kind, counts in self.counts.items():
            parts = [f"{counts[k]} {k}" for k in ("created", "updated", "unchanged")]
            if kind == "versions":
                parts.append(f"{counts['published']} published")
            out.append(f"{kind}: " + ", ".join(parts))
        changed = sum(c["created"] + c["updated"] + c["published"] for c in self.counts.values())
        out.append(f"{changed} change(s) {verb} made." if changed else "Nothing to change.")
        return out


def config_import(text: bytes | str, *, dry_run: bool = False, user=None) -> ConfigReport:
    """Raises ConfigInvalid listing every problem; nothing is written then (nor on a dry run)."""
    data = parse(text)
    loader = _Loader(ConfigReport(dry_run=dry_run), user)
    with transaction.atomic():
        loader.run(data)
        if loader.errors:
            raise ConfigInvalid(loader.errors)
        if dry_run:
            transaction.set_rollback(True)
    return loader.report


def parse(text: bytes | str) -> dict[str, Any]:
    raw = text.encode() if isinstance(text, str) else text
    if len(raw) > MAX_BYTES:
        raise ConfigInvalid([f"file: {len(raw):,} bytes is too large (at most {MAX_BYTES:,})"])
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ConfigInvalid([f"file: not valid YAML: {exc}"]) from None
    if _larger_than(data, MAX_ITEMS):  # nested aliases (*name) multiply a small file
        raise ConfigInvalid([f"file: more than {MAX_ITEMS:,} values (are aliases nested?)"])
    if not isinstance(data, dict):
        raise ConfigInvalid(["file: expected a mapping with " + ", ".join(SECTIONS)])
    errors = []
    if data.get("format") != FORMAT:
        errors.append(f"format: expected {FORMAT!r}, got {data.get('format')!r}")
    errors += [f"{key}: unknown section" for key in data if key not in ("format", *SECTIONS)]
    errors += [
        f"{key}: expected a list"
        for key in SECTIONS
        if key in data and not isinstance(data[key], list)
    ]
    if errors:
        raise ConfigInvalid(errors)
    return data


class _Loader:
    def __init__(self, report: ConfigReport, user):
        self.report, self.user = report, user
        self.errors: list[str] = []
        self.scores_changed = False

    def run(self, data: dict[str, Any]) -> None:
        self.simple("partner_types", PartnerType, data.get("partner_types", []), ("code", "name"))
        self.simple("regions", Region, data.get("regions", []), ("code", "name"))
        self.kpis(data.get("kpis", []))
        self.simple("periods", Period, data.get("periods", []), PERIOD_FIELDS)
        for i, row in enumerate(data.get("models", [])):
            self.model(f"models[{i}]", row)
        self.duplicates("models", data.get("models", []), "code")
        self.duplicates("schedules", data.get("schedules", []), "name")
        for i, row in enumerate(data.get("schedules", [])):
            self.schedule(f"schedules[{i}]", row)
        if self.scores_changed and not self.errors:
            request_recompute_of_open_periods(reason="configuration import")

    # -- reporting ----------------------------------------------------------------------------

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def validation(self, path: str, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            for message in exc.messages:
                self.error(path, message)
            return
        for name, messages in exc.message_dict.items():
            where = path if name in (NON_FIELD_ERRORS, "version") else f"{path}.{name}"
            for message in messages:
                self.error(where, message)

    def count(self, kind: str, outcome: str) -> None:
        self.report.counts[kind][outcome] += 1

    def is_item(self, path: str, row: Any, fields: tuple[str, ...], key: str = "code") -> bool:
        if not isinstance(row, dict):
            self.error(path, f"expected a mapping with {', '.join(fields)}")
            return False
        for name in row:
            if name not in fields:
                self.error(
                    f"{path}.{name}", f"unknown field (expected one of: {', '.join(fields)})"
                )
        if row.get(key) in (None, ""):
            self.error(f"{path}.{key}", "This field is required.")
            return False
        return True

    def duplicates(self, kind: str, rows: list, key: str) -> set[int]:
        """Indexes of items whose key an earlier item has (each reported)."""
        first: dict[Any, int] = {}
        repeated = set()
        for i, row in enumerate(rows):
            value = row.get(key) if isinstance(row, dict) else None
            if value is None or not isinstance(value, str | int):
                continue
            if value in first:
                self.error(f"{kind}[{i}].{key}", f"{value!r} is already {kind}[{first[value]}]")
                repeated.add(i)
            else:
                first[value] = i
        return repeated

    # -- partner types, regions, KPIs, periods -----------------------------------------------

    def items(self, kind: str, rows: list, fields: tuple[str, ...]) -> list[tuple[str, dict]]:
        """(path, item) of the well-formed items with a key no earlier item has."""
        repeated = self.duplicates(kind, rows, "code")
        return [
            (f"{kind}[{i}]", row)
            for i, row in enumerate(rows)
            if i not in repeated and self.is_item(f"{kind}[{i}]", row, fields)
        ]

    def simple(self, kind: str, model, rows: list, fields: tuple[str, ...]) -> None:
        existing = model.objects.in_bulk(field_name="code")
        for path, row in self.items(kind, rows, fields):
            self.upsert(kind, path, model, existing.get(row["code"]), row, fields)

    def upsert(self, kind: str, path: str, model, obj, row: dict, fields, *, report=True) -> bool:
        before = None if obj is None else {name: getattr(obj, name) for name in fields}
        if obj is None:
            obj = model()
        for name in fields:
            if name in row:
                setattr(obj, name, row[name])
        problem = self.refusal(kind, obj, before, row)
        try:
            if problem:
                raise ValidationError(problem)
            obj.full_clean()
        except ValidationError as exc:
            if report:
                self.validation(path, exc)
            return False
        after = {name: getattr(obj, name) for name in fields}
        if before == after:
            self.count(kind, "unchanged")
            return True
        if kind == "periods" and before is None and obj.status == PeriodStatus.CLOSED:
            obj.closed_at = timezone.now()
        if not self.save(path, obj):
            return False
        self.count(kind, "created" if before is None else "updated")
        if before is not None and kind in ("kpis", "models"):
            self.scores_changed = True
        if before is not None and kind == "periods":
            request_recompute(period_ids=[obj.pk], reason="period changed by configuration import")
        return True

    def refusal(self, kind: str, obj, before: dict | None, row: dict) -> dict | None:
        """What an import may not do to a period: close or reopen it (the period's page and
        API do, with the scorecards), or change a closed one (its scorecards are frozen)."""
        if kind != "periods" or before is None:
            return None
        if before["status"] != obj.status:
            return {
                "status": f"The period is {before['status']}: close or reopen it on its page "
                "or through the API (that freezes or recomputes its scorecards), not by import."
            }
        if before["status"] == PeriodStatus.CLOSED and any(
            getattr(obj, name) != before[name] for name in before
        ):
            return {"__all__": f"{obj.code} is closed: its dates are frozen."}
        return None

    def save(self, path: str, obj) -> bool:
        try:
            with transaction.atomic():
                obj.save()
        except IntegrityError as exc:
            self.error(path, f"the database refused it: {str(exc).splitlines()[0]}")
            return False
        return True

    def kpis(self, rows: list) -> None:
        """A formula is checked against the KPIs already saved, and may use KPIs listed after
        it: the KPIs that fail are tried again while each round saves one more; the last
        round says why the rest fail."""
        pending = self.items("kpis", rows, KPI_FIELDS)
        while pending:
            failed = self.kpis_round(pending, report=False)
            if len(failed) == len(pending):
                self.kpis_round(failed, report=True)
                return
            pending = failed

    def kpis_round(self, pending: list[tuple[str, dict]], *, report: bool) -> list:
        existing = KPI.objects.in_bulk([row["code"] for _, row in pending], field_name="code")
        return [
            (path, row)
            for path, row in pending
            if not self.upsert(
                "kpis", path, KPI, existing.get(row["code"]), row, KPI_FIELDS, report=report
            )
        ]

    # -- scoring models and their versions ----------------------------------------------------

    def model(self, path: str, row: Any) -> None:
        fields = ("code", "name", "partner_type", "is_default", "versions")
        if not self.is_item(path, row, fields):
            return
        model = ScoringModel.objects.filter(code=row["code"]).first()
        values = {name: row[name] for name in ("code", "name", "is_default") if name in row}
        if "partner_type" in row:
            code = row["partner_type"]
            values["partner_type"] = None
            if code is not None:
                values["partner_type"] = PartnerType.objects.filter(code=code).first()
                if values["partner_type"] is None:
                    self.error(f"{path}.partner_type", f"Unknown partner type {code!r}.")
                    return
        keys = ("code", "name", "partner_type", "is_default")
        if not self.upsert("models", path, ScoringModel, model, values, keys):
            return
        model = ScoringModel.objects.get(code=row["code"])
        versions = row.get("versions", [])
        if not isinstance(versions, list):
            self.error(f"{path}.versions", "expected a list")
            return
        self.versions(path, model, versions)

    def versions(self, path: str, model: ScoringModel, rows: list) -> None:
        existing = {v.number: v for v in model.versions.all()}
        repeated = self.duplicates(f"{path}.versions", rows, "number")
        to_publish = []
        for i, row in enumerate(rows):
            item = f"{path}.versions[{i}]"
            if i in repeated or not self.is_item(
                item, row, ("number", "status", *VERSION_SETTINGS, "lines", "tiers"), "number"
            ):
                continue
            status = row.get("status", Status.DRAFT)
            if status not in Status.values or not isinstance(row["number"], int):
                self.error(
                    item, f"status is one of {', '.join(Status.values)}; number a whole number"
                )
                continue
            version = self.version(item, model, existing.get(row["number"]), row)
            if version is not None and status != Status.DRAFT and version.status == Status.DRAFT:
                to_publish.append((item, version, status))
        # retired ones first: publishing the active one last retires them
        for item, version, _ in sorted(
            to_publish, key=lambda t: (t[2] == Status.ACTIVE, t[1].number)
        ):
            self.publish(item, version)
        self.statuses(path, model, rows, repeated)

    def version(self, path: str, model, version, row: dict):
        content = {k: v for k, v in row.items() if k not in ("number", "status")}
        if version is not None and version.status != Status.DRAFT:
            difference = _first_difference(version_as_data(version), content)
            if difference:
                self.error(
                    path,
                    f"{model.code} v{version.number} is {version.status}: a published version "
                    f"cannot change ({difference}); make a new version instead (a draft with "
                    f"number {max(v.number for v in model.versions.all()) + 1}).",
                )
                return None
            self.count("versions", "unchanged")
            return version
        before = None if version is None else version_as_data(version)
        if version is None:
            version = ScoringModelVersion(model=model, number=row["number"])
            try:
                version.full_clean(exclude=["model"])
            except ValidationError as exc:
                self.validation(path, exc)
                return None
            version.save()
        try:
            with transaction.atomic():
                draft_write(version=version, data=content)
        except ValidationError as exc:
            self.validation(path, exc)
            return None
        except VersionPublished as exc:  # pragma: no cover (checked above)
            self.error(path, str(exc))
            return None
        after = version_as_data(version)
        self.count(
            "versions",
            "created" if before is None else "unchanged" if before == after else "updated",
        )
        return version

    def publish(self, path: str, version: ScoringModelVersion) -> None:
        try:
            with transaction.atomic():
                version_publish(version=version, user=self.user, reason="configuration import")
        except ValidationError as exc:
            for message in exc.messages:
                self.error(f"{path}.status", f"cannot publish: {message}")
            return
        self.count("versions", "published")

    def statuses(self, path: str, model: ScoringModel, rows: list, repeated: set[int]) -> None:
        """After publishing, each version's status must be the file's (a retired version
        cannot come back; an active one is retired only by publishing another)."""
        stored = dict(model.versions.values_list("number", "status"))
        for i, row in enumerate(rows):
            if i in repeated or not isinstance(row, dict) or row.get("number") not in stored:
                continue
            wanted, actual = row.get("status", Status.DRAFT), stored[row["number"]]
            if wanted != actual and not any(
                e.startswith(f"{path}.versions[{i}]") for e in self.errors
            ):
                self.error(
                    f"{path}.versions[{i}].status",
                    f"v{row['number']} is {actual}, the file says {wanted}: a published version "
                    "only retires when another is published, and never comes back; make a new "
                    "version instead.",
                )
        drafts = sorted(n for n, s in stored.items() if s == Status.DRAFT)
        if len(drafts) > 1:
            listed = ", ".join(f"v{n}" for n in drafts)
            self.error(
                f"{path}.versions", f"a model has one draft at most, this would have {listed}"
            )

    # -- schedules ------------------------------------------------------------------------------

    def schedule(self, path: str, row: Any) -> None:
        fields = (
            "name",
            "task",
            "interval",
            "crontab",
            "args",
            "kwargs",
            "queue",
            "enabled",
            "one_off",
            "description",
        )
        if not self.is_item(path, row, fields, "name"):
            return
        wanted = {
            "name": row["name"],
            "task": row.get("task"),
            **{k: row[k] for k in ("interval", "crontab") if row.get(k) is not None},
            "args": row.get("args", []),
            "kwargs": row.get("kwargs", {}),
            "queue": row.get("queue"),
            "enabled": row.get("enabled", True),
            "one_off": row.get("one_off", False),
            "description": row.get("description", ""),
        }
        task = (
            PeriodicTask.objects.select_related("interval", "crontab")
            .filter(name=row["name"])
            .first()
        )
        if task is not None and schedule_as_data(task) == wanted:
            self.count("schedules", "unchanged")
            return
        problems = self.schedule_problems(wanted)
        if problems:
            for name, message in problems:
                self.error(f"{path}.{name}" if name else path, message)
            return
        created = task is None
        task = task or PeriodicTask(name=row["name"])
        task.task = wanted["task"]
        task.interval, task.crontab = self.schedule_of(wanted)
        task.args, task.kwargs = json.dumps(wanted["args"]), json.dumps(wanted["kwargs"])
        task.queue = wanted["queue"]
        task.enabled, task.one_off = wanted["enabled"], wanted["one_off"]
        task.description = wanted["description"]
        try:
            task.full_clean(validate_unique=created)
        except ValidationError as exc:
            self.validation(path, exc)
            return
        if self.save(path, task):
            self.count("schedules", "created" if created else "updated")

    def schedule_problems(self, wanted: dict) -> list[tuple[str, str]]:
        problems = []
        if wanted["task"] not in _known_tasks():
            problems.append(("task", f"Unknown task {wanted['task']!r}."))
        if ("interval" in wanted) == ("crontab" in wanted):
            problems.append(("", "give either interval (every, period) or crontab, not both"))
        if not isinstance(wanted["args"], list):
            problems.append(("args", "expected a list"))
        if not isinstance(wanted["kwargs"], dict):
            problems.append(("kwargs", "expected a mapping"))
        interval = wanted.get("interval")
        if interval is not None:
            if not isinstance(interval, dict) or set(interval) != {"every", "period"}:
                problems.append(("interval", "expected every and period"))
            else:
                try:
                    IntervalSchedule(**interval).full_clean()
                except ValidationError as exc:
                    problems += [
                        (f"interval.{k}", m) for k, ms in exc.message_dict.items() for m in ms
                    ]
        crontab = wanted.get("crontab")
        if crontab is not None:
            if not isinstance(crontab, dict) or not set(crontab) <= set(CRONTAB_FIELDS):
                problems.append(("crontab", f"expected {', '.join(CRONTAB_FIELDS)}"))
            else:
                try:
                    CrontabSchedule(**crontab).full_clean()
                except ValidationError as exc:
                    problems += [
                        (f"crontab.{k}", m) for k, ms in exc.message_dict.items() for m in ms
                    ]
        return problems

    def schedule_of(self, wanted: dict):
        if "interval" in wanted:
            interval, _ = IntervalSchedule.objects.get_or_create(**wanted["interval"])
            return interval, None
        crontab = CrontabSchedule.objects.filter(**wanted["crontab"]).first()
        return None, crontab or CrontabSchedule.objects.create(**wanted["crontab"])


def _larger_than(data: Any, limit: int) -> bool:
    """Whether the document has more than `limit` values; stops counting there."""
    stack, seen = [data], 0
    while stack:
        value = stack.pop()
        seen += 1
        if seen > limit:
            return True
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _known_tasks() -> set[str]:
    from partnerscore.celery import app

    app.loader.import_default_modules()
    return set(app.tasks)


def _first_difference(stored: Any, given: Any, path: str = "") -> str | None:
    """Where `given` (from the file) differs from `stored` (as exported), e.g.
    'lines[0].weight: 40 -> 45'; fields the file leaves out are not compared."""
    if isinstance(given, dict) and isinstance(stored, dict):
        for key, value in given.items():
            found = _first_difference(stored.get(key), value, f"{path}.{key}" if path else key)
            if found:
                return found
        return None
    if isinstance(given, list) and isinstance(stored, list):
        if len(given) != len(stored):
            return f"{path}: {len(stored)} item(s) -> {len(given)}"
        for i, (a, b) in enumerate(zip(stored, given, strict=True)):
            found = _first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    if stored != given or type(stored) is bool and type(given) is not bool:
        return f"{path}: {stored!r} -> {given!r}"
    return None
