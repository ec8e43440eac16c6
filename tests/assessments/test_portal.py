"""The partner portal (assessments/views/portal.py): what it takes (SCORING.md examples 6, 7),
the anonymous peer benchmark (example 11 and the fewer-than-5 rule) through the real
recompute, the method page generated from the model, and who may open which portal."""

import csv
import io
import re
from html import unescape

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import OfficialTier
from assessments.portal_selectors import formula_words, ordinal, plural
from assessments.services import scorecards_recompute
from kpis.models import KPI, ModelLine, TargetOverride, Tier, TierRequirement
from kpis.services import version_draft_create, version_publish
from partners.models import Partner, PortalUser
from tests.assessments import test_scorecard_page as pages
from tests.assessments import test_tier_rules_recompute as tier_rules

scored, empty_cache = pages.scored, pages.empty_cache  # fixtures shared with the scorecard page
Q3, values, text = pages.Q3, pages.values, pages.text
MAX_QUERIES = 15  # +1: the header's unread-alerts badge (feedback.context_processors)

# Example 11 on the nps KPI: five peers (ACME included) with 10, 20, 30, 40, 50; ACME at 40.
# Revenue gives each the coverage of an ok scorecard. With five values the quartiles sit on the
# 2nd, 3rd and 4th (SCORING.md 13); the lowest and the highest revenue are peers' (Alpha's and
# Charlie's), which no figure may show, so a test looks for them in what a partner receives.
PEER_REVENUE = {"ZQPEERA": 7654.25, "ZQPEERB": 101234.5, "ZQPEERC": 198765.25}
PEERS = [
    ("ZQPEERA", "Zephyr Alpha", 10),
    ("ZQPEERB", "Zephyr Bravo", 20),
    ("ZQPEERC", "Zephyr Charlie", 30),
]


def portal(client, **params):
    response = client.get(reverse("portal"), params)
    assert response.status_code == 200, response.content[:500]
    return response, response.content.decode()


def section(html: str, ident: str) -> str:
    return text(html.split(f'id="{ident}"')[1].split("</section>")[0])


@pytest.fixture
def benchmarked(scored):
    """Q3: ACME nps 40, GLOBEX nps 50 and three more resellers at 10, 20, 30."""
    values(scored, scored.acme, Q3 + pages.dt.timedelta(days=1), nps=40)
    for code, name, nps in PEERS:
        partner = Partner.objects.create(code=code, name=name, partner_type=scored.reseller)
        values(scored, partner, Q3, revenue=PEER_REVENUE[code], nps=nps)
    values(scored, scored.globex, Q3 + pages.dt.timedelta(days=1), nps=50)
    scorecards_recompute(period_id=scored.q3.pk, trigger="test")
    return scored


# -- where the partner stands -------------------------------------------------------------------


def test_portal_home_leads_with_partner_programme_and_standing(scored, client, settings):
    settings.PROGRAMME_NAME = "Northwind Partner Network"
    client.force_login(scored.acme_user)
    response, html = portal(client, period="2026-Q3")
    head = text(html.split('class="portal-head"')[1].split("</div>")[0])
    assert "Northwind Partner Network" in head and "Acme Corp" in head
    standing = section(html, "standing")
    # Q3: ACME 88.2 (Gold), GLOBEX 82 (Gold): 1st of 2; in Q2 ACME was 2nd (28.6 vs 86)
    assert "88.2" in standing and "Tier: Gold" in standing and "OK" in standing
    assert "1st of 2 resellers, up 1 place" in standing
    assert "up 59.6 points since last period" in standing


def test_progress_and_what_it_takes_are_example_6(scored, client):
    client.force_login(scored.acme_user)
    response, html = portal(client, period="2026-Q3")
    progress = response.context["home"].progress
    assert (progress.tier, progress.low, progress.next_tier, progress.high) == (
        "Gold",
        80,
        "Platinum",
        95,
    )
    assert round(progress.missing, 1) == 6.8 and progress.percent == round(100 * 8.2 / 15, 1)
    block = section(html, "progress")
    assert "Gold 80 Platinum 95" in block and "6.8 points to Platinum" in block
    assert re.search(
        r"Late deliveries: at most 4\.333 .* NPS: at least 46\.333 .* "
        r"Out of reach on its own: Revenue \(would need a score of 125\.0\)\.",
        block,
    ), block
    assert f'style="width:{progress.percent}%"' in html


