"""The partner pages (scorecard, explain, compare) show the contract's worked examples
(SCORING.md 8-12) computed by the real recompute, within a constant number of queries, and
never show a partner user another partner's data."""

import datetime as dt
import json
import re
from html import unescape

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Scorecard
from assessments.services import scorecards_recompute
from kpis.models import KPI, MetricValue, ModelLine, Period, TargetOverride, Tier
from partners.models import Partner
from tests.world import sees_all

Q1 = dt.date(2026, 2, 15)
Q2 = dt.date(2026, 5, 15)
Q3 = dt.date(2026, 8, 15)
MAX_QUERIES = 13  # +1: the header's unread-alerts badge (feedback.context_processors)
PANEL_QUERIES = 1  # the scorecard's feedback loop panel (assessments.panels)


def values(world, partner, day, revenue=None, nps=None, late=None):
    rows = [(world.revenue, revenue), (world.nps, nps), (world.late, late)]
    MetricValue.objects.bulk_create(
        MetricValue(partner=partner, kpi=kpi, observed_on=day, value=v)
        for kpi, v in rows
        if v is not None
    )


@pytest.fixture(autouse=True)
def empty_cache():
    """Peer medians are cached per recompute run; run ids restart with each test database."""
    cache.clear()


@pytest.fixture
def scored(world):
    """The model of SCORING.md 8 with a Platinum 95 tier (section 9's examples), three quarters:
    ACME is example 2 in Q2 (Member) and example 1 in Q3 (Gold); GLOBEX scores 90, 86, 82
    (section 10's first example: Gold, projected 78 -> Silver)."""
    Tier.objects.create(version=world.version, name="Platinum", min_score=95)
    q1 = Period.objects.create(code="2026-Q1", start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))
    values(world, world.acme, Q2, revenue=50000, late=25)
    values(world, world.acme, Q3, revenue=120000, nps=35, late=8)
    for day, late in [(Q1, 10), (Q2, 12), (Q3, 14)]:
        values(world, world.globex, day, revenue=100000, nps=50, late=late)
    for period in (q1, world.q2, world.q3):
        scorecards_recompute(period_id=period.pk, trigger="test")
    world.q1 = q1
    return world


def get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return response, response.content.decode()


