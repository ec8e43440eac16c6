"""Recompute of scorecards: read a period's inputs as frames, run the pure method, write the
results in one transaction (COPY + a partition swap for lines), guarded by an advisory lock."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from assessments.approvals import official_tiers_reconcile
from assessments.models import RecomputeRun, RunStatus, Scorecard, TierChange
from assessments.selectors import RecomputeInputs, recompute_inputs
from assessments.signals import scorecards_recomputed
from kpis import guidance, scoring
from kpis.models import Period, PeriodStatus, RecomputeMark
from kpis.periods import period_status_set
from kpis.recompute import request_recompute
from partnerscore.pgcopy import copy_in, copy_in_binary, copy_out

logger = logging.getLogger(__name__)

LOCK_NAMESPACE = 74_201  # first key of pg_advisory_lock(int, int); the second is the period id
LINES_TABLE = "assessments_scorecardline"
LINE_TYPES = {
    "period_id": "int8",
    "partner_id": "int8",
    "kpi_id": "int8",
    "weight": "float8",
    "floor": "float8",
    "target": "float8",
    "stretch": "float8",
    "value": "float8",
    "n_values": "int4",
    "score": "float8",
    "status": "text",
    "overridden": "bool",
    "flags": "text",  # a handful of distinct strings: the binary COPY groups rows by them
    "last_observed_on": "date",
}
# Scores compared in SQL as round(score * COMPARE_SCALE): float8 like scoring.comparable, and
# round(float8) breaks ties to even like pandas, so peers order and tie alike in both.
COMPARE_SCALE = float(10**scoring.COMPARE_DECIMALS)
CARD_TABLE = Scorecard._meta.db_table
CARD_TEXTS = (  # '' is not NULL
    "tier",
    "earned_tier",
    "falls_to",
    "previous_tier",
    "tier_change",
    "projected_tier",
)
TIER_TABLE = TierChange._meta.db_table


class PeriodClosed(Exception):
    pass


@contextmanager
def period_lock(period_id: int) -> Iterator[None]:
    """A session-level advisory lock: a second recompute of the period waits for the first.
    A killed worker's connection drops, which releases the lock."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, period_id])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, period_id])