def test_what_it_takes_is_example_7(scored, client):
    client.force_login(scored.acme_user)
    _, html = portal(client, period="2026-Q2")
    block = section(html, "progress")
    assert "Member 0 Silver 60" in block and "31.4 points to Silver" in block
    assert re.search(
        r"Late deliveries: at most 9 .* Revenue: at least 112,500 USD .* "
        r"Out of reach on its own: NPS \(no value; would need a score of 133\.3\)\.",
        block,
    ), block


def test_unmet_requirements_of_the_next_tier_are_named(scored, client):
    platinum = Tier.objects.get(version=scored.version, name="Platinum")
    TierRequirement.objects.create(tier=platinum, kpi=scored.nps, min_kpi_score=90)
    scorecards_recompute(period_id=scored.q3.pk, trigger="test")
    client.force_login(scored.acme_user)
    _, html = portal(client, period="2026-Q3")
    assert "Still needed for Platinum: NPS score of at least 90." in section(html, "progress")


def test_kpi_list_shows_bullets_contributions_changes_and_history_links(scored, client):
    client.force_login(scored.acme_user)
    _, html = portal(client, period="2026-Q3")
    kpis = section(html, "kpis")
    assert html.count('<svg class="bullet"') == 3
    assert "Adds 43.2 points" in kpis and "Adds 21.0 points" in kpis and "Adds 24.0 points" in kpis
    assert "vs last period +70,000" in kpis  # revenue 50,000 -> 120,000
    explain = reverse("explain", args=["ACME", "nps"])
    assert f'href="{explain}?period=2026-Q3"' in html
    client.get(f"{explain}?period=2026-Q3")  # the partner may open it
    assert client.get(f"{explain}?period=2026-Q3").status_code == 200


def test_portal_home_query_budget(benchmarked, client):
    client.force_login(benchmarked.acme_user)
    portal(client, period="2026-Q3")  # warm the per-run caches
    with CaptureQueriesContext(connection) as queries:
        portal(client, period="2026-Q3")
    assert len(queries) <= MAX_QUERIES, [q["sql"][:120] for q in queries]


# -- the anonymous peer benchmark (SCORING.md 13) -----------------------------------------------


def test_benchmark_is_example_11(benchmarked, client):
    client.force_login(benchmarked.acme_user)
    response, html = portal(client, period="2026-Q3")
    rows = {r.row.line.kpi.code: r.benchmark for r in response.context["home"].kpis}
    nps = rows["nps"]
    assert (nps.n, nps.q1, nps.median, nps.q3, nps.kpi_percentile) == (5, 20, 30, 40, 75)
    kpis = section(html, "kpis")
    assert "◆ you; box: peers' quartiles 20 · median 30 · 40; you are better than 75 %" in kpis
    assert rows["late_deliveries"] is None  # nobody has a value


def test_benchmark_of_a_lower_is_better_kpi_counts_higher_values_as_worse(benchmarked, client):
    for partner in Partner.objects.all():
        values(
            benchmarked, partner, Q3 + pages.dt.timedelta(days=2), late=int(partner.pk)
        )  # distinct per partner
    scorecards_recompute(period_id=benchmarked.q3.pk, trigger="test")
    client.force_login(benchmarked.acme_user)
    response, _ = portal(client, period="2026-Q3")
    late = {r.row.line.kpi.code: r.benchmark for r in response.context["home"].kpis}
    late = late["late_deliveries"]
    pks = sorted(Partner.objects.values_list("pk", flat=True))
    worse = sum(pk > benchmarked.acme.pk for pk in pks)
    assert late.n == 5 and late.kpi_percentile == 100 * worse / 4


def test_no_benchmark_with_fewer_than_5_peer_values(benchmarked, client):
    Partner.objects.filter(code="ZQPEERA").update(is_active=False)
    scorecards_recompute(period_id=benchmarked.q3.pk, trigger="test")
    client.force_login(benchmarked.acme_user)
    response, html = portal(client, period="2026-Q3")
    assert all(r.benchmark is None for r in response.context["home"].kpis)
    assert "quartiles" not in section(html, "kpis")
    assert section(html, "kpis").count("fewer than 5 peers have a value") == 3


