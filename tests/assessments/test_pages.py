import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Scorecard
from assessments.services import scorecards_recompute
from kpis.models import MetricValue
from partners.models import Partner
from tests.world import sees_all


def seed_partners(world, n):
    sees_all(world.manager)
    partners = Partner.objects.bulk_create(
        Partner(code=f"P{i:05d}", name=f"Partner {i}", partner_type=world.reseller)
        for i in range(n)
    )
    MetricValue.objects.bulk_create(
        MetricValue(
            partner=p, kpi=world.revenue, observed_on=dt.date(2026, 8, 1), value=1000.0 * (i + 1)
        )
        for i, p in enumerate(partners)
    )
    scorecards_recompute(period_id=world.q3.pk, trigger="test")


def count_queries(client, url, *, cold=True):
    """Queries of one request; `cold`: with nothing cached (the worst case)."""
    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("url_name", ["portfolio", "scorecard"])
def test_page_query_count_does_not_grow_with_partners(world, client, url_name):
    client.force_login(world.manager)
    url = reverse(url_name, kwargs={"code": "P00001"} if url_name == "scorecard" else {})
    seed_partners(world, 5)
    assert Scorecard.objects.filter(period=world.q3).count() == 2 + 5
    small, _ = count_queries(client, url)
    Partner.objects.bulk_create(
        Partner(code=f"Q{i:05d}", name=f"Q {i}", partner_type=world.reseller) for i in range(300)
    )
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    assert Scorecard.objects.filter(period=world.q3).count() == 2 + 5 + 300  # 300 more to read
    large, _ = count_queries(client, url)
    assert large == small
    # +1: the header's unread-alerts badge; +1 on the scorecard: the feedback loop's panel
    assert large <= (14 if url_name == "scorecard" else 13)
    warm, _ = count_queries(client, url, cold=False)
    assert warm <= large


def test_portfolio_lists_scores_sorted_with_charts(world, client):
    seed_partners(world, 60)
    client.force_login(world.manager)
    response = client.get(reverse("portfolio"), {"period": "2026-Q3", "ordering": "-score"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Score distribution" in html and "Partners per tier" in html
    assert "/static/vendor/plotly/plotly-cartesian.min.js" in html
    # every script from our own static files, none from a CDN ("cdn" alone can be in a token)
    assert re.findall(r'<script src="([^"]*)"', html) and all(
        src.startswith("/static/") for src in re.findall(r'<script src="([^"]*)"', html)
    )
    page = response.context["page"]
    assert page.paginator.count == 62 and len(page.object_list) == 50
    scores = [c.score for c in page.object_list if c.score is not None]
    assert scores == sorted(scores, reverse=True)
    second = client.get(reverse("portfolio"), {"period": "2026-Q3", "page": 2})
    assert len(second.context["page"].object_list) == 12


def test_scorecard_shows_every_line_and_chart(world, client):
    MetricValue.objects.create(
        partner=world.acme, kpi=world.revenue, observed_on=dt.date(2026, 8, 1), value=120000
    )
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    client.force_login(world.manager)
    response = client.get(reverse("scorecard", args=["ACME"]), {"period": "2026-Q3"})
    html = response.content.decode()
    assert response.status_code == 200
    assert [line.kpi.code for line in response.context["lines"]] == [
        "revenue",
        "late_deliveries",
        "nps",
    ]
    assert "KPI scores against target" in html and "108.0" in html


def test_partner_user_lands_on_the_portal(world, client):
    client.force_login(world.acme_user)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("portal")


def test_partner_user_cannot_open_other_partners_scorecard(world, client):
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    client.force_login(world.acme_user)
    assert client.get(reverse("scorecard", args=["ACME"])).status_code == 200
    assert client.get(reverse("scorecard", args=["GLOBEX"])).status_code == 404
    assert client.get(reverse("scorecard", args=["NOSUCH"])).status_code == 404
    assert client.get(reverse("portfolio")).status_code == 404


def test_anonymous_users_go_to_login(world, client):
    for url in (reverse("home"), reverse("portfolio"), reverse("scorecard", args=["ACME"])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_login_page_and_plotly_static_are_served(client):
    assert client.get(reverse("login")).status_code == 200
    response = client.get("/static/vendor/plotly/plotly-cartesian.min.js")
    assert response.status_code == 200


def test_exports_are_safe_and_scoped(world, client):
    world.acme.name = "=cmd|' /C calc'!A0"
    world.acme.save()
    MetricValue.objects.create(
        partner=world.acme, kpi=world.revenue, observed_on=dt.date(2026, 8, 1), value=120000
    )
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    client.force_login(world.manager)
    body = b"".join(
        client.get(reverse("portfolio-export"), {"period": "2026-Q3"}).streaming_content
    ).decode()
    assert body.splitlines()[0].startswith("partner_code,partner_name,partner_type")
    assert "ACME,'=cmd|' /C calc'!A0,reseller" in body and "GLOBEX" in body
    client.force_login(world.acme_user)
    assert client.get(reverse("portfolio-export")).status_code == 404
    assert client.get(reverse("scorecard-export", args=["GLOBEX"])).status_code == 404
    own = b"".join(
        client.get(
            reverse("scorecard-export", args=["ACME"]), {"period": "2026-Q3"}
        ).streaming_content
    ).decode()
    assert own.count("\n") == 4 and "revenue" in own and "GLOBEX" not in own
