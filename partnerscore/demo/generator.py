"""The demo world's generator: partners and their metric values from a seed.

Pure (numpy + pandas, no Django): the same (partners, periods, seed, last_quarter) always gives
the same world. Each partner has a latent quality; each partner type turns it into quarterly
values of the KPIs it reports (the calibration below); those become dated metric values: monthly
flows and readings, stocks at quarter end, survey answers, with DEMO.md's gaps.
"""

from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from partnerscore.demo.catalog import (
    KPI_CATALOG,
    PARTNER_TYPES,
    REGIONS,
    STEMS_A,
    STEMS_B,
    SUFFIXES,
)
from partnerscore.demo.quarters import Calendar, DemoError, day_numbers, quarter_calendar

RHO = 0.8  # quarter-to-quarter persistence of latent quality around its level (DEMO.md)
PERMANENT = 0.9  # share of quality that is the partner's own level: good partners stay good
OWN_RHO = 0.99  # persistence of a partner's KPI-specific strengths and weaknesses
# Calibrated with the scoring method on 10,000 partners x 8 quarters (seed 42): each KPI loads
# 0.15 on quality (the rest is the partner's own, very persistent strengths and weaknesses) and
# the typical partner sits a little below target. Tier changes come from slow drifts, not from
# sampling noise: ~12 % of partners change tier a quarter; ~7 % Platinum, ~22 % Gold, ~24 %
# Silver, ~45 % Registered.
LOADING, SHIFT = 0.15, 0.1
INACTIVE = 0.18  # resellers who sell nothing in a quarter (DEMO.md: 15-25 %)
DORMANT_RHO = 0.99  # mostly the same dormant resellers (and idle affiliates) each quarter
COUNT_JITTER = 0.05  # log sd of a quarter's count around the partner's level
PART_JITTER = 0.1  # successes out of a count: the persistent rate, give or take a tenth, rounded
GROWTH_LUCK = 0.1  # share (in sd) of quarter-on-quarter growth that is this quarter's luck
MOMENTUM_RHO = 0.99  # persistence of a partner's own growth momentum
JOINER_SHARE = 0.04  # partners who join in the latest two quarters
MISSING_IMPORT, MISSING_SURVEY = 0.06, 0.12  # no file that quarter / no survey replies
MISSING_RHO = 0.97  # gaps are habits: the partner who sent no POS file last quarter often won't now


# -- latent quality, and the draws built on it ----------------------------------------------------


def _ar1(rng: np.random.Generator, shape: tuple[int, int], rho: float) -> np.ndarray:
    """Standard-normal AR(1) along quarters: persistent, never drifting away."""
    noise = rng.standard_normal(shape)
    out = np.empty(shape)
    out[:, 0] = noise[:, 0]
    for t in range(1, shape[1]):
        out[:, t] = rho * out[:, t - 1] + np.sqrt(1 - rho**2) * noise[:, t]
    return out


def _quality(rng: np.random.Generator, partners: int, periods: int) -> np.ndarray:
    """Latent quality: the partner's own long-run level plus an AR(1) (rho 0.8) swing around
    it, so a good partner stays good and tiers move for a few partners a quarter."""
    level = rng.standard_normal((partners, 1))
    swing = _ar1(rng, (partners, periods), RHO)
    return np.sqrt(PERMANENT) * level + np.sqrt(1 - PERMANENT) * swing


