"""The portfolio page: every figure and chart mark is a link to the partners behind it, and
following it shows exactly that many partners; tier counts per type; ordering; queries."""

import datetime as dt
import json
import re
from html import unescape

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.dashboards import warm_portfolio
from assessments.models import Scorecard
from assessments.services import scorecards_recompute
from kpis.models import KPI, MetricValue, ModelLine, ScoringModel, ScoringModelVersion, Tier
from partners.models import Partner, PartnerType, Region
from tests.world import sees_all

Q2_DAY, Q3_DAY = dt.date(2026, 5, 15), dt.date(2026, 8, 15)


@pytest.fixture
def portfolio(world):
    """20 resellers whose revenue moves between Q2 and Q3 (ups, downs, stays), an
    insufficient-data partner scoring 100, a partner without data, and 6 distributors whose
    model puts Silver at 50 (so 'Silver' means two things)."""
    sees_all(world.manager)  # some partners below are nobody's
    apac = Region.objects.create(code="apac", name="APAC")
    distributor = PartnerType.objects.create(code="distributor", name="Distributor")
    model = ScoringModel.objects.create(code="dist", name="Distributor", partner_type=distributor)
    version = ScoringModelVersion.objects.create(model=model, number=1, status="active")
    ModelLine.objects.create(
        version=version, kpi=world.revenue, weight=1, floor=0, target=100000, stretch=None
    )
    Tier.objects.bulk_create(
        [
            Tier(version=version, name="Gold", min_score=80),
            Tier(version=version, name="Silver", min_score=50),
            Tier(version=version, name="Member", min_score=0),
        ]
    )
    values = []
    for i in range(20):
        partner = Partner.objects.create(
            code=f"R{i:02d}",
            name=f"Reseller {i:02d}",
            partner_type=world.reseller,
            region=apac if i % 2 else None,
            manager=world.manager,
        )
        q2 = 5000.0 * (i + 1)  # 5,000 .. 100,000
        q3 = q2 * (1.6 if i % 3 == 0 else 0.6 if i % 3 == 1 else 1.0)
        for kpi, day, value in (
            (world.revenue, Q2_DAY, q2),
            (world.revenue, Q3_DAY, q3),
            (world.nps, Q2_DAY, 40.0),
            (world.nps, Q3_DAY, 40.0),
            (world.late, Q2_DAY, 6.0),
            (world.late, Q3_DAY, 6.0),
        ):
            values.append(MetricValue(partner=partner, kpi=kpi, observed_on=day, value=value))
    lonely = Partner.objects.create(code="LONELY", name="Lonely nps", partner_type=world.reseller)
    values.append(MetricValue(partner=lonely, kpi=world.nps, observed_on=Q3_DAY, value=60.0))
    Partner.objects.create(code="EMPTY", name="Empty", partner_type=world.reseller)
    for i in range(6):
        partner = Partner.objects.create(
            code=f"D{i}", name=f"Distributor {i}", partner_type=distributor, region=apac
        )
        values.append(
            MetricValue(
                partner=partner, kpi=world.revenue, observed_on=Q3_DAY, value=45000.0 + 10000 * i
            )
        )
    MetricValue.objects.bulk_create(values)
    scorecards_recompute(period_id=world.q2.pk, trigger="test")
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    cache.clear()
    return world


def get(client, url, params=None):
    response = client.get(url, params or {})
    assert response.status_code == 200, response.content[:500]
    return response


def shown_count(client, href):
    """How many partners the table lists when a link is followed."""
    return get(client, href).context["page"].paginator.count


def figures(html):
    """Every chart's figure (data + layout) in the page."""
    return [json.loads(unescape(raw)) for raw in re.findall(r'data-figure="([^"]*)"', html)]


def test_every_headline_and_tier_figure_opens_as_many_partners(portfolio, client):
    client.force_login(portfolio.manager)
    response = get(client, reverse("portfolio"), {"period": "2026-Q3"})
    headline = {f["label"]: f for f in response.context["headline"]}
    assert headline["partners"]["value"] == 20 + 2 + 6 + 2  # ACME and GLOBEX have cards too
    assert (
        headline["no data"]["value"]
        == Scorecard.objects.filter(period=portfolio.q3, status="no_data").count()
    )
    assert headline["insufficient data"]["value"] >= 1  # LONELY
    for figure in [*response.context["headline"], *response.context["tier_figures"]]:
        value = figure["value"] if "value" in figure else figure["n"]
        if figure.get("fmt") == "score" or value is None:
            continue
        assert shown_count(client, figure["href"]) == value, figure


