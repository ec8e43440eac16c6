"""Tier programme rules through the real recompute (PostgreSQL): requirements and demotion
grace (SCORING.md 14, worked example 12 over four quarters), renamed tiers (6), and the
official tier with approval of tier changes (15)."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from assessments.approvals import official_tier_of, proposal_approve, proposal_reject, proposals_for
from assessments.models import OfficialTier, Scorecard, TierChange, TierProposal
from assessments.selectors import falls_in_period
from assessments.services import (
    _same_results,
    scorecard_recompute_partner,
    scorecards_recompute,
)
from kpis.models import MetricValue, Period, RecomputeMark, Tier, TierRequirement
from kpis.services import version_draft_create, version_publish

# Example 12 on the world's model (late deliveries missing, coverage 0.7): nps value -> line
# score 2 * value; revenue makes the composite (40 * revenue score + 30 * nps score) / 70.
EXAMPLE_12 = {  # quarter: (revenue, nps value) -> (score, nps line score)
    "2026-Q1": (96250, 35),  # 85, 70
    "2026-Q2": (123750, 25),  # 84, 50
    "2026-Q3": (138125, 20),  # 83, 40
    "2026-Q4": (104375, 32.5),  # 86, 65
}


def quarter(code, start, end):
    return Period.objects.create(code=code, start=start, end=end, granularity="quarter")


@pytest.fixture
def quarters(world):
    q1 = quarter("2026-Q1", dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    q4 = quarter("2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    return [q1, world.q2, world.q3, q4]


def put(world, partner, period, revenue, nps):
    day = period.start + dt.timedelta(days=20)
    MetricValue.objects.update_or_create(
        partner=partner, kpi=world.revenue, observed_on=day, defaults={"value": revenue}
    )
    MetricValue.objects.update_or_create(
        partner=partner, kpi=world.nps, observed_on=day, defaults={"value": nps}
    )


def recompute(*periods):
    for period in periods:
        assert scorecards_recompute(period_id=period.pk, trigger="test").status == "succeeded"


def page_text(response) -> str:
    """The page's words, tags removed and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def card(period, partner):
    return Scorecard.objects.get(period=period, partner=partner)


@pytest.fixture
def example_12(world, quarters):
    version = world.version
    version.demotion_grace = 1
    version.save()
    TierRequirement.objects.create(
        tier=version.tiers.get(name="Gold"), kpi=world.nps, min_kpi_score=60
    )
    for period in quarters:
        put(world, world.acme, period, *EXAMPLE_12[period.code])
    return quarters


def test_worked_example_12_through_the_recompute(world, example_12):
    recompute(*example_12)
    q1, q2, q3, q4 = (card(period, world.acme) for period in example_12)
    assert [round(c.score, 9) for c in (q1, q2, q3, q4)] == [85, 84, 83, 86]
    assert (q1.earned_tier, q1.tier, q1.grace_used, q1.falls_to) == ("Gold", "Gold", 0, "")
    assert (q2.earned_tier, q2.tier, q2.grace_used) == ("Silver", "Gold", 1)
    assert (q2.falls_to, q2.falls_in, q2.at_risk_of_demotion) == ("Silver", 1, True)
    assert (q2.tier_min_score, q2.tier_change) == (80, "")
    assert (q3.earned_tier, q3.tier, q3.grace_used, q3.tier_change) == (
        "Silver",
        "Silver",
        0,
        "down",
    )
    assert (q3.falls_to, q3.falls_in) == ("", None)
    assert (q4.earned_tier, q4.tier, q4.tier_change) == ("Gold", "Gold", "up")
    changes = {
        c.period.code: (c.from_tier, c.to_tier, c.direction)
        for c in TierChange.objects.filter(partner=world.acme).select_related("period")
    }
    assert changes == {"2026-Q3": ("Gold", "Silver", "down"), "2026-Q4": ("Silver", "Gold", "up")}


