"""The assessment pages: the managers' list (counts, filter, constant queries), one partner's
assessment page (form, buttons, history, scorecard beside it) and the portal's tab; partner
isolation on every one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import Assessment, AssessmentStatus
from assessments.reviews import (
    assessment_create,
    assessment_save,
    assessment_share,
    assessment_submit,
)
from partners.models import Partner
from tests.api.conftest import scored_build
from tests.assessments.reviews_world import qualitative_build

S = AssessmentStatus


@pytest.fixture
def q(world):
    return qualitative_build(world)


def _shared(world, q, partner=None, status=S.SHARED) -> Assessment:
    a = assessment_create(partner=partner or world.globex, period=world.q3, by=world.manager)
    assessment_save(
        assessment=a,
        by=world.manager,
        ratings={q.relationship.pk: 4, q.communication.pk: 2},
        comments={q.relationship.pk: "Weekly pipeline calls"},
        summary="A solid quarter.",
    )
    if status != S.DRAFT:
        assessment_submit(assessment=a, by=world.manager)
    if status == S.SHARED:
        assessment_share(assessment=a, by=world.manager)
    return a


# -- the managers' list ------------------------------------------------------------------------


def test_the_list_counts_partners_by_assessment_status_and_filters(client, world, q):
    _shared(world, q, world.globex, S.SUBMITTED)
    client.force_login(world.manager)
    page = client.get("/assessments/", {"period": "2026-Q3"})
    assert page.status_code == 200
    counts = page.context["listing"].counts
    assert counts["submitted"] == 1 and counts["not_started"] == 1 and counts["draft"] == 0
    assert "Acme Corp" in page.content.decode() and "Globex" in page.content.decode()
    only = client.get("/assessments/", {"period": "2026-Q3", "status": "not_started"})
    names = [p.code for p in only.context["listing"].page.object_list]
    assert names == ["ACME"]


def test_the_reminders_filter_lists_partners_not_started_or_in_draft(client, world, q):
    """What the "assessments due" alert links to (feedback/reminders.py)."""
    assessment_create(partner=world.globex, period=world.q3, by=world.manager)
    client.force_login(world.manager)
    page = client.get("/assessments/", {"period": "2026-Q3", "status": "not_submitted"})
    assert page.context["listing"].counts["not_submitted"] == 2
    assert [p.code for p in page.context["listing"].page.object_list] == ["ACME", "GLOBEX"]
    _shared(world, q, world.acme, S.SUBMITTED)
    page = client.get("/assessments/", {"period": "2026-Q3", "status": "not_submitted"})
    assert [p.code for p in page.context["listing"].page.object_list] == ["GLOBEX"]


def test_the_list_defaults_to_the_latest_open_period(client, world, q):
    world.q3.status = "closed"
    world.q3.save()
    client.force_login(world.manager)
    assert client.get("/assessments/").context["period"] == world.q2


def test_the_list_costs_the_same_queries_for_many_partners(client, world, q):
    client.force_login(world.manager)
    with CaptureQueriesContext(connection) as few:
        client.get("/assessments/", {"period": "2026-Q3"})
    Partner.objects.bulk_create(
        [
            Partner(
                code=f"P{i:04d}",
                name=f"Partner {i}",
                partner_type=world.reseller,
                region=world.globex.region,
                manager=world.manager,
            )
            for i in range(120)
        ]
    )
    for partner in Partner.objects.filter(code__in=["P0001", "P0002", "P0003"]):
        _shared(world, q, partner, S.SUBMITTED)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/assessments/", {"period": "2026-Q3"})
    assert page.context["listing"].total == 122
    assert len(page.context["listing"].page.object_list) == 50  # paginated
    assert len(many) == len(few) <= 12


def test_a_partner_user_cannot_open_the_assessment_list(client, world, q):
    client.force_login(world.globex_user)
    assert client.get("/assessments/").status_code == 404


def test_a_manager_sees_only_their_partners_in_the_list(client, world, q):
    other = type(world.manager).objects.create_user("other-manager")
    other.groups.add(*world.manager.groups.all())
    world.globex.manager = other
    world.globex.save()
    client.force_login(world.manager)
    page = client.get("/assessments/", {"period": "2026-Q3"})
    assert "Globex" not in page.content.decode()
    assert page.context["listing"].total == 1


# -- one partner's assessment ------------------------------------------------------------------


def test_the_page_offers_to_start_then_rates_and_submits_through_the_form(client, world, q):
    scored_build(world)
    client.force_login(world.manager)
    url = "/partners/GLOBEX/assessment/?period=2026-Q3"
    assert "Start the assessment" in client.get(url).content.decode()
    client.post(url, {"action": "create"})
    page = client.get(url).content.decode()
    assert "Relationship strength: excellent" in page  # the rubric of every level
    assert 'name="rating-' in page and "Save draft" in page
    form = {
        f"rating-{q.relationship.pk}": "5",
        f"rating-{q.communication.pk}": "4",
        f"comment-{q.relationship.pk}": "Great",
        "summary": "Good quarter",
        "action": "submit",
    }
    after = client.post(url, form, follow=True)
    assert "Submitted: the ratings now count" in after.content.decode()
    a = Assessment.objects.get(partner=world.globex, period=world.q3)
    assert a.status == S.SUBMITTED and a.summary == "Good quarter"
    assert a.ratings.get(kpi=q.relationship).comment == "Great"
    shown = after.content.decode()
    assert "Share with the partner" in shown and "Reopen as draft" in shown
    assert "Save draft" not in shown
    assert 'id="scorecard-beside"' in shown and "Revenue" in shown  # the numbers beside


def test_a_refused_action_is_explained_on_the_page(client, world, q):
    _shared(world, q, world.globex, S.DRAFT)
    client.force_login(world.manager)
    url = "/partners/GLOBEX/assessment/?period=2026-Q3"
    after = client.post(url, {"action": "share"}, follow=True)
    assert "Cannot share an assessment that is draft" in after.content.decode()
    assert Assessment.objects.get(partner=world.globex).status == S.DRAFT


def test_an_incomplete_submit_keeps_the_ratings_as_a_draft_and_names_the_gap(client, world, q):
    assessment_create(partner=world.globex, period=world.q3, by=world.manager)
    client.force_login(world.manager)
    url = "/partners/GLOBEX/assessment/?period=2026-Q3"
    after = client.post(url, {f"rating-{q.relationship.pk}": "3", "action": "submit"}, follow=True)
    assert "Communication has no rating" in after.content.decode()
    a = Assessment.objects.get(partner=world.globex)
    assert a.status == S.DRAFT and a.ratings.get(kpi=q.relationship).rating == 3


def test_the_scorecard_links_to_the_assessment(client, world, q):
    scored_build(world)
    client.force_login(world.manager)
    page = client.get("/partners/GLOBEX/", {"period": "2026-Q3"}).content.decode()
    assert "/partners/GLOBEX/assessment/?period=2026-Q3" in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_partner_user_cannot_open_any_assessment_page(client, world, q, method):
    _shared(world, q, world.globex, S.SUBMITTED)
    client.force_login(world.acme_user)
    for code in ("GLOBEX", "ACME"):
        answer = getattr(client, method)(f"/partners/{code}/assessment/", {"action": "share"})
        assert answer.status_code == 404
    assert Assessment.objects.get(partner=world.globex).status == S.SUBMITTED


# -- the portal --------------------------------------------------------------------------------


def test_the_portal_shows_shared_assessments_never_drafts_or_submitted(client, world, q):
    _shared(world, q, world.globex, S.SHARED)
    _shared(world, q, world.acme, S.SUBMITTED)
    client.force_login(world.globex_user)
    page = client.get("/portal/assessments/").content.decode()
    assert "Relationship strength: good" in page and "Weekly pipeline calls" in page
    assert "A solid quarter." in page and "Acknowledge" in page
    client.force_login(world.acme_user)
    page = client.get("/portal/assessments/").content.decode()
    assert "No assessment has been shared with you yet." in page
    assert "Relationship strength" not in page


def test_the_partner_acknowledges_with_a_response_in_the_portal(client, world, q):
    a = _shared(world, q)
    client.force_login(world.globex_user)
    after = client.post(
        "/portal/assessments/", {"assessment": a.pk, "response": "Agreed."}, follow=True
    )
    assert "acknowledged" in after.content.decode()
    a.refresh_from_db()
    assert a.status == S.ACKNOWLEDGED and a.partner_response == "Agreed."
    assert "Your response" in after.content.decode()


def test_a_partner_user_cannot_acknowledge_another_partners_assessment(client, world, q):
    a = _shared(world, q, world.globex)
    client.force_login(world.acme_user)
    answer = client.post("/portal/assessments/", {"assessment": a.pk})
    assert answer.status_code == 404
    assert Assessment.objects.get(pk=a.pk).status == S.SHARED
    assert client.get("/portal/assessments/", {"partner": "GLOBEX"}).status_code == 404


def test_a_managers_portal_preview_is_read_only(client, world, q):
    a = _shared(world, q)
    client.force_login(world.manager)
    page = client.get("/portal/assessments/", {"partner": "GLOBEX"}).content.decode()
    assert "Relationship strength" in page and "read-only preview" in page
    assert 'name="response"' not in page
    assert (
        client.post("/portal/assessments/?partner=GLOBEX", {"assessment": a.pk}).status_code == 404
    )
    assert Assessment.objects.get(pk=a.pk).status == S.SHARED
