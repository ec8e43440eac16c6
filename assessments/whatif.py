"""What-if (SCORING.md section 16): a draft model version, or the active version with edited
weights, scored on an open period's stored inputs without writing anything, and compared with
the period's current scorecards.

It runs the recompute's own read and method (`selectors.recompute_inputs` with the draft in
place of its model's active version, then `services.score_period`), so its numbers are the
ones publishing the draft and recomputing the period would store, and every rule the method
gains (tier requirements, demotion grace) applies here too. Only the partners the version
scores are compared: rank and percentile are within a partner type, so other types do not move.
"""

import datetime as dt
import hashlib
import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from assessments.dashboards import recompute_generation
from assessments.models import Scorecard
from assessments.selectors import recompute_inputs
from assessments.services import score_period
from kpis import scoring
from kpis.models import (
    KPI,
    Period,
    PeriodStatus,
    RecomputeMark,
    ScoringModel,
    ScoringModelVersion,
    Tier,
    VersionStatus,
)
from kpis.services import version_problems
from partners.models import Partner
from partnerscore.pgcopy import copy_out

NO_TIER = ""  # status not ok (or no scorecard): no tier
CACHE_SECONDS = 600  # a bound on staleness for what the key does not name
KEY_VERSION = 1
# One row per partner the version scores (and any whose stored scorecard it would replace).
PARTNER_COLUMNS = [
    "partner_id",
    "code",
    "name",
    "partner_type",
    "old_score",
    "old_status",
    "old_tier",
    "old_tier_min",
    "old_rank",
    "old_percentile",
    "score",
    "status",
    "tier",
    "tier_min",
    "rank",
    "peer_count",
    "percentile",
    "change",
    "move",
]
# move: up / down / same (tier on both sides, compared by min_score, so a renamed tier at the
# same threshold is "same"), gained / lost (a tier on one side only), "" (no tier either side)
MOVES = ("up", "down", "same", "gained", "lost", "")


@dataclass(frozen=True)
class Summary:
    partners: int
    changed: int  # score differs at 9 decimals (or appears / disappears)
    ups: int
    downs: int
    same_tier: int
    gained: int  # from no tier to a tier
    lost: int  # from a tier to no tier
    to_insufficient: int  # ok now, insufficient data with the version
    to_no_data: int  # ok now, no data with the version
    mean_change: float | None


@dataclass
class Preview:
    version_id: int
    version_label: str
    model_name: str
    period_code: str
    weight_changes: dict[str, float]
    partners: pd.DataFrame  # PARTNER_COLUMNS
    stale: bool  # inputs changed since the stored scorecards were computed (a recompute waits)
    computed_at: dt.datetime
    seconds: float
    tier_order: list[str] = field(default_factory=list)  # old and new tier names, best first

    def summary(self) -> Summary:
        p = self.partners
        moves = p["move"].value_counts()
        was_ok = p["old_status"] == "ok"
        changes = p["change"].dropna()
        changed = (scoring.comparable(p["change"]) != 0) & p["change"].notna()
        appeared = p["old_score"].isna() != p["score"].isna()
        return Summary(
            partners=len(p),
            changed=int((changed | appeared).sum()),
            ups=int(moves.get("up", 0)),
            downs=int(moves.get("down", 0)),
            same_tier=int(moves.get("same", 0)),
            gained=int(moves.get("gained", 0)),
            lost=int(moves.get("lost", 0)),
            to_insufficient=int((was_ok & (p["status"] == "insufficient_data")).sum()),
            to_no_data=int((was_ok & (p["status"] == "no_data")).sum()),
            mean_change=float(changes.mean()) if len(changes) else None,
        )

    def matrix(self) -> dict[str, dict[str, pd.DataFrame]]:
        """old tier -> new tier -> that cell's partners (by new score, best first); NO_TIER
        for partners without a tier on that side."""
        cells: dict[str, dict[str, pd.DataFrame]] = {}
        ordered = self.partners.sort_values(["score", "code"], ascending=[False, True])
        for (old, new), rows in ordered.groupby(["old_tier", "tier"], sort=False):
            cells.setdefault(str(old), {})[str(new)] = rows
        return cells

    def cell(self, old_tier: str, new_tier: str) -> pd.DataFrame:
        p = self.partners
        rows = p[(p["old_tier"] == old_tier) & (p["tier"] == new_tier)]
        return rows.sort_values(["score", "code"], ascending=[False, True])

    def winners(self, n: int = 10) -> pd.DataFrame:
        gains = self.partners[self.partners["change"] > 0]
        return gains.sort_values(["change", "code"], ascending=[False, True]).head(n)

    def losers(self, n: int = 10) -> pd.DataFrame:
        losses = self.partners[self.partners["change"] < 0]
        return losses.sort_values(["change", "code"], ascending=[True, True]).head(n)

    def falling(self) -> pd.DataFrame:
        """Partners ok today whom the version leaves with insufficient data or no data."""
        p = self.partners
        out = p[(p["old_status"] == "ok") & p["status"].isin(["insufficient_data", "no_data"])]
        return out.sort_values(["old_score", "code"], ascending=[False, True])


