"""Filters, ordering, pagination, and the query count of the scorecard list."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.services import scorecards_recompute
from kpis.models import MetricValue, ModelLine, ScoringModel, ScoringModelVersion, Tier
from partners.access import MANAGERS_GROUP
from partners.models import Partner, PartnerType, Region
from tests.world import sees_all

pytestmark = pytest.mark.usefixtures("portfolio")  # one world for the module


@pytest.fixture(scope="module")
def portfolio(scored_module, django_db_blocker) -> None:
    """Q3 adds INITECH (msp, apac, manager2; Gold through the default model) and UMBRELLA
    (reseller, apac, manager2; no data) to ACME (Gold) and GLOBEX (Member). Built once, in the
    module's transaction (tests/api/conftest.py)."""
    world, _ = scored_module
    with django_db_blocker.unblock():
        _portfolio_build(world)


def _portfolio_build(world) -> None:
    sees_all(world.manager)  # the page shows what the admin's API shows: every partner
    manager2 = User.objects.create_user("manager2", password="m2-pass-123")
    manager2.groups.add(Group.objects.get(name=MANAGERS_GROUP))
    apac = Region.objects.create(code="apac", name="APAC")
    msp = PartnerType.objects.create(code="msp", name="MSP")
    default = ScoringModel.objects.create(code="default", name="Default", is_default=True)
    version = ScoringModelVersion.objects.create(model=default, number=1, status="active")
    ModelLine.objects.create(
        version=version, kpi=world.revenue, weight=1, floor=0, target=100000, stretch=150000
    )
    Tier.objects.create(version=version, name="Gold", min_score=80)
    Tier.objects.create(version=version, name="Member", min_score=0)
    initech = Partner.objects.create(
        code="INITECH", name="Initech", partner_type=msp, region=apac, manager=manager2
    )
    Partner.objects.create(
        code="UMBRELLA", name="Umbrella", partner_type=world.reseller, region=apac, manager=manager2
    )
    MetricValue.objects.create(
        partner=initech, kpi=world.revenue, observed_on=dt.date(2026, 8, 1), value=120000
    )
    scorecards_recompute(period_id=world.q3.pk, trigger="test")


def codes(client, url, **params) -> list[str]:
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return [
        row["partner"] if "partner" in row else row["code"] for row in response.json()["results"]
    ]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"period": "2026-Q2"}, ["ACME", "GLOBEX"]),
        ({"partner_type": "msp"}, ["INITECH"]),
        ({"region": "apac"}, ["INITECH", "UMBRELLA"]),
        ({"tier": "Gold"}, ["ACME", "INITECH"]),
        ({"status": "no_data"}, ["UMBRELLA"]),
        ({"manager": "manager2"}, ["INITECH", "UMBRELLA"]),
        ({"partner": "GLOBEX"}, ["GLOBEX"]),
        ({"tier": "Gold", "region": "emea"}, ["ACME"]),
        ({"period": "2099-Q1"}, []),
    ],
)
def test_scorecard_filters(world, portfolio, admin_api, params, expected):
    params = {"period": "2026-Q3", "ordering": "partner__code"} | params
    assert codes(admin_api, "/api/v1/scorecards/", **params) == expected


def test_scorecard_ordering_puts_missing_scores_last(world, portfolio, admin_api):
    url = "/api/v1/scorecards/"
    by_score = codes(admin_api, url, period="2026-Q3", ordering="-score")
    assert by_score[-1] == "UMBRELLA"
    assert codes(admin_api, url, period="2026-Q3", ordering="score")[-1] == "UMBRELLA"
    ranks = admin_api.get(url, {"period": "2026-Q3", "ordering": "rank,partner__code"}).json()
    assert [(c["partner"], c["rank"]) for c in ranks["results"]] == [
        ("ACME", 1),
        ("INITECH", 1),
        ("GLOBEX", 2),
        ("UMBRELLA", None),
    ]
    trend = codes(admin_api, url, period="2026-Q3", ordering="-trend")
    assert trend[:2] == ["ACME", "GLOBEX"]  # up, then down; no trend last
    assert codes(admin_api, url, period="2026-Q3", ordering="-percentile")[-1] == "UMBRELLA"


def test_bad_filter_values_are_400(world, admin_api):
    assert admin_api.get("/api/v1/scorecards/", {"status": "great"}).status_code == 400
    assert admin_api.get("/api/v1/metric-values/", {"observed_after": "soon"}).status_code == 400
    assert admin_api.get("/api/v1/periods/", {"granularity": "week"}).status_code == 400
    assert admin_api.get("/api/v1/partners/", {"page": 99}).status_code == 404


def test_partner_filters(world, portfolio, admin_api):
    url = "/api/v1/partners/"
    assert codes(admin_api, url, partner_type="msp") == ["INITECH"]
    assert codes(admin_api, url, region="apac") == ["INITECH", "UMBRELLA"]
    assert codes(admin_api, url, manager="manager2") == ["INITECH", "UMBRELLA"]
    assert codes(admin_api, url, q="glob") == ["GLOBEX"]


