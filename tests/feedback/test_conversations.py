"""Feedback threads both ways and meetings: who may start, reply and move a thread's status
(open -> acknowledged -> resolved, reopen), the manager's and the portal's pages, the API, and
partner isolation (a partner user never sees another partner's threads or meetings)."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from rest_framework.test import APIClient

from assessments.models import Assessment
from feedback import conversations as conv
from feedback.models import FeedbackDirection, FeedbackReply, FeedbackThread, Meeting
from partners.access import MANAGERS_GROUP


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def to_partner(world, partner=None) -> FeedbackThread:
    return conv.thread_start(
        partner=partner or world.acme,
        user=world.manager,
        topic="sales",
        subject="Pipeline review",
        body="Let us look at the pipeline.",
    )


def to_vendor(world) -> FeedbackThread:
    return conv.thread_start(
        partner=world.acme, user=world.acme_user, topic="support", subject="Tickets", body="Slow."
    )


# -- services: direction and status rules -------------------------------------------------------


def test_direction_follows_who_starts_the_thread(world):
    assert to_partner(world).direction == FeedbackDirection.TO_PARTNER
    thread = to_vendor(world)
    assert thread.direction == FeedbackDirection.TO_VENDOR
    assert [r.body for r in thread.replies.all()] == ["Slow."]


def test_another_partners_user_cannot_start_or_reply(world):
    with pytest.raises(PermissionDenied):
        conv.thread_start(
            partner=world.acme, user=world.globex_user, topic="sales", subject="x", body="y"
        )
    thread = to_partner(world)
    with pytest.raises(PermissionDenied):
        conv.thread_reply(thread=thread, user=world.globex_user, body="hi")
    assert thread.replies.count() == 1


def test_empty_subject_and_message_are_refused_naming_the_field(world):
    with pytest.raises(ValidationError) as caught:
        conv.thread_start(partner=world.acme, user=world.manager, topic="x", subject=" ", body="")
    assert set(caught.value.message_dict) == {"subject", "topic"}
    assert not FeedbackThread.objects.exists()


def test_only_the_receiving_side_acknowledges(world):
    thread = to_partner(world)
    with pytest.raises(ValidationError, match="Only the side the feedback was sent to"):
        conv.thread_status_set(thread=thread, user=world.manager, status="acknowledged")
    conv.thread_status_set(thread=thread, user=world.acme_user, status="acknowledged")
    assert FeedbackThread.objects.get(pk=thread.pk).status == "acknowledged"

    other_way = to_vendor(world)
    with pytest.raises(ValidationError):
        conv.thread_status_set(thread=other_way, user=world.acme_user, status="acknowledged")
    conv.thread_status_set(thread=other_way, user=world.manager, status="acknowledged")


def test_either_side_resolves_and_reopens(world):
    thread = to_partner(world)
    conv.thread_status_set(thread=thread, user=world.manager, status="resolved")
    conv.thread_status_set(thread=thread, user=world.acme_user, status="open")
    conv.thread_status_set(thread=thread, user=world.acme_user, status="resolved")
    assert thread.status == "resolved"


def test_forbidden_transitions_are_refused_with_a_message(world):
    thread = to_partner(world)
    conv.thread_status_set(thread=thread, user=world.acme_user, status="acknowledged")
    with pytest.raises(ValidationError, match="acknowledged cannot become open"):
        conv.thread_status_set(thread=thread, user=world.manager, status="open")
    with pytest.raises(ValidationError, match="already acknowledged"):
        conv.thread_status_set(thread=thread, user=world.acme_user, status="acknowledged")
    with pytest.raises(ValidationError, match="Unknown status"):
        conv.thread_status_set(thread=thread, user=world.manager, status="closed")
    with pytest.raises(PermissionDenied):
        conv.thread_status_set(thread=thread, user=world.globex_user, status="resolved")
    assert FeedbackThread.objects.get(pk=thread.pk).status == "acknowledged"


def test_a_resolved_thread_takes_no_reply_until_reopened(world):
    thread = to_partner(world)
    conv.thread_status_set(thread=thread, user=world.manager, status="resolved")
    with pytest.raises(ValidationError, match="reopen it"):
        conv.thread_reply(thread=thread, user=world.acme_user, body="one more thing")
    conv.thread_status_set(thread=thread, user=world.acme_user, status="open")
    conv.thread_reply(thread=thread, user=world.acme_user, body="one more thing")
    assert thread.replies.count() == 2


def test_a_manager_who_does_not_see_the_partner_takes_no_part(world):
    stranger = User.objects.create_user("stranger")
    stranger.groups.add(Group.objects.get(name=MANAGERS_GROUP))
    thread = to_partner(world)
    with pytest.raises(PermissionDenied):
        conv.thread_start(partner=world.acme, user=stranger, topic="sales", subject="s", body="b")
    with pytest.raises(PermissionDenied):
        conv.thread_status_set(thread=thread, user=stranger, status="resolved")
    assert FeedbackThread.objects.count() == 1


# -- pages --------------------------------------------------------------------------------------


def test_manager_list_filters_by_status_direction_topic_and_partner(world):
    acme = to_partner(world)
    globex = to_partner(world, world.globex)
    conv.thread_status_set(thread=globex, user=world.manager, status="resolved")
    vendor = to_vendor(world)
    page = client_for(world.manager)

    def listed(**query) -> set[str]:
        response = page.get("/feedback/", query)
        assert response.status_code == 200
        return {t.pk for t in response.context["page"]}

    assert listed() == {acme.pk, globex.pk, vendor.pk}
    assert listed(status="resolved") == {globex.pk}
    assert listed(direction="to_vendor") == {vendor.pk}
    assert listed(topic="support") == {vendor.pk}
    assert listed(partner="GLOBEX") == {globex.pk}


def test_manager_list_costs_the_same_queries_with_more_threads(
    world, django_assert_max_num_queries
):
    for _ in range(3):
        to_partner(world)
    page = client_for(world.manager)
    page.get("/feedback/")  # warm the session and the role
    with django_assert_max_num_queries(8):
        assert page.get("/feedback/").status_code == 200
    for _ in range(20):
        to_partner(world, world.globex)
    with django_assert_max_num_queries(8):
        assert page.get("/feedback/").status_code == 200


def test_manager_starts_a_thread_from_the_partners_page_and_replies(world):
    page = client_for(world.manager)
    response = page.post(
        "/partners/ACME/feedback/new/",
        {"topic": "sales", "subject": "Q3 pipeline", "body": "Two deals slipped.", "period": ""},
    )
    thread = FeedbackThread.objects.get(subject="Q3 pipeline")
    assert response.status_code == 302 and response.url == f"/feedback/{thread.pk}/"
    page.post(f"/feedback/{thread.pk}/", {"body": "Any news?"})
    assert [r.body for r in thread.replies.all()] == ["Two deals slipped.", "Any news?"]
    body = page.get(f"/feedback/{thread.pk}/").content.decode()
    assert "Any news?" in body and "Mark resolved" in body and "Acknowledge" not in body


def test_the_scorecard_links_to_sending_feedback(world):
    from tests.api.conftest import scored_build

    scored_build(world)
    body = client_for(world.manager).get("/partners/ACME/?period=2026-Q3").content.decode()
    assert "/partners/ACME/feedback/new/?period=2026-Q3" in body


def test_partner_starts_a_thread_to_the_vendor_and_acknowledges_one_from_it(world):
    page = client_for(world.acme_user)
    response = page.post(
        "/portal/feedback/", {"topic": "commercial", "subject": "Discounts", "body": "Too slow."}
    )
    thread = FeedbackThread.objects.get(subject="Discounts")
    assert response.status_code == 302
    assert thread.direction == FeedbackDirection.TO_VENDOR and thread.partner == world.acme
    incoming = to_partner(world)
    page.post(f"/portal/feedback/{incoming.pk}/", {"status": "acknowledged"})
    assert FeedbackThread.objects.get(pk=incoming.pk).status == "acknowledged"
    listing = page.get("/portal/feedback/").content.decode()
    assert "Discounts" in listing and "Pipeline review" in listing


def test_a_refused_status_change_shows_its_message(world):
    thread = to_partner(world)
    page = client_for(world.manager)
    response = page.post(f"/feedback/{thread.pk}/", {"status": "acknowledged"}, follow=True)
    assert "Only the side the feedback was sent to acknowledges it." in response.content.decode()
    assert FeedbackThread.objects.get(pk=thread.pk).status == "open"


def test_partner_user_cannot_open_other_partners_thread(world):
    theirs = to_partner(world, world.globex)
    page = client_for(world.acme_user)
    assert page.get(f"/portal/feedback/{theirs.pk}/").status_code == 404
    assert page.post(f"/portal/feedback/{theirs.pk}/", {"body": "hi"}).status_code == 404
    assert page.get(f"/feedback/{theirs.pk}/").status_code == 404
    assert page.get("/feedback/").status_code == 404
    assert "Pipeline review" not in page.get("/portal/feedback/").content.decode()
    assert theirs.replies.count() == 1


def test_a_managers_preview_of_the_portal_is_read_only(world):
    thread = to_vendor(world)
    page = client_for(world.manager)
    body = page.get(f"/portal/feedback/{thread.pk}/?partner=ACME").content.decode()
    assert "Tickets" in body and "Send reply" not in body
    response = page.post(f"/portal/feedback/{thread.pk}/?partner=ACME", {"body": "x"})
    assert response.status_code == 403 and thread.replies.count() == 1


# -- meetings -----------------------------------------------------------------------------------


def test_manager_records_a_meeting_linked_to_the_periods_assessment(world):
    assessment = Assessment.objects.create(partner=world.acme, period=world.q3)
    page = client_for(world.manager)
    response = page.post(
        "/partners/ACME/meetings/",
        {
            "period": "2026-Q3",
            "kind": "qbr",
            "held_on": "2026-09-20",
            "attendees": "Ann\nBob",
            "notes": "Went through the scorecard.",
            "decisions": "Two more engineers.",
        },
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get(partner=world.acme)
    assert meeting.assessment == assessment and meeting.held_on == dt.date(2026, 9, 20)
    page.post(
        f"/partners/ACME/meetings/{meeting.pk}/",
        {"period": "2026-Q2", "kind": "meeting", "held_on": "2026-06-01", "notes": "Moved."},
    )
    meeting.refresh_from_db()
    assert (meeting.period, meeting.assessment, meeting.notes) == (world.q2, None, "Moved.")


def test_the_portal_shows_its_own_meetings_read_only(world):
    for partner, notes in ((world.acme, "Acme notes"), (world.globex, "Globex notes")):
        conv.meeting_save(
            partner=partner, user=world.manager, period=world.q3, held_on=world.q3.end, notes=notes
        )
    page = client_for(world.acme_user)
    body = page.get("/portal/meetings/").content.decode()
    assert "Acme notes" in body and "Globex notes" not in body
    assert page.post("/partners/ACME/meetings/", {"period": "2026-Q3"}).status_code == 404
    with pytest.raises(PermissionDenied):
        conv.meeting_save(
            partner=world.acme, user=world.acme_user, period=world.q3, held_on=world.q3.end
        )
    assert Meeting.objects.count() == 2


# -- API ----------------------------------------------------------------------------------------


def test_api_threads_follow_the_same_rules(world):
    api = api_for(world.acme_user)
    created = api.post(
        "/api/v1/threads/",
        {"partner": "ACME", "topic": "support", "subject": "API", "body": "From the API"},
        format="json",
    )
    assert created.status_code == 201 and created.json()["direction"] == "to_vendor"
    pk = created.json()["id"]
    refused = api.post(f"/api/v1/threads/{pk}/status/", {"status": "acknowledged"}, format="json")
    assert refused.status_code == 400 and "Only the side" in str(refused.json())
    manager = api_for(world.manager)
    ok = manager.post(f"/api/v1/threads/{pk}/status/", {"status": "acknowledged"}, format="json")
    assert ok.json()["status"] == "acknowledged"
    reply = manager.post(f"/api/v1/threads/{pk}/replies/", {"body": "Looking"}, format="json")
    assert reply.status_code == 201
    assert [r["body"] for r in api.get(f"/api/v1/threads/{pk}/").json()["replies"]] == [
        "From the API",
        "Looking",
    ]


def test_api_partner_user_gets_nothing_of_another_partners_threads_and_meetings(world):
    theirs = to_partner(world, world.globex)
    meeting = conv.meeting_save(
        partner=world.globex, user=world.manager, period=world.q3, held_on=world.q3.end
    )
    api = api_for(world.acme_user)
    assert api.get("/api/v1/threads/").json()["count"] == 0
    assert api.get(f"/api/v1/threads/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/threads/{theirs.pk}/replies/", {"body": "x"}).status_code == 404
    assert api.get(f"/api/v1/meetings/{meeting.pk}/").status_code == 404
    assert api.get("/api/v1/meetings/").json()["count"] == 0
    started = api.post(
        "/api/v1/threads/",
        {"partner": "GLOBEX", "subject": "x", "body": "y"},
        format="json",
    )
    assert started.status_code == 404
    assert FeedbackReply.objects.filter(thread=theirs).count() == 1
