"""SCORING.md 14 (tier requirements, demotion grace) and 6 (a renamed tier is no tier change) in
the pure method, what it takes for a card at risk (section 9), and the rules a requirement
must meet when it is saved."""

import math

import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpis import guidance, scoring
from kpis.admin import TierRequirementForm
from kpis.models import ModelLine, ScoringModelVersion, Tier, TierRequirement
from kpis.services import version_draft_create, version_problems, version_publish

NPS, REVENUE = 2, 1
TIERS = pd.DataFrame(
    {"version_id": [1, 1, 1], "name": ["Gold", "Silver", "Member"], "min_score": [80.0, 60.0, 0.0]}
)
GOLD_NEEDS_NPS_60 = pd.DataFrame(
    {"version_id": [1], "tier": ["Gold"], "kpi_id": [NPS], "min_kpi_score": [60.0]}
)
PREVIOUS_COLUMNS = ["partner_id", "score", "tier", "tier_min_score", "grace_used"]


def versions(grace: int, version_ids=(1,)) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "missing_policy": "renormalize",
            "min_coverage": 0.5,
            "amber_from": 60.0,
            "demotion_grace": grace,
        },
        index=pd.Index(list(version_ids), name="version_id"),
    )


def lines_for(
    score: float, nps: float | None, version_id: int = 1, covered: bool = True
) -> pd.DataFrame:
    """One partner's scored lines: nps (weight 30) with line score `nps` (None: no value) and
    revenue (weight 70) scoring what makes the composite `score`. Not `covered`: revenue has
    no value (coverage 0.3, insufficient data)."""
    if not covered:
        return pd.DataFrame(
            {
                "partner_id": [7, 7],
                "kpi_id": [REVENUE, NPS],
                "weight": [70.0, 30.0],
                "score": [math.nan, score],
                "version_id": version_id,
            }
        )
    if nps is None:
        return pd.DataFrame(
            {
                "partner_id": [7, 7],
                "kpi_id": [REVENUE, NPS],
                "weight": [70.0, 30.0],
                "score": [score, math.nan],
                "version_id": version_id,
            }
        )
    return pd.DataFrame(
        {
            "partner_id": [7, 7],
            "kpi_id": [REVENUE, NPS],
            "weight": [70.0, 30.0],
            "score": [(100 * score - 30 * nps) / 70, nps],
            "version_id": version_id,
        }
    )


def card_for(
    score,
    nps,
    *,
    grace=0,
    previous=None,
    tiers=TIERS,
    requirements=GOLD_NEEDS_NPS_60,
    version_id=1,
    covered=True,
):
    members = pd.DataFrame({"partner_id": [7], "partner_type_id": [1], "version_id": [version_id]})
    cards = scoring.score_cards(
        members=members,
        scored_lines=lines_for(score, nps, version_id, covered),
        versions=versions(grace, sorted(set(tiers["version_id"]))),
        tiers=tiers,
        previous=previous if previous is not None else pd.DataFrame(columns=PREVIOUS_COLUMNS),
        requirements=requirements,
    )
    return cards.iloc[0]


def as_previous(card) -> pd.DataFrame:
    return pd.DataFrame([card[PREVIOUS_COLUMNS].to_dict()])


def chain(quarters, **kwargs) -> list:
    cards, previous = [], None
    for score, nps in quarters:
        card = card_for(score, nps, previous=previous, **kwargs)
        cards.append(card)
        previous = as_previous(card)
    return cards


# -- requirements -------------------------------------------------------------------------------


def test_a_requirement_unmet_earns_the_next_tier_down():
    card = card_for(85, 50)
    assert (card["earned_tier"], card["tier"]) == ("Silver", "Silver")
    assert card["tier_min_score"] == 60


def test_a_requirement_met_at_nine_decimals_counts():
    # 59.9999999999 is 60 at 9 decimals: the requirement nps >= 60 is met
    assert card_for(85, 59.9999999999)["earned_tier"] == "Gold"
    assert card_for(85, 59.999999)["earned_tier"] == "Silver"


def test_a_requirement_on_a_line_without_a_value_is_unmet():
    assert card_for(90, None)["earned_tier"] == "Silver"


def test_requirements_of_one_tier_do_not_bind_another():
    requirements = pd.DataFrame(
        {"version_id": [1], "tier": ["Silver"], "kpi_id": [NPS], "min_kpi_score": [90.0]}
    )
    # Gold has no requirement and the score reaches it: Silver's requirement is irrelevant
    assert card_for(85, 50, requirements=requirements)["earned_tier"] == "Gold"
    # below Gold, Silver's requirement fails: the entry tier
    assert card_for(70, 50, requirements=requirements)["earned_tier"] == "Member"


def test_without_requirements_the_earned_tier_is_the_threshold_tier():
    assert card_for(85, 10, requirements=None)["earned_tier"] == "Gold"


