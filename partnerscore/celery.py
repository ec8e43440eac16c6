"""The Celery app. The periodic recompute lives in django-celery-beat's tables (editable in
the admin); `python manage.py setup_schedule` creates it once."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerscore.settings")

app = Celery("partnerscore")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
