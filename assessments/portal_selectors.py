"""Reads for the partner portal: the home page (where the partner stands, progress to the next
tier, the KPIs with an anonymous peer benchmark) and the method page (how the partner is
scored, generated from the model version).

The scorecard itself comes from partner_selectors.scorecard_page (the manager's page, without
peers' names); the arithmetic from kpis.guidance. Peer values never leave the server: the page
gets quartiles and a percentile only (SCORING.md 13)."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection

from assessments.dashboards import CACHE_SECONDS, cache_key, recompute_generations
from assessments.models import Scorecard, ScorecardLine, ScorecardStatus
from assessments.partner_selectors import (
    LineRow,
    ScorecardPage,
    periods_load,
    scorecard_page,
)
from kpis import formula, guidance
from kpis.models import KPI, ModelLine, Period, ScoringModelVersion, TargetOverride, Tier
from kpis.models.scoring_models import active_version_for

# -- the home page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """The bar from the assigned tier's threshold to the next tier's."""

    tier: str
    low: float
    next_tier: str
    high: float
    score: float

    @property
    def missing(self) -> float:
        return max(0.0, self.high - self.score)

    @property
    def percent(self) -> float:
        share = (self.score - self.low) / (self.high - self.low) if self.high > self.low else 1
        return round(100.0 * min(1.0, max(0.0, share)), 1)


@dataclass
class KpiRow:
    row: LineRow
    benchmark: guidance.Benchmark | None


@dataclass
class PortalHome:
    page: ScorecardPage
    rank_words: str  # "12th of 134 resellers, up 3 places"; '' without a rank
    progress: Progress | None
    unmet: list[tuple[str, float]]  # (KPI name, needed KPI score) of the next tier
    kpis: list[KpiRow] = field(default_factory=list)


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def plural(name: str) -> str:
    """'Reseller' -> 'resellers', 'MSP' -> 'MSPs', 'Referral partners' unchanged."""
    word = name if name.isupper() else name.lower()
    return word if word.endswith("s") else f"{word}s"


def rank_words(card: Scorecard, previous: Scorecard | None, type_name: str) -> str:
    if card.rank is None or card.peer_count is None:
        return ""
    words = f"{ordinal(card.rank)} of {card.peer_count} {plural(type_name)}"
    if previous is None or previous.rank is None:
        return words
    moved = previous.rank - card.rank
    if moved == 0:
        return f"{words}, same place as last period"
    places = "place" if abs(moved) == 1 else "places"
    return f"{words}, {'up' if moved > 0 else 'down'} {abs(moved)} {places}"


def progress_for(card: Scorecard, tiers: list[tuple[str, float]]) -> Progress | None:
    """From the assigned tier's threshold to the next tier above it (None at the top)."""
    if card.status != ScorecardStatus.OK or card.score is None or not card.tier:
        return None
    low = next((m for n, m in tiers if n == card.tier), None)
    above = sorted((m, n) for n, m in tiers if low is not None and round(m, 9) > round(low, 9))
    if low is None or not above:
        return None
    high, name = above[0]
    return Progress(card.tier, low, name, high, card.score)


def portal_home(*, partner, period_code: str | None) -> PortalHome | None:
    """The portal home of `partner`; None for an unknown period. Peers are never named:
    the page is the partner's even when a manager previews it."""
    page = scorecard_page(partner=partner, period_code=period_code, show_peers=False)
    if page is None:
        return None
    home = PortalHome(page, "", None, [])
    card = page.card
    if card is None:
        return home
    previous_period = periods_load().previous(page.period)
    previous = next((c for p, c in page.history if p == previous_period), None)
    home.rank_words = rank_words(card, previous, partner.partner_type.name)
    home.progress = progress_for(card, page.tiers)
    upward = page.guidance.then if page.guidance and page.guidance.keep else page.guidance
    names = {row.line.kpi.code: row.line.kpi.name for row in page.rows}
    home.unmet = (
        [(names.get(code, code), minimum) for code, minimum in upward.unmet] if upward else []
    )
    ok = card.status == ScorecardStatus.OK
    benchmarks = peer_benchmarks(card, [r.line for r in page.rows]) if ok else {}
    home.kpis = [KpiRow(row, benchmarks.get(row.line.kpi_id)) for row in page.rows]
    return home


# -- the anonymous peer benchmark (SCORING.md 13) -----------------------------------------------

PEER_VALUES_SQL = """
SELECT l.kpi_id, array_agg(l.value ORDER BY l.value)
FROM assessments_scorecardline l
JOIN assessments_scorecard c ON c.period_id = l.period_id AND c.partner_id = l.partner_id
WHERE l.period_id = %s AND c.period_id = %s AND c.partner_type_id = %s
  AND c.status = 'ok' AND l.value IS NOT NULL
GROUP BY l.kpi_id
"""


def peer_values(*, period: Period, partner_type_id: int) -> dict[int, list[float]]:
    """{kpi id: the sorted period values of every ok scorecard of the type in the period}: one
    query, cached per recompute run. Server-side only: no page receives this."""
    generation = recompute_generations([period])[period.pk]
    key = cache_key("peer-values", generation, partner_type_id)
    found = cache.get(key)
    if found is None:
        with connection.cursor() as cursor:
            cursor.execute(PEER_VALUES_SQL, [period.pk, period.pk, partner_type_id])
            found = {kpi_id: list(values) for kpi_id, values in cursor.fetchall()}
        cache.set(key, found, CACHE_SECONDS)
    return found


