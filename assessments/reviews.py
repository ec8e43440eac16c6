"""Quarterly assessments: the workflow (draft -> submitted -> shared -> acknowledged, and a
manager's reopen back to draft), the observations their ratings make (SCORING.md 2), and the
one rule of who may do what in which state (`assessment_refusal`), which the service, the
pages' buttons and the API all ask.

Each transition is one transaction: the status moves with `UPDATE ... WHERE status IN
(<expected>)` and the row count is checked, so of two concurrent clicks exactly one wins and
the other is told what happened. Ratings start counting on submit and stop on reopen: both
ask for a recompute of that period for that partner."""

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from assessments.models import (
    COUNTING_STATUSES,
    Assessment,
    AssessmentRating,
    AssessmentStatus,
    AssessmentTransition,
)
from kpis.models import KPI, Period, Source, active_version_for, period_open_check
from kpis.recompute import request_recompute
from partners.access import is_manager, may_see, portal_partner_id
from partners.models import Partner

# The ratings of submitted (and later) assessments whose period is the period read (same
# granularity, inside the window), observed on that period's end.
RATINGS_SQL = f"""
    SELECT a.partner_id, r.kpi_id, p."end" AS observed_on, r.rating::float8 AS value
    FROM {AssessmentRating._meta.db_table} r
    JOIN {Assessment._meta.db_table} a ON a.id = r.assessment_id
    JOIN {Period._meta.db_table} p ON p.id = a.period_id
    WHERE r.rating IS NOT NULL
      AND a.status IN ({", ".join(f"'{s.value}'" for s in COUNTING_STATUSES)})
      AND p.granularity = %(granularity)s
      AND p.start >= %(start)s AND p."end" <= %(end)s
"""

S = AssessmentStatus
MANAGER, PARTNER = "manager", "partner"


@dataclass(frozen=True)
class Transition:
    action: str  # submit, share, acknowledge, reopen
    label: str  # the button's
    sources: tuple[str, ...]
    target: str
    actor: str  # MANAGER (who sees the partner) or PARTNER (a portal user of that partner)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("submit", "Submit", (S.DRAFT,), S.SUBMITTED, MANAGER),
        Transition("share", "Share with the partner", (S.SUBMITTED,), S.SHARED, MANAGER),
        Transition("acknowledge", "Acknowledge", (S.SHARED,), S.ACKNOWLEDGED, PARTNER),
        Transition("reopen", "Reopen as draft", (S.SUBMITTED, S.SHARED), S.DRAFT, MANAGER),
    )
}
EDIT = "edit"  # saving ratings, comments and the summary: a manager's, of a draft


def _label(status: str) -> str:
    return S(status).label.split(" ")[0].lower()  # "shared with the partner" -> "shared"


def _past(action: str) -> str:
    return {"submit": "submitted", "share": "shared", "acknowledge": "acknowledged"}.get(
        action, f"{action}ed"
    )


def _actor_refusal(*, action: str, actor: str, user, partner: Partner) -> str:
    if actor == MANAGER and not (is_manager(user) and may_see(user, partner)):
        verb = "edit" if action == EDIT else action
        return f"Only a channel manager of {partner.name} can {verb} its assessment."
    if actor == PARTNER and portal_partner_id(user) != partner.pk:
        return f"Only {partner.name}'s own portal users can {action} its assessment."
    return ""


def assessment_refusal(*, assessment: Assessment, action: str, user) -> str:
    """Why `user` may not do `action` (a TRANSITIONS key, or EDIT) to the assessment now, in
    words; '' when they may. The one home of the workflow's rules."""
    partner = assessment.partner
    actor = MANAGER if action == EDIT else TRANSITIONS[action].actor
    refusal = _actor_refusal(action=action, actor=actor, user=user, partner=partner)
    if refusal:
        return refusal
    try:
        period_open_check(what=f"{partner.name}'s assessment", period=assessment.period)
    except ValidationError as closed:
        return closed.messages[0]
    status = assessment.status
    if action == EDIT:
        if status != S.DRAFT:
            return (
                f"This assessment is {_label(status)}: only a draft can be edited "
                "(reopen it first)."
            )
        return ""
    transition = TRANSITIONS[action]
    if status not in transition.sources:
        allowed = " or ".join(_label(s) for s in transition.sources)
        return (
            f"Cannot {action} an assessment that is {_label(status)}: "
            f"only a {allowed} one can be {_past(action)}."
        )
    return ""