def test_a_tier_name_with_different_thresholds_is_counted_per_type(portfolio, client):
    client.force_login(portfolio.manager)
    tiers = get(client, reverse("portfolio"), {"period": "2026-Q3"}).context["tier_figures"]
    silver = [t for t in tiers if t["tier"] == "Silver"]
    assert {t["type_name"] for t in silver} == {"Reseller", "Distributor"}
    assert {t["min_score"] for t in silver} == {60.0, 50.0}
    gold = [t for t in tiers if t["tier"] == "Gold"]
    assert len(gold) == 1 and gold[0]["type_name"] == ""  # same threshold: one figure


def test_headline_compares_with_the_previous_period(portfolio, client):
    client.force_login(portfolio.manager)
    now = get(client, reverse("portfolio"), {"period": "2026-Q3"}).context["headline"]
    before = get(client, reverse("portfolio"), {"period": "2026-Q2"}).context["headline"]
    for a, b in zip(now, before, strict=True):
        if a["value"] is not None and b["value"] is not None:
            assert a["delta"] == pytest.approx(a["value"] - b["value"])


def test_chart_marks_link_to_exactly_their_partners(portfolio, client):
    client.force_login(portfolio.manager)
    html = get(client, reverse("portfolio"), {"period": "2026-Q3"}).content.decode()
    charts = figures(html)
    titles = [c["layout"]["title"]["text"] for c in charts]
    distribution = charts[titles.index("Score distribution by tier")]
    checked = 0
    for trace in distribution["data"]:
        for count, href in zip(trace["y"], trace["customdata"], strict=True):
            if count:
                assert shown_count(client, href) == count
                checked += 1
    assert checked >= 3
    quadrant = next(c for c in charts if c["layout"]["title"]["text"].startswith("Score vs"))
    cells = [
        (n, href)
        for row_z, row_links in zip(
            quadrant["data"][0]["z"], quadrant["data"][0]["customdata"], strict=True
        )
        for n, href in zip(row_z, row_links, strict=True)
        if n
    ]
    assert (
        sum(n for n, _ in cells)
        == Scorecard.objects.filter(period=portfolio.q3, status="ok", trend__isnull=False).count()
    )
    for n, href in cells:
        assert shown_count(client, href) == n


def test_migration_cells_open_the_partners_who_moved(portfolio, client):
    client.force_login(portfolio.manager)
    response = get(client, reverse("migration"), {"period": "2026-Q3", "from": "2026-Q2"})
    rows = response.context["rows"]
    total = 0
    for row in rows:
        for to, n, href in row["cells"]:
            total += n
            if n:
                listed = get(client, href).context["page"]
                assert listed.paginator.count == n
                q2_tiers = dict(
                    Scorecard.objects.filter(period=portfolio.q2).values_list("partner_id", "tier")
                )
                for card in listed.object_list:
                    assert (card.tier or "-") == to
                    assert (q2_tiers.get(card.partner_id) or "-") == row["tier"]
    assert total == Scorecard.objects.filter(period=portfolio.q3).count()
    moved_down = sum(
        n
        for row in rows
        for to, n, _ in row["cells"]
        if row["tier"] == "Gold" and to in ("Silver", "Member")
    )
    assert moved_down >= 1  # revenue x 0.6 drops some Gold resellers


def test_insufficient_and_no_data_sort_after_scored(portfolio, client):
    client.force_login(portfolio.manager)
    page = get(client, reverse("portfolio"), {"period": "2026-Q3"}).context["page"]
    statuses = [c.status for c in page.object_list]
    first_unscored = next(i for i, s in enumerate(statuses) if s != "ok")
    assert all(s != "ok" for s in statuses[first_unscored:])
    lonely = next(c for c in page.object_list if c.partner.code == "LONELY")
    assert lonely.score == pytest.approx(100.0)  # example 3: shown, but after the scored ones


