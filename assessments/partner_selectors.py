"""Reads for one partner's pages: the scorecard, the explain page and the compare page.

Each page costs a constant number of queries whatever the number of partners: a partner's
scorecards and lines of every period are loaded at once and sliced in Python; the contract's
arithmetic (contributions, what it takes) comes from kpis.guidance, never from a template."""

import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from assessments.dashboards import CACHE_SECONDS, cache_key, recompute_generations
from assessments.models import Scorecard, ScorecardLine, ScorecardStatus, TierChange
from kpis import guidance
from kpis.models import KPI, Aggregation, Direction, Period, Tier
from kpis.scoring import COMPARE_DECIMALS

# A partner user sees a peer aggregate only when it hides every single peer (SCORING.md 13).
MIN_PEERS_SHOWN = guidance.MIN_BENCHMARK_PEERS
MOVERS = 3  # KPIs listed beside a tier change

FLAG_TEXT = {
    "gap": "No value this period, though there was one in the previous period.",
    "stale": "The latest value is older than this KPI's staleness limit ({days} days).",
    "outlier": "More than 5 scaled MADs from the median of the peer group's values.",
}


# -- periods ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Periods:
    """Every period, loaded once (a small table): choosing one and walking back to previous
    periods (SCORING.md 1) then cost no query."""

    newest_first: list[Period]

    def get(self, code: str) -> Period | None:
        return next((p for p in self.newest_first if p.code == code), None)

    def previous(self, period: Period) -> Period | None:
        """Same granularity, latest end before this start."""
        earlier = [
            p
            for p in self.newest_first
            if p.granularity == period.granularity and p.end < period.start
        ]
        return max(earlier, key=lambda p: p.end, default=None)

    def later(self, period: Period, steps: int) -> Period | None:
        """The period `steps` after this one (same granularity), if it exists yet."""
        following = sorted(
            (
                p
                for p in self.newest_first
                if p.granularity == period.granularity and p.start > period.end
            ),
            key=lambda p: p.start,
        )
        return following[steps - 1] if 0 < steps <= len(following) else None


def periods_load() -> Periods:
    return Periods(list(Period.objects.order_by("-end")))


def period_pick(periods: Periods, code: str | None, with_cards: set[int]) -> Period | None:
    """The period asked for (None if unknown), else the latest with one of `with_cards`, else
    the latest period."""
    if code:
        return periods.get(code)
    chosen = next((p for p in periods.newest_first if p.pk in with_cards), None)
    return chosen or next(iter(periods.newest_first), None)


# -- rows shown on the scorecard page -----------------------------------------------------------


@dataclass
class LineRow:
    line: ScorecardLine
    points: float  # contribution to the score (section 12)
    lost: float | None  # points lost to target; None for a missing line under renormalize
    previous: ScorecardLine | None
    value_delta: float | None
    score_delta: float | None
    flags: list[tuple[str, str]]  # (flag, explanation)


@dataclass
class NeedRow:
    line: ScorecardLine
    need: guidance.Need
    value: float | None  # the needed value as shown: a count rounded to a whole number

    @property
    def at_most(self) -> bool:
        return self.line.kpi.direction == Direction.LOWER


@dataclass
class Mover:
    kpi_name: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float:
        return (self.after or 0.0) - (self.before or 0.0)


@dataclass
class TierChangeRow:
    change: TierChange
    period: Period
    previous: Period | None
    movers: list[Mover]


def line_facts(line: ScorecardLine) -> guidance.LineFacts:
    return guidance.LineFacts(
        kpi=line.kpi.code,
        direction=line.kpi.direction,
        weight=line.weight,
        floor=line.floor,
        target=line.target,
        stretch=line.stretch,
        value=line.value,
        score=line.score,
    )


