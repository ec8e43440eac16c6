"""Improvement plans on the scored world (tests/api/conftest.py: ACME Member in 2026-Q2 and Gold
in Q3, GLOBEX the other way, SCORING.md examples 1 and 2): pre-fill from "what it takes", the
owner rule, sign-off, the roll-up with a controlled date, and the "did the KPIs move" panel on
the next period's scorecard."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from assessments.partner_selectors import scorecard_page
from feedback import plan_outcomes, plans
from feedback.models import ImprovementPlan, PlanAction
from partners.access import MANAGERS_GROUP

pytestmark = pytest.mark.usefixtures("scored_module")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def globex_q3_plan(world) -> ImprovementPlan:
    return plans.plan_create(partner=world.globex, period=world.q3, user=world.manager, goal="Up")


def action(plan, world, **fields) -> PlanAction:
    fields = {"title": "Do it", "owner": world.manager, "due_on": dt.date(2026, 10, 15)} | fields
    return plans.action_add(plan=plan, user=world.manager, **fields)


# -- pre-fill from what it takes ----------------------------------------------------------------


def test_prefill_equals_what_it_takes_on_the_scorecard(world, scored):
    """GLOBEX in Q3 is example 2 (Member, 28.571): to Silver it takes at most 9 late
    deliveries or at least 112,500 revenue; NPS (no value) is out of reach."""
    plan = globex_q3_plan(world)
    made = {(a.kpi.code, a.aim_value, a.baseline_value) for a in plan.actions.all()}
    page = scorecard_page(partner=world.globex, period_code="2026-Q3", show_peers=True)
    shown = {
        (n.line.kpi.code, n.value, n.line.value) for n in page.needs if not n.need.out_of_reach
    }
    assert made == shown
    assert {(code, round(aim, 6)) for code, aim, _ in made} == {
        ("late_deliveries", 9.0),
        ("revenue", 112500.0),
    }
    assert {code: base for code, _, base in made} == {"late_deliveries": 25, "revenue": 50000}
    assert all(a.due_on == world.q3.end and a.owner == world.manager for a in plan.actions.all())


def test_an_action_on_a_kpi_without_an_aim_takes_what_it_takes(world, scored):
    plan = plans.plan_create(
        partner=world.globex, period=world.q3, user=world.manager, prefill=False
    )
    added = action(plan, world, kpi=world.revenue, title="")
    assert (added.aim_value, added.baseline_value) == (112500.0, 50000)
    assert added.title == "Improve Revenue"
    chosen = action(plan, world, kpi=world.revenue, aim_value=130000)
    assert chosen.aim_value == 130000


def test_a_second_plan_for_the_same_period_is_refused(world, scored):
    globex_q3_plan(world)
    with pytest.raises(ValidationError, match="already has a plan for 2026-Q3"):
        globex_q3_plan(world)


# -- owner rule ---------------------------------------------------------------------------------


def test_owner_is_a_manager_of_the_partner_or_one_of_its_portal_users(world, scored):
    plan = globex_q3_plan(world)
    assert action(plan, world, owner=world.globex_user).owner == world.globex_user
    stranger = User.objects.create_user("stranger")
    stranger.groups.add(Group.objects.get(name=MANAGERS_GROUP))
    for refused in (world.acme_user, stranger, User.objects.create_user("nobody")):
        with pytest.raises(ValidationError, match="neither a manager of Globex"):
            action(plan, world, owner=refused)
    with pytest.raises(ValidationError):
        plans.action_update(action=plan.actions.first(), user=world.manager, owner=world.acme_user)
    assert plan.actions.filter(owner__in=[world.acme_user, stranger]).count() == 0


def test_a_partner_user_changes_only_the_status_of_their_own_actions(world, scored):
    plan = globex_q3_plan(world)
    own = action(plan, world, owner=world.globex_user)
    managers = action(plan, world, owner=world.manager)
    plans.action_update(action=own, user=world.globex_user, status="done")
    assert PlanAction.objects.get(pk=own.pk).done_at is not None
    with pytest.raises(PermissionDenied, match="only the actions you own"):
        plans.action_update(action=managers, user=world.globex_user, status="done")
    with pytest.raises(PermissionDenied, match="content"):
        plans.action_update(action=own, user=world.globex_user, title="Renamed")
    with pytest.raises(PermissionDenied):
        plans.action_update(action=own, user=world.acme_user, status="open")
    assert PlanAction.objects.get(pk=managers.pk).status == "open"
    assert PlanAction.objects.get(pk=own.pk).title == "Do it"


# -- sign-off -----------------------------------------------------------------------------------


def test_the_partners_user_signs_off_and_a_later_change_is_shown(world, scored):
    plan = globex_q3_plan(world)
    for refused in (world.manager, world.acme_user):
        with pytest.raises(PermissionDenied):
            plans.plan_sign_off(plan=plan, user=refused)
    plans.plan_sign_off(plan=plan, user=world.globex_user)
    plan.refresh_from_db()
    assert plan.signed_off_by == world.globex_user and plan.signed_off_at is not None
    with pytest.raises(ValidationError, match="Already signed off"):
        plans.plan_sign_off(plan=plan, user=world.globex_user)
    # a status change is progress, not a change of the plan
    plans.action_update(action=plan.actions.first(), user=world.manager, status="in_progress")
    assert not plans.changed_after_sign_off(ImprovementPlan.objects.get(pk=plan.pk))
    action(plan, world, title="One more")
    changed = ImprovementPlan.objects.get(pk=plan.pk)
    assert plans.changed_after_sign_off(changed)
    body = client_for(world.globex_user).get("/portal/plan/").content.decode()
    assert "The actions changed after the sign-off" in body and "Sign off the changed plan" in body
    plans.plan_sign_off(plan=changed, user=world.globex_user)  # signing again is allowed now


def test_an_empty_plan_cannot_be_signed_off(world, scored):
    plan = plans.plan_create(
        partner=world.globex, period=world.q3, user=world.manager, prefill=False
    )
    with pytest.raises(ValidationError, match="no actions"):
        plans.plan_sign_off(plan=plan, user=world.globex_user)


# -- roll-up ------------------------------------------------------------------------------------


def test_rollup_counts_done_total_and_overdue_on_a_given_day(world, scored):
    plan = plans.plan_create(
        partner=world.globex, period=world.q3, user=world.manager, prefill=False
    )
    due = dt.date(2026, 10, 15)
    for status in ("done", "open", "in_progress", "dropped", "open"):
        action(plan, world, status=status, due_on=due)
    action(plan, world, status="open", due_on=dt.date(2026, 11, 30))
    before = plans.plan_progress(plan, today=due)  # due on the day: not overdue yet
    after = plans.plan_progress(plan, today=due + dt.timedelta(days=1))
    assert (before.done, before.total, before.overdue) == (1, 5, 0)
    assert (after.done, after.total, after.overdue) == (1, 5, 3)  # open, in progress, open
    assert after.percent == 20


def test_portfolio_rollup_and_the_list_filters(world, scored):
    late = plans.plan_create(
        partner=world.globex, period=world.q3, user=world.manager, prefill=False
    )
    action(late, world, owner=world.globex_user, due_on=dt.date(2026, 10, 1))
    plans.plan_sign_off(plan=late, user=world.globex_user)
    fine = plans.plan_create(partner=world.acme, period=world.q3, user=world.manager, prefill=False)
    action(fine, world, due_on=dt.date(2027, 1, 1), status="done")
    day = dt.date(2026, 11, 1)
    everything = plans.PlanFilters()
    totals = plans.portfolio_progress(user=world.manager, filters=everything, today=day)
    assert totals == {"plans": 2, "unsigned": 1, "done": 1, "total": 2, "overdue": 1}

    def listed(**filters) -> set[int]:
        found = plans.plans_list(
            user=world.manager, filters=plans.PlanFilters(**filters), today=day
        )
        return {p.pk for p in found}

    assert listed(overdue=True) == {late.pk}
    assert listed(unsigned=True) == {fine.pk}
    assert listed(partner="ACME") == {fine.pk}
    assert listed(period="2026-Q2") == set()
    page = client_for(world.manager).get("/plans/", {"unsigned": "1"})
    assert [p.pk for p in page.context["page"]] == [fine.pk]
    assert plans.plans_list(user=world.acme_user, filters=everything).get() == fine


# -- did the linked KPIs move? -------------------------------------------------------------------


def test_next_periods_scorecard_shows_whether_the_plans_kpis_moved(world, scored):
    """ACME's Q2 plan (example 2's values: revenue 50,000, 25 late deliveries, no NPS); its Q3
    scorecard has revenue 120,000, 8 late deliveries and an NPS of 35."""
    plan = plans.plan_create(partner=world.acme, period=world.q2, user=world.manager)
    aims = {a.kpi.code: a.aim_value for a in plan.actions.all()}
    assert aims == {"late_deliveries": pytest.approx(9), "revenue": pytest.approx(112500)}
    action(plan, world, kpi=world.revenue, aim_value=150000, title="Stretch")
    action(plan, world, kpi=world.nps, aim_value=50, title="NPS")
    outcomes = plan_outcomes.plan_outcomes(plan)
    assert outcomes.period == world.q3
    verdicts = {(o.action.title, o.now, o.verdict) for o in outcomes.rows}
    assert verdicts == {
        ("Late deliveries: at most 9", 8, "reached"),
        ("Revenue: at least 112,500 USD", 120000, "reached"),
        ("Stretch", 120000, "moved"),
        ("NPS", 35, "not_moved"),
    }
    page = client_for(world.manager)
    q3 = page.get("/partners/ACME/?period=2026-Q3").content.decode()
    assert "The 2026-Q2 plan: did its KPIs move?" in q3
    assert "moved towards the aim" in q3 and "reached" in q3
    q2 = page.get("/partners/ACME/?period=2026-Q2").content.decode()
    assert "did its KPIs move?" not in q2 and "Improvement plan 2026-Q2:" in q2
    assert (
        "moved towards the aim" in page.get("/partners/ACME/plan/?period=2026-Q2").content.decode()
    )


def test_the_assessment_page_links_the_periods_plan_feedback_and_meetings(world, scored):
    """The review is one conversation: the assessment page shows the same panel."""
    globex_q3_plan(world)
    body = client_for(world.manager).get("/partners/GLOBEX/assessment/?period=2026-Q3")
    html = body.content.decode()
    assert 'id="feedback-loop"' in html and "/partners/GLOBEX/plan/?period=2026-Q3" in html
    assert "/partners/GLOBEX/meetings/" in html and "Send feedback" in html


def test_verdicts_follow_the_kpis_direction():
    lower = dict(direction="lower", baseline=25, aim=9)
    assert plan_outcomes.verdict(now=9.0000000001, **lower) == "reached"  # 9 decimals
    assert plan_outcomes.verdict(now=12, **lower) == "moved"
    assert plan_outcomes.verdict(now=25, **lower) == "not_moved"
    assert plan_outcomes.verdict(now=30, **lower) == "worse"  # more late deliveries
    assert plan_outcomes.verdict(now=None, **lower) == "no_value"
    assert plan_outcomes.verdict(direction="higher", baseline=10, aim=20, now=10) == "not_moved"


# -- pages and isolation ------------------------------------------------------------------------


def test_manager_creates_a_prefilled_plan_and_adds_an_action_on_the_page(world, scored):
    page = client_for(world.manager)
    page.post(
        "/partners/GLOBEX/plan/?period=2026-Q3", {"op": "create", "prefill": "on", "goal": "G"}
    )
    plan = ImprovementPlan.objects.get(partner=world.globex, period=world.q3)
    assert plan.actions.count() == 2 and plan.goal == "G"
    response = page.post(
        "/partners/GLOBEX/plan/?period=2026-Q3",
        {"op": "add", "title": "Call", "owner": "acme", "due_on": "2026-10-01", "status": "open"},
    )
    assert response.status_code == 400  # ACME's user may not own GLOBEX's action
    page.post(
        "/partners/GLOBEX/plan/?period=2026-Q3",
        {"op": "add", "title": "Call", "owner": "globex", "due_on": "2026-10-01", "status": "open"},
    )
    assert plan.actions.get(title="Call").owner == world.globex_user
    body = page.get("/partners/GLOBEX/plan/?period=2026-Q3").content.decode()
    assert "Call" in body and "0 / 3" in body


def test_partner_marks_own_action_done_and_signs_off_in_the_portal(world, scored):
    plan = globex_q3_plan(world)
    own = action(plan, world, owner=world.globex_user)
    page = client_for(world.globex_user)
    page.post("/portal/plan/", {"period": "2026-Q3", "action": own.pk, "status": "done"})
    page.post("/portal/plan/", {"period": "2026-Q3", "op": "sign"})
    plan.refresh_from_db()
    assert PlanAction.objects.get(pk=own.pk).status == "done"
    assert plan.signed_off_by == world.globex_user


def test_partner_user_cannot_open_other_partners_plan(world, scored):
    plan = globex_q3_plan(world)
    theirs = plan.actions.first()
    theirs.owner = world.globex_user
    theirs.save()
    page = client_for(world.acme_user)
    assert page.get("/portal/plan/?partner=GLOBEX").status_code == 404
    assert "Globex" not in page.get("/portal/plan/").content.decode()
    response = page.post("/portal/plan/", {"action": theirs.pk, "status": "done"})
    assert response.status_code in (302, 404)
    assert page.get("/partners/GLOBEX/plan/").status_code == 404
    assert page.get("/plans/").status_code == 404
    api = client_for(world.acme_user)
    assert api.get(f"/api/v1/plans/{plan.pk}/").status_code == 404
    assert api.get(f"/api/v1/plan-actions/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/plans/{plan.pk}/sign-off/").status_code == 404
    patched = api.patch(
        f"/api/v1/plan-actions/{theirs.pk}/", {"status": "done"}, content_type="application/json"
    )
    assert patched.status_code == 404
    assert api.get("/api/v1/plans/").json()["count"] == 0
    assert PlanAction.objects.get(pk=theirs.pk).status == "open"
    assert ImprovementPlan.objects.get(pk=plan.pk).signed_off_at is None


def test_api_plan_sign_off_and_own_action_status(world, scored):
    plan = globex_q3_plan(world)
    own = action(plan, world, owner=world.globex_user)
    api = client_for(world.globex_user)
    done = api.patch(
        f"/api/v1/plan-actions/{own.pk}/", {"status": "done"}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    renamed = api.patch(
        f"/api/v1/plan-actions/{own.pk}/", {"title": "x"}, content_type="application/json"
    )
    assert renamed.status_code == 403
    signed = api.post(f"/api/v1/plans/{plan.pk}/sign-off/")
    assert signed.status_code == 200 and signed.json()["signed_off_by"] == "globex"
    detail = client_for(world.manager).get(f"/api/v1/plans/{plan.pk}/").json()
    assert (detail["done"], detail["total"]) == (1, 3)


def test_api_manager_creates_a_prefilled_plan(world, scored):
    api = client_for(world.manager)
    made = api.post(
        "/api/v1/plans/",
        {"partner": "GLOBEX", "period": "2026-Q3", "goal": "Silver"},
        content_type="application/json",
    )
    assert made.status_code == 201
    assert {a["kpi"]: a["aim_value"] for a in made.json()["actions"]} == {
        "late_deliveries": pytest.approx(9),
        "revenue": pytest.approx(112500),
    }
    again = api.post(
        "/api/v1/plans/",
        {"partner": "GLOBEX", "period": "2026-Q3"},
        content_type="application/json",
    )
    assert again.status_code == 400 and "already has a plan" in str(again.json())


def test_plans_list_costs_the_same_queries_with_more_plans(
    world, scored, django_assert_max_num_queries
):
    page = client_for(world.manager)
    globex_q3_plan(world)
    page.get("/plans/")  # warm the session and the role
    with django_assert_max_num_queries(10):  # 9 + the header's unread-alerts badge
        assert page.get("/plans/").status_code == 200
    for period in (world.q2, world.q3):
        plans.plan_create(partner=world.acme, period=period, user=world.manager)
    with django_assert_max_num_queries(10):
        body = page.get("/plans/").content.decode()
    assert body.count("/partners/ACME/plan/?period=") == 2