def score_period(
    inputs: RecomputeInputs, *, warnings: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The method (kpis.scoring) on one period's inputs -> (lines, cards). `warnings=False`
    leaves out the data-quality flags and projections (SCORING.md 10, 11), which no score,
    status, tier, rank or percentile depends on: the what-if (assessments.whatif) needs none."""
    partner_ids = pd.Index(inputs.members["partner_id"], name="partner_id")
    values = _finite(scoring.period_values(inputs.values, inputs.kpis))
    previous = _finite(scoring.period_values(inputs.previous_values, inputs.kpis))
    values = _finite(scoring.add_formula_values(values, previous, inputs.kpis, partner_ids))
    lines = scoring.score_lines(
        members=inputs.members,
        lines=inputs.lines,
        overrides=inputs.overrides,
        period_vals=values,
        kpis=inputs.kpis,
        versions=inputs.versions,
    )
    cards = scoring.score_cards(
        members=inputs.members,
        scored_lines=lines,
        versions=inputs.versions,
        tiers=inputs.tiers,
        previous=inputs.previous_cards,
        requirements=inputs.requirements,
    )
    if not warnings:
        return lines, cards
    return _with_warnings(inputs, lines, cards, previous, partner_ids)


def _with_warnings(
    inputs: RecomputeInputs,
    lines: pd.DataFrame,
    cards: pd.DataFrame,
    previous: pd.DataFrame,
    partner_ids: pd.Index,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Data-quality flags on the lines, then projection and at-risk counts on the cards
    (kpis.guidance, SCORING.md sections 10 and 11)."""
    # previous-period values of every KPI, formulas evaluated in that period (section 3)
    previous = _finite(
        scoring.add_formula_values(previous, previous.iloc[0:0], inputs.kpis, partner_ids)
    )
    last_observed = (
        inputs.values.groupby(["partner_id", "kpi_id"])["observed_on"]
        .max()
        .rename("last_observed_on")
        .reset_index()
    )
    lines = guidance.line_flags(
        lines,
        cards=cards,
        previous_values=previous,
        last_observed=last_observed,
        kpis=inputs.kpis,
        stale_as_of=inputs.stale_as_of,
        peer_values=inputs.peer_values,
    )
    cards = guidance.card_warnings(cards, lines, inputs.history, inputs.tiers)
    return lines, cards


def _finite(values: pd.DataFrame) -> pd.DataFrame:
    """A period value that is not a finite number (a formula that overflows) counts as
    missing, like a division by zero: no infinity reaches a scorecard, a page or JSON.
    (Metric values themselves are bounded: kpis.models.MAX_ABS_VALUE.)"""
    infinite = np.isinf(values["value"].to_numpy(dtype="float64", na_value=np.nan))
    if infinite.any():
        values = values.copy()
        values.loc[infinite, "value"] = np.nan
    return values


def scorecards_recompute(*, period_id: int, trigger: str) -> RecomputeRun:
    """Recompute every scorecard of an open period. Idempotent; atomic for readers."""
    return _recorded_run(period_id=period_id, partner_id=None, trigger=trigger)


def scorecard_recompute_partner(*, period_id: int, partner_id: int, trigger: str) -> RecomputeRun:
    """Recompute one partner's scorecard (e.g. after a manual edit or an override) without
    rewriting the others; its peer group's ranks and percentiles are updated in SQL."""
    return _recorded_run(period_id=period_id, partner_id=partner_id, trigger=trigger)


def _recorded_run(*, period_id: int, partner_id: int | None, trigger: str) -> RecomputeRun:
    """Lock the period, record a run row (status, counts, duration, error), do the work in
    one transaction, then ripple to the next period if anything changed."""
    with period_lock(period_id):
        period = Period.objects.get(pk=period_id)
        now = timezone.now()
        if not period.is_open:
            return RecomputeRun.objects.create(
                period=period,
                partner_id=partner_id,
                trigger=trigger,
                status=RunStatus.SKIPPED,
                started_at=now,
                finished_at=now,
                error="The period is closed: its scorecards are frozen.",
            )
        # Holding the lock, any other 'running' run of this period belongs to a dead worker.
        RecomputeRun.objects.filter(period=period, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            finished_at=now,
            error="Interrupted: the worker stopped before finishing; nothing was written.",
        )
        run = RecomputeRun.objects.create(
            period=period, partner_id=partner_id, trigger=trigger, started_at=now
        )
        try:
            with transaction.atomic():
                marks = _marks_read(period_id, partner_id)
                partner_ids = None if partner_id is None else [partner_id]
                inputs = recompute_inputs(period=period, partner_ids=partner_ids)
                lines, cards = score_period(inputs)
                if partner_id is None:
                    changed = _write_period(period, lines, cards, computed_at=now)
                else:
                    changed = _write_partner(period, partner_id, lines, cards, computed_at=now)
                official_tiers_reconcile(period=period, partner_id=partner_id, now=now)
                _marks_clear(marks)
        except Exception as exc:
            logger.exception("recompute of period %s failed", period.code)
            RecomputeRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED, finished_at=timezone.now(), error=repr(exc)[:4000]
            )
            raise
        run.status = RunStatus.SUCCEEDED
        run.finished_at = timezone.now()
        run.scorecards, run.lines, run.metric_values = len(cards), len(lines), len(inputs.values)
        if inputs.unscored_types:
            run.error = f"No active scoring model for partner type ids {inputs.unscored_types}."
        run.save()
    _announce(run)
    if changed:
        _ripple_to_next_period(period, partner_id)
    return run


