"""The e-mail digest of alerts (issue 12): each user with e-mail alerts on (the default;
NotificationSettings turns it off) and an address gets one e-mail listing their alerts not
e-mailed yet. A user with e-mail off gets none; their alerts stay in the app, never e-mailed.

Never twice: a user's alerts are claimed with `UPDATE ... SET emailed_at WHERE emailed_at IS
NULL AND id IN (...) RETURNING id` and the e-mail lists only the claimed ones, in the same
transaction: a concurrent run (or a retry) waits on those rows, then finds them claimed; a
failed send rolls the claim back, so the next run sends them."""

import logging
from collections import defaultdict

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from feedback.models import Alert

logger = logging.getLogger(__name__)
MAX_LISTED = 50  # an e-mail lists this many alerts; the rest are counted, and on the page

_CLAIM = f"""
    UPDATE {Alert._meta.db_table} SET emailed_at = %s
    WHERE emailed_at IS NULL AND user_id = %s AND id = ANY(%s)
    RETURNING id
"""


def pending_by_user() -> dict[int, list[int]]:
    """Ids of the alerts to e-mail, by user: not e-mailed yet, to an active user with an
    address who has not turned e-mail off. One query."""
    rows = (
        Alert.objects.filter(emailed_at__isnull=True, user__is_active=True)
        .exclude(user__email="")
        .exclude(user__notification_settings__email_alerts=False)
        .order_by("user_id", "-created_at", "-pk")
        .values_list("user_id", "pk")
    )
    pending: dict[int, list[int]] = defaultdict(list)
    for user_id, pk in rows:
        pending[user_id].append(pk)
    return pending


def digests_send() -> int:
    """Send every pending digest; returns how many e-mails went out. One user's failure
    (a refused address) is logged and leaves their alerts for the next run."""
    sent = 0
    for user_id, ids in pending_by_user().items():
        try:
            sent += digest_send(user_id=user_id, alert_ids=ids)
        except Exception:
            logger.warning("could not send the alert digest of user %s", user_id, exc_info=True)
    return sent


@transaction.atomic
def digest_send(*, user_id: int, alert_ids: list[int]) -> int:
    """Claim these alerts of the user and e-mail the claimed ones; 1 if an e-mail went."""
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM, [timezone.now(), user_id, alert_ids])
        claimed = [pk for (pk,) in cursor.fetchall()]
    if not claimed:
        return 0
    alerts = list(
        Alert.objects.filter(pk__in=claimed).select_related("user").order_by("-created_at", "-pk")
    )
    message = _message(alerts)
    message.send()
    return 1


def _link(url: str) -> str:
    """An alert's link in an e-mail: its site path on SITE_URL."""
    return f"{settings.SITE_URL}{url}" if url.startswith("/") else url


def _message(alerts: list[Alert]) -> EmailMultiAlternatives:
    user = alerts[0].user
    n = len(alerts)
    context = {
        "user": user,
        "count": n,
        "alerts": [
            (a, f"{settings.SITE_URL}{a.url}" if a.url else "") for a in alerts[:MAX_LISTED]
        ],
        "more": max(0, n - MAX_LISTED),
        "alerts_url": f"{settings.SITE_URL}{reverse('alerts')}",
        "settings_url": f"{settings.SITE_URL}{reverse('alert-settings')}",
    }
    subject = f"partnerscore: {n} new alert{'s' if n != 1 else ''}"
    message = EmailMultiAlternatives(
        subject,
        render_to_string("feedback/email/digest.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
    )
    message.attach_alternative(render_to_string("feedback/email/digest.html", context), "text/html")
    return message