# -- demotion grace: worked example 12 ----------------------------------------------------------


def test_worked_example_12_in_the_pure_method():
    q1, q2, q3, q4 = chain([(85, 70), (84, 50), (83, 40), (86, 65)], grace=1)
    assert (q1["earned_tier"], q1["tier"], q1["grace_used"]) == ("Gold", "Gold", 0)
    assert (q2["earned_tier"], q2["tier"], q2["grace_used"]) == ("Silver", "Gold", 1)
    assert (q2["falls_to"], q2["falls_in"]) == ("Silver", 1)  # at risk: Silver next period
    assert q2["tier_change"] == ""
    assert (q3["earned_tier"], q3["tier"], q3["grace_used"]) == ("Silver", "Silver", 0)
    assert q3["tier_change"] == "down" and q3["falls_to"] == "" and pd.isna(q3["falls_in"])
    assert (q4["earned_tier"], q4["tier"], q4["tier_change"]) == ("Gold", "Gold", "up")


def test_no_grace_demotes_at_once():
    q1, q2 = chain([(85, 70), (84, 50)], grace=0)
    assert (q2["tier"], q2["grace_used"], q2["tier_change"]) == ("Silver", 0, "down")


def test_a_grace_of_two_holds_two_periods_and_says_when_it_falls():
    cards = chain([(85, 70), (70, 70), (70, 70), (70, 70)], grace=2)
    assert [c["tier"] for c in cards] == ["Gold", "Gold", "Gold", "Silver"]
    assert [c["grace_used"] for c in cards] == [0, 1, 2, 0]
    assert [c["falls_in"] for c in cards[1:3]] == [2, 1]


def test_earning_the_tier_back_resets_the_grace():
    cards = chain([(85, 70), (70, 70), (85, 70), (70, 70), (70, 70)], grace=1)
    assert [c["tier"] for c in cards] == ["Gold", "Gold", "Gold", "Gold", "Silver"]
    assert [c["grace_used"] for c in cards] == [0, 1, 0, 1, 0]


def test_a_held_tier_falls_to_the_earned_tier_even_two_steps_down():
    q1, q2, q3 = chain([(85, 70), (30, 70), (30, 70)], grace=1)
    assert (q2["tier"], q2["falls_to"]) == ("Gold", "Member")
    assert (q3["tier"], q3["tier_change"]) == ("Member", "down")


def test_insufficient_data_ends_the_grace():
    q1 = card_for(85, 70, grace=2)
    q2 = card_for(70, 70, grace=2, previous=as_previous(q1))
    q3 = card_for(70, 70, grace=2, previous=as_previous(q2), covered=False)
    assert (q3["status"], q3["tier"], q3["earned_tier"], q3["grace_used"]) == (
        "insufficient_data",
        "",
        "",
        0,
    )
    q4 = card_for(70, 70, grace=2, previous=as_previous(q3))
    assert (q4["tier"], q4["grace_used"]) == ("Silver", 0)  # nothing held: no grace


def test_a_tier_the_new_version_lacks_cannot_be_held():
    q1 = card_for(85, 70, grace=1)
    renamed = pd.DataFrame(
        {"version_id": [2, 2, 2], "name": ["Gold+", "Silver", "Member"], "min_score": [80.0, 60, 0]}
    )
    q2 = card_for(70, 70, grace=1, previous=as_previous(q1), tiers=renamed, version_id=2)
    assert (q2["tier"], q2["grace_used"], q2["tier_change"]) == ("Silver", 0, "down")


def test_a_held_tier_keeps_its_threshold_in_the_new_version():
    q1 = card_for(85, 70, grace=1)
    moved = pd.DataFrame(
        {"version_id": [2, 2, 2], "name": ["Gold", "Silver", "Member"], "min_score": [90.0, 60, 0]}
    )
    q2 = card_for(85, 70, grace=1, previous=as_previous(q1), tiers=moved, version_id=2)
    # earned Silver in v2 (Gold is 90 now); Gold was 80 on the previous card: held, at 90
    assert (q2["earned_tier"], q2["tier"], q2["tier_min_score"]) == ("Silver", "Gold", 90.0)


def test_holding_is_never_a_demotion():
    # v2 reorders the tiers: "Gold" is now below "Silver". The previous Gold (80) compares
    # above the earned Silver (70), but holding "Gold" (50 in v2) would assign less than earned.
    q1 = card_for(85, 70, grace=1)
    shuffled = pd.DataFrame(
        {"version_id": [2, 2, 2], "name": ["Silver", "Gold", "Member"], "min_score": [70.0, 50, 0]}
    )
    q2 = card_for(75, 70, grace=1, previous=as_previous(q1), tiers=shuffled, version_id=2)
    assert (q2["tier"], q2["grace_used"]) == ("Silver", 0)


