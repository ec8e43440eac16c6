"""Periods: the next ones in bulk (no gap, no overlap), and the status change that closing and
reopening make. Closing itself (freezing the scorecards, clearing their stale flags) and the
recompute on reopening are assessments.services.period_close / period_reopen, which call
period_status_set here."""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from kpis.models import LAST_DAY, Granularity, Period, PeriodStatus

MAX_NEW_PERIODS = 24  # six years of quarters, two of months: enough for any plan


@dataclass(frozen=True)
class PlannedPeriod:
    code: str
    start: dt.date
    end: dt.date


def period_code(granularity: str, start: dt.date) -> str:
    """`2027-Q1` for a quarter, `2027-01` for a month."""
    if granularity == Granularity.QUARTER:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}"


def _months(granularity: str) -> int:
    return 3 if granularity == Granularity.QUARTER else 1


def _is_first_day(granularity: str, day: dt.date) -> bool:
    return day.day == 1 and (day.month - 1) % _months(granularity) == 0


def _following(granularity: str, start: dt.date) -> dt.date:
    month = start.month - 1 + _months(granularity)
    return dt.date(start.year + month // 12, month % 12 + 1, 1)


def _noun(granularity: str, count: int = 1) -> str:
    word = "quarter" if granularity == Granularity.QUARTER else "month"
    return word if count == 1 else f"{word}s"


def periods_plan_next(
    *, granularity: str, count: int, first_start: dt.date | None = None
) -> list[PlannedPeriod]:
    """The next `count` periods of `granularity`, right after the latest one of that
    granularity (`first_start` is needed only when there is none yet, and must otherwise be
    the day after it). ValidationError naming the problem: a gap, an overlap, a code taken."""
    if granularity not in Granularity.values:
        raise ValidationError(f"Unknown granularity {granularity!r}: use quarter or month.")
    if not 1 <= count <= MAX_NEW_PERIODS:
        raise ValidationError(f"Add 1 to {MAX_NEW_PERIODS} periods at a time (got {count}).")
    start = _next_start(granularity, first_start)
    planned = []
    for _ in range(count):
        following = _following(granularity, start)
        end = following - dt.timedelta(days=1)
        if end > LAST_DAY:
            raise ValidationError(f"{period_code(granularity, start)} ends after {LAST_DAY}.")
        planned.append(PlannedPeriod(period_code(granularity, start), start, end))
        start = following
    taken = sorted(
        Period.objects.filter(code__in=[p.code for p in planned]).values_list("code", flat=True)
    )
    if taken:
        raise ValidationError(f"Period code(s) already in use: {', '.join(taken)}.")
    return planned


def _next_start(granularity: str, first_start: dt.date | None) -> dt.date:
    latest = Period.objects.filter(granularity=granularity).order_by("-end").first()
    noun = _noun(granularity)
    if latest is None:
        if first_start is None:
            raise ValidationError(f"There is no {noun} yet: say when the first one starts.")
        if not _is_first_day(granularity, first_start):
            raise ValidationError(
                f"A {noun} starts on the first day of a {noun}, not on {first_start}."
            )
        return first_start
    start = latest.end + dt.timedelta(days=1)
    if not _is_first_day(granularity, start):
        raise ValidationError(
            f"The latest {noun}, {latest.code}, ends on {latest.end}, not at the end of a "
            f"calendar {noun}: add the next one by hand."
        )
    if first_start is not None and first_start != start:
        problem = "leave a gap after" if first_start > start else "overlap"
        raise ValidationError(
            f"A {noun} starting on {first_start} would {problem} {latest.code} (which ends on "
            f"{latest.end}): the next {noun} is {period_code(granularity, start)}, "
            f"starting on {start}."
        )
    return start


@transaction.atomic
def periods_create_next(
    *, granularity: str, count: int, first_start: dt.date | None = None, user=None
) -> list[Period]:
    """Create the periods periods_plan_next plans, open, each recorded in the audit trail."""
    # one planner at a time: two admins adding "the next 4" at once would plan the same ones
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('periods_create_next'))")
    planned = periods_plan_next(granularity=granularity, count=count, first_start=first_start)
    periods = [
        Period(code=p.code, start=p.start, end=p.end, granularity=granularity) for p in planned
    ]
    for period in periods:
        period.full_clean()
    return bulk_create_with_history(
        periods,
        Period,
        default_user=user,
        default_change_reason=f"added with the next {count} {_noun(granularity, count)}",
    )


def period_status_set(*, period: Period, status: str, reason: str = "") -> Period:
    """Open or close the period row itself, through save() so the audit trail records it.
    Callers: assessments.services.period_close / period_reopen (which do the rest)."""
    period.status = status
    period.closed_at = timezone.now() if status == PeriodStatus.CLOSED else None
    # simple-history reads the reason of the version it records from this attribute
    why = reason or ("closed" if status == PeriodStatus.CLOSED else "reopened")
    period._change_reason = why  # type: ignore[attr-defined]
    period.save(update_fields=["status", "closed_at"])
    return period
