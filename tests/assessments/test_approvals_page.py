"""The approval queue page (SCORING.md 15): pending tier proposals with the KPIs that moved,
approve / reject with a required reason through assessments.approvals, decided ones below;
managers and admins only; the nav link appears when a model asks for approval."""

import datetime as dt
import re
from html import unescape

import pytest
from django.core.cache import cache
from django.urls import reverse

from assessments.approvals import official_tier_of
from assessments.models import TierProposal
from assessments.services import scorecards_recompute
from assessments.views.approvals import APPROVALS_IN_USE_KEY
from kpis.models import MetricValue
from kpis.services import version_draft_create


def page_text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def put(world, partner, period, revenue, nps):
    day = period.start + dt.timedelta(days=20)
    for kpi, value in ((world.revenue, revenue), (world.nps, nps)):
        MetricValue.objects.update_or_create(
            partner=partner, kpi=kpi, observed_on=day, defaults={"value": value}
        )


def recompute(period):
    assert scorecards_recompute(period_id=period.pk, trigger="test").status == "succeeded"


@pytest.fixture
def proposal(world):
    """Acme Gold in Q2 (official), Silver computed in Q3: a pending proposal down."""
    world.version.tier_changes_need_approval = True
    world.version.save()
    put(world, world.acme, world.q2, 120000, 50)
    recompute(world.q2)
    put(world, world.acme, world.q3, 60000, 40)
    recompute(world.q3)
    return TierProposal.objects.get(partner=world.acme, status="pending")


def decide(client, proposal, action, reason):
    return client.post(
        reverse("approval-decide", args=[proposal.pk]),
        {"action": action, "reason": reason},
        follow=True,
    )


def test_the_queue_shows_the_proposal_with_its_score_and_the_kpis_that_moved(
    client, world, proposal
):
    client.force_login(world.manager)
    text = page_text(client.get(reverse("approvals")))
    assert "Tier approvals · 1 waiting" in text
    row = text[text.index("Acme Corp") : text.index("Decided")]
    assert "2026-Q3" in row and "Gold → Silver down" in row
    # Q3: revenue 60000 of target 100000 -> 60; nps 40 of 50 -> 80; composite (40*60+30*80)/70
    assert f"{(40 * 60 + 30 * 80) / 70:.1f}" in row
    # Q2 revenue 120000: 100 + 20 * (120000 - 100000) / (150000 - 100000) = 108
    assert "revenue 108 → 60" in row and "nps 100 → 80" in row
    assert "Nothing waits" not in text and "No decision yet." in text


def test_approving_through_the_page_changes_the_official_tier(client, world, proposal):
    client.force_login(world.manager)
    done = decide(client, proposal, "approve", "Agreed in the QBR")
    assert "ACME: Gold -> Silver approved." in page_text(done)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by, proposal.reason) == (
        "approved",
        world.manager,
        "Agreed in the QBR",
    )
    assert official_tier_of(partner=world.acme) == "Silver"
    text = page_text(done)
    assert "Nothing waits for a decision." in text
    assert "Gold → Silver Approved manager" in text and "Agreed in the QBR" in text


def test_rejecting_keeps_the_official_tier(client, world, proposal):
    client.force_login(world.admin)
    done = decide(client, proposal, "reject", "One-off outage in Q3")
    assert "ACME: Gold -> Silver rejected." in page_text(done)
    proposal.refresh_from_db()
    assert proposal.status == "rejected"
    assert official_tier_of(partner=world.acme) == "Gold"


def test_a_decision_needs_a_reason(client, world, proposal):
    client.force_login(world.manager)
    done = decide(client, proposal, "approve", "   ")
    assert "ACME: Give a reason: the partner's tier and benefits change." in page_text(done)
    proposal.refresh_from_db()
    assert proposal.status == "pending"
    assert official_tier_of(partner=world.acme) == "Gold"


def test_a_decided_proposal_cannot_be_decided_again(client, world, proposal):
    client.force_login(world.manager)
    decide(client, proposal, "approve", "ok")
    again = decide(client, proposal, "reject", "changed my mind")
    assert "is already approved: nothing to decide" in page_text(again)
    assert official_tier_of(partner=world.acme) == "Silver"


def test_an_unknown_action_decides_nothing(client, world, proposal):
    client.force_login(world.manager)
    done = decide(client, proposal, "maybe", "hmm")
    assert "Choose approve or reject." in page_text(done)
    proposal.refresh_from_db()
    assert proposal.status == "pending"


def test_partner_users_get_404(client, world, proposal):
    client.force_login(world.acme_user)
    assert client.get(reverse("approvals")).status_code == 404
    response = client.post(
        reverse("approval-decide", args=[proposal.pk]), {"action": "approve", "reason": "me"}
    )
    assert response.status_code == 404
    proposal.refresh_from_db()
    assert proposal.status == "pending"


def test_the_nav_links_approvals_when_a_model_asks_for_them(client, world):
    def nav_link(page="portfolio"):
        return 'href="/approvals/"' in client.get(reverse(page)).content.decode()

    cache.delete(APPROVALS_IN_USE_KEY)
    client.force_login(world.manager)
    assert nav_link()  # not known yet (the nav makes no query): offered
    client.get(reverse("approvals"))  # the queue finds out: no model asks for approval
    assert not nav_link()
    world.version.tier_changes_need_approval = True
    world.version.save()
    client.get(reverse("approvals"))
    assert nav_link()
    client.force_login(world.acme_user)
    assert 'href="/approvals/"' not in client.get(reverse("home")).content.decode()


def test_publishing_a_version_that_asks_for_approval_shows_the_link(client, world):
    cache.set(APPROVALS_IN_USE_KEY, False)
    draft = version_draft_create(model=world.version.model)
    draft.tier_changes_need_approval = True
    draft.save()
    client.force_login(world.admin)
    publish = reverse("config-version-publish", args=["reseller", draft.pk])
    assert client.post(publish, {"reason": "approval from now on"}).status_code == 302
    assert 'href="/approvals/"' in client.get(reverse("portfolio")).content.decode()
