"""The assessment workflow (assessments/reviews.py): every allowed transition, the forbidden
ones with their messages, and ratings -> KPI values -> scores end to end (SCORING.md 2)."""

import pytest
from django.core.exceptions import ValidationError

from assessments.models import (
    Assessment,
    AssessmentRating,
    AssessmentStatus,
    AssessmentTransition,
    Scorecard,
    ScorecardLine,
)
from assessments.reviews import (
    assessment_acknowledge,
    assessment_actions,
    assessment_create,
    assessment_reopen,
    assessment_save,
    assessment_share,
    assessment_submit,
)
from assessments.services import scorecards_recompute
from kpis.models import ModelLine, PeriodStatus, RecomputeMark
from tests.api.conftest import scored_build
from tests.assessments.reviews_world import Qualitative, qualitative_build

S = AssessmentStatus


@pytest.fixture
def q(world) -> Qualitative:
    return qualitative_build(world)


def _rated(world, q, partner=None, ratings=(4, 3)) -> Assessment:
    a = assessment_create(partner=partner or world.globex, period=world.q3, by=world.manager)
    assessment_save(
        assessment=a,
        by=world.manager,
        ratings={q.relationship.pk: ratings[0], q.communication.pk: ratings[1]},
    )
    return a


def _refused(call, message: str) -> None:
    with pytest.raises(ValidationError) as refusal:
        call()
    assert message in " ".join(refusal.value.messages)


# -- the allowed transitions -------------------------------------------------------------------


def test_a_draft_has_one_empty_rating_per_qualitative_kpi_of_the_partners_model(world, q):
    a = assessment_create(partner=world.globex, period=world.q3, by=world.manager)
    rows = list(a.ratings.order_by("kpi__code").values_list("kpi__code", "rating"))
    assert rows == [("communication", None), ("relationship", None)]  # not the unused one
    assert a.status == S.DRAFT and a.assessor == world.manager
    t = a.transitions.get()
    assert (t.from_status, t.to_status, t.by) == ("", S.DRAFT, world.manager)


def test_a_partner_whose_model_rates_nothing_gets_every_qualitative_kpi(world, q):
    ModelLine.objects.filter(kpi__source="assessment").delete()
    a = assessment_create(partner=world.globex, period=world.q3, by=world.manager)
    assert a.ratings.count() == 3


def test_saving_a_draft_writes_ratings_comments_and_summary(world, q):
    a = assessment_create(partner=world.globex, period=world.q3, by=world.manager)
    assessment_save(
        assessment=a,
        by=world.manager,
        ratings={q.relationship.pk: 5, q.communication.pk: None},
        comments={q.relationship.pk: "  Weekly calls  "},
        summary="Strong quarter.",
    )
    row = a.ratings.get(kpi=q.relationship)
    assert (row.rating, row.comment) == (5, "Weekly calls")
    assert a.ratings.get(kpi=q.communication).rating is None
    assert Assessment.objects.get(pk=a.pk).summary == "Strong quarter."


def test_submit_share_acknowledge_record_who_and_when(world, q):
    a = _rated(world, q)
    assessment_submit(assessment=a, by=world.manager, note="Done")
    assessment_share(assessment=a, by=world.manager)
    done = assessment_acknowledge(assessment=a, by=world.globex_user, response=" Thanks, agreed. ")
    assert done.status == S.ACKNOWLEDGED and done.partner_response == "Thanks, agreed."
    steps = list(a.transitions.values_list("from_status", "to_status", "by", "note"))
    assert steps == [
        ("", S.DRAFT, world.manager.pk, ""),
        (S.DRAFT, S.SUBMITTED, world.manager.pk, "Done"),
        (S.SUBMITTED, S.SHARED, world.manager.pk, ""),
        (S.SHARED, S.ACKNOWLEDGED, world.globex_user.pk, "Thanks, agreed."),
    ]
    assert all(t.at is not None for t in a.transitions.all())


@pytest.mark.parametrize("shared", [False, True])
def test_a_manager_reopens_a_submitted_or_shared_assessment_to_draft(world, q, shared):
    a = _rated(world, q)
    assessment_submit(assessment=a, by=world.manager)
    if shared:
        assessment_share(assessment=a, by=world.manager)
    back = assessment_reopen(assessment=a, by=world.manager, note="Fix a typo")
    assert back.status == S.DRAFT
    last = a.transitions.last()
    assert (last.from_status, last.to_status, last.note) == (
        S.SHARED if shared else S.SUBMITTED,
        S.DRAFT,
        "Fix a typo",
    )