def assessment_actions(*, assessment: Assessment, user) -> list[Transition]:
    """The transitions `user` may make now (the buttons a page shows)."""
    return [
        t
        for t in TRANSITIONS.values()
        if not assessment_refusal(assessment=assessment, action=t.action, user=user)
    ]


def _refuse_unless_allowed(*, assessment: Assessment, action: str, user) -> None:
    refusal = assessment_refusal(assessment=assessment, action=action, user=user)
    if refusal:
        raise ValidationError(refusal, code="forbidden_transition")


def _audit_as(obj: object, user) -> None:
    """The audit trail's author of the next save (simple-history's documented attribute):
    the workflow's user, also where no request middleware knows them (API tokens, tasks)."""
    setattr(obj, "_history_user", user)  # noqa: B010


# -- creating a draft ---------------------------------------------------------------------------


def assessment_kpis(*, partner: Partner) -> list[KPI]:
    """The qualitative KPIs a partner is rated on: those (source `assessment`) its active
    scoring model version uses, or every assessment KPI when it uses none."""
    qualitative = KPI.objects.filter(source=Source.ASSESSMENT).order_by("name")
    version = active_version_for(partner)
    if version is not None:
        used = list(qualitative.filter(model_lines__version=version))
        if used:
            return used
    return list(qualitative)


def assessment_create(*, partner: Partner, period: Period, by) -> Assessment:
    """A draft for (partner, period) with one empty rating per qualitative KPI."""
    if not (is_manager(by) and may_see(by, partner)):
        raise ValidationError(f"Only a channel manager of {partner.name} can assess it.")
    period_open_check(what=f"{partner.name}'s assessment", period=period)
    kpis = assessment_kpis(partner=partner)
    if not kpis:
        raise ValidationError(
            "There are no qualitative KPIs (source 'assessment') to rate: add one first."
        )
    try:
        with transaction.atomic():
            assessment = Assessment(partner=partner, period=period, assessor=by)
            _audit_as(assessment, by)
            assessment.save()
            AssessmentRating.objects.bulk_create(
                [AssessmentRating(assessment=assessment, kpi=kpi) for kpi in kpis]
            )
            AssessmentTransition.objects.create(assessment=assessment, to_status=S.DRAFT, by=by)
    except IntegrityError:
        raise ValidationError(
            f"{partner.name} already has an assessment for {period.code}.", code="exists"
        ) from None
    return assessment


# -- editing a draft ----------------------------------------------------------------------------