def test_the_page_can_say_when_an_at_risk_partner_falls(world, example_12):
    world.version.demotion_grace = 2
    world.version.save()
    q1, q2, q3, q4 = example_12
    put(world, world.acme, q3, 123750, 25)  # Q3 like Q2: still earns Silver
    recompute(q1, q2)
    q2_card = card(q2, world.acme)
    assert (q2_card.falls_to, q2_card.falls_in) == ("Silver", 2)
    assert falls_in_period(card=q2_card) == q4  # "falls to Silver in 2026-Q4 unless ..."
    recompute(q3)
    q3_card = card(q3, world.acme)
    assert (q3_card.tier, q3_card.grace_used, q3_card.falls_in) == ("Gold", 2, 1)
    assert falls_in_period(card=q3_card) == q4
    q4.delete()
    assert falls_in_period(card=q3_card) is None  # not created yet: "in 1 period"
    assert falls_in_period(card=card(q1, world.acme)) is None  # not at risk


def test_the_portfolio_lists_partners_on_grace_as_at_risk(world, example_12, client):
    cache.clear()
    q1, q2, _, _ = example_12
    recompute(q1, q2)
    client.force_login(world.manager)
    page = client.get(reverse("portfolio"), {"period": q2.code})
    assert [p["code"] for p in page.context["dashboard"].at_risk] == ["ACME"]
    assert page.context["dashboard"].at_risk[0]["falls_to"] == "Silver"
    assert "falls to Silver next period" in page.content.decode()
    filtered = client.get(reverse("portfolio"), {"period": q2.code, "at_risk": "true"})
    assert [c.partner.code for c in filtered.context["page"]] == ["ACME"]


def test_the_scorecard_page_says_what_it_takes_to_keep_a_held_tier(world, example_12, client):
    q1, q2, q3, _ = example_12
    recompute(q1, q2)
    client.force_login(world.acme_user)
    page = client.get(reverse("scorecard", args=["ACME"]), {"period": q2.code})
    text = page_text(page)
    assert (
        "At risk: Gold is held on demotion grace (the score and requirements earn Silver); it "
        "falls to Silver in 2026-Q3 unless it earns Gold back." in text
    )
    assert (
        "The score already reaches Gold (80); the requirements below are what is missing." in text
    )
    assert "Unmet requirements of Gold: nps score ≥ 60." in text
    guidance = page.context["page"].guidance
    assert guidance.keep and guidance.then is None  # Gold is this model's highest tier


def test_the_scorecard_page_names_the_next_tiers_unmet_requirements(world, example_12, client):
    q1, q2, q3, _ = example_12
    recompute(q1, q2, q3)
    client.force_login(world.manager)
    page = client.get(reverse("scorecard", args=["ACME"]), {"period": q3.code})
    text = page_text(page)
    assert "The score already reaches Gold (80)" in text  # 83, but nps scores 40
    assert "Unmet requirements of Gold: nps score ≥ 60." in text
    assert not page.context["page"].guidance.keep


def test_the_scorecard_page_shows_an_official_tier_awaiting_approval(world, client):
    world.version.tier_changes_need_approval = True
    world.version.save()
    put(world, world.acme, world.q2, 120000, 50)
    put(world, world.acme, world.q3, 60000, 40)
    recompute(world.q2, world.q3)
    client.force_login(world.acme_user)
    text = page_text(client.get(reverse("scorecard", args=["ACME"]), {"period": "2026-Q3"}))
    assert "official tier Gold" in text
    older = client.get(reverse("scorecard", args=["ACME"]), {"period": "2026-Q2"}).content
    assert "official tier" not in older.decode()  # the official tier sits beside the latest card


def test_grace_is_idempotent_and_the_one_partner_recompute_agrees(world, example_12):
    recompute(*example_12)
    rows = list(Scorecard.objects.order_by("period__start", "partner_id").values())
    recompute(*example_12)
    again = list(Scorecard.objects.order_by("period__start", "partner_id").values())
    strip = ("id", "computed_at")
    assert [{k: v for k, v in r.items() if k not in strip} for r in again] == [
        {k: v for k, v in r.items() if k not in strip} for r in rows
    ]
    q2 = example_12[1]
    scorecard_recompute_partner(period_id=q2.pk, partner_id=world.acme.pk, trigger="test")
    held = card(q2, world.acme)
    assert (held.tier, held.grace_used, held.falls_to) == ("Gold", 1, "Silver")