def peer_benchmarks(card: Scorecard, lines: list[ScorecardLine]) -> dict[int, guidance.Benchmark]:
    """{kpi id: quartiles and the partner's KPI percentile} for the card's lines with at least
    5 peer values (fewer: no entry, nothing is shown)."""
    values = peer_values(period=card.period, partner_type_id=card.partner_type_id)
    out = {}
    for line in lines:
        peers = values.get(line.kpi_id, [])
        found = guidance.peer_benchmark(peers, line.value, line.kpi.direction)
        if found is not None:
            out[line.kpi_id] = found
    return out


# -- the method page ----------------------------------------------------------------------------

AGGREGATION_WORDS = {
    "sum": "the sum of the period's values",
    "mean": "the average of the period's values",
    "last": "the latest value in the period",
    "min": "the smallest value in the period",
    "max": "the largest value in the period",
    "count": "the number of values in the period",
    "nps": "the Net Promoter Score of the period's 0-10 answers (% promoters − % detractors)",
}
SOURCE_WORDS = {
    "import": "imported from your sales and operations data",
    "survey": "from survey responses",
    "assessment": "your channel manager's rating (1-5) in a submitted assessment",
}
OPERATORS = {"+": (1, "+"), "-": (1, "−"), "*": (2, "×"), "/": (2, "÷")}


def formula_words(text: str, names: dict[str, str]) -> str:
    """A formula written out: '100 * (revenue / prev(revenue) - 1)' ->
    '100 × (Revenue ÷ Revenue in the previous period − 1)'."""
    try:
        tree = formula.parse(text).tree
    except formula.FormulaError:
        return text
    return _words(tree, names, 0)


def _words(node, names: dict[str, str], parent: int, right: bool = False) -> str:
    if isinstance(node, formula.Num):
        return f"{node.value:g}"
    if isinstance(node, formula.Ref):
        return names.get(node.code, node.code)
    if isinstance(node, formula.Prev):
        return f"{names.get(node.code, node.code)} in the previous period"
    if isinstance(node, formula.Unary):
        return f"−{_words(node.operand, names, 3)}"
    if isinstance(node, formula.Call):
        args = [_words(a, names, 0) for a in node.args]
        if node.name == "abs":
            return f"the absolute value of {args[0]}"
        word = "smaller" if node.name == "min" else "larger"
        return f"the {word} of {args[0]} and {args[1]}"
    level, symbol = OPERATORS[node.op]
    text = f"{_words(node.left, names, level)} {symbol} {_words(node.right, names, level, True)}"
    # parentheses where the reader needs them: a looser operation inside a tighter one, or
    # a right operand of - or / that is itself a + - or * / (a - (b - c))
    return f"({text})" if level < parent or (right and level == parent) else text


@dataclass
class MethodLine:
    line: ModelLine
    share: float  # of the total weight, in %
    how: str  # where the value comes from, in words
    override: TargetOverride | None


@dataclass
class MethodVersion:
    version: ScoringModelVersion
    lines: list[MethodLine]
    tiers: list[tuple[Tier, list[tuple[str, float]]]]  # highest first, (KPI name, min score)


@dataclass
class MethodPage:
    period: Period | None
    card: Scorecard | None
    versions: list[MethodVersion]  # the active version, then the card's when it differs
    overrides: list[TargetOverride]  # agreed with the partner for `period`


def method_page(*, partner) -> MethodPage:
    """How the partner is scored: its active model version (and its latest scorecard's version
    when that differs), with the overrides agreed for it in that scorecard's period."""
    card = (
        Scorecard.objects.filter(partner=partner)
        .select_related("period", "model_version__model")
        .order_by("-period__end")
        .first()
    )
    period = card.period if card else None
    overrides = {
        o.kpi_id: o
        for o in TargetOverride.objects.filter(partner=partner, period=period).select_related("kpi")
    }
    active = active_version_for(partner)
    chosen = [v for v in (active, card.model_version if card else None) if v is not None]
    versions = list(dict.fromkeys(chosen))
    return MethodPage(
        period,
        card,
        [_method_version(v, overrides) for v in versions],
        sorted(overrides.values(), key=lambda o: o.kpi.name),
    )


def _method_version(version: ScoringModelVersion, overrides: dict) -> MethodVersion:
    lines = list(version.lines.select_related("kpi").order_by("-weight", "kpi__code"))
    formulas = [line.kpi.formula for line in lines if line.kpi.source == "formula"]
    names = dict(KPI.objects.values_list("code", "name")) if formulas else {}
    total = sum(line.weight for line in lines) or 1.0
    requirements: dict[int, list[tuple[str, float]]] = defaultdict(list)
    tiers = list(version.tiers.order_by("-min_score").prefetch_related("requirements__kpi"))
    for tier in tiers:
        for req in tier.requirements.all():
            requirements[tier.pk].append((req.kpi.name, req.min_kpi_score))
    return MethodVersion(
        version,
        [
            MethodLine(
                line, 100.0 * line.weight / total, _how(line.kpi, names), overrides.get(line.kpi_id)
            )
            for line in lines
        ],
        [(tier, requirements[tier.pk]) for tier in tiers],
    )


def _how(kpi: KPI, names: dict[str, str]) -> str:
    if kpi.source == "formula":
        return f"calculated: {formula_words(kpi.formula, names)}"
    aggregation = AGGREGATION_WORDS.get(kpi.aggregation, kpi.aggregation)
    return f"{aggregation}, {SOURCE_WORDS.get(kpi.source, kpi.source)}"
