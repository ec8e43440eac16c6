"""The demo world of ../shared/DEMO.md: catalog, a deterministic numpy generator, and a writer.

`generate_world` is pure (numpy + pandas, no queries): the same (partners, periods, seed,
last_quarter) always gives the same partners and metric values. `seed_demo` writes it in one
transaction (partners with bulk_create, metric values with PostgreSQL COPY).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from kpis.models import (
    KPI,
    Granularity,
    ModelLine,
    Period,
    PeriodStatus,
    ScoringModel,
    ScoringModelVersion,
    Tier,
    VersionStatus,
)
from partners.access import MANAGERS_GROUP
from partners.models import Partner, PartnerType, PortalUser, Region


@dataclass(frozen=True)
class KpiSpec:
    code: str
    name: str
    category: str
    unit: str
    aggregation: str = "sum"
    direction: str = "higher"
    source: str = "import"
    formula: str = ""
    description: str = ""


def _formula(code: str, name: str, category: str, text: str, direction: str = "higher") -> KpiSpec:
    return KpiSpec(code, name, category, "%", "sum", direction, "formula", text)


KPI_CATALOG: tuple[KpiSpec, ...] = (
    # Reseller / VAR
    KpiSpec("revenue", "Revenue", "sales", "USD"),
    _formula("revenue_growth", "Revenue growth", "growth", "100 * (revenue / prev(revenue) - 1)"),
    KpiSpec("deals_registered", "Deals registered", "sales", "count"),
    KpiSpec("deals_won", "Deals won", "sales", "count"),
    _formula("win_rate", "Win rate", "sales", "100 * deals_won / deals_registered"),
    KpiSpec("certified_staff", "Certified staff", "engagement", "count", "last"),
    KpiSpec("customer_nps", "Customer NPS", "customer", "NPS", "nps", source="survey",
            description="Each survey answer (0-10) is one metric value."),
    KpiSpec("renewal_rate", "Renewal rate", "customer", "%", "mean"),
    KpiSpec("mdf_spent", "MDF spent", "engagement", "USD"),
    KpiSpec("mdf_allocated", "MDF allocated", "engagement", "USD"),
    _formula("mdf_utilization", "MDF utilisation", "engagement", "100 * mdf_spent / mdf_allocated"),
    # Distributor
    KpiSpec("sell_through", "Sell-through", "sales", "USD"),
    _formula("sell_through_growth", "Sell-through growth", "growth",
             "100 * (sell_through / prev(sell_through) - 1)"),
    KpiSpec("active_resellers", "Active resellers", "engagement", "count", "last"),
    KpiSpec("fill_rate", "Fill rate", "operations", "%", "mean"),
    KpiSpec("on_time_delivery", "On-time delivery", "operations", "%", "mean"),
    KpiSpec("weeks_of_supply", "Weeks of supply", "operations", "weeks", "last", "lower"),
    KpiSpec("pos_report_compliance", "POS report compliance", "compliance", "%", "mean"),
    KpiSpec("dso", "Days sales outstanding", "operations", "days", "last", "lower"),
    # Technology / ISV
    KpiSpec("joint_customers", "Joint customers", "customer", "count", "last"),
    KpiSpec("cosell_pipeline", "Co-sell pipeline", "sales", "USD"),
    KpiSpec("sourced_revenue", "Partner-sourced revenue", "sales", "USD"),
    KpiSpec("installs", "Integration installs", "engagement", "count", "last"),
    KpiSpec("active_installs", "Active integration installs", "engagement", "count", "last"),
    _formula("integration_active_rate", "Integration active rate", "engagement",
             "100 * active_installs / installs"),
    KpiSpec("joint_retention", "Joint customer retention", "customer", "%", "last"),
    KpiSpec("cosell_opps", "Co-sell opportunities", "sales", "count"),
    KpiSpec("integration_tickets", "Integration support tickets", "operations", "count",
            direction="lower"),
    # MSP
    KpiSpec("mrr", "Monthly recurring revenue", "sales", "USD", "last"),
    _formula("mrr_growth", "MRR growth", "growth", "100 * (mrr / prev(mrr) - 1)"),
    KpiSpec("managed_seats", "Managed seats", "engagement", "seats", "last"),
    KpiSpec("clients_start", "Clients at quarter start", "customer", "count", "last"),
    KpiSpec("clients_lost", "Clients lost", "customer", "count"),
    _formula("client_churn", "Client churn", "customer", "100 * clients_lost / clients_start",
             "lower"),
    KpiSpec("sla_adherence", "SLA adherence", "operations", "%", "mean"),
    KpiSpec("csat", "Customer satisfaction (CSAT)", "customer", "%", "mean", source="survey",
            description="Each survey answer is one metric value: 100 if satisfied (4-5 of 5), "
            "else 0, so the mean is the share of satisfied customers."),
    KpiSpec("certified_techs", "Certified technicians", "engagement", "count", "last"),
    KpiSpec("adoption_rate", "Service adoption rate", "engagement", "%", "mean"),
    # Referral / affiliate
    KpiSpec("referrals", "Referrals", "sales", "count"),
    KpiSpec("qualified", "Qualified referrals", "sales", "count"),
    KpiSpec("won", "Won referrals", "sales", "count"),
    _formula("qualified_rate", "Qualified rate", "sales", "100 * qualified / referrals"),
    _formula("referral_win_rate", "Referral win rate", "sales", "100 * won / referrals"),
    KpiSpec("referred_revenue", "Referred revenue", "sales", "USD"),
    KpiSpec("commission", "Commission paid", "sales", "USD"),
    _formula("payout_ratio", "Payout ratio", "sales", "100 * commission / referred_revenue",
             "lower"),
    KpiSpec("referred_retention", "Referred customer retention", "customer", "%", "last"),
    KpiSpec("days_since_referral", "Days since last referral", "engagement", "days", "last",
            "lower"),
)  # fmt: skip

Line = tuple[str, float, float, float, float]  # kpi, floor, target, stretch, weight

MODEL_LINES: dict[str, tuple[Line, ...]] = {
    "reseller": (
        ("revenue", 25e3, 75e3, 150e3, 25), ("revenue_growth", 0, 8, 20, 10),
        ("deals_registered", 3, 8, 15, 10), ("win_rate", 20, 35, 50, 15),
        ("certified_staff", 2, 4, 8, 10), ("customer_nps", 0, 30, 50, 10),
        ("renewal_rate", 80, 90, 95, 10), ("mdf_utilization", 50, 75, 90, 10),
    ),
    "distributor": (
        ("sell_through", 1e6, 2.5e6, 4e6, 25), ("sell_through_growth", 0, 6, 15, 10),
        ("active_resellers", 40, 80, 150, 10), ("fill_rate", 92, 97, 99, 15),
        ("on_time_delivery", 90, 95, 98, 15), ("weeks_of_supply", 10, 6, 4, 10),
        ("pos_report_compliance", 85, 95, 100, 10), ("dso", 60, 45, 35, 5),
    ),
    "technology": (
        ("joint_customers", 15, 40, 80, 20), ("cosell_pipeline", 100e3, 300e3, 600e3, 20),
        ("sourced_revenue", 20e3, 60e3, 120e3, 15), ("integration_active_rate", 50, 70, 85, 15),
        ("joint_retention", 85, 92, 96, 10), ("cosell_opps", 2, 5, 10, 10),
        ("integration_tickets", 20, 8, 3, 10),
    ),
    "msp": (
        ("mrr", 15e3, 40e3, 80e3, 20), ("mrr_growth", 0, 4, 10, 15),
        ("managed_seats", 500, 1500, 4000, 10), ("client_churn", 5, 2, 0.5, 15),
        ("sla_adherence", 90, 95, 98, 15), ("csat", 85, 92, 96, 10),
        ("certified_techs", 2, 5, 10, 10), ("adoption_rate", 40, 60, 80, 5),
    ),
    "referral": (
        ("referrals", 2, 6, 15, 15), ("qualified_rate", 25, 45, 65, 10),
        ("referral_win_rate", 5, 15, 25, 20), ("referred_revenue", 5e3, 25e3, 60e3, 25),
        ("referred_retention", 80, 90, 95, 10), ("days_since_referral", 90, 30, 10, 10),
        ("payout_ratio", 35, 25, 20, 10),
    ),
}  # fmt: skip
DEFAULT_MODEL_LINES: tuple[Line, ...] = (
    ("revenue", 25e3, 75e3, 150e3, 60),
    ("certified_staff", 2, 4, 8, 40),
)
TIERS: tuple[tuple[str, float], ...] = (
    ("Platinum", 100),
    ("Gold", 80),
    ("Silver", 60),
    ("Registered", 0),
)
# code, name, share of the portfolio
PARTNER_TYPES: tuple[tuple[str, str, float], ...] = (
    ("reseller", "Reseller / VAR", 0.45),
    ("msp", "Managed service provider", 0.20),
    ("referral", "Referral / affiliate", 0.15),
    ("technology", "Technology / ISV", 0.12),
    ("distributor", "Distributor", 0.08),
)
REGIONS: tuple[tuple[str, str, float], ...] = (
    ("north-america", "North America", 0.40),
    ("emea", "EMEA", 0.32),
    ("apac", "APAC", 0.18),
    ("latam", "LATAM", 0.10),
)
# Two channel managers per region (same order as REGIONS); the first is the `manager` persona.
MANAGERS: tuple[tuple[str, str], ...] = (
    ("Morgan", "Reyes"), ("Dana", "Whitfield"), ("Lukas", "Brandt"), ("Amelie", "Laurent"),
    ("Priya", "Natarajan"), ("Kenji", "Watanabe"), ("Sofia", "Moreno"), ("Tiago", "Carvalho"),
)  # fmt: skip
_STEMS_A = (
    "North", "Blue", "Silver", "Iron", "Bright", "Red", "Cedar", "Oak", "Stone", "Summit",
    "Clear", "Swift", "Green", "High", "West", "East", "Star", "Pine", "Harbor", "River",
    "Maple", "Granite", "Falcon", "Eagle", "Golden", "Crystal", "Lake", "Sun", "Frost", "Copper",
    "Cobalt", "Atlas", "Bay", "Coral", "Delta", "Echo", "Nova", "Orbit", "Polar", "Quartz",
)  # fmt: skip
_STEMS_B = (
    "wind", "peak", "stone", "bridge", "field", "wave", "point", "line", "gate", "ridge",
    "path", "works", "core", "light", "view", "crest", "port", "brook", "forge", "vale",
    "mark", "spring", "hill", "wood", "shore",
)  # fmt: skip
_SUFFIXES = {
    "reseller": ("Systems", "IT", "Solutions", "Technologies", "Computing", "Networks"),
    "msp": ("Managed Services", "IT Services", "Cloud Services", "Tech Support"),
    "referral": ("Consulting", "Advisors", "Partners", "Group"),
    "technology": ("Software", "Labs", "Analytics", "Cloud"),
    "distributor": ("Distribution", "Supply", "Trading", "Logistics"),
}

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
DORMANT_RHO = (
    0.99  # ... mostly the same dormant resellers (and idle affiliates) quarter after quarter
)
COUNT_JITTER = 0.05  # log sd of a quarter's count around the partner's level
PART_JITTER = 0.1  # successes out of a count: the persistent rate, give or take a tenth, rounded
GROWTH_LUCK = 0.1  # share (in sd) of quarter-on-quarter growth that is this quarter's luck
MOMENTUM_RHO = 0.99  # persistence of a partner's own growth momentum
JOINER_SHARE = 0.04  # partners who join in the latest two quarters
MISSING_IMPORT, MISSING_SURVEY = 0.06, 0.12  # no file that quarter / no survey replies
MISSING_RHO = 0.97  # gaps are habits: the partner who sent no POS file last quarter often won't now
QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
COPY_SQL = (
    "COPY kpis_metricvalue (partner_id, kpi_id, observed_on, value, updated_at) "
    "FROM STDIN WITH (FORMAT csv)"
)


class DemoError(ValueError):
    """Bad arguments, or a database that already holds partners; the message says which."""


# -- calendar -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    codes: tuple[str, ...]
    starts: np.ndarray  # datetime64[D], one per quarter, oldest first
    ends: np.ndarray  # inclusive
    month_ends: np.ndarray  # (quarters, 3)


def parse_quarter(text: str) -> tuple[int, int]:
    match = QUARTER_RE.match(text.strip())
    if not match:
        raise DemoError(f"Bad quarter '{text}': use YYYY-Qn, e.g. 2026-Q3.")
    return int(match[1]), int(match[2])


def last_completed_quarter(today: dt.date) -> str:
    year, quarter = today.year, (today.month - 1) // 3  # the current quarter is 0-based here
    return f"{year - 1}-Q4" if quarter == 0 else f"{year}-Q{quarter}"


def quarter_calendar(last_quarter: str, count: int) -> Calendar:
    year, quarter = parse_quarter(last_quarter)
    index = np.arange(year * 4 + quarter - count, year * 4 + quarter)  # 0-based quarter numbers
    first_month = (index // 4 - 1970) * 12 + (index % 4) * 3  # months since 1970-01
    month_ends = (first_month[:, None] + np.arange(1, 4)).astype("datetime64[M]")
    month_ends = month_ends.astype("datetime64[D]") - np.timedelta64(1, "D")
    codes = tuple(f"{i // 4}-Q{i % 4 + 1}" for i in index)
    starts = first_month.astype("datetime64[M]").astype("datetime64[D]")
    return Calendar(codes, starts, month_ends[:, 2].copy(), month_ends)


# -- generator ------------------------------------------------------------------------------------


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


def _days(dates: np.ndarray) -> np.ndarray:
    """Day numbers since 1970-01-01: cheap to compare, broadcast and turn back into dates."""
    return np.asarray(dates).astype("datetime64[D]").astype(np.int64)


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
    day = np.broadcast_to(_days(days), parts.shape).ravel()
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
    length = _days(cal.ends) - _days(cal.starts) + 1
    panel = np.minimum(5 + rng.poisson(ANSWERS[kind], partners), 89)  # < days in a quarter
    count = np.repeat(panel, quarters)
    cell = np.repeat(np.arange(level.size), count)
    nth = np.arange(cell.size) - np.repeat(np.cumsum(count) - count, count)
    quarter, answers = cell % quarters, count[cell]
    low = nth * length[quarter] // answers
    high = (nth + 1) * length[quarter] // answers
    day = _days(cal.starts)[quarter] + low + (rng.random(cell.size) * (high - low)).astype(int)
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


def _check_sizes(partners: int, periods: int) -> None:
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
    stems = [a + b for a in _STEMS_A for b in _STEMS_B]
    names = np.empty(types.size, dtype=object)
    for type_code, suffixes in _SUFFIXES.items():
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
    starts = _days(cal.starts)
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
    _check_sizes(partners, periods)
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
    return DemoWorld(cal, roster, values)


# -- writing it -----------------------------------------------------------------------------------


def ensure_catalog() -> None:
    """Create what is missing of the partner types, regions, KPIs and scoring models; leave
    existing rows alone (an admin may have edited them), so it is safe to run again."""
    with transaction.atomic():
        types = {
            code: PartnerType.objects.get_or_create(code=code, defaults={"name": name})[0]
            for code, name, _ in PARTNER_TYPES
        }
        for code, name, _ in REGIONS:
            Region.objects.get_or_create(code=code, defaults={"name": name})
        kpis = {spec.code: _ensure_kpi(spec) for spec in KPI_CATALOG}
        for code, name, _ in PARTNER_TYPES:
            existing = ScoringModel.objects.filter(partner_type=types[code]).first()
            model = existing or ScoringModel.objects.create(
                code=f"{code}-model", name=f"{name} model", partner_type=types[code]
            )
            _ensure_version(model, MODEL_LINES[code], kpis)
        default = ScoringModel.objects.filter(is_default=True).first()
        default = default or ScoringModel.objects.create(
            code="default-model", name="Default model", is_default=True
        )
        _ensure_version(default, DEFAULT_MODEL_LINES, kpis)


def _ensure_kpi(spec: KpiSpec) -> KPI:
    fields = asdict(spec)
    return KPI.objects.get_or_create(code=fields.pop("code"), defaults=fields)[0]


def _ensure_version(model: ScoringModel, lines: tuple[Line, ...], kpis: dict[str, KPI]) -> None:
    if model.versions.exists():
        return
    version = ScoringModelVersion.objects.create(
        model=model,
        number=1,
        status=VersionStatus.ACTIVE,
        missing_policy="renormalize",
        min_coverage=0.5,
        amber_from=60.0,
        published_at=timezone.now(),
        note="Demo defaults from DEMO.md.",
    )
    ModelLine.objects.bulk_create(
        ModelLine(
            version=version,
            kpi=kpis[code],
            weight=weight,
            floor=floor,
            target=target,
            stretch=stretch,
        )
        for code, floor, target, stretch, weight in lines
    )
    Tier.objects.bulk_create(Tier(version=version, name=n, min_score=m) for n, m in TIERS)


def seed_demo(
    *,
    partners: int,
    periods: int,
    seed: int,
    last_quarter: str,
    with_users: bool = True,
    progress: Callable[[str], object] | None = None,
) -> dict[str, int]:
    """Build the demo world in one transaction; DemoError if any partner exists already."""
    say = progress or (lambda message: None)
    _check_sizes(partners, periods)
    parse_quarter(last_quarter)
    with transaction.atomic():
        if Partner.objects.exists():
            raise DemoError("Partners already exist: seed_demo only fills an empty database.")
        ensure_catalog()
        world = generate_world(
            partners=partners, periods=periods, seed=seed, last_quarter=last_quarter
        )
        say(f"Generated {len(world.partners)} partners and {len(world.values)} metric values.")
        managers = _managers(with_users=with_users)
        _periods(world.calendar)
        partner_ids = _partners(world.partners, managers)
        say(f"Wrote {len(partner_ids)} partners in {len(world.calendar.codes)} quarters.")
        written = _copy_values(world.values, partner_ids)
        say(f"Copied {written} metric values (constraints and indexes rebuilt).")
        personas = _personas(world, partner_ids) if with_users else 0
    return {
        "partners": len(partner_ids),
        "periods": len(world.calendar.codes),
        "kpis": len(KPI_CATALOG),
        "models": len(MODEL_LINES) + 1,
        "metric_values": written,
        "managers": len(managers),
        "users": len(managers) + personas,
    }


def _user(username: str, *, password: str | None, **fields: str) -> AbstractUser:
    """The existing user of that name (left as it is), or a new one."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    return user or user_model.objects.create_user(username, password=password, **fields)


