"""The e-mail digest (feedback/digest.py) with Django's locmem backend (`mailoutbox`): one
e-mail per user listing the alerts not e-mailed yet, never twice, none with e-mail off."""

import pytest
from django.core.mail import EmailMultiAlternatives

from feedback.digest import digest_send, digests_send
from feedback.models import Alert, AlertKind, NotificationSettings


def alert(user, n: int, **fields) -> Alert:
    return Alert.objects.create(
        user=user,
        kind=AlertKind.TIER_DROP,
        key=f"test:{n}",
        title=f"Partner {n} dropped to Silver",
        body=f"Score {n}.",
        url=f"/partners/P{n}/?period=2026-Q3",
        **fields,
    )


@pytest.fixture
def manager(world):
    world.manager.email = "manager@example.com"
    world.manager.save()
    return world.manager


def test_one_digest_per_user_lists_its_alerts_with_links(world, manager, mailoutbox, settings):
    settings.SITE_URL = "https://scores.example.com"
    alert(manager, 1)
    alert(manager, 2)
    assert digests_send() == 1
    (mail,) = mailoutbox
    assert mail.subject == "partnerscore: 2 new alerts"
    assert mail.to == ["manager@example.com"]
    assert "Partner 1 dropped to Silver" in mail.body and "Partner 2 dropped" in mail.body
    assert "https://scores.example.com/partners/P1/?period=2026-Q3" in mail.body
    assert "https://scores.example.com/alerts/settings/" in mail.body
    html, kind = mail.alternatives[0]
    assert kind == "text/html"
    assert 'href="https://scores.example.com/partners/P2/?period=2026-Q3"' in html
    assert not Alert.objects.filter(emailed_at__isnull=True).exists()


def test_never_twice(world, manager, mailoutbox):
    first = alert(manager, 1)
    assert digests_send() == 1
    assert digests_send() == 0  # a retry, or the next run: nothing new
    assert digest_send(user_id=manager.pk, alert_ids=[first.pk]) == 0  # a late concurrent run
    alert(manager, 2)
    assert digests_send() == 1
    assert [m.subject for m in mailoutbox] == [
        "partnerscore: 1 new alert",
        "partnerscore: 1 new alert",
    ]
    assert "Partner 1" not in mailoutbox[1].body


def test_no_email_for_a_user_who_turned_it_off_or_has_no_address(world, manager, mailoutbox):
    NotificationSettings.objects.create(user=manager, email_alerts=False)
    kept = alert(manager, 1)
    alert(world.acme_user, 2)  # no address
    assert digests_send() == 0
    assert mailoutbox == []
    kept.refresh_from_db()
    assert kept.emailed_at is None  # still in the app, never e-mailed


def test_a_failed_send_leaves_the_alerts_for_the_next_run(world, manager, mailoutbox, monkeypatch):
    alert(manager, 1)

    def refuse(self, fail_silently=False):
        raise OSError("the mail server is down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    assert digests_send() == 0
    assert Alert.objects.get().emailed_at is None
    monkeypatch.undo()
    assert digests_send() == 1 and len(mailoutbox) == 1


def test_a_digest_never_lists_another_users_alerts(world, manager, mailoutbox):
    world.acme_user.email = "acme@example.com"
    world.acme_user.save()
    alert(manager, 1)
    alert(world.acme_user, 2)
    assert digests_send() == 2
    by_address = {m.to[0]: m.body for m in mailoutbox}
    assert "Partner 2" not in by_address["manager@example.com"]
    assert "Partner 1" not in by_address["acme@example.com"]