# -- section 6: renamed tiers -------------------------------------------------------------------


def test_a_renamed_tier_at_the_same_threshold_is_not_a_tier_change():
    q1 = card_for(30, 70)
    assert q1["tier"] == "Member"
    renamed = pd.DataFrame(
        {
            "version_id": [2, 2, 2],
            "name": ["Gold", "Silver", "Registered"],
            "min_score": [80, 60, 0],
        }
    )
    q2 = card_for(30, 70, previous=as_previous(q1), tiers=renamed, version_id=2)
    assert (q2["previous_tier"], q2["tier"], q2["tier_change"]) == ("Member", "Registered", "")


def test_across_versions_direction_compares_thresholds():
    q1 = card_for(85, 70)  # Gold, 80
    v2 = pd.DataFrame(
        {"version_id": [2, 2], "name": ["Platinum", "Member"], "min_score": [70.0, 0.0]}
    )
    q2 = card_for(75, 70, previous=as_previous(q1), tiers=v2, version_id=2)
    assert (q2["tier"], q2["tier_change"]) == ("Platinum", "down")  # 70 < 80, whatever the name


# -- property: grace over many periods ----------------------------------------------------------

MINS = {"Gold": 80.0, "Silver": 60.0, "Member": 0.0}
period_inputs = st.tuples(
    st.one_of(st.sampled_from([0.0, 59.9, 60.0, 79.99, 80.0, 95.0]), st.floats(0, 120)),
    st.one_of(st.none(), st.sampled_from([40.0, 60.0, 100.0]), st.floats(0, 120)),
    st.booleans(),  # False: an insufficient-data period (coverage 0.3)
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grace=st.integers(0, 3), quarters=st.lists(period_inputs, min_size=2, max_size=10))
def test_grace_invariants_over_many_periods(grace, quarters):
    previous, late = None, 0
    prev_assigned = ""
    for score, nps, ok in quarters:
        card = card_for(score, nps, grace=grace, previous=previous, covered=ok)
        assert (card["status"] == "ok") == ok
        tier, earned, used = card["tier"], card["earned_tier"], card["grace_used"]
        assert 0 <= used <= grace
        if used == 0:
            assert tier == earned
        else:
            assert MINS[tier] > MINS[earned]  # held: above what is earned, never below
            assert tier == prev_assigned  # only a tier already held is kept
            assert card["falls_to"] == earned and card["falls_in"] == grace - used + 1
        if tier and prev_assigned and MINS[earned] > MINS[prev_assigned]:
            assert tier == earned  # promotions are never delayed
        late = late + 1 if tier and tier != earned else 0
        assert late <= grace  # a demotion comes at most `grace` periods late
        prev_assigned = tier
        previous = as_previous(card)


# -- section 9: what it takes at risk -----------------------------------------------------------

LINES = [
    guidance.LineFacts("revenue", "higher", 70.0, 0.0, 100.0, None, 84.0, 84.0),
    guidance.LineFacts("nps", "higher", 30.0, 0.0, 50.0, None, 25.0, 50.0),
]
TIER_LIST = [("Platinum", 95.0), ("Gold", 80.0), ("Silver", 60.0), ("Member", 0.0)]


def test_what_it_takes_at_risk_first_keeps_the_held_tier():
    # composite (70 * 84 + 30 * 50) / 100 = 73.8, held Gold (80) on grace, Gold needs nps >= 60
    result = guidance.what_it_takes(
        LINES, "renormalize", TIER_LIST, "Gold", 73.8, {"Gold": [("nps", 60.0)]}, at_risk=True
    )
    assert result.keep and result.next_tier == "Gold"
    assert result.gap == pytest.approx(6.2)
    assert result.unmet == [("nps", 60.0)]
    by_kpi = {need.kpi: need for need in result.needs}
    assert by_kpi["revenue"].needed_score == pytest.approx(84 + 6.2 * 100 / 70)
    assert by_kpi["nps"].needed_score == pytest.approx(50 + 6.2 * 100 / 30)
    assert result.then is not None and not result.then.keep
    assert (result.then.next_tier, result.then.gap) == ("Platinum", pytest.approx(21.2))


def test_what_it_takes_at_risk_with_only_a_requirement_unmet_lists_no_lines():
    result = guidance.what_it_takes(
        LINES, "renormalize", TIER_LIST, "Gold", 84.0, {"Gold": [("nps", 60.0)]}, at_risk=True
    )
    assert (result.gap, result.needs, result.unmet) == (0.0, [], [("nps", 60.0)])


def test_what_it_takes_at_risk_on_the_highest_tier_still_says_how_to_keep_it():
    result = guidance.what_it_takes(LINES, "renormalize", TIER_LIST, "Platinum", 73.8, at_risk=True)
    assert result.keep and result.next_tier == "Platinum" and result.then is None
    assert guidance.what_it_takes(LINES, "renormalize", TIER_LIST, "Platinum", 97.0) is None