@dataclass
class _Cohort:
    """The partners of one type: their latent quality (n, quarters) and draws built on it."""

    rng: np.random.Generator
    quality: np.ndarray

    def driver(self, loading: float = LOADING, rho: float = OWN_RHO) -> np.ndarray:
        """Standard normal: part quality, part the partner's own persistent luck."""
        own = _ar1(self.rng, self.quality.shape, rho)
        return loading * self.quality + np.sqrt(1 - loading**2) * own

    def x(self, loading: float = LOADING) -> np.ndarray:
        """A driver shifted so that the typical partner sits a little below target."""
        return self.driver(loading) - SHIFT

    def weakest(self, share: float, loading: float = 0.5, rho: float = OWN_RHO) -> np.ndarray:
        """True for about `share` of partner-quarters, weaker partners more often."""
        return self.driver(loading, rho) < NormalDist().inv_cdf(share)

    def lognormal(self, median: float, sigma: float, loading: float = LOADING) -> np.ndarray:
        return median * np.exp(sigma * self.x(loading))  # sigma < 0: lower is better

    def counts(self, median: float, sigma: float, loading: float = LOADING) -> np.ndarray:
        """Whole numbers around a persistent level: pipelines carry over, so a quarter's count
        varies less than pure chance (Poisson) would make it."""
        jitter = np.exp(COUNT_JITTER * self.rng.standard_normal(self.quality.shape))
        return np.round(self.lognormal(median, sigma, loading) * jitter)

    def gap(self, ceiling: float, median_gap: float, sigma: float) -> np.ndarray:
        """Rates near a ceiling (on-time %, SLA %): most close to it, a long tail below."""
        return ceiling - median_gap * np.exp(-sigma * self.x())

    def share(self, mean: float, sd: float, low: float = 0.0, high: float = 1.0) -> np.ndarray:
        return np.clip(mean + sd * self.x(), low, high)

    def part_of(self, trials: np.ndarray, p: np.ndarray) -> np.ndarray:
        """How many of `trials` succeed at the partner's persistent rate p, rounded: a win rate
        on seven deals then moves with the partner's form, not with a coin toss per deal
        (binomial noise would swing it by +/-18 points a quarter and flip tiers)."""
        jitter = PART_JITTER * self.rng.standard_normal(self.quality.shape)
        return np.clip(np.round(trials * p + jitter), 0, trials)

    def grown(self, median: float, sigma: float, growth_sd: float) -> np.ndarray:
        """Log-normal size in the first quarter, then growth of ~+2 % +/- growth_sd a quarter,
        better partners growing faster."""
        size = np.log(median) + sigma * self.driver(0.6)[:, :1]
        # growth: quality and the partner's own momentum (both persistent: growers keep
        # growing), plus a little of this quarter's luck; unit variance in all
        momentum = self.driver(0.5, MOMENTUM_RHO)
        luck = self.rng.standard_normal(self.quality.shape)
        step = growth_sd * (np.sqrt(1 - GROWTH_LUCK**2) * momentum + GROWTH_LUCK * luck)
        step += 0.015
        step[:, 0] = 0.0
        return np.exp(size + np.cumsum(step, axis=1))


# How a quarter's value becomes metric values: monthly flows (money, or whole counts), monthly
# readings of a rate, a stock at quarter end or an opening balance at its start, or survey answers.
FLOW, COUNT, MEAN, STOCK, START = "flow", "count", "mean", "stock", "start"
NPS, CSAT = "nps", "csat"
Series = tuple[str, np.ndarray, str]  # kpi code, (n, quarters) values, kind


def _reseller(c: _Cohort) -> list[Series]:
    active = ~c.weakest(INACTIVE, rho=DORMANT_RHO)  # the others sold nothing this quarter
    registered = c.counts(7.0, 0.55) * active
    allocated = np.round(c.lognormal(12e3, 0.5, loading=0.3), -2)
    claims_mdf = ~c.weakest(0.15)  # some never claim their MDF
    return [
        ("revenue", c.grown(48e3, 1.4, 0.12) * active, FLOW),
        ("deals_registered", registered, COUNT),
        ("deals_won", c.part_of(registered, c.share(0.34, 0.12, 0.02, 0.9)), COUNT),
        ("certified_staff", _certifications(c), STOCK),
        ("customer_nps", c.share(30, 34, -80, 95), NPS),
        ("renewal_rate", c.gap(100, 11, 0.45), MEAN),
        ("mdf_allocated", allocated, START),
        ("mdf_spent", allocated * c.share(0.72, 0.25) * claims_mdf, FLOW),
    ]


def _certifications(c: _Cohort) -> np.ndarray:
    """Mean ~4, ~10 % at zero, a few stars at 25+."""
    none = c.weakest(0.10, rho=0.98)
    return np.round(c.lognormal(3.6, 0.75)) * ~none


def _distributor(c: _Cohort) -> list[Series]:
    return [
        ("sell_through", c.grown(2.3e6, 0.6, 0.12), FLOW),
        ("active_resellers", np.round(c.lognormal(80, 0.6)), STOCK),
        ("fill_rate", c.share(96, 2.5, 80, 100), MEAN),
        ("on_time_delivery", c.gap(100, 5, 0.5), MEAN),
        ("weeks_of_supply", np.round(c.lognormal(6.2, -0.35), 1), STOCK),
        ("pos_report_compliance", c.gap(100, 6.5, 0.6), MEAN),
        ("dso", np.round(c.lognormal(45, -0.2)), STOCK),
    ]


