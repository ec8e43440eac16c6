from django.conf import settings
from django.core.management.base import BaseCommand
from django_celery_beat.models import IntervalSchedule, PeriodicTask

TASK_NAME = "Recompute open periods"


class Command(BaseCommand):
    help = "Create the periodic recompute in django-celery-beat (kept if it exists: admins own it)."

    def handle(self, *args, **options):
        if PeriodicTask.objects.filter(name=TASK_NAME).exists():
            self.stdout.write(f"'{TASK_NAME}' exists; left as the admin set it.")
            return
        every, _ = IntervalSchedule.objects.get_or_create(
            every=settings.RECOMPUTE_EVERY_MINUTES, period=IntervalSchedule.MINUTES
        )
        PeriodicTask.objects.create(
            name=TASK_NAME,
            task="assessments.tasks.recompute_open_periods",
            interval=every,
            kwargs='{"trigger": "schedule"}',
        )
        self.stdout.write(f"'{TASK_NAME}' every {every.every} minutes.")