def test_the_buttons_offered_follow_the_state_and_the_user(world, q):
    a = _rated(world, q)
    names = lambda user: [t.action for t in assessment_actions(assessment=a, user=user)]  # noqa: E731
    assert names(world.manager) == ["submit"]
    assert names(world.globex_user) == []
    assessment_submit(assessment=a, by=world.manager)
    a.refresh_from_db()
    assert names(world.manager) == ["share", "reopen"]
    assessment_share(assessment=a, by=world.manager)
    a.refresh_from_db()
    assert names(world.manager) == ["reopen"]
    assert names(world.globex_user) == ["acknowledge"]
    assert names(world.acme_user) == []


# -- forbidden transitions ---------------------------------------------------------------------


def test_acknowledging_or_sharing_a_draft_is_refused(world, q):
    a = _rated(world, q)
    _refused(
        lambda: assessment_acknowledge(assessment=a, by=world.globex_user),
        "Cannot acknowledge an assessment that is draft: only a shared one can be acknowledged.",
    )
    _refused(
        lambda: assessment_share(assessment=a, by=world.manager),
        "Cannot share an assessment that is draft: only a submitted one can be shared.",
    )
    assert Assessment.objects.get(pk=a.pk).status == S.DRAFT
    assert a.transitions.count() == 1


def test_editing_a_submitted_assessment_is_refused_and_changes_nothing(world, q):
    a = _rated(world, q)
    assessment_submit(assessment=a, by=world.manager)
    _refused(
        lambda: assessment_save(assessment=a, by=world.manager, ratings={q.relationship.pk: 1}),
        "This assessment is submitted: only a draft can be edited (reopen it first).",
    )
    assert a.ratings.get(kpi=q.relationship).rating == 4


def test_submitting_twice_is_refused(world, q):
    a = _rated(world, q)
    assessment_submit(assessment=a, by=world.manager)
    _refused(
        lambda: assessment_submit(assessment=a, by=world.manager),
        "Cannot submit an assessment that is submitted: only a draft one can be submitted.",
    )


def test_a_partner_user_cannot_submit_share_or_reopen(world, q):
    a = _rated(world, q)
    _refused(
        lambda: assessment_submit(assessment=a, by=world.globex_user),
        "Only a channel manager of Globex can submit its assessment.",
    )
    _refused(
        lambda: assessment_save(assessment=a, by=world.globex_user, ratings={}),
        "Only a channel manager of Globex can edit its assessment.",
    )
    _refused(
        lambda: assessment_create(partner=world.acme, period=world.q3, by=world.acme_user),
        "Only a channel manager of Acme Corp can assess it.",
    )


def test_only_the_partners_own_users_acknowledge(world, q):
    a = _rated(world, q)
    assessment_submit(assessment=a, by=world.manager)
    assessment_share(assessment=a, by=world.manager)
    for other in (world.acme_user, world.manager):
        _refused(
            lambda other=other: assessment_acknowledge(assessment=a, by=other),
            "Only Globex's own portal users can acknowledge its assessment.",
        )
    assert Assessment.objects.get(pk=a.pk).status == S.SHARED


def test_an_acknowledged_assessment_cannot_be_reopened(world, q):
    a = _rated(world, q)
    for step in (assessment_submit, assessment_share):
        step(assessment=a, by=world.manager)
    assessment_acknowledge(assessment=a, by=world.globex_user)
    _refused(
        lambda: assessment_reopen(assessment=a, by=world.manager),
        "Cannot reopen an assessment that is acknowledged: only a submitted or shared one",
    )


def test_submitting_with_a_missing_rating_names_the_criterion(world, q):
    a = assessment_create(partner=world.globex, period=world.q3, by=world.manager)
    assessment_save(assessment=a, by=world.manager, ratings={q.relationship.pk: 3})
    _refused(
        lambda: assessment_submit(assessment=a, by=world.manager),
        "Rate every criterion before submitting: Communication has no rating.",
    )
    assert Assessment.objects.get(pk=a.pk).status == S.DRAFT


@pytest.mark.parametrize("bad", [0, 6, "4", 2.5, True])
def test_a_rating_outside_1_to_5_refuses_the_whole_save(world, q, bad):
    a = assessment_create(partner=world.globex, period=world.q3, by=world.manager)
    _refused(
        lambda: assessment_save(
            assessment=a,
            by=world.manager,
            ratings={q.communication.pk: 4, q.relationship.pk: bad},
            summary="half",
        ),
        "The rating of Relationship strength must be a whole number from 1 to 5",
    )
    assert not a.ratings.filter(rating__isnull=False).exists()
    assert Assessment.objects.get(pk=a.pk).summary == ""


