"""The demo's alerts (issue 12, last part of the loop): the latest open quarter's alerts, as
a recompute raises them, and the reminders of a demo "today" set REMIND_SURVEY_DAYS past
the later of the real today and the quarter's end, so that the quarter's assessments are
due, the surveys asked during the seeding are unanswered long enough, and actions due before
then are overdue. Called directly (not through Celery): the demo's managers and partner users
find unread alerts on their first visit. Set-based like the rules themselves."""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from feedback.alerts import alerts_raise
from feedback.models import Alert
from feedback.reminders import reminders_raise
from kpis.models import Period, PeriodStatus


def demo_today(period: Period) -> dt.date:
    later = max(timezone.localdate(), period.end)
    return later + dt.timedelta(days=settings.REMIND_SURVEY_DAYS)


def seed_alerts() -> dict[str, int]:
    period = Period.objects.filter(status=PeriodStatus.OPEN).order_by("-start").first()
    if period is None:
        return {}
    alerts_raise(period_id=period.pk)
    reminders_raise(today=demo_today(period))
    return {"alerts": Alert.objects.count()}