def test_no_peer_name_code_or_single_value_reaches_a_partner_user(benchmarked, client):
    """The portal, the method page, the explain pages and the exports of ACME's user hold no
    other partner's name or code, and no peer's own revenue (a value no quartile equals)."""
    client.force_login(benchmarked.acme_user)
    bodies = [portal(client, period="2026-Q3")[1], portal(client, period="2026-Q2")[1]]
    bodies.append(client.get(reverse("portal-method")).content.decode())
    for kpi in ("revenue", "nps", "late_deliveries"):
        url = reverse("explain", args=["ACME", kpi])
        bodies.append(client.get(url, {"period": "2026-Q3"}).content.decode())
    csv_body = client.get(reverse("scorecard-export", args=["ACME"]), {"period": "2026-Q3"})
    bodies.append(b"".join(csv_body.streaming_content).decode())
    xlsx = client.get(reverse("scorecard-export-xlsx", args=["ACME"]), {"period": "2026-Q3"})
    book = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    bodies.append(
        " ".join(str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row)
    )
    assert list(csv.reader(io.StringIO(bodies[-2])))[0]  # a real CSV was read
    others = Partner.objects.exclude(pk=benchmarked.acme.pk)
    forbidden = [p.code for p in others] + [p.name for p in others]
    for extreme in (PEER_REVENUE["ZQPEERA"], PEER_REVENUE["ZQPEERC"]):
        forbidden += [f"{extreme:,}", f"{extreme}", f"{extreme:,}".split(".")[0]]
    for body in bodies:
        found = [word for word in forbidden if word in body]
        assert not found, found
    assert "Acme Corp" in bodies[0]


# -- how you are scored -------------------------------------------------------------------------


def test_method_page_is_generated_from_the_model(scored, client):
    growth = KPI.objects.create(
        code="growth",
        name="Growth",
        unit="%",
        source="formula",
        formula="100 * (revenue / prev(revenue) - 1)",
    )
    ModelLine.objects.create(version=scored.version, kpi=growth, weight=10, floor=0, target=20)
    TierRequirement.objects.create(
        tier=Tier.objects.get(version=scored.version, name="Gold"), kpi=scored.nps, min_kpi_score=60
    )
    TargetOverride.objects.create(
        partner=scored.acme,
        kpi=scored.revenue,
        period=scored.q3,
        floor=0,
        target=80000,
        stretch=None,
        reason="New territory this quarter",
    )
    client.force_login(scored.acme_user)
    page = unescape(text(client.get(reverse("portal-method")).content.decode()))
    assert (
        "Revenue (USD) 40 (36.4 %) 0 100,000 150,000 higher the sum of the period's values" in page
    )
    assert "Late deliveries 30 (27.3 %) 20 5 0 lower the latest value in the period" in page
    assert "NPS 30 (27.3 %) 0 50 50 no bonus" not in page  # stretch = target: no bonus
    assert "NPS 30 (27.3 %) 0 50 no bonus higher" in page
    assert "calculated: 100 × (Revenue ÷ Revenue in the previous period − 1)" in page
    assert "Gold 80 NPS score of at least 60" in page and "Platinum 95 nothing more" in page
    assert "weighted average over the KPIs that have a value" in page
    assert "At least 50 % of the weight must have data" in page
    assert "Score = the sum of weight × KPI score ÷ the sum of the weights of the KPIs with" in page
    assert "Revenue: floor 0, target 80,000, no bonus — New territory this quarter" in page
    assert "Tier changes, up or down, apply from the period they happen in." in page

    ModelLine.objects.filter(version=scored.version, kpi=scored.revenue).update(weight=60)
    scored.version.demotion_grace = 2
    scored.version.save()
    page = unescape(text(client.get(reverse("portal-method")).content.decode()))
    assert "Revenue (USD) 60 (46.2 %)" in page
    assert "A drop to a lower tier waits 2 periods" in page


@pytest.mark.parametrize(
    ("formula", "words"),
    [
        (
            "100 * (revenue / prev(revenue) - 1)",
            "100 × (Revenue ÷ Revenue in the previous period − 1)",
        ),
        ("revenue - (nps - late_deliveries)", "Revenue − (NPS − Late deliveries)"),
        ("(revenue + nps) * 2", "(Revenue + NPS) × 2"),
        ("revenue + nps * 2", "Revenue + NPS × 2"),
        (
            "max(nps, 0) / abs(-late_deliveries)",
            "the larger of NPS and 0 ÷ the absolute value of −Late deliveries",
        ),
    ],
)
def test_formula_in_words(formula, words):
    names = {"revenue": "Revenue", "nps": "NPS", "late_deliveries": "Late deliveries"}
    assert formula_words(formula, names) == words


def test_plain_words_for_rank():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 112)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "112th",
    ]
    assert (plural("Reseller"), plural("MSP"), plural("Referral partners")) == (
        "resellers",
        "MSPs",
        "referral partners",
    )


# -- access -------------------------------------------------------------------------------------


