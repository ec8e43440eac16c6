"""Reminders (issue 12), raised by a daily beat task as alerts, each exactly once (its key):

- assessment_due: an open period ends within REMIND_ASSESSMENT_DAYS (or has ended and is still
  open): one alert per manager and period counting their partners (Partner.manager) with no
  submitted assessment of the period;
- survey_due: a partner survey asked of a portal user REMIND_SURVEY_DAYS ago or more, of an
  open period, still unanswered: one alert per request, to that user;
- action_overdue: an improvement plan's action due before today and neither done nor
  dropped: one alert per action to its owner and one to the partner's manager.

`today` is a parameter so that tests (and the demo) choose the day. One query per kind (per
open period for assessments), one bulk insert."""

import datetime as dt
from urllib.parse import quote

from django.conf import settings
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone
from django.utils.dateformat import format as date_format

from assessments.models import COUNTING_STATUSES, Assessment
from feedback.models import ActionStatus, Alert, AlertKind, PlanAction, SurveyRequest
from kpis.models import Period, PeriodStatus
from partners.models import Partner

# Where a reminder sends its reader. The assessments list filters on the period and the
# assessments that still need submitting (no assessment, or a draft).
ASSESSMENTS_DUE_URL = "/assessments/?period={period}&status=not_submitted"
PORTAL_SURVEYS_URL = "/portal/surveys/"
PORTAL_PLAN_URL = "/portal/plan/?period={period}"
MANAGER_PLAN_URL = "/partners/{code}/plan/?period={period}"
OPEN_ACTION = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


def reminders_raise(*, today: dt.date | None = None) -> dict[str, int]:
    """Raise every reminder due on `today` (default: today). Returns the alerts each kind
    calls for (those raised before are not inserted again)."""
    today = today or timezone.localdate()
    alerts = {
        AlertKind.ASSESSMENT_DUE: _assessments_due(today),
        AlertKind.SURVEY_DUE: _surveys_due(today),
        AlertKind.ACTION_OVERDUE: _actions_overdue(today),
    }
    Alert.objects.bulk_create(
        [a for kind in alerts.values() for a in kind], ignore_conflicts=True, batch_size=2000
    )
    return {str(kind): len(rows) for kind, rows in alerts.items()}


def _day(day: dt.date) -> str:
    return date_format(day, "j M Y")


def _assessments_due(today: dt.date) -> list[Alert]:
    near = today + dt.timedelta(days=settings.REMIND_ASSESSMENT_DAYS)
    periods = Period.objects.filter(status=PeriodStatus.OPEN, start__lte=today, end__lte=near)
    alerts = []
    for period in periods.order_by("start"):
        submitted = Assessment.objects.filter(
            partner=OuterRef("pk"), period=period, status__in=COUNTING_STATUSES
        )
        due = (
            Partner.objects.filter(is_active=True, manager__isnull=False, manager__is_active=True)
            .exclude(Exists(submitted))
            .values("manager_id")
            .annotate(n=Count("pk"))
            .order_by("manager_id")
        )
        left = (period.end - today).days
        when = (
            f"ended on {_day(period.end)}"
            if left < 0
            else f"ends on {_day(period.end)} ({'today' if left == 0 else f'in {left} days'})"
        )
        for row in due:
            n = row["n"]
            partners = f"{n} partner{'s' if n != 1 else ''}"
            alerts.append(
                Alert(
                    user_id=row["manager_id"],
                    period=period,
                    kind=AlertKind.ASSESSMENT_DUE,
                    key=f"assessment_due:period{period.pk}",
                    title=f"{period.code}: {partners} still to assess",
                    body=f"{period.code} {when}. {partners} of yours "
                    f"{'have' if n != 1 else 'has'} no submitted assessment for it yet.",
                    url=ASSESSMENTS_DUE_URL.format(period=period.code),
                )
            )
    return alerts


def _surveys_due(today: dt.date) -> list[Alert]:
    asked_before = today - dt.timedelta(days=settings.REMIND_SURVEY_DAYS - 1)
    requests = SurveyRequest.objects.filter(
        answered_at__isnull=True,
        created_at__date__lt=asked_before,
        period__status=PeriodStatus.OPEN,
        user__is_active=True,
    ).values(
        "pk", "user_id", "partner_id", "period_id", "period__code", "survey__name", "created_at"
    )
    return [
        Alert(
            user_id=r["user_id"],
            partner_id=r["partner_id"],
            period_id=r["period_id"],
            kind=AlertKind.SURVEY_DUE,
            key=f"survey_due:request{r['pk']}",
            title=f"Survey waiting for your answer: {r['survey__name']} ({r['period__code']})",
            body=f"You were asked on {_day(timezone.localtime(r['created_at']).date())} to "
            f"answer “{r['survey__name']}” for {r['period__code']}. It takes a few minutes, "
            "and your answers count in the partner programme's review.",
            url=PORTAL_SURVEYS_URL,
        )
        for r in requests.order_by("pk")
    ]


ACTION_FIELDS = (
    "pk",
    "title",
    "due_on",
    "status",
    "owner_id",
    "owner__is_active",
    "owner__portal__partner_id",
    "plan__partner_id",
    "plan__partner__code",
    "plan__partner__name",
    "plan__partner__manager_id",
    "plan__period_id",
    "plan__period__code",
)


def _actions_overdue(today: dt.date) -> list[Alert]:
    actions = PlanAction.objects.filter(due_on__lt=today, status__in=OPEN_ACTION)
    alerts = []
    for a in actions.values(*ACTION_FIELDS).order_by("pk"):
        late = (today - a["due_on"]).days
        status = "open" if a["status"] == ActionStatus.OPEN else "in progress"
        body = (
            f"“{a['title']}”, an action of {a['plan__partner__name']}'s improvement plan for "
            f"{a['plan__period__code']}, was due on {_day(a['due_on'])} ({late} day"
            f"{'s' if late != 1 else ''} ago) and is still {status}."
        )
        users = {a["plan__partner__manager_id"]: False}  # the manager reads the scorecard
        if a["owner_id"] and a["owner__is_active"]:
            users[a["owner_id"]] = a["owner__portal__partner_id"] is not None
        for user_id, portal in users.items():
            if user_id is None:
                continue
            url = (
                PORTAL_PLAN_URL.format(period=a["plan__period__code"])
                if portal
                else MANAGER_PLAN_URL.format(
                    code=quote(a["plan__partner__code"]), period=a["plan__period__code"]
                )
            )
            alerts.append(
                Alert(
                    user_id=user_id,
                    partner_id=a["plan__partner_id"],
                    period_id=a["plan__period_id"],
                    kind=AlertKind.ACTION_OVERDUE,
                    key=f"action_overdue:action{a['pk']}",
                    title=f"Overdue: {a['title']} ({a['plan__partner__name']})"[:300],
                    body=body,
                    url=url,
                )
            )
    return alerts
