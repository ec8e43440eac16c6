"""Reminders (feedback/reminders.py) on a chosen `today`: assessments not submitted near the
period's end, surveys unanswered, actions overdue; each once (idempotent keys)."""

import datetime as dt

import pytest
from django.utils import timezone

from assessments.models import Assessment
from feedback.models import (
    ActionStatus,
    Alert,
    AlertKind,
    ImprovementPlan,
    PlanAction,
    Survey,
    SurveyRequest,
)
from feedback.reminders import reminders_raise
from partners.models import Partner
from tests.feedback.alerts_world import alerts_of

NEAR_Q3_END = dt.date(2026, 9, 20)  # Q3 2026 ends on 30 Sep: 10 days left


def due_of(user, period) -> list[Alert]:
    return [a for a in alerts_of(user, AlertKind.ASSESSMENT_DUE) if a.period == period]


def test_assessments_due_near_the_end_one_alert_per_manager(world):
    Assessment.objects.create(partner=world.globex, period=world.q3, status="draft")
    reminders_raise(today=NEAR_Q3_END)
    (due,) = due_of(world.manager, world.q3)
    assert due.title == "2026-Q3: 2 partners still to assess"  # a draft is not submitted
    assert "2026-Q3 ends on 30 Sep 2026 (in 10 days)" in due.body
    assert due.url == "/assessments/?period=2026-Q3&status=not_submitted"
    assert due.period == world.q3 and due.partner is None
    reminders_raise(today=NEAR_Q3_END + dt.timedelta(days=1))
    assert len(due_of(world.manager, world.q3)) == 1  # once per period
    (q2,) = due_of(world.manager, world.q2)  # ended, and still open
    assert "2026-Q2 ended on 30 Jun 2026" in q2.body


def test_no_assessment_reminder_too_early_or_when_all_are_submitted(world):
    reminders_raise(today=dt.date(2026, 9, 1))  # 29 days before the end
    assert due_of(world.manager, world.q3) == []
    for partner in (world.acme, world.globex):
        Assessment.objects.create(partner=partner, period=world.q3, status="submitted")
    reminders_raise(today=NEAR_Q3_END)
    assert not Alert.objects.filter(kind=AlertKind.ASSESSMENT_DUE, period=world.q3).exists()


def test_assessment_reminder_counts_only_the_managers_own_partners(world):
    other = world.admin
    Partner.objects.filter(pk=world.globex.pk).update(manager=other)
    reminders_raise(today=NEAR_Q3_END)
    assert due_of(world.manager, world.q3)[0].title == "2026-Q3: 1 partner still to assess"
    assert due_of(other, world.q3)[0].title == "2026-Q3: 1 partner still to assess"


@pytest.fixture
def survey_request(world):
    survey = Survey.objects.create(name="Partner relationship", audience="partner")
    request = SurveyRequest.objects.create(
        survey=survey, period=world.q3, partner=world.acme, user=world.acme_user
    )
    asked = timezone.make_aware(dt.datetime(2026, 9, 1, 9, 0))
    SurveyRequest.objects.filter(pk=request.pk).update(created_at=asked)
    request.refresh_from_db()
    return request


def test_an_unanswered_survey_reminds_its_portal_user_once(world, survey_request):
    reminders_raise(today=dt.date(2026, 9, 5))  # asked 4 days ago: not yet
    assert alerts_of(world.acme_user) == []
    reminders_raise(today=dt.date(2026, 9, 8))  # 7 days (REMIND_SURVEY_DAYS)
    (due,) = alerts_of(world.acme_user, AlertKind.SURVEY_DUE)
    assert due.title == "Survey waiting for your answer: Partner relationship (2026-Q3)"
    assert "You were asked on 1 Sep 2026" in due.body
    assert due.url == "/portal/surveys/" and due.partner == world.acme
    reminders_raise(today=dt.date(2026, 9, 9))
    assert len(alerts_of(world.acme_user)) == 1
    assert alerts_of(world.globex_user) == []


def test_an_answered_survey_reminds_nobody(world, survey_request):
    SurveyRequest.objects.filter(pk=survey_request.pk).update(answered_at=timezone.now())
    reminders_raise(today=dt.date(2026, 9, 20))
    assert alerts_of(world.acme_user) == []


@pytest.fixture
def plan(world):
    return ImprovementPlan.objects.create(partner=world.acme, period=world.q3)


def test_an_overdue_action_alerts_its_owner_and_the_manager_once(world, plan):
    action = PlanAction.objects.create(
        plan=plan, title="Train two engineers", owner=world.acme_user, due_on=dt.date(2026, 9, 1)
    )
    PlanAction.objects.create(  # done: never overdue
        plan=plan,
        title="Done already",
        owner=world.acme_user,
        due_on=dt.date(2026, 8, 1),
        status=ActionStatus.DONE,
    )
    reminders_raise(today=dt.date(2026, 9, 1))  # due today: not overdue yet
    assert not Alert.objects.filter(kind=AlertKind.ACTION_OVERDUE).exists()
    reminders_raise(today=dt.date(2026, 9, 4))
    (owner,) = alerts_of(world.acme_user, AlertKind.ACTION_OVERDUE)
    (manager,) = alerts_of(world.manager, AlertKind.ACTION_OVERDUE)
    assert owner.title == manager.title == "Overdue: Train two engineers (Acme Corp)"
    assert "was due on 1 Sep 2026 (3 days ago) and is still open" in owner.body
    assert owner.url == "/portal/plan/?period=2026-Q3"
    assert manager.url == "/partners/ACME/plan/?period=2026-Q3"
    assert owner.key == manager.key == f"action_overdue:action{action.pk}"
    reminders_raise(today=dt.date(2026, 9, 5))
    assert Alert.objects.filter(kind=AlertKind.ACTION_OVERDUE).count() == 2


def test_an_action_owned_by_the_manager_alerts_once(world, plan):
    PlanAction.objects.create(
        plan=plan, title="Call the CEO", owner=world.manager, due_on=dt.date(2026, 9, 1)
    )
    reminders_raise(today=dt.date(2026, 9, 4))
    assert Alert.objects.filter(kind=AlertKind.ACTION_OVERDUE).count() == 1
    assert alerts_of(world.acme_user) == []