def _managers(*, with_users: bool) -> list[int]:
    """Channel managers, two per region; only the `manager` persona can log in."""
    users = []
    for i, (first, last) in enumerate(MANAGERS):
        persona = with_users and i == 0
        username = "manager" if persona else f"{first}.{last}".lower()
        fields = {"email": f"{first}.{last}@example.com".lower(), "first_name": first}
        password = "manager" if persona else None
        users.append(_user(username, password=password, last_name=last, **fields))
    Group.objects.get_or_create(name=MANAGERS_GROUP)[0].user_set.add(*users)
    return [user.pk for user in users]


def _personas(world: DemoWorld, partner_ids: np.ndarray) -> int:
    """admin, and the partner logins: `partner` on the first reseller, `partner2` on the first
    partner of another type, both with a full history where possible."""
    user_model = get_user_model()
    if not user_model.objects.filter(username="admin").exists():
        user_model.objects.create_superuser("admin", "admin@example.com", "admin")
    roster = world.partners
    veteran = roster["joined"] < _days(world.calendar.starts[0])
    types = pd.concat([roster.loc[veteran, "type"], roster.loc[~veteran, "type"]])
    first = (types == "reseller").idxmax()  # the first reseller, or the first partner
    others = types.index[types != types[first]].append(types.index.drop(first))
    rows = [first, *others[:1]]
    for username, row in zip(("partner", "partner2"), rows, strict=False):
        user = _user(username, password=username, email=f"{username}@example.com")
        PortalUser.objects.update_or_create(user=user, defaults={"partner_id": partner_ids[row]})
    return 1 + len(rows)