# -- the engine ---------------------------------------------------------------------------------


def whatif_preview(
    *,
    version: ScoringModelVersion,
    period: Period,
    weight_changes: Mapping[str, float | str] | None = None,
) -> Preview:
    """Score `period` with `version` (a draft, as if published; or the active version with
    `weight_changes` {kpi code: weight}) and compare with the stored scorecards. Writes
    nothing. Raises ValidationError naming the problem for a version or period it cannot
    preview."""
    started = time.perf_counter()
    weights = _check(version=version, period=period, weight_changes=weight_changes or {})
    with _one_snapshot():
        draft = version if version.status == VersionStatus.DRAFT else None
        inputs = recompute_inputs(
            period=period, as_published=draft, for_warnings=False, scored_by=version.pk
        )
        inputs.lines = _with_weights(inputs.lines, version.pk, weights)
        _, cards = score_period(inputs, warnings=False)
        old = _stored_cards(period)
        stale = RecomputeMark.objects.filter(period=period).exists()
        type_ids = sorted(inputs.members["partner_type_id"].unique().tolist())
        names = _partner_names(cards["partner_id"].tolist(), old, type_ids)
    partners = _compare(cards, old, type_ids, names)
    return Preview(
        version_id=version.pk,
        version_label=version_label(version),
        model_name=version.model.name,
        period_code=period.code,
        weight_changes=weights,
        partners=partners,
        stale=stale,
        computed_at=timezone.now(),
        seconds=time.perf_counter() - started,
        tier_order=_tier_order(partners),
    )


def latest_open_period() -> Period | None:
    """The period a preview shows unless told otherwise (issue 10: the latest open one)."""
    return Period.objects.filter(status=PeriodStatus.OPEN).order_by("-end", "code").first()


def version_label(version: ScoringModelVersion) -> str:
    return f"{version.model.name} v{version.number} ({version.get_status_display().lower()})"


def _check(
    *, version: ScoringModelVersion, period: Period, weight_changes: Mapping[str, float | str]
) -> dict[str, float]:
    """The preview's preconditions, each refusal naming the problem. Returns the weight
    changes as {kpi code: float}, checked against the version's lines."""
    if period.status != PeriodStatus.OPEN:
        raise ValidationError(
            f"Period {period.code} is closed: its scorecards are frozen and a published "
            "version would not change them. Preview an open period."
        )
    if version.status == VersionStatus.RETIRED:
        raise ValidationError(
            f"{version_label(version)} is retired: preview a draft or the active version."
        )
    if version.status == VersionStatus.DRAFT:
        problems = version_problems(version)
        if problems:
            raise ValidationError(
                [f"{version_label(version)} cannot be published yet: {p}" for p in problems]
            )
    line_codes = set(version.lines.values_list("kpi__code", flat=True))
    checked = {}
    for code, weight in weight_changes.items():
        if code not in line_codes:
            raise ValidationError(
                f"'{code}' is not a KPI line of {version_label(version)}; "
                f"its lines are {', '.join(sorted(line_codes))}."
            )
        try:
            value = float(weight)
        except (TypeError, ValueError):
            raise ValidationError(
                f"The weight of {code} must be a number (got {weight!r})."
            ) from None
        if not math.isfinite(value) or value <= 0:
            raise ValidationError(f"The weight of {code} must be greater than 0 (got {weight}).")
        checked[code] = value
    return checked


@contextmanager
def _one_snapshot() -> Iterator[None]:
    """Read the inputs and the stored scorecards from one snapshot, so a recompute that
    commits in between cannot pair new inputs with old scorecards. (Inside a caller's
    transaction, a test's for instance, that transaction's snapshot rules.)"""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _with_weights(lines: pd.DataFrame, version_id: int, weights: dict[str, float]) -> pd.DataFrame:
    """The lines frame with the version's lines reweighted ({kpi code: weight})."""
    if not weights:
        return lines
    ids = dict(KPI.objects.filter(code__in=list(weights)).values_list("code", "id"))
    lines = lines.copy()
    for code, weight in weights.items():
        line = (lines["version_id"] == version_id) & (lines["kpi_id"] == ids[code])
        lines.loc[line, "weight"] = weight
    return lines


def _stored_cards(period: Period) -> pd.DataFrame:
    return copy_out(
        "SELECT partner_id, partner_type_id, score, status, tier, tier_min_score, rank, "
        f"percentile FROM {Scorecard._meta.db_table} WHERE period_id = %s",
        [period.pk],
        dtypes={
            "partner_id": "int64",
            "partner_type_id": "int64",
            "score": "float64",
            "status": "str",
            "tier": "str",
            "tier_min_score": "float64",
            "rank": "float64",
            "percentile": "float64",
        },
    )