def _technology(c: _Cohort) -> list[Series]:
    installs = np.round(c.lognormal(150, 1.0)) + 1
    return [
        ("joint_customers", np.round(c.lognormal(38, 0.8)), STOCK),
        ("cosell_pipeline", c.lognormal(290e3, 0.9), FLOW),
        ("sourced_revenue", c.lognormal(58e3, 1.0), FLOW),
        ("installs", installs, STOCK),
        ("active_installs", c.part_of(installs, c.share(0.69, 0.13, 0.05, 0.99)), STOCK),
        ("joint_retention", c.gap(100, 8, 0.45), STOCK),
        ("cosell_opps", c.counts(5, 0.6), COUNT),
        ("integration_tickets", c.counts(8.5, -0.6), COUNT),
    ]


def _msp(c: _Cohort) -> list[Series]:
    mrr = c.grown(40e3, 0.9, 0.06)  # recurring revenue moves less than deal revenue
    seats = np.round(mrr / c.lognormal(26, 0.15, loading=0.0))
    clients = np.maximum(1, np.round(seats / c.lognormal(16, 0.4, loading=0.0)))
    churn = np.clip(0.022 * np.exp(-0.6 * c.x()), 0, 0.5)
    return [
        ("mrr", np.round(mrr, 2), STOCK),
        ("managed_seats", seats, STOCK),
        ("clients_start", clients, START),
        ("clients_lost", c.part_of(clients, churn), COUNT),
        ("sla_adherence", c.gap(100, 5, 0.5), MEAN),
        ("csat", c.share(0.92, 0.05, 0.5, 1.0), CSAT),
        ("certified_techs", np.round(c.lognormal(4.5, 0.6)), STOCK),
        ("adoption_rate", c.share(58, 17, 5, 100), MEAN),
    ]


def _referral(c: _Cohort) -> list[Series]:
    active = ~c.weakest(0.6, loading=0.6, rho=DORMANT_RHO)  # most refer nobody in a quarter
    referrals = (1 + c.counts(2.5, 0.9)) * active
    qualified = c.part_of(referrals, c.share(0.45, 0.15))
    won = c.part_of(qualified, c.share(0.33, 0.12, 0.02, 0.9))
    revenue = np.round(won * c.lognormal(9e3, 0.7, loading=0.3), 2)
    ever_won = np.cumsum(won, axis=1) > 0  # retention needs referred customers
    return [
        ("referrals", referrals, COUNT),
        ("qualified", qualified, COUNT),
        ("won", won, COUNT),
        ("referred_revenue", revenue, FLOW),
        ("commission", revenue * np.clip(c.lognormal(0.26, -0.15), 0.1, 0.5), FLOW),
        ("referred_retention", np.where(ever_won, c.gap(100, 10, 0.4), np.nan), STOCK),
        ("days_since_referral", _days_since(c, referrals), STOCK),
    ]


def _days_since(c: _Cohort, referrals: np.ndarray) -> np.ndarray:
    """Days from the last referral to quarter end: recent for busy partners, growing otherwise."""
    n, quarters = referrals.shape
    days = np.empty((n, quarters))
    last = c.rng.integers(30, 400, n).astype(float)
    recent = c.rng.random((n, quarters)) * 91 / np.maximum(referrals, 1)  # 91: a quarter
    for t in range(quarters):
        last = np.where(referrals[:, t] > 0, np.floor(recent[:, t]), last + 91)
        days[:, t] = last
    return days


GENERATORS: dict[str, Callable[[_Cohort], list[Series]]] = {
    "reseller": _reseller,
    "distributor": _distributor,
    "technology": _technology,
    "msp": _msp,
    "referral": _referral,
}


def type_inputs(type_code: str) -> tuple[str, ...]:
    """The KPIs a partner of this type reports (has metric values for), in generation order."""
    tiny = _Cohort(np.random.default_rng(0), np.zeros((1, 1)))  # cheap: one partner, 1 quarter
    return tuple(code for code, _, _ in GENERATORS[type_code](tiny))


# -- from quarter values to metric values ---------------------------------------------------------

KPI_INDEX = {spec.code: i for i, spec in enumerate(KPI_CATALOG)}
ANSWERS = {NPS: 10, CSAT: 20}  # survey replies per partner and quarter, on average (+5)
DETRACTOR_SCORES = (0.03, 0.02, 0.05, 0.08, 0.12, 0.25, 0.45)  # unhappy B2B buyers mostly say 5-6