def _rating_problem(value: object, kpi_name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        return f"The rating of {kpi_name} must be a whole number from 1 to 5 (got {value!r})."
    return ""


def assessment_save(
    *,
    assessment: Assessment,
    by,
    ratings: Mapping[int, int | None],
    comments: Mapping[int, str] | None = None,
    summary: str | None = None,
) -> Assessment:
    """Save a draft's ratings ({kpi id: 1-5 or None}), comments ({kpi id: text}) and summary.
    A KPI the assessment does not rate, or a rating outside 1-5, refuses the whole save."""
    comments = comments or {}
    with transaction.atomic():
        locked = (
            Assessment.objects.select_for_update(of=("self",))
            .select_related("partner", "period")
            .get(pk=assessment.pk)
        )
        _refuse_unless_allowed(assessment=locked, action=EDIT, user=by)
        rows = {r.kpi_id: r for r in locked.ratings.select_related("kpi")}
        unknown = sorted((set(ratings) | set(comments)) - set(rows))
        if unknown:
            raise ValidationError(f"This assessment does not rate KPI id(s) {unknown}.")
        problems = [_rating_problem(v, rows[k].kpi.name) for k, v in ratings.items()]
        if any(problems):
            raise ValidationError([p for p in problems if p])
        for kpi_id, row in rows.items():
            new_rating = ratings.get(kpi_id, row.rating)
            new_comment = comments.get(kpi_id, row.comment).strip()
            if (new_rating, new_comment) != (row.rating, row.comment):
                row.rating, row.comment = new_rating, new_comment
                _audit_as(row, by)
                row.save(update_fields=["rating", "comment"])
        if summary is not None:
            locked.summary = summary.strip()
        locked.assessor = by
        _audit_as(locked, by)
        locked.save(update_fields=["summary", "assessor", "updated_at"])
    return locked


# -- transitions --------------------------------------------------------------------------------


def _transition(
    *, assessment: Assessment, action: str, by, note: str = "", **fields: str
) -> Assessment:
    """One transition in one transaction: the rules, then the conditional UPDATE (a
    concurrent click that moved it first makes this one's row count 0), the history row."""
    transition = TRANSITIONS[action]
    with transaction.atomic():
        current = Assessment.objects.select_related("partner", "period").get(pk=assessment.pk)
        _refuse_unless_allowed(assessment=current, action=action, user=by)
        if action == "submit":
            _check_complete(current)
        before = current.status  # the status the rules were checked against
        moved = Assessment.objects.filter(pk=current.pk, status=before).update(
            status=transition.target, updated_at=timezone.now(), **fields
        )
        if moved != 1:
            now = Assessment.objects.get(pk=current.pk).status
            raise ValidationError(
                f"Someone else just changed this assessment (it is now {_label(now)}): "
                f"it was not {_past(action)}.",
                code="concurrent_transition",
            )
        current.refresh_from_db()
        _audit_as(current, by)
        current.save(update_fields=["status", "updated_at", *fields])  # the audit trail's row
        AssessmentTransition.objects.create(
            assessment=current,
            from_status=before,
            to_status=transition.target,
            by=by,
            note=note.strip(),
        )
        if (transition.target in COUNTING_STATUSES) != (before in COUNTING_STATUSES):
            request_recompute(
                period_ids=[current.period_id],
                partner_id=current.partner_id,
                reason=f"assessment {_past(action)}: {current.partner.code} {current.period.code}",
            )
    return current


def _check_complete(assessment: Assessment) -> None:
    unrated = list(
        assessment.ratings.filter(rating__isnull=True)
        .order_by("kpi__name")
        .values_list("kpi__name", flat=True)
    )
    if unrated:
        raise ValidationError(
            f"Rate every criterion before submitting: {', '.join(unrated)} "
            f"{'has' if len(unrated) == 1 else 'have'} no rating.",
            code="incomplete",
        )
    if not assessment.ratings.exists():
        raise ValidationError("This assessment has no criteria to rate.", code="incomplete")


def assessment_submit(*, assessment: Assessment, by, note: str = "") -> Assessment:
    """Every rating present: the ratings now count (a recompute follows)."""
    return _transition(assessment=assessment, action="submit", by=by, note=note)


def assessment_share(*, assessment: Assessment, by, note: str = "") -> Assessment:
    """The partner's portal users see it now."""
    return _transition(assessment=assessment, action="share", by=by, note=note)


def assessment_acknowledge(*, assessment: Assessment, by, response: str = "") -> Assessment:
    """A portal user of the partner has read it, and may answer."""
    return _transition(
        assessment=assessment,
        action="acknowledge",
        by=by,
        note=response,
        partner_response=response.strip(),
    )


def assessment_reopen(*, assessment: Assessment, by, note: str = "") -> Assessment:
    """Back to draft: its ratings stop counting (a recompute follows)."""
    return _transition(assessment=assessment, action="reopen", by=by, note=note)


ACTIONS = {
    "submit": assessment_submit,
    "share": assessment_share,
    "reopen": assessment_reopen,
}


def partner_visible_assessments(partner_id: int) -> QuerySet[Assessment]:
    """What a partner's portal users see of their assessments: shared and acknowledged ones,
    never drafts or merely submitted ones."""
    return Assessment.objects.filter(partner_id=partner_id, status__in=(S.SHARED, S.ACKNOWLEDGED))