def test_rating_a_kpi_the_assessment_does_not_rate_is_refused(world, q):
    a = assessment_create(partner=world.globex, period=world.q3, by=world.manager)
    _refused(
        lambda: assessment_save(assessment=a, by=world.manager, ratings={q.unused.pk: 3}),
        "This assessment does not rate KPI id(s)",
    )


def test_a_second_assessment_of_the_same_partner_and_period_is_refused(world, q):
    assessment_create(partner=world.globex, period=world.q3, by=world.manager)
    _refused(
        lambda: assessment_create(partner=world.globex, period=world.q3, by=world.manager),
        "Globex already has an assessment for 2026-Q3.",
    )
    assert Assessment.objects.count() == 1


def test_everything_in_a_closed_period_is_refused(world, q):
    a = _rated(world, q)
    assessment_submit(assessment=a, by=world.manager)
    world.q3.status = PeriodStatus.CLOSED
    world.q3.save()
    closed = "{}'s assessment falls in the closed period 2026-Q3: its inputs are frozen"
    for call in (
        lambda: assessment_share(assessment=a, by=world.manager),
        lambda: assessment_reopen(assessment=a, by=world.manager),
        lambda: assessment_save(assessment=a, by=world.manager, ratings={}),
    ):
        _refused(call, closed.format("Globex"))
    _refused(
        lambda: assessment_create(partner=world.acme, period=world.q3, by=world.manager),
        closed.format("Acme Corp"),
    )
    assert Assessment.objects.get(pk=a.pk).status == S.SUBMITTED


def test_a_stale_page_cannot_move_an_assessment_twice(world, q):
    """Two clicks on Submit (two requests holding the same draft): one wins, the other is told."""
    a = _rated(world, q)
    first, second = Assessment.objects.get(pk=a.pk), Assessment.objects.get(pk=a.pk)
    assessment_submit(assessment=first, by=world.manager)
    _refused(lambda: assessment_submit(assessment=second, by=world.manager), "Cannot submit")
    assert a.transitions.filter(to_status=S.SUBMITTED).count() == 1


# -- ratings -> KPI values -> scores -----------------------------------------------------------


def _line(world, q):
    return ScorecardLine.objects.get(
        period_id=world.q3.pk, partner_id=world.globex.pk, kpi_id=q.relationship.pk
    )


def _score(world) -> float | None:
    return Scorecard.objects.get(period=world.q3, partner=world.globex).score


def test_a_submitted_rating_becomes_the_kpi_value_and_moves_the_score(world, q):
    scored_build(world)
    before = _score(world)
    assert _line(world, q).value is None  # nothing rated yet
    a = _rated(world, q, ratings=(5, 5))
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    assert _line(world, q).value is None, "a draft does not count"
    assert _score(world) == pytest.approx(before)

    assessment_submit(assessment=a, by=world.manager)
    assert RecomputeMark.objects.filter(period=world.q3, partner=world.globex).exists()
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    line = _line(world, q)
    assert line.value == 5.0 and line.score == pytest.approx(120.0)
    rated = _score(world)
    assert rated > before

    assessment_reopen(assessment=a, by=world.manager)
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    assert _line(world, q).value is None, "a reopened assessment stops counting"
    assert _score(world) == pytest.approx(before)


def test_a_low_rating_lowers_the_score(world, q):
    scored_build(world)
    before = _score(world)
    a = _rated(world, q, ratings=(1, 1))
    assessment_submit(assessment=a, by=world.manager)
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    assert _line(world, q).value == 1.0 and _line(world, q).score == 0
    assert _score(world) < before


def test_sharing_and_acknowledging_keep_the_ratings_counting(world, q):
    scored_build(world)
    a = _rated(world, q, ratings=(3, 4))
    assessment_submit(assessment=a, by=world.manager)
    assessment_share(assessment=a, by=world.manager)
    assessment_acknowledge(assessment=a, by=world.globex_user)
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    assert _line(world, q).value == 3.0
    assert AssessmentRating.objects.filter(assessment=a, rating__isnull=False).count() == 2
    assert AssessmentTransition.objects.filter(assessment=a).count() == 4