def _periods(cal: Calendar) -> None:
    existing = set(Period.objects.filter(code__in=cal.codes).values_list("code", flat=True))
    Period.objects.bulk_create(
        Period(
            code=code,
            start=start,
            end=end,
            granularity=Granularity.QUARTER,
            status=PeriodStatus.OPEN,
        )
        for code, start, end in zip(cal.codes, cal.starts.tolist(), cal.ends.tolist(), strict=True)
        if code not in existing
    )


def _partners(roster: pd.DataFrame, managers: list[int]) -> np.ndarray:
    type_ids = dict(PartnerType.objects.values_list("code", "id"))
    region_ids = dict(Region.objects.values_list("code", "id"))
    regions = [region_ids[code] for code, *_ in REGIONS]
    joined = roster["joined"].to_numpy().astype("datetime64[D]").tolist()
    partners = [
        Partner(
            code=row.code,
            name=row.name,
            partner_type_id=type_ids[row.type],
            region_id=regions[row.region],
            manager_id=managers[row.manager],
            joined_on=joined_on,
        )
        for row, joined_on in zip(roster.itertuples(), joined, strict=True)
    ]
    return np.array([p.pk for p in Partner.objects.bulk_create(partners, batch_size=2000)])


COPY_CHUNK = 500_000  # rows per COPY: bounds the CSV buffer's memory
METRIC_TABLE = "kpis_metricvalue"