def _delta(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else now - before


def line_flags(line: ScorecardLine, period: Period) -> list[tuple[str, str]]:
    """The line's data-quality flags (section 11) with an explanation; `stale` only while the
    period is open (a closed period's values no longer arrive)."""
    out = []
    for flag in filter(None, (line.flags or "").split(",")):
        if flag == "stale" and not period.is_open:
            continue
        text = FLAG_TEXT.get(flag, flag).format(days=line.kpi.stale_after_days)
        if flag == "stale" and line.last_observed_on:
            as_of = min(timezone.localdate(), period.end)
            text += f" Latest: {line.last_observed_on:%Y-%m-%d}, as of {as_of:%Y-%m-%d}."
        out.append((flag, text))
    return out


def line_rows(
    lines: list[ScorecardLine], previous: dict[int, ScorecardLine], period: Period, policy: str
) -> list[LineRow]:
    contributions = guidance.contributions([line_facts(line) for line in lines], policy)
    rows = []
    for line, part in zip(lines, contributions, strict=True):
        before = previous.get(line.kpi_id)
        rows.append(
            LineRow(
                line=line,
                points=part.points,
                lost=part.lost,
                previous=before,
                value_delta=_delta(line.value, before.value if before else None),
                score_delta=_delta(line.score, before.score if before else None),
                flags=line_flags(line, period),
            )
        )
    return rows


def shown_needed_value(need: guidance.Need, line: ScorecardLine) -> float | None:
    """The needed value as the page shows it: a count KPI needs a whole number of events, so
    it is rounded up (at least) or down (at most); comparisons at 9 decimals."""
    if need.needed_value is None:
        return None
    value = round(need.needed_value, COMPARE_DECIMALS)
    if line.kpi.aggregation == Aggregation.COUNT:
        value = math.floor(value) if line.kpi.direction == Direction.LOWER else math.ceil(value)
    return value


Requirements = dict[str, list[tuple[str, float]]]  # tier name -> [(kpi code, min KPI score)]


def what_it_takes(
    card: Scorecard,
    lines: list[ScorecardLine],
    tiers: list[tuple[str, float]],
    requirements: Requirements | None = None,
) -> tuple[guidance.Guidance | None, list[NeedRow], list[NeedRow]]:
    """Section 9 for the card: (guidance, its rows, the rows of guidance.then). A card holding
    its tier on demotion grace (section 14) gets what it takes to keep it first."""
    if card.status != ScorecardStatus.OK or not tiers:
        return None, [], []
    result = guidance.what_it_takes(
        [line_facts(line) for line in lines],
        card.model_version.missing_policy,
        tiers,
        card.tier,
        card.score,
        requirements,
        at_risk=card.at_risk_of_demotion,
    )
    if result is None:
        return None, [], []
    by_code = {line.kpi.code: line for line in lines}

    def rows(needs: list[guidance.Need]) -> list[NeedRow]:
        return [
            NeedRow(by_code[need.kpi], need, shown_needed_value(need, by_code[need.kpi]))
            for need in needs
        ]

    return result, rows(result.needs), rows(result.then.needs) if result.then else []


def projection_basis(
    cards: dict[int, Scorecard], periods: Periods, period: Period
) -> list[tuple[Period, float]]:
    """The scores a projection is drawn from (section 10), oldest first: this period's and up
    to 3 before it, stopping at the first period whose scorecard is not ok."""
    basis: list[tuple[Period, float]] = []
    current: Period | None = period
    while current is not None and len(basis) < guidance.PROJECTION_SCORES:
        card = cards.get(current.pk)
        if card is None or card.status != ScorecardStatus.OK or card.score is None:
            break
        basis.append((current, card.score))
        current = periods.previous(current)
    return basis[::-1]


def _movers(now: dict[int, ScorecardLine], before: dict[int, ScorecardLine]) -> list[Mover]:
    """The KPIs whose line scores moved most; a line that gained or lost its value moved by
    its whole score (a missing line is shown as such, not as 0)."""
    movers = [
        Mover(
            (now.get(kpi_id) or before[kpi_id]).kpi.name,
            before[kpi_id].score if kpi_id in before else None,
            now[kpi_id].score if kpi_id in now else None,
        )
        for kpi_id in set(now) | set(before)
    ]
    movers = [m for m in movers if m.before is not None or m.after is not None]
    movers.sort(key=lambda m: (-abs(round(m.delta, COMPARE_DECIMALS)), m.kpi_name))
    return [m for m in movers if round(m.delta, COMPARE_DECIMALS) != 0][:MOVERS]


def tier_history(
    changes: list[TierChange],
    lines_by_period: dict[int, dict[int, ScorecardLine]],
    periods: Periods,
) -> list[TierChangeRow]:
    by_id = {p.pk: p for p in periods.newest_first}
    rows = []
    for change in changes:
        period = by_id[change.period_id]
        previous = periods.previous(period)
        before = lines_by_period.get(previous.pk, {}) if previous else {}
        movers = _movers(lines_by_period.get(period.pk, {}), before)
        rows.append(TierChangeRow(change, period, previous, movers))
    rows.sort(key=lambda row: row.period.end, reverse=True)
    return rows


# -- queries ------------------------------------------------------------------------------------


PEER_MEDIANS_SQL = """
SELECT period_id, partner_type_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY score), count(*)
FROM assessments_scorecard
WHERE period_id = ANY(%s) AND status = 'ok'
GROUP BY period_id, partner_type_id
"""


def peer_medians(
    *, periods: list[Period], types: dict[int, int], min_peers: int = 1
) -> dict[int, float]:
    """{period id: median score of the ok scorecards of the given partner type in it}, for
    `types` = {period id: partner type id} among `periods`. Period-wide figures: computed for
    every type in one aggregate query and cached per recompute run
    (dashboards.recompute_generations), so a page pays one small query. Groups smaller than
    `min_peers` are left out (a partner user must not work out a peer's score from them)."""
    generations = recompute_generations([p for p in periods if p.pk in types])
    keys = {pid: cache_key("peer-medians", generations[pid]) for pid in types}
    found = cache.get_many(list(keys.values()))
    missing = [pid for pid, key in keys.items() if key not in found]
    if missing:
        computed: dict[int, dict[int, tuple[float, int]]] = defaultdict(dict)
        with connection.cursor() as cursor:
            cursor.execute(PEER_MEDIANS_SQL, [missing])
            for pid, type_id, median, n in cursor.fetchall():
                computed[pid][type_id] = (median, n)
        fresh = {keys[pid]: dict(computed[pid]) for pid in missing}
        cache.set_many(fresh, CACHE_SECONDS)
        found.update(fresh)
    out = {}
    for pid, type_id in types.items():
        median, n = found[keys[pid]].get(type_id, (None, 0))
        if median is not None and n >= min_peers:
            out[pid] = median
    return out


def neighbours(
    card: Scorecard, *, among: QuerySet | None = None
) -> list[tuple[str, str, float | None, int | None]]:
    """The partners ranked just above and just below this ok scorecard in its peer group:
    (code, name, score, rank), best first; only partners `among` (the viewer's visible
    partners) when given. One query (two index range scans)."""
    peers = Scorecard.objects.filter(
        period_id=card.period_id, partner_type_id=card.partner_type_id, status="ok"
    ).exclude(partner_id=card.partner_id)
    if among is not None:
        peers = peers.filter(partner__in=among)
    columns = ("partner__code", "partner__name", "score", "rank")
    # ordered along the peer index (period, type, score): two short index scans
    above = peers.filter(score__gte=card.score).order_by("score", "partner_id")[:1]
    below = peers.filter(score__lt=card.score).order_by("-score", "partner_id")[:1]
    rows = list(above.values_list(*columns).union(below.values_list(*columns), all=True))
    return sorted(rows, key=lambda row: -(row[2] or 0))


def partner_lines(*, partner_id: int, period_ids: list[int]) -> list[ScorecardLine]:
    """Every line of the partner in these periods, in the model's line order. Naming the
    periods lets each partition use its (period, partner, kpi) key."""
    return list(
        ScorecardLine.objects.filter(partner_id=partner_id, period_id__in=period_ids)
        .select_related("kpi")
        .order_by("-weight", "kpi__code")
    )


def tier_rules_by_version(
    version_ids: set[int],
) -> tuple[dict[int, list[tuple[str, float]]], dict[int, Requirements]]:
    """Each version's tiers and their requirements (SCORING.md 14), in one query."""
    tiers: dict[int, list[tuple[str, float]]] = defaultdict(list)
    requirements: dict[int, Requirements] = defaultdict(dict)
    for version_id, name, min_score, kpi_code, minimum in (
        Tier.objects.filter(version_id__in=version_ids)
        .order_by("version_id", "-min_score", "requirements__kpi__code")
        .values_list(
            "version_id",
            "name",
            "min_score",
            "requirements__kpi__code",
            "requirements__min_kpi_score",
        )
    ):
        if (name, min_score) not in tiers[version_id]:
            tiers[version_id].append((name, min_score))
        if kpi_code is not None:
            requirements[version_id].setdefault(name, []).append((kpi_code, minimum))
    return tiers, requirements


# -- the scorecard page -------------------------------------------------------------------------


@dataclass
class ScorecardPage:
    period: Period
    periods: list[Period]  # the partner's periods with a scorecard, newest first (the picker)
    card: Scorecard | None
    rows: list[LineRow]
    history: list[tuple[Period, Scorecard]]  # oldest first
    medians: dict[int, float]  # period id -> peer median score
    tiers: list[tuple[str, float]]  # the card's model version's, highest first
    guidance: guidance.Guidance | None
    needs: list[NeedRow]
    basis: list[tuple[Period, float]]  # what the projection was drawn from, oldest first
    tier_changes: list[TierChangeRow]
    neighbours: list[tuple[str, str, float | None, int | None]]

    # a card holding its tier on demotion grace (section 14): `guidance` is what it takes to
    # keep it, `then_needs` the rows of guidance.then (the next tier); the period it falls in
    then_needs: list[NeedRow] = field(default_factory=list)
    falls_period: Period | None = None
    official_tier: str = ""  # the partner's official tier (SCORING.md 15), '' before any

    @property
    def beyond(self) -> list[NeedRow]:
        """The KPIs that could not close the gap on their own (listed last, section 9)."""
        return [n for n in self.needs if n.need.out_of_reach]

    @property
    def then_beyond(self) -> list[NeedRow]:
        return [n for n in self.then_needs if n.need.out_of_reach]


def scorecard_page(
    *, partner, period_code: str | None, show_peers: bool, peers_among: QuerySet | None = None
) -> ScorecardPage | None:
    """Everything the scorecard page shows, in at most 7 queries; None for an unknown period.
    `show_peers`: peers may be named (managers), those `peers_among` (the partners the viewer
    sees; None: all); else peer medians need MIN_PEERS_SHOWN."""
    periods = periods_load()
    cards = {
        card.period_id: card
        for card in Scorecard.objects.filter(partner=partner).select_related(
            "model_version__model", "partner__official_tier"
        )
    }
    period = period_pick(periods, period_code, set(cards))
    if period is None:
        return None
    card = cards.get(period.pk)
    lines = partner_lines(partner_id=partner.pk, period_ids=list(cards)) if cards else []
    by_period: dict[int, dict[int, ScorecardLine]] = defaultdict(dict)
    for line in lines:
        by_period[line.period_id][line.kpi_id] = line
    by_id = {p.pk: p for p in periods.newest_first}
    history = sorted(((by_id[pid], c) for pid, c in cards.items()), key=lambda pc: pc[0].start)
    tiers, requirements = (
        tier_rules_by_version({c.model_version_id for c in cards.values()}) if cards else ({}, {})
    )
    shown = card or (history[-1][1] if history else None)
    page = ScorecardPage(
        period=period,
        periods=[p for p in periods.newest_first if p.pk in cards],
        card=card,
        rows=[],
        history=history,
        medians=peer_medians(
            periods=periods.newest_first,
            types={pid: c.partner_type_id for pid, c in cards.items()},
            min_peers=1 if show_peers else MIN_PEERS_SHOWN,
        )
        if cards
        else {},
        tiers=sorted(tiers.get(shown.model_version_id, []), key=lambda t: -t[1]) if shown else [],
        guidance=None,
        needs=[],
        basis=[],
        tier_changes=tier_history(
            list(TierChange.objects.filter(partner=partner)), by_period, periods
        ),
        neighbours=[],
    )
    if card is not None and page.periods and period == page.periods[0]:
        page.official_tier = official_tier(card)  # the partner's now: beside its latest card
    if card is None:
        return page
    current = [line for line in lines if line.period_id == period.pk]
    previous = periods.previous(period)
    page.rows = line_rows(
        current,
        by_period.get(previous.pk, {}) if previous else {},
        period,
        card.model_version.missing_policy,
    )
    page.guidance, page.needs, page.then_needs = what_it_takes(
        card, current, page.tiers, requirements.get(card.model_version_id)
    )
    if card.falls_in:
        page.falls_period = periods.later(period, card.falls_in)
    page.basis = projection_basis(cards, periods, period) if card.status == "ok" else []
    if show_peers and card.status == ScorecardStatus.OK and card.score is not None:
        page.neighbours = neighbours(card, among=peers_among)
    return page


def official_tier(card: Scorecard) -> str:
    try:
        return card.partner.official_tier.tier
    except ObjectDoesNotExist:
        return ""


# -- the compare page ---------------------------------------------------------------------------


@dataclass
class Compare:
    period: Period
    periods: list[Period]  # where any of the partners has a scorecard, newest first
    cards: list[Scorecard | None]  # one per partner, in the order asked
    rows: list[tuple[KPI, list[ScorecardLine | None]]]  # (KPI, one line per partner)


def compare_page(*, partners: list, period_code: str | None) -> Compare | None:
    """Two to four partners side by side in one period: 3 queries. The KPIs are the union of
    their lines, heaviest first. None for an unknown period."""
    periods = periods_load()
    cards = list(Scorecard.objects.filter(partner__in=partners))
    period = period_pick(periods, period_code, {c.period_id for c in cards})
    if period is None:
        return None
    ids = [p.pk for p in partners]
    cells: dict[int, dict[int, ScorecardLine]] = defaultdict(dict)
    kpis: dict[int, tuple[float, KPI]] = {}
    for line in ScorecardLine.objects.filter(
        period_id=period.pk, partner_id__in=ids
    ).select_related("kpi"):
        cells[line.kpi_id][line.partner_id] = line
        weight = max(line.weight, kpis[line.kpi_id][0]) if line.kpi_id in kpis else line.weight
        kpis[line.kpi_id] = (weight, line.kpi)
    order = sorted(kpis, key=lambda k: (-kpis[k][0], kpis[k][1].code))
    in_period = {c.partner_id: c for c in cards if c.period_id == period.pk}
    with_cards = {c.period_id for c in cards}
    return Compare(
        period=period,
        periods=[p for p in periods.newest_first if p.pk in with_cards],
        cards=[in_period.get(pk) for pk in ids],
        rows=[(kpis[k][1], [cells[k].get(pk) for pk in ids]) for k in order],
    )
