"""Writing a draft version's content (settings, lines, tiers and their requirements) from plain
data, the one way the API and the configuration import do it.

The rules are the models' own (`full_clean`: ModelLine.clean's weight and thresholds, the
tiers' bounds, TierRequirement.clean's "a line of this version"); what only a whole set can
break (a KPI twice, two tiers with one name or score, no entry tier) is checked here. Every
problem is reported under the path of the item, e.g. `lines[3].weight`, so a caller can prefix
its own (`models[2].versions[0].`)."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.db.models import Max

from kpis.models import (
    KPI,
    ModelLine,
    ScoringModel,
    ScoringModelVersion,
    Tier,
    TierRequirement,
    VersionStatus,
    requirement_problem,
)
from kpis.services import NO_ENTRY_TIER, version_draft_create

VERSION_SETTINGS = (
    "missing_policy",
    "min_coverage",
    "amber_from",
    "demotion_grace",
    "tier_changes_need_approval",
    "note",
)
LINE_FIELDS = ("kpi", "weight", "floor", "target", "stretch")
TIER_FIELDS = ("name", "min_score", "requirements")
REQUIREMENT_FIELDS = ("kpi", "min_kpi_score")

Errors = dict[str, list[str]]


class VersionPublished(Exception):
    """A published (active or retired) version is immutable."""

    def __init__(self, version: ScoringModelVersion):
        self.version = version
        super().__init__(
            f"{version.model.code} v{version.number} is {version.status}: a published version "
            "cannot be changed; make a new version (a draft) and publish it."
        )


class DraftExists(Exception):
    def __init__(self, draft: ScoringModelVersion):
        self.draft = draft
        super().__init__(
            f"{draft.model.code} already has a draft, v{draft.number}: edit it, or publish it "
            "first (a model has one draft at a time)."
        )


@transaction.atomic
def draft_create(*, model: ScoringModel, copy_active: bool = True) -> ScoringModelVersion:
    """A new draft: a copy of the active version (kpis.services.version_draft_create), or an
    empty one (policy defaults, no lines, no tiers). Raises DraftExists."""
    ScoringModel.objects.select_for_update().get(pk=model.pk)
    draft = model.versions.filter(status=VersionStatus.DRAFT).first()
    if draft is not None:
        raise DraftExists(draft)
    if copy_active:
        return version_draft_create(model=model)
    number = (model.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return ScoringModelVersion.objects.create(model=model, number=number)


def version_as_data(version: ScoringModelVersion) -> dict[str, Any]:
    """A version's content as plain data (the export's and the API's shape). Lines by KPI code,
    tiers from the highest min score down."""
    data: dict[str, Any] = {"number": version.number, "status": version.status}
    data.update({name: getattr(version, name) for name in VERSION_SETTINGS})
    lines = sorted(version.lines.all(), key=lambda line: line.kpi.code)
    data["lines"] = [
        {
            "kpi": line.kpi.code,
            "weight": line.weight,
            "floor": line.floor,
            "target": line.target,
            "stretch": line.stretch,
        }
        for line in lines
    ]
    data["tiers"] = [_tier_as_data(tier) for tier in sorted(version.tiers.all(), key=_tier_order)]
    return data


def _tier_order(tier: Tier) -> tuple[float, str]:
    return (-tier.min_score, tier.name)


def _tier_as_data(tier: Tier) -> dict[str, Any]:
    requirements = sorted(tier.requirements.all(), key=lambda r: r.kpi.code)
    return {
        "name": tier.name,
        "min_score": tier.min_score,
        "requirements": [
            {"kpi": r.kpi.code, "min_kpi_score": r.min_kpi_score} for r in requirements
        ],
    }


def draft_write(*, version: ScoringModelVersion, data: Mapping[str, Any]) -> None:
    """Apply `data` (any of VERSION_SETTINGS, `lines`, `tiers`; a list given replaces the whole
    set) to a draft, all or nothing. Raises VersionPublished, or ValidationError({path: [...]})
    naming every problem."""
    if version.status != VersionStatus.DRAFT:
        raise VersionPublished(version)
    errors: Errors = {}
    _unknown_keys(errors, "", data, (*VERSION_SETTINGS, "lines", "tiers"))
    with transaction.atomic():
        for name in VERSION_SETTINGS:
            if name in data and not _loose_number(errors, name, data[name]):
                setattr(version, name, data[name])
        _clean(errors, "", version, exclude=["model", "number", "status"])
        if not errors:
            version.save()
        if "lines" in data:
            _lines_write(errors, version, data["lines"])
        if "tiers" in data:
            _tiers_write(errors, version, data["tiers"])
        elif "lines" in data and not errors:
            _kept_requirements_check(errors, version)
        if errors:
            raise ValidationError(errors)


def _lines_write(errors: Errors, version: ScoringModelVersion, rows: Any) -> None:
    if not _is_list(errors, "lines", rows):
        return
    version.lines.all().delete()
    kpis = _kpis(rows)
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        path = f"lines[{i}]"
        if not _is_object(errors, path, row, LINE_FIELDS, required=("kpi", "weight", "floor")):
            continue
        kpi = _kpi(errors, f"{path}.kpi", row.get("kpi"), kpis)
        if kpi is not None and kpi.code in seen:
            _add(errors, f"{path}.kpi", f"KPI {kpi.code!r} is already lines[{seen[kpi.code]}].")
            continue
        if kpi is not None:
            seen[kpi.code] = i
        line = ModelLine(
            version=version,
            kpi=kpi,
            weight=row.get("weight"),
            floor=row.get("floor"),
            target=row.get("target"),
            stretch=row.get("stretch"),
        )
        if kpi is not None and _clean(errors, path, line, exclude=["version", "kpi"]):
            line.save()


def _tiers_write(errors: Errors, version: ScoringModelVersion, rows: Any) -> None:
    if not _is_list(errors, "tiers", rows):
        return
    version.tiers.all().delete()
    names: dict[str, int] = {}
    scores: dict[float, int] = {}
    for i, row in enumerate(rows):
        path = f"tiers[{i}]"
        if not _is_object(errors, path, row, TIER_FIELDS, required=("name", "min_score")):
            continue
        tier = Tier(version=version, name=row.get("name"), min_score=row.get("min_score"))
        if not _clean(errors, path, tier, exclude=["version"]):
            continue
        if tier.name in names:
            _add(
                errors, f"{path}.name", f"Tier {tier.name!r} is already tiers[{names[tier.name]}]."
            )
        elif tier.min_score in scores:
            _add(
                errors,
                f"{path}.min_score",
                f"Min score {tier.min_score:g} is already that of tiers[{scores[tier.min_score]}].",
            )
        else:
            names[tier.name], scores[tier.min_score] = i, i
            tier.save()
            if "requirements" in row:
                _requirements_write(errors, path, tier, row["requirements"])
    if rows and 0 not in scores and not any(k.startswith("tiers[") for k in errors):
        _add(errors, "tiers", NO_ENTRY_TIER)


def _requirements_write(errors: Errors, path: str, tier: Tier, rows: Any) -> None:
    path = f"{path}.requirements"
    if not _is_list(errors, path, rows):
        return
    kpis = _kpis(rows)
    seen: dict[str, int] = {}
    for j, row in enumerate(rows):
        item = f"{path}[{j}]"
        if not _is_object(errors, item, row, REQUIREMENT_FIELDS, required=REQUIREMENT_FIELDS):
            continue
        kpi = _kpi(errors, f"{item}.kpi", row.get("kpi"), kpis)
        if kpi is None:
            continue
        if kpi.code in seen:
            _add(errors, f"{item}.kpi", f"KPI {kpi.code!r} is already {path}[{seen[kpi.code]}].")
            continue
        seen[kpi.code] = j
        requirement = TierRequirement(tier=tier, kpi=kpi, min_kpi_score=row.get("min_kpi_score"))
        # TierRequirement.clean puts "the entry tier has none" on its tier: here that is the item
        if _clean(errors, item, requirement, exclude=[], at_item=("tier",)):
            requirement.save()


def _kept_requirements_check(errors: Errors, version: ScoringModelVersion) -> None:
    """New lines under the tiers kept: each requirement must still name a line (SCORING.md 14);
    reported where the requirement is, as a write of the tiers would."""
    line_codes = set(version.lines.values_list("kpi__code", flat=True))
    tiers = version.tiers.prefetch_related("requirements__kpi")
    for i, tier in enumerate(sorted(tiers, key=_tier_order)):
        requirements = sorted(tier.requirements.all(), key=lambda r: r.kpi.code)
        for j, requirement in enumerate(requirements):
            problem = requirement_problem(
                tier_name=tier.name,
                tier_min_score=tier.min_score,
                kpi_code=requirement.kpi.code,
                line_kpi_codes=line_codes,
            )
            if problem:
                _add(errors, f"tiers[{i}].requirements[{j}].kpi", problem)


# -- helpers ------------------------------------------------------------------------------------


def _add(errors: Errors, path: str, message: str) -> None:
    errors.setdefault(path, []).append(message)


def _clean(
    errors: Errors, path: str, obj, *, exclude: list[str], at_item: tuple[str, ...] = ()
) -> bool:
    """The model's own validation (fields, clean()); its errors under `path`, a field's under
    `path.field` (those of `at_item`, fields the data has no key for, under `path`)."""
    # clean() only on values that passed their fields (it compares them: "abc" <= 0 fails)
    for check in (lambda: obj.clean_fields(exclude=exclude), obj.clean):
        try:
            check()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                at_path = field == NON_FIELD_ERRORS or field in at_item
                where = path if at_path else f"{path}.{field}".lstrip(".")
                for message in messages:
                    _add(errors, where or "version", message)
            return False
    return True


def _loose_number(errors: Errors, name: str, value: Any) -> bool:
    """Whether `value` is one the field would quietly bend (true -> 1, 1.5 -> 1 for a whole
    number); reported. The field's own checks (bounds, choices) run on the rest."""
    field = ScoringModelVersion._meta.get_field(name)
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(value, bool):
        _add(errors, name, f"Expected a number, got {str(value).lower()}.")
        return True
    if isinstance(field, models.IntegerField) and isinstance(value, float) and value % 1:
        _add(errors, name, f"Expected a whole number, got {value:g}.")
        return True
    return False