def _announce(run: RecomputeRun) -> None:
    """assessments.signals.scorecards_recomputed, once the run's writes are committed."""

    def send() -> None:
        for receiver, error in scorecards_recomputed.send_robust(
            sender=RecomputeRun, period_id=run.period_id, partner_id=run.partner_id, run_id=run.pk
        ):
            if isinstance(error, Exception):
                logger.error("%r failed on run %s: %r", receiver, run.pk, error)

    transaction.on_commit(send, robust=True)


def _ripple_to_next_period(period: Period, partner_id: int | None) -> None:
    """The next period's trend and tier changes read this one, and so do the projections of
    the next three (SCORING.md 10): recompute those of them that are open."""
    later = Period.objects.filter(granularity=period.granularity, start__gt=period.end)
    chain, prior = [], period
    for candidate in later.order_by("start")[: guidance.PROJECTION_SCORES - 1]:
        if candidate.previous() != prior:
            break
        chain.append(candidate.pk)
        prior = candidate
    if not chain:
        return
    with transaction.atomic():  # closed periods in the chain are left alone (frozen)
        request_recompute(
            period_ids=chain, partner_id=partner_id, reason=f"ripple from {period.code}"
        )


_MARKS = RecomputeMark._meta.db_table


def _marks_read(period_id: int, partner_id: int | None) -> list[tuple[int, int]]:
    """The marks this run covers, read before its inputs: a full run covers every mark of the
    period, a partner run its partner's."""
    sql = f"SELECT id, seq FROM {_MARKS} WHERE period_id = %s"
    params: list = [period_id]
    if partner_id is not None:
        sql += " AND partner_id = %s"
        params.append(partner_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _marks_clear(marks: list[tuple[int, int]]) -> None:
    """Delete the marks this run covered, unless a change bumped them since (seq moved)."""
    if not marks:
        return
    ids, seqs = zip(*marks, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {_MARKS} AS m USING unnest(%s::bigint[], %s::bigint[]) AS r(id, seq)"
            " WHERE m.id = r.id AND m.seq = r.seq",
            [list(ids), list(seqs)],
        )


def _write_period(period: Period, lines: pd.DataFrame, cards: pd.DataFrame, *, computed_at) -> bool:
    """Replace the period's scorecards, lines and tier changes. Returns whether any score or
    tier changed (so the next period's trend needs a recompute)."""
    old = copy_out(
        f"SELECT {CARRIED_SQL} FROM {CARD_TABLE} WHERE period_id = %s",
        [period.pk],
        dtypes=CARRIED,
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {CARD_TABLE} WHERE period_id = %s", [period.pk])
    copy_in(CARD_TABLE, _card_rows(period, cards, computed_at), force_not_null=CARD_TEXTS)
    _write_tier_changes(period, cards, computed_at)
    _swap_line_partition(period.pk, lines)
    return not _same_results(old, cards)


# What the next period reads of this one: trend, tier change and demotion grace (section 14).
CARRIED = {
    "partner_id": "int64",
    "score": "float64",
    "tier": "str",
    "tier_min_score": "float64",
    "grace_used": "int64",
}
CARRIED_SQL = ", ".join(CARRIED)


def _same_results(old: pd.DataFrame, cards: pd.DataFrame) -> bool:
    new = cards[list(CARRIED)].sort_values("partner_id", ignore_index=True)
    old = old.sort_values("partner_id", ignore_index=True)
    old["tier"] = old["tier"].fillna("")
    if len(old) != len(new) or not (old["partner_id"].to_numpy() == new["partner_id"]).all():
        return False
    for column in ("score", "tier_min_score"):
        before, after = scoring.comparable(old[column]), scoring.comparable(new[column])
        if not ((before == after) | (before.isna() & after.isna())).all():
            return False
    return all(
        (old[column].to_numpy() == new[column].to_numpy()).all()
        for column in ("tier", "grace_used")
    )


def _card_rows(period: Period, cards: pd.DataFrame, computed_at) -> pd.DataFrame:
    rows = cards.rename(columns={"version_id": "model_version_id"})
    rows.insert(0, "period_id", period.pk)
    rows["computed_at"] = computed_at.isoformat()
    return rows.astype({"rank": "Int64", "peer_count": "Int64"})


def _write_tier_changes(
    period: Period, cards: pd.DataFrame, detected_at, partner_ids: list[int] | None = None
) -> None:
    """Keep the detection time of an unchanged event, so alerts do not fire twice."""
    where = "period_id = %s"
    params: list = [period.pk]
    if partner_ids is not None:
        where += " AND partner_id = ANY(%s)"
        params.append(partner_ids)
    changes = cards.loc[
        cards["tier_change"] != "", ["partner_id", "previous_tier", "tier", "tier_change"]
    ]
    changes.columns = ["partner_id", "from_tier", "to_tier", "direction"]
    kept = copy_out(
        f"SELECT partner_id, from_tier, to_tier, detected_at FROM {TIER_TABLE} WHERE {where}",
        params,
        dtypes={"partner_id": "int64", "from_tier": "str", "to_tier": "str", "detected_at": "str"},
    )
    changes = changes.merge(kept, on=["partner_id", "from_tier", "to_tier"], how="left")
    changes["detected_at"] = changes["detected_at"].fillna(detected_at.isoformat())
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TIER_TABLE} WHERE {where}", params)
    copy_in(TIER_TABLE, changes.assign(period_id=period.pk))


# The columns of a period's lines partition, as in the parent (migration 0001). The fresh
# table is made from this, not with CREATE TABLE ... LIKE the parent: LIKE takes a lock on
# the parent that the swap must then upgrade, and two periods swapping at once deadlock.
LINE_COLUMNS = """
    period_id bigint NOT NULL,
    partner_id bigint NOT NULL,
    kpi_id bigint NOT NULL,
    weight double precision NOT NULL,
    floor double precision NOT NULL,
    target double precision NOT NULL,
    stretch double precision NULL,
    value double precision NULL,
    n_values integer NOT NULL,
    score double precision NULL,
    status varchar(5) NOT NULL,
    overridden boolean NOT NULL DEFAULT false,
    flags varchar(40) NOT NULL DEFAULT '',
    last_observed_on date NULL
"""


def _swap_line_partition(period_id: int, lines: pd.DataFrame) -> None:
    """Load the period's lines into a fresh table, index it, then swap it in as the period's
    partition: no dead rows, no per-row index upkeep, and readers see old or new lines.

    Loading and indexing touch only the fresh table, so periods load in parallel; the swap
    takes the parent's exclusive lock as its first lock on the parent (never an upgrade), so
    concurrent swaps queue for a moment instead of deadlocking."""
    part = f"{LINES_TABLE}_p{int(period_id)}"
    new = f"{part}_new"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {new}")
        cursor.execute(f"CREATE TABLE {new} ({LINE_COLUMNS})")
    copy_in_binary(new, lines.assign(period_id=period_id), LINE_TYPES)
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {new} ADD CONSTRAINT {new}_period CHECK (period_id = {int(period_id)})"
        )
        cursor.execute(f"ALTER TABLE {new} ADD PRIMARY KEY (period_id, partner_id, kpi_id)")
        cursor.execute(f"LOCK TABLE {LINES_TABLE} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(f"DROP TABLE IF EXISTS {part}")
        cursor.execute(f"ALTER TABLE {new} RENAME TO {part}")
        cursor.execute(
            f"ALTER TABLE {LINES_TABLE} ATTACH PARTITION {part} FOR VALUES IN ({int(period_id)})"
        )


def _write_partner(
    period: Period, partner_id: int, lines: pd.DataFrame, cards: pd.DataFrame, *, computed_at
) -> bool:
    """Replace one partner's scorecard and lines, then re-rank its peer group(s) in SQL."""
    old = copy_out(
        f"SELECT {CARRIED_SQL}, partner_type_id FROM {CARD_TABLE} "
        "WHERE period_id = %s AND partner_id = %s",
        [period.pk, partner_id],
        dtypes=CARRIED,
    )
    part = f"{LINES_TABLE}_p{int(period.pk)}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {CARD_TABLE} WHERE period_id = %s AND partner_id = %s",
            [period.pk, partner_id],
        )
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {part} PARTITION OF {LINES_TABLE} "
            f"FOR VALUES IN ({int(period.pk)})"
        )
        cursor.execute(
            f"DELETE FROM {part} WHERE period_id = %s AND partner_id = %s", [period.pk, partner_id]
        )
    copy_in(CARD_TABLE, _card_rows(period, cards, computed_at), force_not_null=CARD_TEXTS)
    copy_in_binary(part, lines.assign(period_id=period.pk), LINE_TYPES)
    type_ids = set(old["partner_type_id"].tolist()) | set(cards["partner_type_id"].tolist())
    _rerank(period.pk, sorted(int(t) for t in type_ids))
    _write_tier_changes(period, cards, computed_at, partner_ids=[partner_id])
    return not _same_results(old.drop(columns="partner_type_id"), cards)