def _month_parts(rng: np.random.Generator, values: np.ndarray, kind: str) -> np.ndarray:
    shape = (*values.shape, 3)
    if kind == COUNT:  # whole deals per month, adding up to the quarter's count
        total = values.astype(np.int64)
        first = rng.binomial(total, 1 / 3)
        second = rng.binomial(total - first, 1 / 2)
        return np.stack([first, second, total - first - second], axis=2).astype(float)
    if kind == FLOW:  # uneven months, same quarter total
        weights = np.clip(1 + 0.2 * rng.standard_normal(shape), 0.3, None)
        return values[..., None] * weights / weights.sum(axis=2, keepdims=True)
    return np.clip(values[..., None] + rng.normal(0, 0.5, shape), 0, 100)  # monthly readings


def _expand(
    rng: np.random.Generator, cal: Calendar, values: np.ndarray, kind: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows (cell, day, value) of one KPI, where cell = local partner * quarters + quarter."""
    if kind in (NPS, CSAT):
        return _answers(rng, cal, values, kind)
    if kind in (FLOW, COUNT, MEAN):  # flows and rates are reported monthly, on month ends
        parts, days = _month_parts(rng, values, kind), cal.month_ends
    else:  # stocks at quarter end; opening balances (MDF budget, clients) at quarter start
        parts, days = values[..., None], (cal.ends if kind == STOCK else cal.starts)[:, None]
    cell = np.repeat(np.arange(values.size), parts.shape[2])
    day = np.broadcast_to(day_numbers(days), parts.shape).ravel()
    return cell, day, np.round(parts, 2).ravel()


def _answers(
    rng: np.random.Generator, cal: Calendar, level: np.ndarray, kind: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Several survey answers per partner and quarter. A metric value is unique per day, so the
    quarter is cut into as many slots as answers and each answer lands on a day of its slot.

    Each partner surveys the same accounts every quarter: as many answers each time, and their
    shares follow the partner's level up to rounding (stratified draws, not independent ones),
    so a partner's NPS on 15 replies moves with its customers' mood, not by +/-20 points of
    sampling noise a quarter, which flipped tiers."""
    partners, quarters = level.shape
    length = day_numbers(cal.ends) - day_numbers(cal.starts) + 1
    panel = np.minimum(5 + rng.poisson(ANSWERS[kind], partners), 89)  # < days in a quarter
    count = np.repeat(panel, quarters)
    cell = np.repeat(np.arange(level.size), count)
    nth = np.arange(cell.size) - np.repeat(np.cumsum(count) - count, count)
    quarter, answers = cell % quarters, count[cell]
    low = nth * length[quarter] // answers
    high = (nth + 1) * length[quarter] // answers
    first_day = day_numbers(cal.starts)[quarter]
    day = first_day + low + (rng.random(cell.size) * (high - low)).astype(int)
    order = np.lexsort((rng.random(cell.size), cell))  # a random order within each cell
    slot = np.empty(cell.size, dtype=np.int64)
    slot[order] = nth
    offset = np.repeat(rng.random(partners), quarters)  # the partner's own rounding
    draw = (slot + offset[cell]) / answers
    if kind == CSAT:
        return cell, day, np.where(draw < level.ravel()[cell], 100.0, 0.0)
    return cell, day, _nps_answers(rng, level.ravel()[cell] / 100, draw)


def _nps_answers(rng: np.random.Generator, nps: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """0-10 answers whose share of promoters minus share of detractors is `nps` (-1..1)."""
    passive = np.minimum(0.3, 1 - np.abs(nps))
    promoter = (1 - passive + nps) / 2
    upper = np.where(draw < promoter, 9, 7) + (rng.random(draw.size) < 0.5)
    detractor = rng.choice(7, size=draw.size, p=DETRACTOR_SCORES)
    return np.where(draw >= promoter + passive, detractor, upper).astype(float)


def _cohort_rows(
    rng: np.random.Generator, cal: Calendar, series: list[Series], joined: np.ndarray
) -> pd.DataFrame:
    quarters, frames = len(cal.codes), []
    for code, values, kind in series:
        cell, day, value = _expand(rng, cal, values, kind)
        rate = MISSING_SURVEY if kind in (NPS, CSAT) else MISSING_IMPORT
        # a whole partner-quarter of this KPI, often the same partners again
        missing = (_ar1(rng, values.shape, MISSING_RHO) < NormalDist().inv_cdf(rate)).ravel()
        partner = cell // quarters
        keep = ~missing[cell] & (day >= joined[partner]) & np.isfinite(value)
        frame = {"partner": partner[keep], "kpi": KPI_INDEX[code], "day": day[keep]}
        frames.append(pd.DataFrame(frame | {"value": value[keep]}))
    return pd.concat(frames, ignore_index=True)


# -- the portfolio --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoWorld:
    calendar: Calendar
    # code, name, type (code), region / manager (indexes into REGIONS / MANAGERS), joined (day no.)
    partners: pd.DataFrame
    # partner (row of partners), kpi (categorical code), day (day number), value
    values: pd.DataFrame
    # latent quality (partners, quarters): what the demo's ratings follow (demo/ratings.py)
    quality: np.ndarray | None = None


def check_sizes(partners: int, periods: int) -> None:
    if partners < 1:
        raise DemoError(f"Need at least 1 partner (got {partners}).")
    if periods < 1:
        raise DemoError(f"Need at least 1 period (got {periods}).")


def _apportion(rng: np.random.Generator, count: int) -> np.ndarray:
    """Type labels in the DEMO.md mix (largest remainder, so small portfolios fit it too)."""
    exact = np.array([share for *_, share in PARTNER_TYPES]) * count
    sizes = np.floor(exact).astype(int)
    sizes[np.argsort(sizes - exact, kind="stable")[: count - sizes.sum()]] += 1
    return rng.permutation(np.repeat([code for code, *_ in PARTNER_TYPES], sizes))


def _names(rng: np.random.Generator, types: np.ndarray) -> list[str]:
    """'Northwind Systems', 'Bluepeak IT': unique per type until the word lists run out."""
    stems = [a + b for a in STEMS_A for b in STEMS_B]
    names = np.empty(types.size, dtype=object)
    for type_code, suffixes in SUFFIXES.items():
        where = np.flatnonzero(types == type_code)
        combos = len(stems) * len(suffixes)
        picks = np.concatenate([rng.permutation(combos) for _ in range(-(-where.size // combos))])
        for i, (slot, pick) in enumerate(zip(where, picks, strict=False)):
            again = f" {i // combos + 1}" if i >= combos else ""
            names[slot] = f"{stems[pick // len(suffixes)]} {suffixes[pick % len(suffixes)]}{again}"
    return names.tolist()


def _roster(rng: np.random.Generator, count: int, cal: Calendar) -> pd.DataFrame:
    types = _apportion(rng, count)
    region = rng.choice(len(REGIONS), size=count, p=[share for *_, share in REGIONS])
    manager = region * 2 + rng.integers(0, 2, count)
    starts = day_numbers(cal.starts)
    veteran_since = starts[0] - rng.integers(120, 3650, count)
    # Newcomers start on the first day of one of the latest two quarters: a full first quarter,
    # and no earlier data, so prev() is missing for them.
    newcomer_since = starts[rng.integers(max(0, starts.size - 2), starts.size, count)]
    joined = np.where(rng.random(count) < JOINER_SHARE, newcomer_since, veteran_since)
    codes = [f"P{i:05d}" for i in range(1, count + 1)]
    names = _names(rng, types)
    return pd.DataFrame(
        {
            "code": codes,
            "name": names,
            "type": types,
            "region": region,
            "manager": manager,
            "joined": joined,
        }
    )


def generate_world(*, partners: int, periods: int, seed: int, last_quarter: str) -> DemoWorld:
    """Pure and deterministic: the same arguments give the same world."""
    check_sizes(partners, periods)
    cal = quarter_calendar(last_quarter, periods)
    rng = np.random.default_rng(seed)
    roster = _roster(rng, partners, cal)
    quality = _quality(rng, partners, periods)
    joined, frames = roster["joined"].to_numpy(), []
    for type_code, make in GENERATORS.items():
        members = np.flatnonzero(roster["type"].to_numpy() == type_code)
        if members.size:
            rows = _cohort_rows(rng, cal, make(_Cohort(rng, quality[members])), joined[members])
            rows["partner"] = members[rows["partner"].to_numpy()]
            frames.append(rows)
    values = pd.concat(frames, ignore_index=True)
    codes = [spec.code for spec in KPI_CATALOG]
    values["kpi"] = pd.Categorical.from_codes(values["kpi"].to_numpy(), categories=codes)
    return DemoWorld(cal, roster, values, quality)