def _is_list(errors: Errors, path: str, value: Any) -> bool:
    if not isinstance(value, list):
        _add(errors, path, f"Expected a list, got {type(value).__name__}.")
        return False
    return True


def _is_object(
    errors: Errors, path: str, value: Any, fields: tuple[str, ...], *, required: tuple[str, ...]
) -> bool:
    if not isinstance(value, Mapping):
        _add(errors, path, f"Expected an object with {', '.join(fields)}.")
        return False
    _unknown_keys(errors, path, value, fields)
    missing = [name for name in required if value.get(name) is None]
    for name in missing:
        _add(errors, f"{path}.{name}", "This field is required.")
    return not missing


def _unknown_keys(errors: Errors, path: str, value: Mapping, known: tuple[str, ...]) -> None:
    for key in value:
        if key not in known:
            where = f"{path}.{key}" if path else str(key)
            _add(errors, where, f"Unknown field (expected one of: {', '.join(known)}).")


def _kpis(rows: list) -> dict[str, KPI]:
    codes = {row.get("kpi") for row in rows if isinstance(row, Mapping)}
    return KPI.objects.in_bulk([c for c in codes if isinstance(c, str)], field_name="code")


def _kpi(errors: Errors, path: str, code: Any, kpis: dict[str, KPI]) -> KPI | None:
    kpi = kpis.get(code) if isinstance(code, str) else None
    if kpi is None:
        _add(errors, path, f"Unknown KPI code {code!r}.")
    return kpi