def _copy_values(values: pd.DataFrame, partner_ids: np.ndarray) -> int:
    if values.empty:
        return 0
    frame = _metric_frame(values, partner_ids)
    with _bulk_load(METRIC_TABLE), connection.cursor() as cursor:
        for start in range(0, len(frame), COPY_CHUNK):
            cursor.cursor.copy_expert(COPY_SQL, _csv(frame.iloc[start : start + COPY_CHUNK]))
    return len(frame)


def _csv(frame: pd.DataFrame) -> io.StringIO:
    buffer = io.StringIO()
    frame.to_csv(buffer, header=False, index=False)
    buffer.seek(0)
    return buffer


def _metric_frame(values: pd.DataFrame, partner_ids: np.ndarray) -> pd.DataFrame:
    """The COPY columns, in the unique key's order, so index builds read them in sequence."""
    kpi_ids = dict(KPI.objects.values_list("code", "id"))
    kpi_lookup = np.array([kpi_ids[code] for code in values["kpi"].cat.categories])
    partner = partner_ids[values["partner"].to_numpy()]
    kpi = kpi_lookup[values["kpi"].cat.codes.to_numpy()]
    days = values["day"].to_numpy()
    order = np.lexsort((days, kpi, partner))
    first = days.min()
    labels = np.datetime_as_string(np.arange(first, days.max() + 1).astype("datetime64[D]"))
    return pd.DataFrame(
        {
            "partner_id": partner[order],
            "kpi_id": kpi[order],
            # a categorical writes each date's text once, not a date object per row
            "observed_on": pd.Categorical.from_codes(days[order] - first, categories=labels),
            "value": values["value"].to_numpy()[order],
            "updated_at": timezone.now().replace(microsecond=0).isoformat(),  # short: less to parse
        }
    )