def test_filters_live_in_the_url_and_match_the_api(portfolio, client):
    client.force_login(portfolio.manager)
    params = {"period": "2026-Q3", "region": "apac", "partner_type": "reseller", "tier": "Gold"}
    page = get(client, reverse("portfolio"), params).context["page"]
    api = client.get("/api/v1/scorecards/", params).json()
    assert page.paginator.count == api["count"] > 0
    assert {c.partner.code for c in page.object_list} == {r["partner"] for r in api["results"]}
    for card in page.object_list:
        assert card.tier == "Gold" and card.partner.region.code == "apac"


def test_tier_drops_and_at_risk_filters(portfolio, client):
    client.force_login(portfolio.manager)
    dropped = Scorecard.objects.filter(period=portfolio.q3, tier_change="down")
    page = get(client, reverse("portfolio"), {"period": "2026-Q3", "moved": "down"}).context["page"]
    assert page.paginator.count == dropped.count() > 0
    for card in page.object_list:
        assert card.previous_tier != card.tier
    risky = get(client, reverse("portfolio"), {"period": "2026-Q3", "at_risk": "true"})
    assert risky.context["page"].paginator.count == risky.context["dashboard"].headline.at_risk


def test_bad_filter_values_are_named_not_a_500(portfolio, client):
    client.force_login(portfolio.manager)
    response = get(client, reverse("portfolio"), {"period": "2026-Q3", "score_min": "lots"})
    assert "score_min" in response.context["errors"]
    assert "Enter a number" in response.content.decode()
    assert client.get(reverse("portfolio"), {"period": "1999-Q9"}).status_code == 404
    missing = client.get(reverse("migration"), {"period": "2026-Q3", "from": "1999-Q9"})
    assert missing.status_code == 404


def test_partner_users_see_neither_portfolio_nor_migration(portfolio, client):
    client.force_login(portfolio.acme_user)
    assert client.get(reverse("portfolio")).status_code == 404
    assert client.get(reverse("migration")).status_code == 404


def test_heatmap_shows_the_table_partners_with_their_lines(portfolio, client):
    client.force_login(portfolio.manager)
    response = get(client, reverse("portfolio"), {"period": "2026-Q3", "partner_type": "reseller"})
    html = response.content.decode()
    heatmap = next(
        c for c in figures(html) if c["layout"]["title"]["text"].startswith("KPI status")
    )
    rows = heatmap["data"][0]["y"]
    codes = [c.partner.code for c in response.context["page"].object_list]
    assert [re.search(r"\(([^)]*)\)$", r).group(1) for r in rows] == codes
    assert set(heatmap["data"][0]["x"]) == {"revenue", "nps", "late_deliveries"}
    statuses = {s for row in heatmap["data"][0]["customdata"] for s in row}
    assert statuses <= {"green", "amber", "red", "grey (no data)", "not in the model"}


def test_query_count_with_and_without_the_cache(portfolio, client):
    client.force_login(portfolio.manager)
    url = reverse("portfolio") + "?period=2026-Q3"
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        get(client, url)
    with CaptureQueriesContext(connection) as warm:
        get(client, url)
    assert len(cold.captured_queries) <= 13  # +1: the unread-alerts badge
    assert len(warm.captured_queries) <= len(cold.captured_queries) - 3  # figures were cached
    cache.clear()
    warm_portfolio("2026-Q3")  # what a recompute task does when it succeeds
    with CaptureQueriesContext(connection) as warmed:
        get(client, url)
    assert len(warmed.captured_queries) == len(warm.captured_queries)


def test_a_recompute_makes_new_figures(portfolio, client):
    client.force_login(portfolio.manager)
    url = reverse("portfolio") + "?period=2026-Q3"
    before = get(client, url).context["headline"][0]["value"]
    Partner.objects.create(code="NEW", name="New", partner_type=portfolio.reseller)
    MetricValue.objects.create(
        partner=Partner.objects.get(code="NEW"),
        kpi=KPI.objects.get(code="revenue"),
        observed_on=Q3_DAY,
        value=1.0,
    )
    scorecards_recompute(period_id=portfolio.q3.pk, trigger="test")
    assert get(client, url).context["headline"][0]["value"] == before + 1
