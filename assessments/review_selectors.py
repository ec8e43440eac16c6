"""Reads for the assessment pages: the managers' list of a period's partners with their
assessment status, one partner's assessment beside its scorecard, and the portal's view.

The list costs a constant number of queries whatever the number of partners: one count per
status (grouped), one count and one page of partners with their assessment and scorecard
joined in by subqueries."""

from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim

from assessments.models import (
    Assessment,
    AssessmentRating,
    AssessmentStatus,
    AssessmentTransition,
    Scorecard,
)
from assessments.partner_selectors import ScorecardPage, scorecard_page
from assessments.reviews import (
    EDIT,
    Transition,
    assessment_actions,
    assessment_refusal,
    partner_visible_assessments,
)
from kpis.models import Period, PeriodStatus

PAGE_SIZE = 50
NOT_STARTED = "not_started"  # the list's filter value for partners without an assessment
NOT_SUBMITTED = "not_submitted"  # not started or a draft (what the reminders link to)
STATUS_FILTERS = [(NOT_STARTED, "Not started"), *AssessmentStatus.choices]


def default_period(periods: list[Period]) -> Period | None:
    """The latest open period (where assessing happens), else the latest period."""
    return next((p for p in periods if p.status == PeriodStatus.OPEN), None) or next(
        iter(periods), None
    )


def period_choose(code: str | None) -> tuple[Period | None, list[Period]]:
    """(the period asked for, or the default; None for an unknown code), every period."""
    periods = list(Period.objects.order_by("-end"))
    if code:
        return next((p for p in periods if p.code == code), None), periods
    return default_period(periods), periods


# -- the managers' list -------------------------------------------------------------------------


@dataclass
class AssessmentList:
    period: Period
    periods: list[Period]
    status: str  # the filter ('' = all)
    counts: dict[str, int]  # status (and NOT_STARTED) -> partners
    total: int
    page: Page


def _full_name(user: str):
    """A user's "First Last", or the username when they have no name."""
    name = Trim(Concat(f"{user}__first_name", Value(" "), f"{user}__last_name"))
    return Coalesce(NullIf(name, Value("")), f"{user}__username")


def _with_assessment(partners: QuerySet, period: Period) -> QuerySet:
    mine = Assessment.objects.filter(partner=OuterRef("pk"), period=period)
    card = Scorecard.objects.filter(partner=OuterRef("pk"), period=period)
    return partners.annotate(
        a_status=Subquery(mine.values("status")[:1]),
        a_updated=Subquery(mine.values("updated_at")[:1]),
        a_assessor=Subquery(mine.annotate(who=_full_name("assessor")).values("who")[:1]),
        card_score=Subquery(card.values("score")[:1]),
        card_tier=Subquery(card.values("tier")[:1]),
    )


def assessment_list(
    *, partners: QuerySet, period: Period, periods: list[Period], status: str, page: int
) -> AssessmentList:
    """`partners`: those the viewer sees (partners.access.visible_partners)."""
    grouped = (
        Assessment.objects.filter(period=period, partner__in=partners)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {s: 0 for s, _ in STATUS_FILTERS} | dict(grouped)
    total = partners.count()
    counts[NOT_STARTED] = total - sum(n for s, n in counts.items() if s != NOT_STARTED)
    counts[NOT_SUBMITTED] = counts[NOT_STARTED] + counts[AssessmentStatus.DRAFT]
    rows = _with_assessment(partners.select_related("partner_type"), period)
    if status == NOT_STARTED:
        rows = rows.filter(a_status__isnull=True)
    elif status == NOT_SUBMITTED:
        rows = rows.filter(Q(a_status__isnull=True) | Q(a_status=AssessmentStatus.DRAFT))
    elif status in AssessmentStatus.values:
        rows = rows.filter(a_status=status)
    else:
        status = ""
    paginator = Paginator(rows.order_by("code"), PAGE_SIZE)
    # the count is known: spare the paginator its own COUNT query
    paginator.count = counts[status] if status else total
    return AssessmentList(
        period=period,
        periods=periods,
        status=status,
        counts=counts,
        total=total,
        page=paginator.get_page(page),
    )


# -- one partner's assessment -------------------------------------------------------------------


@dataclass
class RatingRow:
    rating: AssessmentRating
    levels: list[tuple[int, str]]  # (1..5, the rubric's text; '' without a rubric)
    line: object | None = None  # the scorecard's line of this KPI, if the model scores it

    @property
    def level_text(self) -> str:
        return dict(self.levels).get(self.rating.rating or 0, "")


def rating_rows(assessment: Assessment) -> list[RatingRow]:
    rows = []
    for rating in assessment.ratings.select_related("kpi__rubric").order_by("kpi__name"):
        try:
            levels = rating.kpi.rubric.levels()
        except ObjectDoesNotExist:
            levels = [(n, "") for n in range(1, 6)]
        rows.append(RatingRow(rating, levels))
    return rows


def transitions(assessment: Assessment) -> list[AssessmentTransition]:
    return list(assessment.transitions.select_related("by").order_by("at", "pk"))


@dataclass
class AssessmentPage:
    period: Period
    periods: list[Period]
    assessment: Assessment | None
    rows: list[RatingRow]
    history: list[AssessmentTransition]
    actions: list[Transition]
    editable: bool
    edit_refusal: str  # why it cannot be edited ('' when it can)
    scorecard: ScorecardPage | None
    can_start: str = ""  # '' when a draft may be started, else why not
    quantitative: list = field(default_factory=list)  # the scorecard's other lines


def assessment_page(*, partner, period: Period, periods: list[Period], user) -> AssessmentPage:
    assessment = (
        Assessment.objects.select_related("partner", "period", "assessor")
        .filter(partner=partner, period=period)
        .first()
    )
    card = scorecard_page(partner=partner, period_code=period.code, show_peers=False)
    rows = rating_rows(assessment) if assessment else []
    lines = {row.line.kpi_id: row.line for row in card.rows} if card else {}
    for row in rows:
        row.line = lines.get(row.rating.kpi_id)
    rated = {row.rating.kpi_id for row in rows}
    refusal = (
        assessment_refusal(assessment=assessment, action=EDIT, user=user) if assessment else ""
    )
    return AssessmentPage(
        period=period,
        periods=periods,
        assessment=assessment,
        rows=rows,
        history=transitions(assessment) if assessment else [],
        actions=assessment_actions(assessment=assessment, user=user) if assessment else [],
        editable=assessment is not None and not refusal,
        edit_refusal=refusal,
        scorecard=card,
        can_start="" if period.is_open else f"{period.code} is closed: no new assessments.",
        quantitative=[r for r in card.rows if r.line.kpi_id not in rated] if card else [],
    )


# -- the portal ---------------------------------------------------------------------------------


@dataclass
class SharedAssessment:
    assessment: Assessment
    rows: list[RatingRow]
    history: list[AssessmentTransition]


def portal_assessments(*, partner_id: int) -> list[SharedAssessment]:
    """The partner's shared and acknowledged assessments, newest period first (never drafts
    or merely submitted ones). A handful per partner: a few small queries each."""
    shown = partner_visible_assessments(partner_id).select_related("period", "partner", "assessor")
    return [SharedAssessment(a, rating_rows(a), transitions(a)) for a in shown]