def text(html: str) -> str:
    """The page's visible text, tags stripped and white space collapsed."""
    return re.sub(r" ([:;,.)])", r"\1", re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def figures(html: str) -> dict[str, dict]:
    """The page's Plotly figures by title, as the browser receives them."""
    found = [json.loads(unescape(raw)) for raw in re.findall(r'data-figure="([^"]*)"', html)]
    return {f["layout"]["title"]["text"]: f for f in found}


def scorecard_url(code="ACME"):
    return reverse("scorecard", args=[code])


# -- the scorecard: section 12, 9, 10 -----------------------------------------------------------


def test_contributions_and_points_lost_are_example_10(scored, client):
    client.force_login(scored.manager)
    response, html = get(client, scorecard_url(), period="2026-Q3")
    rows = {r.line.kpi.code: r for r in response.context["page"].rows}
    assert {k: round(r.points, 1) for k, r in rows.items()} == {
        "revenue": 43.2,
        "nps": 21.0,
        "late_deliveries": 24.0,
    }
    assert {k: round(r.lost, 1) for k, r in rows.items()} == {
        "revenue": 0.0,
        "nps": 9.0,
        "late_deliveries": 6.0,
    }
    page = text(html)
    # the rows as shown: name ... score status value ... weight points lost
    assert re.search(r"Revenue revenue 108\.0 Green 120,000 USD .* 40 43\.2 0\.0", page)
    assert re.search(r"NPS nps 70\.0 Amber 35 .* 30 21\.0 9\.0", page)
    assert re.search(
        r"Late deliveries late_deliveries · lower is better 80\.0 Amber 8 .* 30 24\.0 6\.0", page
    )
    assert "88.2" in page and "Gold" in page


def test_what_it_takes_is_example_6(scored, client):
    client.force_login(scored.manager)
    response, html = get(client, scorecard_url(), period="2026-Q3")
    guidance = response.context["page"].guidance
    assert guidance.next_tier == "Platinum" and round(guidance.gap, 1) == 6.8
    section = text(html.split('id="what-it-takes"')[1].split("</section>")[0])
    assert "6.8 points to Platinum" in section
    # listed by the share of headroom they need: late (0.567), nps (0.756), then revenue
    assert re.search(
        r"Late deliveries: at most 4\.333 .* NPS: at least 46\.333 .* "
        r"Out of reach on its own: Revenue \(would need a score of 125\.0\)\.",
        section,
    ), section
    assert "57 % of its headroom" in section and "76 % of its headroom" in section


def test_what_it_takes_is_example_7_with_a_whole_count(scored, client):
    """Example 7 (Member -> Silver): at most 9 late deliveries, at least 112,500 revenue, nps
    out of reach from no value. A count KPI's needed value is rounded up to whole events."""
    client.force_login(scored.manager)
    _, html = get(client, scorecard_url(), period="2026-Q2")
    section = text(html.split('id="what-it-takes"')[1].split("</section>")[0])
    assert "31.4 points to Silver" in section
    assert re.search(
        r"Late deliveries: at most 9 .* Revenue: at least 112,500 USD .* "
        r"Out of reach on its own: NPS \(no value; would need a score of 133\.3\)\.",
        section,
    ), section
    KPI.objects.filter(pk=scored.late.pk).update(aggregation="count", direction="higher")
    ModelLine.objects.filter(kpi=scored.late).update(floor=0, target=10, stretch=None)
    MetricValue.objects.filter(kpi=scored.late).delete()
    MetricValue.objects.bulk_create(
        MetricValue(partner=scored.acme, kpi=scored.late, observed_on=Q2 + dt.timedelta(d), value=1)
        for d in range(3)
    )  # 3 events of a target of 10: score 30
    ModelLine.objects.filter(kpi=scored.late).update(weight=60)
    scorecards_recompute(period_id=scored.q2.pk, trigger="test")
    response, html = get(client, scorecard_url(), period="2026-Q2")
    need = {n.line.kpi.code: n for n in response.context["page"].needs}["late_deliveries"]
    # (2000 + 60 * 30) / 100 = 38 -> gap 22; 30 + 22 * 100 / 60 = 66.67 -> 6.667 events -> 7
    assert round(need.need.needed_value, 3) == 6.667 and need.value == 7
    assert "at least 7" in text(html)


def test_what_it_takes_empty_states_say_why(scored, client):
    client.force_login(scored.manager)
    MetricValue.objects.filter(partner=scored.acme).update(value=150000)  # 120 each
    MetricValue.objects.filter(partner=scored.acme, kpi=scored.late).update(value=0)
    MetricValue.objects.filter(partner=scored.acme, kpi=scored.nps).update(value=50)
    scorecards_recompute(period_id=scored.q3.pk, trigger="test")
    _, html = get(client, scorecard_url(), period="2026-Q3")
    assert "Platinum is the highest tier of this model" in text(html)
    MetricValue.objects.filter(partner=scored.acme, kpi__in=[scored.revenue, scored.late]).delete()
    scorecards_recompute(period_id=scored.q3.pk, trigger="test")
    _, html = get(client, scorecard_url(), period="2026-Q3")
    assert "No guidance: the scorecard is “insufficient data”" in text(html)


def test_early_warning_shows_the_projection_and_its_scores(scored, client):
    client.force_login(scored.manager)
    response, html = get(client, scorecard_url("GLOBEX"), period="2026-Q3")
    card = response.context["card"]
    assert card.tier == "Gold" and round(card.projected_score, 6) == 78.0
    section = text(html.split('id="early-warning"')[1].split("</section>")[0])
    assert "Projected next score 78.0 → Silver" in section
    assert "projected drop: Gold → Silver" in section
    assert "2026-Q1 90.0, 2026-Q2 86.0, 2026-Q3 82.0" in section
    # ACME has ok scores in Q2 and Q3 only (Q1: no data): no projection, and why
    _, html = get(client, scorecard_url(), period="2026-Q3")
    assert "needs ok scores in 3 consecutive periods; this partner has 2" in text(html)


def test_lines_show_change_flags_and_explain_links(scored, client):
    client.force_login(scored.manager)
    response, html = get(client, scorecard_url(), period="2026-Q3")
    rows = {r.line.kpi.code: r for r in response.context["page"].rows}
    assert rows["revenue"].value_delta == 70000 and round(rows["revenue"].score_delta, 6) == 58
    assert rows["late_deliveries"].value_delta == -17 and rows["nps"].score_delta is None
    assert ">+70,000<" in html and ">-17<" in html and "+58.0" in html
    for code in ("revenue", "nps", "late_deliveries"):
        assert f'href="/partners/ACME/explain/{code}/?period=2026-Q3"' in html
    # gap: nps had a value in Q2? no: late and revenue did; drop revenue in Q3 -> gap flag
    MetricValue.objects.filter(partner=scored.acme, kpi=scored.revenue, observed_on=Q3).delete()
    scorecards_recompute(period_id=scored.q3.pk, trigger="test")
    response, html = get(client, scorecard_url(), period="2026-Q3")
    rows = {r.line.kpi.code: r for r in response.context["page"].rows}
    assert [flag for flag, _ in rows["revenue"].flags] == ["gap"]
    assert re.search(r'class="flag gap" title="No value this period[^"]*">gap<', html)


def test_stale_flag_is_shown_only_while_the_period_is_open(scored, client):
    from assessments.models import ScorecardLine

    client.force_login(scored.manager)
    ScorecardLine.objects.filter(period_id=scored.q3.pk, partner_id=scored.acme.pk).update(
        flags="stale"
    )
    _, html = get(client, scorecard_url(), period="2026-Q3")
    assert html.count('class="flag stale"') == 3
    Period.objects.filter(pk=scored.q3.pk).update(status="closed")
    _, html = get(client, scorecard_url(), period="2026-Q3")
    assert 'class="flag stale"' not in html


def test_tier_history_names_the_kpis_that_moved_most(scored, client):
    client.force_login(scored.manager)
    _, html = get(client, scorecard_url(), period="2026-Q3")
    section = text(html.split('id="tier-history"')[1].split("</section>")[0])
    # Q2 Member (28.6) -> Q3 Gold (88.2); late 0 -> 80, nps none -> 70, revenue 50 -> 108
    assert re.search(
        r"2026-Q3 ▲ Member → Gold Late deliveries 0\.0 → 80\.0 \(\+80\.0\); "
        r"NPS no data → 70\.0 \(\+70\.0\); Revenue 50\.0 → 108\.0 \(\+58\.0\)",
        section,
    ), section


def test_score_chart_has_tier_bands_and_peer_median(scored, client):
    Partner.objects.bulk_create(
        Partner(code=f"P{i}", name=f"P {i}", partner_type=scored.reseller) for i in range(3)
    )
    for i, partner in enumerate(Partner.objects.filter(code__startswith="P")):
        values(scored, partner, Q3, revenue=10000 * (i + 1), nps=10, late=15)
    scorecards_recompute(period_id=scored.q3.pk, trigger="test")
    client.force_login(scored.manager)
    response, html = get(client, scorecard_url(), period="2026-Q3")
    page = response.context["page"]
    ok = sorted(
        Scorecard.objects.filter(period=scored.q3, status="ok").values_list("score", flat=True)
    )
    assert len(ok) == 5 and page.medians[scored.q3.pk] == pytest.approx(ok[2])
    assert page.medians[scored.q2.pk] == pytest.approx((28.571428571 + 86) / 2)
    chart = figures(html)["Score by period"]
    bands = [s for s in chart["layout"]["shapes"] if s["type"] == "rect"]
    assert sorted((b["y0"], b["y1"]) for b in bands) == [(0, 60), (60, 80), (80, 95), (95, 125)]
    names = [a["text"] for a in chart["layout"]["annotations"]]
    assert sorted(names) == ["Gold ≥80", "Member", "Platinum ≥95", "Silver ≥60"]
    median = next(t for t in chart["data"] if t["name"] == "Median of Reseller peers")
    assert median["x"] == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert median["y"][2] == pytest.approx(ok[2])


def test_a_kpi_scored_zero_is_drawn_with_a_marker_and_its_figure(scored, client):
    client.force_login(scored.manager)
    response, html = get(client, scorecard_url(), period="2026-Q2")
    late = {r.line.kpi.code: r.line for r in response.context["page"].rows}["late_deliveries"]
    assert late.score == 0
    chart = figures(html)["KPI scores against target"]
    marker = next(t for t in chart["data"] if t["type"] == "scatter" and "markers" in t["mode"])
    at = marker["y"].index("Late deliveries")
    assert marker["x"][at] == 0 and marker["text"][at] == "0.0"  # visible though the bar is not
    assert marker["marker"]["symbol"] == "diamond"


def test_bullet_chart_is_labelled_and_mirrored_for_lower_is_better(scored, client):
    client.force_login(scored.manager)
    _, html = get(client, scorecard_url(), period="2026-Q3")
    svgs = re.findall(r'<svg class="bullet".*?</svg>', html)
    assert len(svgs) == 3
    late = next(s for s in svgs if "Late deliveries" in s)
    assert (
        'aria-label="Late deliveries: value 8; floor 20, target 5, stretch 0 (lower is better'
        in late
    )
    labels = re.findall(r'<text x="([\d.]+)"[^>]*>([^<]+)</text>', late)
    xs = {label: float(x) for x, label in labels}
    assert xs["20"] < xs["5"]  # mirrored: the worse value (20) sits left of the target
    revenue = next(s for s in svgs if "Revenue" in s)
    xs = {
        label: float(x)
        for x, label in re.findall(r'<text x="([\d.]+)"[^>]*>([^<]+)</text>', revenue)
    }
    assert xs["0"] < xs["100k"] < xs["150k"]


# -- query counts -------------------------------------------------------------------------------


def count_queries(client, url, params):
    cache.clear()  # the worst case: period-wide figures not cached yet
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def more_partners(world, n, prefix):
    sees_all(world.manager)
    partners = Partner.objects.bulk_create(
        Partner(code=f"{prefix}{i:04d}", name=f"{prefix} {i}", partner_type=world.reseller)
        for i in range(n)
    )
    for i, partner in enumerate(partners):
        values(world, partner, Q2, revenue=1000.0 * i, nps=i % 60, late=i % 20)
        values(world, partner, Q3, revenue=2000.0 * i, nps=i % 50, late=i % 25)
    for period in (world.q2, world.q3):
        scorecards_recompute(period_id=period.pk, trigger="test")


@pytest.mark.parametrize(
    "user,url,params",
    [
        ("manager", "/partners/ACME/", {"period": "2026-Q3"}),
        ("acme_user", "/partners/ACME/", {"period": "2026-Q3"}),
        ("manager", "/partners/ACME/", {}),
        ("manager", "/partners/ACME/explain/revenue/", {"period": "2026-Q3"}),
        ("acme_user", "/partners/ACME/explain/late_deliveries/", {}),
        ("manager", "/compare/", {"partners": ["ACME", "GLOBEX", "S0001"], "period": "2026-Q3"}),
    ],
)
def test_query_count_is_constant_and_small(scored, client, user, url, params):
    more_partners(scored, 5, "S")
    client.force_login(getattr(scored, user))
    small = count_queries(client, url, params)
    more_partners(scored, 120, "T")
    large = count_queries(client, url, params)
    budget = MAX_QUERIES + (PANEL_QUERIES if url == "/partners/ACME/" else 0)
    assert large == small <= budget


def test_explain_with_an_override_and_a_formula_stays_within_the_budget(scored, client):
    growth = KPI.objects.create(
        code="growth",
        name="Revenue growth",
        source="formula",
        unit="%",
        formula="100 * (revenue / prev(revenue) - 1)",
    )
    ModelLine.objects.create(version=scored.version, kpi=growth, weight=10, floor=0, target=50)
    TargetOverride.objects.create(
        partner=scored.acme, kpi=growth, period=scored.q3, floor=0, target=200, reason="new"
    )
    scorecards_recompute(period_id=scored.q3.pk, trigger="test")
    client.force_login(scored.acme_user)
    url = "/partners/ACME/explain/growth/"
    assert count_queries(client, url, {"period": "2026-Q3"}) <= MAX_QUERIES


# -- explain ------------------------------------------------------------------------------------


def explain_url(kpi, code="ACME"):
    return reverse("explain", args=[code, kpi])


def test_explain_walks_from_the_rows_to_the_points(scored, client):
    client.force_login(scored.manager)
    _, html = get(client, explain_url("revenue"), period="2026-Q3")
    page = text(html)
    assert "sum of 1 value = 120,000" in page
    assert (
        "100 + 20 × min(1, (120,000 − 100,000) / (150,000 − 100,000)) = 100 + 20 × 0.4 = 108.0"
        in page
    )
    assert "D = the weight of the KPIs with a value = 100" in page
    assert "w × s / D = 40 × 108.0 / 100 = 43.2 points" in page
    assert "no target override for this partner and period" in page
    _, html = get(client, explain_url("late_deliveries"), period="2026-Q3")
    page = text(html)
    assert "lower is better, so negate: value -8, floor -20, target -5, stretch 0" in page
    assert "100 × (-8 − (-20)) / (-5 − (-20)) = 100 × 12 / 15 = 80.0" in page
    assert "30 × max(0, 100 − 80.0) / 100 = 6.0" in page
    _, html = get(client, explain_url("nps"), period="2026-Q2")
    page = text(html)
    assert "no metric value in the period: the period value is missing (not zero)" in page
    assert "no value: contributes 0 points" in page
    assert "none counted (a missing KPI lowers the coverage instead)" in page


def test_explain_pages_the_input_rows_newest_first(scored, client):
    MetricValue.objects.bulk_create(
        MetricValue(
            partner=scored.acme,
            kpi=scored.revenue,
            observed_on=dt.date(2026, 7, 1) + dt.timedelta(days=d),
            value=100 + d,
        )
        for d in range(81)
        if d != 45  # Aug 15 holds the 120,000 already
    )
    scorecards_recompute(period_id=scored.q3.pk, trigger="test")
    client.force_login(scored.manager)
    response, html = get(client, explain_url("revenue"), period="2026-Q3")
    x = response.context["x"]
    assert x.total == 81 and x.pages == 2 and len(x.rows) == 50
    dates = [r.observed_on for r in x.rows]
    assert dates == sorted(dates, reverse=True) and dates[0] == dt.date(2026, 9, 19)
    expected = 120000 + sum(100 + d for d in range(81) if d != 45)
    assert f"sum of 81 values = {expected:,}" in text(html)
    response, _ = get(client, explain_url("revenue"), period="2026-Q3", page="2")
    assert len(response.context["x"].rows) == 31  # 81 = 50 + 31
    assert response.context["x"].rows[-1].observed_on == dt.date(2026, 7, 1)
    response, _ = get(client, explain_url("revenue"), period="2026-Q3", page="abc")
    assert response.context["x"].page == 1


def test_explain_names_the_override_and_the_formula(scored, client):
    growth = KPI.objects.create(
        code="growth",
        name="Revenue growth",
        source="formula",
        unit="%",
        formula="100 * (revenue / prev(revenue) - 1)",
    )
    ModelLine.objects.create(version=scored.version, kpi=growth, weight=10, floor=0, target=50)
    TargetOverride.objects.create(
        partner=scored.acme,
        kpi=growth,
        period=scored.q3,
        floor=0,
        target=200,
        stretch=300,
        reason="launch year",
    )
    scorecards_recompute(period_id=scored.q3.pk, trigger="test")
    client.force_login(scored.manager)
    response, html = get(client, explain_url("growth"), period="2026-Q3")
    page = text(html)
    assert response.context["x"].line.value == pytest.approx(140.0)
    assert "formula 100 * (revenue / prev(revenue) - 1) = 140" in page
    assert "revenue = Revenue: 120,000" in page
    assert "prev(revenue) = Revenue in 2026-Q2: 50,000" in page
    assert "floor 0, target 200, stretch 300, in place of the model's 0 / 50 / no stretch" in page
    assert "“launch year”" in page
    assert "between floor and target: 100 × (140 − 0) / (200 − 0) = 100 × 140 / 200 = 70.0" in page
    # the input rows of a formula are its inputs' values, with their KPI named
    assert [r.kpi.code for r in response.context["x"].rows] == ["revenue"]
    # a change since the recompute is said, not hidden
    MetricValue.objects.filter(partner=scored.acme, kpi=scored.revenue, observed_on=Q3).update(
        value=150000
    )
    _, html = get(client, explain_url("growth"), period="2026-Q3")
    assert "The inputs changed since the last recompute: they now give 200" in text(html)


def test_explain_history_chart_has_every_period(scored, client):
    client.force_login(scored.manager)
    _, html = get(client, explain_url("revenue"), period="2026-Q3")
    chart = figures(html)["Value and score by period"]
    value, score = chart["data"]
    assert value["x"] == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert value["y"] == [None, 50000, 120000]  # Q1: a scorecard with no data
    assert score["y"][1:] == pytest.approx([50.0, 108.0])


def test_explain_of_an_unknown_kpi_or_period_is_404(scored, client):
    client.force_login(scored.manager)
    assert client.get(explain_url("nosuch")).status_code == 404
    assert client.get(explain_url("revenue"), {"period": "1999-Q1"}).status_code == 404
    assert client.get(scorecard_url(), {"period": "1999-Q1"}).status_code == 404


# -- compare ------------------------------------------------------------------------------------


def test_compare_shows_partners_side_by_side(scored, client):
    client.force_login(scored.manager)
    response, html = get(client, reverse("compare"), partners=["ACME", "GLOBEX"], period="2026-Q3")
    page = text(html)
    assert re.search(
        r"Score 88\.2 82\.0 Tier Gold Gold Status OK OK Rank 1 / 2 Reseller 2 / 2", page
    )
    assert re.search(r"Revenue revenue 108\.0 Green 120,000 USD 100\.0 Green 100,000 USD", page)
    assert [kpi.code for kpi, _ in response.context["rows"]] == [
        "revenue",
        "late_deliveries",
        "nps",
    ]
    # one box holding "ACME, GLOBEX" works too
    response, _ = get(client, reverse("compare"), partners="ACME, GLOBEX")
    assert [p.code for p, _ in response.context["columns"]] == ["ACME", "GLOBEX"]


def test_compare_unions_the_kpis_of_different_models(scored, client):
    from kpis.models import ScoringModel, ScoringModelVersion
    from partners.models import PartnerType

    msp = PartnerType.objects.create(code="msp", name="MSP")
    model = ScoringModel.objects.create(code="msp", name="MSP", partner_type=msp)
    version = ScoringModelVersion.objects.create(model=model, number=1, status="active")
    uptime = KPI.objects.create(code="uptime", name="Uptime", unit="%", aggregation="mean")
    ModelLine.objects.create(version=version, kpi=uptime, weight=50, floor=90, target=99)
    ModelLine.objects.create(version=version, kpi=scored.nps, weight=50, floor=0, target=50)
    Tier.objects.create(version=version, name="Member", min_score=0)
    initech = Partner.objects.create(
        code="INITECH", name="Initech", partner_type=msp, manager=scored.manager
    )
    MetricValue.objects.create(partner=initech, kpi=uptime, observed_on=Q3, value=99.5)
    scorecards_recompute(period_id=scored.q3.pk, trigger="test")
    client.force_login(scored.manager)
    response, html = get(client, reverse("compare"), partners=["ACME", "INITECH"], period="2026-Q3")
    rows = {kpi.code: cells for kpi, cells in response.context["rows"]}
    assert set(rows) == {"revenue", "nps", "late_deliveries", "uptime"}
    assert rows["uptime"][0] is None and rows["uptime"][1].score == 100
    assert rows["revenue"][1] is None and "not in this model" in html


@pytest.mark.parametrize(
    "codes,message",
    [
        (["ACME"], "Pick two to four partners to compare (got 1)."),
        ([], "Pick two to four partners to compare (got 0)."),
        (["A", "B", "C", "D", "E"], "Compare at most four partners at once (got 5)."),
        (["ACME", "ACME"], "Each partner once, please: ACME is listed twice."),
        (["ACME", "NOPE", "ZIP"], "Unknown partner codes: NOPE, ZIP."),
    ],
)
def test_compare_says_what_is_wrong(scored, client, codes, message):
    client.force_login(scored.manager)
    response = client.get(reverse("compare"), {"partners": codes})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_partner_user_cannot_compare_or_explain_another_partner(scored, client):
    client.force_login(scored.acme_user)
    for params in ({"partners": ["ACME", "GLOBEX"]}, {"partners": ["ACME", "NOPE"]}, {}):
        response = client.get(reverse("compare"), params)
        assert response.status_code == 404
        assert b"GLOBEX" not in response.content and b"Globex" not in response.content
    assert client.get(explain_url("revenue", "GLOBEX")).status_code == 404
    assert client.get(explain_url("revenue", "NOSUCH")).status_code == 404
    assert client.get(explain_url("revenue"), {"period": "2026-Q3"}).status_code == 200


def test_scorecard_links_managers_to_neighbours_and_shows_partners_no_peer(scored, client):
    client.force_login(scored.manager)
    response, html = get(client, scorecard_url("GLOBEX"), period="2026-Q3")
    assert [code for code, *_ in response.context["page"].neighbours] == ["ACME"]
    assert "/compare/?partners=GLOBEX&amp;partners=ACME&amp;period=2026-Q3" in html
    client.force_login(scored.globex_user)
    response, html = get(client, scorecard_url("GLOBEX"), period="2026-Q3")
    assert "/compare/" not in html and "ACME" not in html and "Acme" not in html
    # two peers: their median would give ACME's score away; a partner user sees none
    assert response.context["page"].medians == {}
    assert "88.2" not in html


def test_a_period_without_a_scorecard_says_so_and_keeps_the_history(scored, client):
    Period.objects.create(code="2026-Q4", start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31))
    client.force_login(scored.manager)
    response, html = get(client, scorecard_url(), period="2026-Q4")
    assert "No scorecard for 2026-Q4 yet: it appears after the next recompute." in text(html)
    assert "Score by period" in html and 'id="tier-history"' in html
    assert [p.code for p in response.context["periods"]] == ["2026-Q3", "2026-Q2", "2026-Q1"]


# -- the bullet chart's geometry (no database) ---------------------------------------------------


def test_bullet_geometry_keeps_far_values_in_the_box_with_an_arrow():
    from assessments.templatetags.scorecard import PAD, WIDTH, bullet_geometry

    far = bullet_geometry(direction="higher", floor=0, target=100, stretch=150, value=10_000)
    assert far["clipped"] == "high" and PAD + far["bar"] <= WIDTH - PAD + 0.1
    low = bullet_geometry(direction="lower", floor=20, target=5, stretch=0, value=500)
    assert low["clipped"] == "low" and low["bar"] == 2.0  # a stub: visible, at the worst end
    missing = bullet_geometry(direction="higher", floor=0, target=50, stretch=None, value=None)
    assert missing["bar"] is None and [v for _, v in missing["labels"]] == [0, 50]
    inside = bullet_geometry(direction="higher", floor=0, target=100, stretch=150, value=120)
    assert inside["clipped"] == "" and [v for _, v in inside["labels"]] == [0, 100, 150]
    xs = [x for x, _, _ in inside["ranges"]]
    assert xs == sorted(xs) and inside["ranges"][-1][0] + inside["ranges"][-1][1] <= WIDTH