def test_each_partner_user_sees_only_its_own_portal(benchmarked, client):
    client.force_login(benchmarked.globex_user)
    response, html = portal(client, period="2026-Q3")
    assert response.context["partner"] == benchmarked.globex and "Globex" in html
    assert "Acme Corp" not in html and "ACME" not in html
    for params in ({"partner": "ACME"}, {"partner": "NOSUCH"}):
        assert client.get(reverse("portal"), params).status_code == 404
        assert client.get(reverse("portal-method"), params).status_code == 404
    assert client.get(reverse("portal"), {"partner": "GLOBEX"}).status_code == 200


def test_manager_previews_a_partners_portal_read_only(benchmarked, client):
    client.force_login(benchmarked.manager)
    assert client.get(reverse("portal")).status_code == 404  # whose portal? name one
    response, html = portal(client, partner="ACME", period="2026-Q3")
    assert response.context["preview"] and "Preview: this is what Acme Corp" in html
    assert "Zephyr" not in html and "GLOBEX" not in html  # peers stay anonymous here too
    assert f"{reverse('portal-method')}?partner=ACME" in html
    assert '<input type="hidden" name="partner" value="ACME">' in html


def test_portal_needs_a_role(world, client, django_user_model):
    assert client.get(reverse("portal")).url.startswith(reverse("login"))
    nobody = django_user_model.objects.create_user("nobody", password="x", is_staff=True)
    client.force_login(nobody)
    assert client.get(reverse("portal")).status_code == 404
    assert client.get(reverse("portal-method")).status_code == 404


def test_portal_without_a_scorecard_says_so(world, client):
    client.force_login(world.acme_user)
    _, html = portal(client)
    assert "No scorecard for 2026-Q3 yet" in text(html)
    assert PortalUser.objects.get(user=world.acme_user).partner == world.acme


def test_a_projected_drop_is_shown(scored, client):
    """GLOBEX scores 90, 86, 82 (SCORING.md example 8): Gold, projected 78 -> Silver."""
    client.force_login(scored.globex_user)
    _, html = portal(client, period="2026-Q3")
    assert (
        "Heading down: on your recent trend the next score would be 78.0, which is Silver "
        "(Gold now)." in section(html, "progress")
    )


def test_a_tier_held_on_grace_is_at_risk(world, client):
    """SCORING.md example 12, Q2: score 84 earns Silver (nps line 50 < 60), Gold is held on
    grace; the portal says so and what it takes to keep Gold."""
    quarters = tier_rules.quarters.__wrapped__(world)
    world.version.demotion_grace = 1
    world.version.save()
    gold = Tier.objects.get(version=world.version, name="Gold")
    TierRequirement.objects.create(tier=gold, kpi=world.nps, min_kpi_score=60)
    for period in quarters[:2]:
        tier_rules.put(world, world.acme, period, *tier_rules.EXAMPLE_12[period.code])
    tier_rules.recompute(*quarters[:2])
    client.force_login(world.acme_user)
    _, html = portal(client, period="2026-Q2")
    block = section(html, "progress")
    assert (
        "At risk: you hold Gold on demotion grace (your score and requirements earn Silver)"
        in block
    )
    assert "it falls to Silver in 2026-Q3 unless you earn Gold back" in block
    assert "Unmet requirements of Gold: nps score ≥ 60" in block


def test_method_page_shows_the_scorecards_version_when_a_newer_one_is_active(scored, client):
    draft = version_draft_create(model=scored.version.model)
    draft.lines.filter(kpi=scored.revenue).update(weight=60)
    version_publish(version=draft, reason="More weight on revenue")
    client.force_login(scored.acme_user)
    page = unescape(text(client.get(reverse("portal-method")).content.decode()))
    now, then = page.split("Your 2026-Q3 scorecard used an earlier version")
    assert "Reseller model, version 2" in now and "Revenue (USD) 60 (50.0 %)" in now
    assert "Reseller model, version 1" in then and "Revenue (USD) 40 (40.0 %)" in then


def test_the_official_tier_is_shown_when_it_differs(scored, client):
    OfficialTier.objects.update_or_create(
        partner=scored.acme,
        defaults={
            "tier": "Silver",
            "tier_min_score": 60,
            "since_period": scored.q2,
            "changed_at": timezone.now(),
        },
    )
    client.force_login(scored.acme_user)
    _, html = portal(client, period="2026-Q3")
    assert (
        "Tier: Silver (official tier; the scores currently point to Gold, pending your channel "
        "manager's review)" in unescape(section(html, "standing"))
    )