def test_a_changed_earlier_period_ripples_its_grace_forward(world, example_12):
    q1, q2, q3, _ = example_12
    recompute(q1, q2, q3)
    RecomputeMark.objects.all().delete()
    put(world, world.acme, q1, 96250, 20)  # Q1 now earns Silver (nps line 40)
    recompute(q1)
    assert RecomputeMark.objects.filter(period=q2).exists()  # Q2 reads Q1's tier and grace
    recompute(q2, q3)
    assert [card(p, world.acme).tier for p in (q1, q2, q3)] == ["Silver", "Silver", "Silver"]
    assert card(q2, world.acme).grace_used == 0  # nothing above Silver was held


def test_same_results_sees_a_change_of_grace_alone(world, example_12):
    recompute(example_12[0], example_12[1])
    cards = Scorecard.objects.filter(period=example_12[1]).values(
        "partner_id", "score", "tier", "tier_min_score", "grace_used"
    )
    import pandas as pd

    old = pd.DataFrame(list(cards))
    assert _same_results(old, old.copy())
    assert not _same_results(old, old.assign(grace_used=old["grace_used"] + 1))


# -- section 6: a renamed tier --------------------------------------------------------------


def test_renaming_a_tier_at_the_same_threshold_records_no_tier_change(world):
    q2, q3 = world.q2, world.q3
    put(world, world.acme, q2, 10000, 5)  # Member in both quarters
    put(world, world.acme, q3, 12000, 5)
    put(world, world.globex, q2, 120000, 50)  # Gold, then Silver: a real change
    put(world, world.globex, q3, 60000, 40)
    recompute(q2)
    draft = version_draft_create(model=world.version.model)
    Tier.objects.filter(version=draft, name="Member").update(name="Registered")
    version_publish(version=draft, user=world.admin)
    recompute(q3)
    acme = card(q3, world.acme)
    assert (acme.previous_tier, acme.tier, acme.tier_change) == ("Member", "Registered", "")
    assert not TierChange.objects.filter(partner=world.acme).exists()
    change = TierChange.objects.get(partner=world.globex, period=q3)
    assert (change.from_tier, change.to_tier, change.direction) == ("Gold", "Silver", "down")


# -- section 15: the official tier ----------------------------------------------------------


def test_without_approval_the_official_tier_is_the_computed_tier(world):
    q2, q3 = world.q2, world.q3
    put(world, world.acme, q2, 120000, 50)  # Gold
    put(world, world.acme, q3, 60000, 40)  # Silver
    recompute(q2)
    official = OfficialTier.objects.get(partner=world.acme)
    assert (official.tier, official.since_period, official.approved_by) == ("Gold", q2, None)
    recompute(q3)
    official.refresh_from_db()
    assert (official.tier, official.since_period) == ("Silver", q3)
    recompute(q2)  # an earlier open period is not the partner's latest: no effect
    assert official_tier_of(partner=world.acme) == "Silver"
    assert not TierProposal.objects.exists()


@pytest.fixture
def approval(world):
    world.version.tier_changes_need_approval = True
    world.version.save()
    return world.version


def pending(partner):
    return TierProposal.objects.get(partner=partner, status="pending")