def _rerank(period_id: int, partner_type_ids: list[int]) -> None:
    """SCORING.md section 6 in SQL, for the peer groups one partner's change can move."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {CARD_TABLE} AS s
            SET rank = r.rank, peer_count = r.n, percentile = r.percentile
            FROM (
                SELECT id, rank, n, CASE WHEN n > 1 THEN 100.0::float8 * lower / (n - 1)
                                         ELSE 100.0::float8 END AS percentile
                FROM (
                    SELECT id,
                        rank() OVER (PARTITION BY partner_type_id ORDER BY compared DESC) AS rank,
                        count(*) OVER (PARTITION BY partner_type_id) AS n,
                        rank() OVER (PARTITION BY partner_type_id ORDER BY compared ASC) - 1
                            AS lower
                    FROM (
                        SELECT id, partner_type_id, round(score * %s) AS compared
                        FROM {CARD_TABLE}
                        WHERE period_id = %s AND status = 'ok' AND partner_type_id = ANY(%s)
                    ) AS peers
                ) AS ranked
            ) AS r
            WHERE s.id = r.id
              AND (s.rank, s.peer_count, s.percentile) IS DISTINCT FROM (r.rank, r.n, r.percentile)
            """,
            [COMPARE_SCALE, period_id, partner_type_ids],
        )


