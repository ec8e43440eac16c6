"""The demo world's catalogue (../shared/DEMO.md): KPIs, scoring models and tiers per partner
type, the portfolio mix, regions, channel managers and the words partner names are made of.

Plain data, no Django: the generator reads it without the ORM. The strings are the values of
kpis.models' choices (Source, Aggregation, Direction); the writer's tests check every KPI and
model line against the model's validation.
"""

from dataclasses import dataclass


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
    # Qualitative: a channel manager's quarterly rating, 1-5 (issue 12)
    *(
        KpiSpec(code, name, "relationship", "rating", "mean", source="assessment",
                description=f"The channel manager's quarterly rating: {question}")
        for code, name, question in (
            ("relationship_strength", "Relationship strength",
             "how close and trusted is the working relationship?"),
            ("market_knowledge", "Market knowledge",
             "how well does the partner know its market, customers and our offering?"),
            ("communication", "Communication",
             "how responsive, open and proactive is the partner?"),
            ("agreement_compliance", "Compliance with agreements",
             "does the partner keep the programme's rules, reporting and commitments?"),
            ("marketing_execution", "Marketing execution",
             "does the partner run the agreed campaigns well and on time?"),
        )
    ),
)  # fmt: skip

# What each rating level means, per qualitative KPI (assessments.models.Rubric).
RUBRICS: dict[str, tuple[str, str, str, str, str]] = {
    "relationship_strength": (
        "No regular contact; we learn of issues late.",
        "Occasional contact, mostly transactional.",
        "Regular contact with one counterpart; joint planning is rare.",
        "Trusted relationship with several contacts; a joint plan exists.",
        "Strategic partnership: executive sponsors, shared plan reviewed each quarter.",
    ),
    "market_knowledge": (
        "Little insight into its customers or our products.",
        "Knows its customers; weak on our offering and competitors.",
        "Solid knowledge of its segment and our core products.",
        "Deep segment insight; positions our full portfolio well.",
        "Recognised expert; brings us market intelligence we act on.",
    ),
    "communication": (
        "Hard to reach; requests go unanswered.",
        "Slow to respond; information arrives late or incomplete.",
        "Responsive when asked.",
        "Responsive and proactive about risks and opportunities.",
        "Exemplary: anticipates needs, shares forecasts and news unprompted.",
    ),
    "agreement_compliance": (
        "Repeated breaches of the programme's rules or reporting.",
        "Several late reports or missed commitments this quarter.",
        "Mostly compliant; minor lapses fixed when raised.",
        "Fully compliant and on time.",
        "Fully compliant and helps improve the programme's rules.",
    ),
    "marketing_execution": (
        "No agreed marketing activity took place.",
        "Activities started late or fell short of the plan.",
        "The agreed campaigns ran, with average results.",
        "Campaigns ran on plan with good lead flow.",
        "Outstanding campaigns; a reference for other partners.",
    ),
}

Line = tuple[str, float, float, float, float]  # kpi, floor, target, stretch, weight
# A rating's floor, target and stretch: 1 scores 0, 4 is on target (100), 5 the stretch (120).
# The qualitative lines weigh 10-13 % of each model.
RATED = (1.0, 4.0, 5.0)

MODEL_LINES: dict[str, tuple[Line, ...]] = {
    "reseller": (
        ("revenue", 25e3, 75e3, 150e3, 20), ("revenue_growth", 0, 8, 20, 10),
        ("deals_registered", 3, 8, 15, 8), ("win_rate", 20, 35, 50, 13),
        ("certified_staff", 2, 4, 8, 9), ("customer_nps", 0, 30, 50, 10),
        ("renewal_rate", 80, 90, 95, 10), ("mdf_utilization", 50, 75, 90, 8),
        ("relationship_strength", *RATED, 5), ("market_knowledge", *RATED, 4),
        ("marketing_execution", *RATED, 3),
    ),
    "distributor": (
        ("sell_through", 1e6, 2.5e6, 4e6, 20), ("sell_through_growth", 0, 6, 15, 10),
        ("active_resellers", 40, 80, 150, 8), ("fill_rate", 92, 97, 99, 13),
        ("on_time_delivery", 90, 95, 98, 13), ("weeks_of_supply", 10, 6, 4, 8),
        ("pos_report_compliance", 85, 95, 100, 10), ("dso", 60, 45, 35, 5),
        ("relationship_strength", *RATED, 5), ("agreement_compliance", *RATED, 5),
        ("communication", *RATED, 3),
    ),
    "technology": (
        ("joint_customers", 15, 40, 80, 17), ("cosell_pipeline", 100e3, 300e3, 600e3, 17),
        ("sourced_revenue", 20e3, 60e3, 120e3, 13), ("integration_active_rate", 50, 70, 85, 13),
        ("joint_retention", 85, 92, 96, 10), ("cosell_opps", 2, 5, 10, 10),
        ("integration_tickets", 20, 8, 3, 8),
        ("relationship_strength", *RATED, 5), ("communication", *RATED, 4),
        ("marketing_execution", *RATED, 3),
    ),
    "msp": (
        ("mrr", 15e3, 40e3, 80e3, 17), ("mrr_growth", 0, 4, 10, 13),
        ("managed_seats", 500, 1500, 4000, 8), ("client_churn", 5, 2, 0.5, 13),
        ("sla_adherence", 90, 95, 98, 13), ("csat", 85, 92, 96, 10),
        ("certified_techs", 2, 5, 10, 9), ("adoption_rate", 40, 60, 80, 5),
        ("relationship_strength", *RATED, 5), ("communication", *RATED, 4),
        ("agreement_compliance", *RATED, 3),
    ),
    "referral": (
        ("referrals", 2, 6, 15, 13), ("qualified_rate", 25, 45, 65, 10),
        ("referral_win_rate", 5, 15, 25, 17), ("referred_revenue", 5e3, 25e3, 60e3, 21),
        ("referred_retention", 80, 90, 95, 10), ("days_since_referral", 90, 30, 10, 9),
        ("payout_ratio", 35, 25, 20, 10),
        ("relationship_strength", *RATED, 6), ("market_knowledge", *RATED, 4),
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
# Partner names: a stem from each list, then a suffix of the partner's type ('Northwind Systems').
STEMS_A = (
    "North", "Blue", "Silver", "Iron", "Bright", "Red", "Cedar", "Oak", "Stone", "Summit",
    "Clear", "Swift", "Green", "High", "West", "East", "Star", "Pine", "Harbor", "River",
    "Maple", "Granite", "Falcon", "Eagle", "Golden", "Crystal", "Lake", "Sun", "Frost", "Copper",
    "Cobalt", "Atlas", "Bay", "Coral", "Delta", "Echo", "Nova", "Orbit", "Polar", "Quartz",
)  # fmt: skip
STEMS_B = (
    "wind", "peak", "stone", "bridge", "field", "wave", "point", "line", "gate", "ridge",
    "path", "works", "core", "light", "view", "crest", "port", "brook", "forge", "vale",
    "mark", "spring", "hill", "wood", "shore",
)  # fmt: skip
SUFFIXES = {
    "reseller": ("Systems", "IT", "Solutions", "Technologies", "Computing", "Networks"),
    "msp": ("Managed Services", "IT Services", "Cloud Services", "Tech Support"),
    "referral": ("Consulting", "Advisors", "Partners", "Group"),
    "technology": ("Software", "Labs", "Analytics", "Cloud"),
    "distributor": ("Distribution", "Supply", "Trading", "Logistics"),
}