def test_approval_flow(world, approval):
    q2, q3 = world.q2, world.q3
    put(world, world.acme, q2, 120000, 50)  # Gold
    recompute(q2)
    assert official_tier_of(partner=world.acme) == "Gold"  # the first tier needs no approval
    assert not TierProposal.objects.exists()

    put(world, world.acme, q3, 60000, 40)  # Silver in Q3: proposed, official stays Gold
    recompute(q3)
    proposal = pending(world.acme)
    assert (proposal.period, proposal.from_tier, proposal.to_tier) == (q3, "Gold", "Silver")
    assert proposal.direction == "down"
    assert card(q3, world.acme).tier == "Silver"  # the computed tier follows section 14
    assert official_tier_of(partner=world.acme) == "Gold"
    recompute(q3)  # idempotent: the same proposal, still one
    assert TierProposal.objects.get() == proposal

    proposal_reject(proposal=proposal, user=world.manager, reason="Q3 had a one-off outage.")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by, proposal.reason) == (
        "rejected",
        world.manager,
        "Q3 had a one-off outage.",
    )
    recompute(q3)  # still Silver: not proposed again
    assert official_tier_of(partner=world.acme) == "Gold"
    assert not TierProposal.objects.filter(status="pending").exists()

    put(world, world.acme, q3, 10000, 5)  # the computed tier changes: Member, proposed
    recompute(q3)
    proposal = pending(world.acme)
    assert (proposal.from_tier, proposal.to_tier) == ("Gold", "Member")
    approved = proposal_approve(proposal=proposal, user=world.admin, reason="Confirmed in QBR.")
    assert approved.status == "approved" and approved.decided_at is not None
    official = OfficialTier.objects.get(partner=world.acme)
    assert (official.tier, official.since_period, official.approved_by, official.reason) == (
        "Member",
        q3,
        world.admin,
        "Confirmed in QBR.",
    )
    recompute(q3)  # computed == official: nothing to decide
    assert not TierProposal.objects.filter(status="pending").exists()


def test_a_pending_proposal_is_withdrawn_when_the_computed_tier_returns(world, approval):
    put(world, world.acme, world.q2, 120000, 50)
    put(world, world.acme, world.q3, 60000, 40)
    recompute(world.q2, world.q3)
    proposal = pending(world.acme)
    put(world, world.acme, world.q3, 120000, 50)  # Gold again before anyone decided
    recompute(world.q3)
    proposal.refresh_from_db()
    assert proposal.status == "withdrawn"
    with pytest.raises(ValidationError, match="already withdrawn"):
        proposal_approve(proposal=proposal, user=world.manager, reason="too late")


def test_a_newer_computed_tier_replaces_the_pending_proposal(world, approval):
    put(world, world.acme, world.q2, 120000, 50)
    put(world, world.acme, world.q3, 60000, 40)
    recompute(world.q2, world.q3)
    first = pending(world.acme)
    put(world, world.acme, world.q3, 10000, 5)
    recompute(world.q3)
    first.refresh_from_db()
    assert first.status == "withdrawn"
    assert pending(world.acme).to_tier == "Member"


def test_a_partner_first_seen_under_approval_starts_from_its_previous_tier(world):
    put(world, world.acme, world.q2, 120000, 50)  # Gold in Q2, computed before approval
    put(world, world.acme, world.q3, 60000, 40)
    recompute(world.q2)
    OfficialTier.objects.all().delete()  # as if approval were switched on for a new programme
    world.version.tier_changes_need_approval = True
    world.version.save()
    recompute(world.q3)
    assert official_tier_of(partner=world.acme) == "Gold"
    assert (pending(world.acme).from_tier, pending(world.acme).to_tier) == ("Gold", "Silver")


def test_turning_approval_off_makes_the_computed_tier_official(world, approval):
    put(world, world.acme, world.q2, 120000, 50)
    put(world, world.acme, world.q3, 60000, 40)
    recompute(world.q2, world.q3)
    proposal = pending(world.acme)
    approval.tier_changes_need_approval = False
    approval.save()
    recompute(world.q3)
    proposal.refresh_from_db()
    assert proposal.status == "withdrawn"
    assert official_tier_of(partner=world.acme) == "Silver"


def test_a_renamed_official_tier_is_no_proposal(world, approval):
    put(world, world.acme, world.q2, 10000, 5)  # Member
    recompute(world.q2)
    draft = version_draft_create(model=world.version.model)
    Tier.objects.filter(version=draft, name="Member").update(name="Registered")
    version_publish(version=draft, user=world.admin)
    put(world, world.acme, world.q3, 12000, 5)
    recompute(world.q3)
    assert not TierProposal.objects.exists()
    official = OfficialTier.objects.get(partner=world.acme)
    assert (official.tier, official.since_period) == ("Registered", world.q2)


