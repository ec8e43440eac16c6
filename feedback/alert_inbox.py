"""A user's own alerts (the /alerts/ page and the API): read, mark read, notification
settings. Alerts are owned by their user: every function here filters on the user, so no one
reads or marks another user's alerts (an alert that is not theirs is 404)."""

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from feedback.models import Alert, AlertKind, NotificationSettings

UNREAD_FIRST = Case(
    When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
)


def alerts_of_user(*, user, kind: str = "", unread: bool = False) -> QuerySet[Alert]:
    """The user's alerts, unread first, then newest first; `kind` and `unread` filter."""
    alerts = Alert.objects.filter(user=user)
    if kind in AlertKind.values:
        alerts = alerts.filter(kind=kind)
    if unread:
        alerts = alerts.filter(read_at__isnull=True)
    return alerts.order_by(UNREAD_FIRST, "-created_at", "-pk")


def alert_of_user(*, user, alert_id: int) -> Alert:
    alert = Alert.objects.filter(user=user, pk=alert_id).first()
    if alert is None:
        raise Http404("No such alert.")
    return alert


def alert_mark_read(*, user, alert_id: int) -> Alert:
    """Mark one of the user's alerts read (a no-op when it is); 404 if it is not theirs."""
    alert = alert_of_user(user=user, alert_id=alert_id)
    if alert.read_at is None:
        alert.read_at = timezone.now()
        Alert.objects.filter(pk=alert.pk, read_at__isnull=True).update(read_at=alert.read_at)
    return alert


def alerts_mark_all_read(*, user, kind: str = "") -> int:
    """Mark every unread alert of the user (of one kind, when given) read; returns how many."""
    unread = Alert.objects.filter(user=user, read_at__isnull=True)
    if kind in AlertKind.values:
        unread = unread.filter(kind=kind)
    return unread.update(read_at=timezone.now())


def notification_settings_get(*, user) -> NotificationSettings:
    """The user's settings (not saved until changed: e-mail is on by default)."""
    found = NotificationSettings.objects.filter(user=user).first()
    return found or NotificationSettings(user=user)


def notification_settings_set(*, user, email_alerts: bool) -> NotificationSettings:
    found, _ = NotificationSettings.objects.update_or_create(
        user=user, defaults={"email_alerts": email_alerts}
    )
    return found
