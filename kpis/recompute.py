"""The one seam from changed inputs to recomputed scorecards.

kpis does not know how scorecards are computed (that is assessments, to its right). Anything
that changes an input (an import, an API write, an override, a published version, a reopened
period) calls `request_recompute` inside its transaction:

1. a `RecomputeMark` row is written in that same transaction, so the need to recompute is
   committed with the change or not at all;
2. after commit, the `recompute_requested` signal is sent; assessments connects a receiver
   that enqueues the Celery task. If the message is lost (broker down, purged queue, killed
   worker), the mark stays and the scheduled sweep recomputes it at its next tick.
"""

import datetime as dt
import logging

from django.db import connection, transaction
from django.dispatch import Signal

from kpis.models import Period, PeriodStatus, RecomputeMark

logger = logging.getLogger(__name__)

# Sent after commit. kwargs: period_ids (list[int]), partner_id (int | None), reason (str).
recompute_requested = Signal()

_MARK_TABLE = RecomputeMark._meta.db_table
_UPSERT_MARKS = f"""
    INSERT INTO {_MARK_TABLE} (period_id, partner_id, seq, reason, marked_at)
    SELECT p, %s, 1, %s, now() FROM unnest(%s::bigint[]) AS p
    ORDER BY p
    ON CONFLICT (period_id, partner_id) DO UPDATE
    SET seq = {_MARK_TABLE}.seq + 1, reason = EXCLUDED.reason, marked_at = EXCLUDED.marked_at
"""


def request_recompute(*, period_ids: list[int], reason: str, partner_id: int | None = None) -> None:
    """Mark open periods (or one partner in them) as out of date, then, after commit, ask for
    a recompute. Closed periods are frozen and never marked."""
    open_ids = sorted(
        Period.objects.filter(pk__in=set(period_ids), status=PeriodStatus.OPEN).values_list(
            "pk", flat=True
        )
    )
    if not open_ids:
        return
    reason = reason[:200]
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_MARKS, [partner_id, reason, open_ids])
    transaction.on_commit(
        lambda: recompute_requested.send_robust(
            sender=RecomputeMark, period_ids=open_ids, partner_id=partner_id, reason=reason
        ),
        robust=True,
    )


def open_periods_overlapping(first_day: dt.date, last_day: dt.date) -> list[int]:
    return list(
        Period.objects.filter(
            status=PeriodStatus.OPEN, start__lte=last_day, end__gte=first_day
        ).values_list("pk", flat=True)
    )


def request_recompute_of_dates(
    *, first_day: dt.date, last_day: dt.date, reason: str, partner_id: int | None = None
) -> list[int]:
    """Values dated first_day..last_day changed: request the open periods they fall in (only
    the one partner when the change is that partner's). Returns the period ids."""
    ids = open_periods_overlapping(first_day, last_day)
    request_recompute(period_ids=ids, reason=reason, partner_id=partner_id)
    return ids


def request_recompute_of_open_periods(*, reason: str) -> list[int]:
    ids = list(Period.objects.filter(status=PeriodStatus.OPEN).values_list("pk", flat=True))
    request_recompute(period_ids=ids, reason=reason)
    return ids