def test_other_list_filters(world, portfolio, admin_api):
    values = admin_api.get("/api/v1/metric-values/", {"period": "2026-Q2", "kpi": "revenue"})
    assert {(v["partner"], v["observed_on"]) for v in values.json()["results"]} == {
        ("ACME", "2026-05-15"),
        ("GLOBEX", "2026-05-15"),
    }
    ups = admin_api.get("/api/v1/tier-changes/", {"period": "2026-Q3", "direction": "up"})
    assert [c["partner"] for c in ups.json()["results"]] == ["ACME"]
    runs = admin_api.get("/api/v1/recompute-runs/", {"period": "2026-Q2", "status": "succeeded"})
    assert runs.json()["count"] == 1
    overrides = admin_api.get("/api/v1/target-overrides/", {"partner": "ACME", "kpi": "nps"})
    assert overrides.json()["count"] == 1
    assert codes(admin_api, "/api/v1/periods/", status="open") == ["2026-Q3", "2026-Q2"]
    assert codes(admin_api, "/api/v1/scoring-models/", is_default="true") == ["default"]


def test_page_size_is_a_parameter_capped_at_1000(world, admin_api):
    day = dt.date(2020, 1, 1)
    MetricValue.objects.bulk_create(
        MetricValue(
            partner=world.acme, kpi=world.revenue, observed_on=day + dt.timedelta(i), value=i
        )
        for i in range(1001)
    )
    params = {"observed_before": "2025-12-31"}  # the 1001 values, not the world's
    small = admin_api.get("/api/v1/metric-values/", params | {"page_size": 2}).json()
    assert len(small["results"]) == 2 and small["next"]
    assert len(admin_api.get("/api/v1/metric-values/", params).json()["results"]) == 100
    capped = admin_api.get("/api/v1/metric-values/", params | {"page_size": 5000}).json()
    assert len(capped["results"]) == 1000 and capped["count"] == 1001


def test_scorecard_lines_are_read_in_one_query_whatever_the_page_size(world, portfolio, admin_api):
    def queries(page_size: int) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            response = admin_api.get(
                "/api/v1/scorecards/", {"period": "2026-Q3", "page_size": page_size}
            )
        assert len(response.json()["results"]) == page_size
        return [q["sql"] for q in captured.captured_queries]

    one, four = queries(1), queries(4)
    assert len(one) == len(four)
    assert sum("assessments_scorecardline" in sql for sql in four) == 1


def page_codes(client, **params) -> list[str]:
    response = client.get(reverse("portfolio"), params)
    assert response.status_code == 200
    return [card.partner.code for card in response.context["page"].object_list]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"partner_type": "msp"},
        {"region": "apac"},
        {"manager": "manager2"},
        {"tier": "Gold"},
        {"status": "no_data"},
        {"q": "glob"},
        {"partner": "GLOBEX"},
        {"region": "apac", "ordering": "-partner__name"},
        {"ordering": "rank,partner__code"},
        {"ordering": "-trend"},
        {"ordering": "tier"},
        {"ordering": "partner_type__name"},
    ],
)
def test_portfolio_page_and_scorecards_api_share_one_filterset(
    world, portfolio, admin_api, client, params
):
    client.force_login(world.manager)
    params = {"period": "2026-Q3"} | params
    assert page_codes(client, **params) == codes(admin_api, "/api/v1/scorecards/", **params)


def test_by_score_insufficient_and_missing_data_come_after_scored(world, portfolio, admin_api):
    hooli = Partner.objects.create(code="HOOLI", name="Hooli", partner_type=world.reseller)
    MetricValue.objects.create(  # NPS alone: coverage 0.3, a high score but insufficient data
        partner=hooli, kpi=world.nps, observed_on=dt.date(2026, 8, 1), value=50
    )
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    url = "/api/v1/scorecards/"
    cards = admin_api.get(url, {"period": "2026-Q3", "ordering": "-score"}).json()["results"]
    assert [(c["partner"], c["status"]) for c in cards][-2:] == [
        ("HOOLI", "insufficient_data"),
        ("UMBRELLA", "no_data"),
    ]
    assert cards[-2]["score"] > cards[-3]["score"]  # a higher score, yet after the scored
    assert codes(admin_api, url, period="2026-Q3") == [c["partner"] for c in cards]
    assert codes(admin_api, url, period="2026-Q3", ordering="score")[-2:] == ["HOOLI", "UMBRELLA"]


def test_portfolio_links_keep_the_filters_and_change_the_order(world, portfolio, client):
    client.force_login(world.manager)
    response = client.get(reverse("portfolio"), {"region": "apac", "ordering": "-score"})
    html = response.content.decode()
    assert "?period=2026-Q3&amp;region=apac&amp;ordering=score" in html  # flips the direction
    assert "?period=2026-Q3&amp;region=apac&amp;ordering=partner__name" in html
    assert "Score ▼" in html
    bad = client.get(reverse("portfolio"), {"ordering": "nonsense", "status": "great"})
    assert bad.status_code == 200 and bad.context["ordering"] == "-score"