Ddl = tuple[str, str]  # name, definition


@contextmanager
def _bulk_load(table: str) -> Iterator[None]:
    """PostgreSQL's advice for bulk loads ("Populating a Database" in its manual): drop the
    foreign keys and secondary indexes, load, then rebuild each in one pass, instead of a
    deferred check per row (which doubled the load time) and row-by-row index upkeep.

    Their definitions are read from the catalog, so they come back exactly as migrated. Only
    used inside seed_demo's transaction: a failure rolls the DDL back with everything else."""
    quoted = connection.ops.quote_name
    alter = f"ALTER TABLE {quoted(table)}"
    with connection.cursor() as cursor:
        constraints, indexes = _secondary_ddl(cursor, table)
        # ALTER TABLE refuses while the partners' deferred FK checks are pending: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for name, _ in constraints:
            cursor.execute(f"{alter} DROP CONSTRAINT {quoted(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        yield
        for _, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f"{alter} ADD CONSTRAINT {quoted(name)} {definition}")


def _secondary_ddl(cursor: CursorWrapper, table: str) -> tuple[list[Ddl], list[Ddl]]:
    """(name, definition) of the table's foreign-key and unique constraints, and of its other
    indexes except the primary key."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY conname",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = %s::regclass AND NOT indisprimary AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = indexrelid) ORDER BY 1",
        [table],
    )
    indexes = cursor.fetchall()
    return constraints, indexes
