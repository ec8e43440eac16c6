from django.conf import settings
from django.core.management.base import BaseCommand
from django_celery_beat.models import IntervalSchedule, PeriodicTask

SCHEDULES = [
    # (name, task, every, unit, kwargs)
    (
        "Recompute open periods",
        "assessments.tasks.recompute_open_periods",
        lambda: settings.RECOMPUTE_EVERY_MINUTES,
        IntervalSchedule.MINUTES,
        '{"trigger": "schedule"}',
    ),
    (
        "Recompute what changed (sweep)",
        "assessments.tasks.recompute_marked",
        lambda: settings.RECOMPUTE_SWEEP_SECONDS,
        IntervalSchedule.SECONDS,
        "{}",
    ),
]


def schedule_register(*, name: str, task: str, every, unit: str, kwargs: str = "{}") -> None:
    """The seam for apps to the right of assessments (feedback's digest, reminders and survey
    requests): they
    add their periodic tasks from AppConfig.ready, and this command and the schedule page
    (config/schedule/) treat them like the recomputes."""
    if all(existing[0] != name for existing in SCHEDULES):
        SCHEDULES.append((name, task, every, unit, kwargs))


class Command(BaseCommand):
    help = "Create the periodic recomputes in django-celery-beat (admins own them once made)."

    def handle(self, *args, **options):
        for name, task, every, unit, kwargs in SCHEDULES:
            if PeriodicTask.objects.filter(name=name).exists():
                self.stdout.write(f"'{name}' exists; left as the admin set it.")
                continue
            interval, _ = IntervalSchedule.objects.get_or_create(every=every(), period=unit)
            PeriodicTask.objects.create(name=name, task=task, interval=interval, kwargs=kwargs)
            self.stdout.write(f"'{name}' every {interval.every} {unit}.")