def test_what_it_takes_lists_the_next_tiers_unmet_requirements():
    result = guidance.what_it_takes(
        LINES, "renormalize", TIER_LIST, "Silver", 73.8, {"Gold": [("nps", 60.0), ("revenue", 80)]}
    )
    assert not result.keep and result.next_tier == "Gold"
    assert result.unmet == [("nps", 60.0)]  # revenue 84 meets its 80


# -- saving requirements ------------------------------------------------------------------------


@pytest.fixture
def draft(world):
    return version_draft_create(model=world.version.model)


def test_a_requirement_on_a_kpi_outside_the_lines_is_refused(world, draft):
    ModelLine.objects.filter(version=draft, kpi=world.nps).delete()
    requirement = TierRequirement(
        tier=draft.tiers.get(name="Gold"), kpi=world.nps, min_kpi_score=60
    )
    with pytest.raises(ValidationError) as caught:
        requirement.full_clean()
    assert caught.value.message_dict["kpi"] == [
        "Gold cannot require nps: it is not a KPI line of this version "
        "(lines: late_deliveries, revenue)."
    ]


def test_the_entry_tier_cannot_have_requirements(world, draft):
    requirement = TierRequirement(
        tier=draft.tiers.get(name="Member"), kpi=world.nps, min_kpi_score=60
    )
    with pytest.raises(ValidationError) as caught:
        requirement.full_clean()
    assert caught.value.message_dict["tier"] == [
        "Member is the entry tier (min score 0): it cannot have requirements (got one on nps)."
    ]


def test_a_tier_with_requirements_cannot_become_the_entry_tier(world, draft):
    silver = draft.tiers.get(name="Silver")
    TierRequirement.objects.create(tier=silver, kpi=world.nps, min_kpi_score=60)
    draft.tiers.filter(name="Member").delete()
    silver.min_score = 0
    with pytest.raises(ValidationError, match="remove its requirement.s. on nps first"):
        silver.full_clean()


def test_required_kpi_score_is_between_0_and_120(world, draft):
    requirement = TierRequirement(
        tier=draft.tiers.get(name="Gold"), kpi=world.nps, min_kpi_score=121
    )
    with pytest.raises(ValidationError) as caught:
        requirement.full_clean()
    assert "min_kpi_score" in caught.value.message_dict


def test_the_admin_form_shows_the_rule_and_offers_only_draft_tiers(world, draft):
    ModelLine.objects.filter(version=draft, kpi=world.nps).delete()
    gold = draft.tiers.get(name="Gold")
    form = TierRequirementForm(data={"tier": gold.pk, "kpi": world.nps.pk, "min_kpi_score": 60})
    assert not form.is_valid()
    assert "not a KPI line of this version" in form.errors["kpi"][0]
    active_gold = world.version.tiers.get(name="Gold")
    assert active_gold not in form.fields["tier"].queryset
    assert form.fields["tier"].label_from_instance(gold) == "reseller v2: Gold (>= 80)"


def test_publish_refuses_a_requirement_whose_line_was_removed(world, draft):
    TierRequirement.objects.create(
        tier=draft.tiers.get(name="Gold"), kpi=world.nps, min_kpi_score=60
    )
    assert version_problems(draft) == []
    ModelLine.objects.filter(version=draft, kpi=world.nps).delete()
    problems = version_problems(draft)
    assert problems == [
        "Gold cannot require nps: it is not a KPI line of this version "
        "(lines: late_deliveries, revenue)."
    ]
    with pytest.raises(ValidationError):
        version_publish(version=draft)
    assert ScoringModelVersion.objects.get(pk=draft.pk).status == "draft"


def test_a_new_draft_copies_requirements_grace_and_approval(world):
    version = world.version
    version.demotion_grace, version.tier_changes_need_approval = 2, True
    version.save()
    TierRequirement.objects.create(
        tier=version.tiers.get(name="Gold"), kpi=world.nps, min_kpi_score=60
    )
    draft = version_draft_create(model=version.model)
    assert (draft.demotion_grace, draft.tier_changes_need_approval) == (2, True)
    copied = TierRequirement.objects.get(tier__version=draft)
    assert (copied.tier.name, copied.kpi, copied.min_kpi_score) == ("Gold", world.nps, 60)
    assert Tier.objects.get(pk=copied.tier_id).version == draft
    assert copied.history.count() == 1  # the copy is in the audit trail too


def test_demotion_grace_is_bounded(world):
    world.version.demotion_grace = 13
    with pytest.raises(ValidationError) as caught:
        world.version.full_clean()
    assert "demotion_grace" in caught.value.message_dict