def test_the_one_partner_recompute_proposes_for_that_partner_only(world, approval):
    for partner in (world.acme, world.globex):
        put(world, partner, world.q2, 120000, 50)
    recompute(world.q2)
    for partner in (world.acme, world.globex):
        put(world, partner, world.q2, 60000, 40)
    scorecard_recompute_partner(period_id=world.q2.pk, partner_id=world.acme.pk, trigger="test")
    assert list(TierProposal.objects.values_list("partner__code", "to_tier")) == [
        ("ACME", "Silver")
    ]


def test_deciding_needs_a_manager_and_a_reason(world, approval):
    put(world, world.acme, world.q2, 120000, 50)
    put(world, world.acme, world.q3, 60000, 40)
    recompute(world.q2, world.q3)
    proposal = pending(world.acme)
    with pytest.raises(PermissionDenied):
        proposal_approve(proposal=proposal, user=world.acme_user, reason="I like Gold")
    with pytest.raises(ValidationError) as caught:
        proposal_approve(proposal=proposal, user=world.manager, reason="   ")
    assert caught.value.message_dict["reason"] == [
        "Give a reason: the partner's tier and benefits change."
    ]
    assert pending(world.acme) == proposal  # nothing decided
    assert official_tier_of(partner=world.acme) == "Gold"
    proposal_approve(proposal=proposal, user=world.manager, reason="agreed")
    with pytest.raises(ValidationError, match="already approved: nothing to decide"):
        proposal_reject(proposal=proposal, user=world.manager, reason="changed my mind")


def test_the_queue_lists_pending_proposals_of_visible_partners(world, approval):
    for partner in (world.acme, world.globex):
        put(world, partner, world.q2, 120000, 50)
        put(world, partner, world.q3, 60000, 40)
    recompute(world.q2, world.q3)
    assert [p.partner.code for p in proposals_for(user=world.manager)] == ["ACME", "GLOBEX"]
    assert [p.partner.code for p in proposals_for(user=world.acme_user)] == ["ACME"]
    assert list(proposals_for(user=world.manager, status="approved")) == []


# -- the API shows the rules' results -------------------------------------------------------


def test_the_scorecard_api_shows_grace_and_the_official_tier(world, example_12):
    world.version.tier_changes_need_approval = True
    world.version.save()
    q1, q2, q3, _ = example_12
    recompute(q1, q2, q3)
    client = APIClient()
    client.force_authenticate(world.acme_user)
    body = client.get(f"/api/v1/scorecards/ACME/{q2.code}/").json()
    assert {k: body[k] for k in ("tier", "earned_tier", "grace_used", "falls_to", "falls_in")} == {
        "tier": "Gold",
        "earned_tier": "Silver",
        "grace_used": 1,
        "falls_to": "Silver",
        "falls_in": 1,
    }
    assert body["official_tier"] == "Gold"  # Q3's Silver waits for approval
    q3_body = client.get(f"/api/v1/scorecards/ACME/{q3.code}/").json()
    assert (q3_body["tier"], q3_body["official_tier"]) == ("Silver", "Gold")
    other = client.get(f"/api/v1/scorecards/GLOBEX/{q3.code}/")
    assert other.status_code == 404
    globex = Scorecard.objects.get(partner=world.globex, period=q3)
    assert globex.status == "no_data"


def test_decisions_are_recorded_in_the_audit_trail(world, approval):
    put(world, world.acme, world.q2, 120000, 50)
    put(world, world.acme, world.q3, 60000, 40)
    recompute(world.q2, world.q3)
    proposal = pending(world.acme)
    proposal_reject(proposal=proposal, user=world.manager, reason="one-off outage")
    decided = proposal.history.latest()
    assert (decided.status, decided.reason, decided.history_user) == (
        "rejected",
        "one-off outage",
        world.manager,
    )
    official = OfficialTier.objects.get(partner=world.acme)
    assert official.history.latest().rejected_tier == "Silver"
    put(world, world.acme, world.q3, 10000, 5)
    recompute(world.q3)
    proposal_approve(proposal=pending(world.acme), user=world.admin, reason="QBR")
    change = official.history.latest()
    assert (change.tier, change.history_user, change.reason) == ("Member", world.admin, "QBR")
