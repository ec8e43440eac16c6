"""Writes to the scoring configuration: model versions (draft -> publish), target overrides.
Each change that moves scores enqueues a recompute after commit. (The formula rule is
KPI.clean(), in kpis.models.measures.)"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from kpis.models import (
    ModelLine,
    ScoringModel,
    ScoringModelVersion,
    TargetOverride,
    Tier,
    TierRequirement,
    VersionStatus,
    check_thresholds,
    requirement_problem,
)
from kpis.recompute import request_recompute, request_recompute_of_open_periods

NO_ENTRY_TIER = "The tiers must include one with min score 0."


def version_problems(version: ScoringModelVersion) -> list[str]:
    """Everything that keeps a version from being published, in words."""
    problems = []
    lines = list(version.lines.select_related("kpi"))
    if not lines:
        problems.append("The version has no KPI lines.")
    for line in lines:
        if line.weight <= 0:
            problems.append(f"{line.kpi.code}: weight must be greater than 0.")
        try:
            check_thresholds(
                direction=line.kpi.direction,
                floor=line.floor,
                target=line.target,
                stretch=line.stretch,
            )
        except ValidationError as exc:
            for messages in exc.message_dict.values():
                problems.extend(f"{line.kpi.code}: {m}" for m in messages)
    if not version.tiers.filter(min_score=0).exists():
        problems.append(NO_ENTRY_TIER)
    line_codes = {line.kpi.code for line in lines}
    for requirement in TierRequirement.objects.filter(tier__version=version).select_related(
        "tier", "kpi"
    ):
        problem = requirement_problem(
            tier_name=requirement.tier.name,
            tier_min_score=requirement.tier.min_score,
            kpi_code=requirement.kpi.code,
            line_kpi_codes=line_codes,
        )
        if problem:
            problems.append(problem)
    return problems


@transaction.atomic
def version_draft_create(*, model: ScoringModel) -> ScoringModelVersion:
    """The model's draft, or a new one copied from the active version (lines, tiers with their
    requirements, policy, grace and approval)."""
    ScoringModel.objects.select_for_update().get(pk=model.pk)  # one draft at a time
    draft = model.versions.filter(status=VersionStatus.DRAFT).first()
    if draft is not None:
        return draft
    active = model.versions.filter(status=VersionStatus.ACTIVE).first()
    number = (model.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    draft = ScoringModelVersion.objects.create(
        model=model,
        number=number,
        status=VersionStatus.DRAFT,
        missing_policy=active.missing_policy if active else "renormalize",
        min_coverage=active.min_coverage if active else 0.5,
        amber_from=active.amber_from if active else 60.0,
        demotion_grace=active.demotion_grace if active else 0,
        tier_changes_need_approval=active.tier_changes_need_approval if active else False,
    )
    if active is not None:  # copied in bulk, each copy recorded in the audit trail
        bulk_create_with_history(
            [
                ModelLine(
                    version=draft,
                    kpi_id=line.kpi_id,
                    weight=line.weight,
                    floor=line.floor,
                    target=line.target,
                    stretch=line.stretch,
                )
                for line in active.lines.all()
            ],
            ModelLine,
        )
        tiers = bulk_create_with_history(
            [
                Tier(version=draft, name=tier.name, min_score=tier.min_score)
                for tier in active.tiers.all()
            ],
            Tier,
        )
        copied = {tier.name: tier for tier in tiers}
        bulk_create_with_history(
            [
                TierRequirement(
                    tier=copied[requirement.tier.name],
                    kpi_id=requirement.kpi_id,
                    min_kpi_score=requirement.min_kpi_score,
                )
                for requirement in TierRequirement.objects.filter(
                    tier__version=active
                ).select_related("tier")
            ],
            TierRequirement,
        )
    return draft


@transaction.atomic
def version_publish(
    *, version: ScoringModelVersion, user=None, reason: str = ""
) -> ScoringModelVersion:
    """Make a draft the model's active version and recompute the open periods (the reason, when
    given, goes with the recompute request)."""
    version = ScoringModelVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(
            f"Only a draft can be published; v{version.number} is {version.status}."
        )
    problems = version_problems(version)
    if problems:
        raise ValidationError(problems)
    # one by one (there is at most one), through save(): the audit trail records the retirement
    for previous in ScoringModelVersion.objects.filter(
        model=version.model_id, status=VersionStatus.ACTIVE
    ):
        previous.status = VersionStatus.RETIRED
        previous._change_reason = f"retired by v{version.number}"  # type: ignore[attr-defined]
        previous.save(update_fields=["status"])
    version.status = VersionStatus.ACTIVE
    version.published_at = timezone.now()
    version.published_by = user
    why = f"published {version.model.code} v{version.number}"
    version._change_reason = f"{why}: {reason}" if reason else why  # type: ignore[attr-defined]
    version.save(update_fields=["status", "published_at", "published_by"])
    request_recompute_of_open_periods(reason=f"{why}: {reason}" if reason else why)
    return version


def target_override_changed(*, override: TargetOverride) -> None:
    """After an override is saved or deleted: recompute that partner in that period."""
    request_recompute(
        period_ids=[override.period_id], partner_id=override.partner_id, reason="target override"
    )
