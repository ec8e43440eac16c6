"""The recompute schedule in plain words (issue 10): the django-celery-beat tasks this app made
(assessments/management/commands/setup_schedule.py), each "every N minutes / hours" or "daily
at HH:MM", editable, with an enabled toggle. Admins only."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from assessments.management.commands.setup_schedule import SCHEDULES
from kpis.views_config import config_nav, require_admin

UNITS = {"minutes": IntervalSchedule.MINUTES, "hours": IntervalSchedule.HOURS}
MAX_EVERY = {"minutes": 7 * 24 * 60, "hours": 7 * 24}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def in_words(task: PeriodicTask) -> str:
    """'every 60 minutes', 'every 2 hours', 'daily at 06:30' (the crontab's own words else)."""
    if task.interval_id:
        every, period = task.interval.every, task.interval.period
        unit = period[:-1] if every == 1 else period
        return f"every {every} {unit}"
    if task.crontab_id:
        c = task.crontab
        if (c.day_of_week, c.day_of_month, c.month_of_year) == ("*", "*", "*") and (
            c.hour.isdigit() and c.minute.isdigit()
        ):
            return f"daily at {int(c.hour):02d}:{int(c.minute):02d} ({c.timezone})"
        return f"cron {c.minute} {c.hour} {c.day_of_month} {c.month_of_year} {c.day_of_week}"
    return "not scheduled (one-off or solar)"


def _tasks():
    ours = [task for _, task, *_ in SCHEDULES]  # read now: apps register theirs in ready()
    return PeriodicTask.objects.filter(task__in=ours).select_related("interval", "crontab")


@login_required
def schedule(request: HttpRequest) -> HttpResponse:
    require_admin(request.user)
    rows = [{"task": t, "words": in_words(t)} for t in _tasks().order_by("name")]
    return render(
        request, "config/schedule.html", {"rows": rows, "nav": config_nav("config-schedule")}
    )


@login_required
@require_POST
def schedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_admin(request.user)
    task = get_object_or_404(_tasks(), pk=pk)
    error = schedule_apply(task=task, post=request.POST)
    if error:
        messages.error(request, f"{task.name}: {error}")
    else:
        state = "enabled" if task.enabled else "paused"
        messages.success(request, f"{task.name}: now {in_words(task)}, {state}.")
    return redirect("config-schedule")


@transaction.atomic
def schedule_apply(*, task: PeriodicTask, post) -> str:
    """Set the task's schedule from the form (kind: every / daily); returns the problem in
    words, or '' when saved."""
    kind = post.get("kind", "")
    if kind == "every":
        unit, raw = post.get("unit", ""), post.get("every", "").strip()
        if unit not in UNITS:
            return "Choose minutes or hours."
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_EVERY[unit]:
            return (
                f"'Every' takes a whole number of {unit} from 1 to {MAX_EVERY[unit]} (got '{raw}')."
            )
        task.interval, _ = IntervalSchedule.objects.get_or_create(
            every=int(raw), period=UNITS[unit]
        )
        task.crontab = None
    elif kind == "daily":
        match = _TIME.match(post.get("at", "").strip())
        if match is None:
            return f"'Daily at' takes a time as HH:MM, e.g. 06:30 (got '{post.get('at', '')}')."
        task.crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=str(int(match[2])),
            hour=str(int(match[1])),
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
        )
        task.interval = None
    else:
        return "Choose 'every' or 'daily at'."
    task.enabled = bool(post.get("enabled"))
    task.save()
    return ""