def period_close(*, period: Period) -> Period:
    """Freeze a period: its scorecards (and the model version they used) stay as they are."""
    with period_lock(period.pk), transaction.atomic():
        period.refresh_from_db()  # the caller's object follows, as callers expect
        period_status_set(period=period, status=PeriodStatus.CLOSED)
        _clear_stale_flags(period.pk)
    return period


def _clear_stale_flags(period_id: int) -> None:
    """'stale' is a warning about an open period (SCORING.md 11): a closed period's lines drop
    it (scores and every other flag stay frozen), and its cards' flagged_lines follow."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {LINES_TABLE} SET flags = array_to_string("
            "array_remove(string_to_array(flags, ','), 'stale'), ',') "
            "WHERE period_id = %s AND 'stale' = ANY(string_to_array(flags, ','))",
            [period_id],
        )
        if cursor.rowcount == 0:
            return
        cursor.execute(
            f"""
            UPDATE {CARD_TABLE} AS s SET flagged_lines = c.n
            FROM (
                SELECT partner_id, count(*) FILTER (WHERE flags <> '') AS n
                FROM {LINES_TABLE} WHERE period_id = %s GROUP BY partner_id
            ) AS c
            WHERE s.period_id = %s AND s.partner_id = c.partner_id AND s.flagged_lines <> c.n
            """,
            [period_id, period_id],
        )


@transaction.atomic
def period_reopen(*, period: Period) -> Period:
    """The explicit way back: an open period is recomputed (now, then on schedule)."""
    period.refresh_from_db()  # the caller's object follows, as callers expect
    period_status_set(period=period, status=PeriodStatus.OPEN)
    request_recompute(period_ids=[period.pk], reason="period reopened")
    return period
