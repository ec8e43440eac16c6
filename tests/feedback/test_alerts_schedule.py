"""The digest and the reminders are beat tasks: `setup_schedule` creates them (kept as an
admin edits them afterwards), the schedule page lists them, and the tasks call their services."""

import io

from django.core.management import call_command
from django.urls import reverse
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from feedback.models import Alert, AlertKind
from feedback.tasks import send_alert_digest, send_reminders


def test_setup_schedule_creates_the_digest_and_the_reminders_once(db):
    call_command("setup_schedule", stdout=io.StringIO())
    digest = PeriodicTask.objects.get(task="feedback.tasks.send_alert_digest")
    reminders = PeriodicTask.objects.get(task="feedback.tasks.send_reminders")
    for task in (digest, reminders):
        assert (task.interval.every, task.interval.period) == (24, IntervalSchedule.HOURS)
    digest.interval = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    digest.save()  # an admin's choice
    call_command("setup_schedule", stdout=io.StringIO())
    digest.refresh_from_db()
    assert digest.interval.every == 1
    # the digest, the reminders and the relationship survey's requests
    assert PeriodicTask.objects.filter(task__startswith="feedback.").count() == 3


def test_the_schedule_page_lists_them(world, client):
    call_command("setup_schedule", stdout=io.StringIO())
    client.force_login(world.admin)
    html = client.get(reverse("config-schedule")).content.decode()
    assert "E-mail digest of alerts" in html and "Reminders (assessments, surveys, actions)" in html


def test_the_tasks_run_their_services(world, mailoutbox):
    world.manager.email = "manager@example.com"
    world.manager.save()
    counts = send_reminders.apply().get()  # today: Q2 and Q3 2026 have ended, still open
    assert counts == {"assessment_due": 2, "survey_due": 0, "action_overdue": 0}
    Alert.objects.create(user=world.manager, kind=AlertKind.TIER_DROP, key="k", title="T")
    assert send_alert_digest.apply().get() >= 1
    assert [m.to for m in mailoutbox] == [["manager@example.com"]]