def _partner_names(partner_ids: list[int], old: pd.DataFrame, type_ids: list[int]) -> pd.DataFrame:
    """Code, name and partner type code of the partners scored and of those whose stored
    scorecard (in the version's partner types) the version would drop."""
    dropped = old.loc[old["partner_type_id"].isin(type_ids), "partner_id"].tolist()
    rows = Partner.objects.filter(pk__in=sorted(set(partner_ids) | set(dropped))).values_list(
        "pk", "code", "name", "partner_type__code"
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["partner_id", "code", "name", "partner_type"]
    )
    return frame.astype({"partner_id": "int64"})


def _compare(
    cards: pd.DataFrame, old: pd.DataFrame, type_ids: list[int], names: pd.DataFrame
) -> pd.DataFrame:
    new = cards[
        ["partner_id", "score", "status", "tier", "tier_min_score", "rank", "peer_count"]
        + ["percentile"]
    ].rename(columns={"tier_min_score": "tier_min"})
    before = old[old["partner_id"].isin(new["partner_id"]) | old["partner_type_id"].isin(type_ids)]
    before = before.drop(columns="partner_type_id").rename(
        columns={
            "score": "old_score",
            "status": "old_status",
            "tier": "old_tier",
            "tier_min_score": "old_tier_min",
            "rank": "old_rank",
            "percentile": "old_percentile",
        }
    )
    frame = new.merge(before, on="partner_id", how="outer").merge(
        names, on="partner_id", how="left"
    )
    for column in ("status", "tier", "old_status", "old_tier"):
        frame[column] = frame[column].fillna("").astype(str)
    frame["change"] = frame["score"] - frame["old_score"]
    frame["move"] = _moves(frame)
    return frame[PARTNER_COLUMNS].sort_values("code", ignore_index=True)


def _moves(frame: pd.DataFrame) -> np.ndarray:
    had, has = frame["old_tier"] != NO_TIER, frame["tier"] != NO_TIER
    old_min = scoring.comparable(frame["old_tier_min"])
    new_min = scoring.comparable(frame["tier_min"])
    return np.select(
        [had & has & (new_min > old_min), had & has & (new_min < old_min), had & has, has, had],
        ["up", "down", "same", "gained", "lost"],
        "",
    )


def _tier_order(partners: pd.DataFrame) -> list[str]:
    """Tier names of both sides, highest threshold first, NO_TIER last."""
    thresholds = pd.concat(
        [
            partners[["old_tier", "old_tier_min"]].set_axis(["tier", "min"], axis=1),
            partners[["tier", "tier_min"]].set_axis(["tier", "min"], axis=1),
        ]
    )
    named = thresholds[thresholds["tier"] != NO_TIER]
    ranked = named.groupby("tier")["min"].max().sort_values(ascending=False, kind="stable")
    return [*ranked.index.tolist(), NO_TIER]


# -- cached, for the page and the API -----------------------------------------------------------


def whatif_preview_cached(
    *,
    version: ScoringModelVersion,
    period: Period,
    weight_changes: Mapping[str, float | str] | None = None,
) -> Preview:
    """`whatif_preview`, cached under a key naming everything it reads: the version and its
    configuration (fingerprint), the period's and the previous period's latest recompute,
    and the inputs changed since (recompute marks)."""
    key = preview_cache_key(version=version, period=period, weight_changes=weight_changes or {})
    preview = cache.get(key)
    if preview is None:
        preview = whatif_preview(version=version, period=period, weight_changes=weight_changes)
        cache.set(key, preview, CACHE_SECONDS)
    return preview


def preview_cache_key(
    *, version: ScoringModelVersion, period: Period, weight_changes: Mapping[str, float | str]
) -> str:
    previous = period.previous()
    marks = RecomputeMark.objects.filter(period=period).aggregate(
        n=Count("id"), seq=Sum("seq"), last=Max("marked_at")
    )
    parts = (
        version.pk,
        version_fingerprint(version),
        recompute_generation([period] + ([previous] if previous else [])),
        sorted(marks.items()),
        sorted((code, str(w)) for code, w in weight_changes.items()),  # checked by the engine
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"whatif:{KEY_VERSION}:{digest}"


def version_fingerprint(version: ScoringModelVersion) -> str:
    """A digest of everything that configures how `version` scores: its own row and its
    model's, every kpis row that hangs off it or off its tiers (lines, tiers, and whatever
    the method adds there, such as tier requirements), and the KPI definitions. Found through
    the model metadata, so a new kind of configuration row is covered without a change here."""
    rows: list = [
        list(ScoringModelVersion.objects.filter(pk=version.pk).values_list()),
        list(ScoringModel.objects.filter(pk=version.model_id).values_list()),
        list(KPI.objects.order_by("pk").values_list()),
    ]
    for parent, lookup in ((ScoringModelVersion, ""), (Tier, "__version")):
        for relation in parent._meta.related_objects:
            related = relation.related_model
            if related._meta.app_label != "kpis" or relation.many_to_many:
                continue
            query = related._default_manager.filter(
                **{f"{relation.field.name}{lookup}": version.pk}
            )
            rows.append((related.__name__, list(query.order_by("pk").values_list())))
    return hashlib.sha256(repr(rows).encode()).hexdigest()
