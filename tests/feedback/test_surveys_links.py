"""The customer survey's public link: token rules (one response, expiry, revoked, unknown, a
token of A never answers for B, closed period, inactive survey), what the page shows, and the
rate limit (the real Redis cache)."""

import datetime as dt

from django.utils import timezone

from feedback.models import SurveyLink, SurveyResponse
from feedback.survey_links import token_hash
from kpis.models import Period, RecomputeMark
from tests.feedback.conftest import answers_post

INVALID = "This link is not valid"


def test_a_link_takes_one_response_then_refuses_reuse(client, surveys, acme_link):
    link, token = acme_link
    page = client.get(f"/s/{token}/")
    assert page.status_code == 200
    assert "Acme Corp" in page.content.decode()
    done = client.post(f"/s/{token}/", answers_post(surveys))
    assert done.status_code == 200 and "Thank you" in done.content.decode()
    response = SurveyResponse.objects.get()
    assert (response.partner, response.link, response.channel) == (link.partner, link, "link")
    assert response.answered_on == timezone.localdate()
    again = client.post(f"/s/{token}/", answers_post(surveys))
    assert again.status_code == 410 and "already been used" in again.content.decode()
    assert SurveyResponse.objects.count() == 1


def test_a_link_takes_several_responses_when_the_survey_allows(client, surveys, acme_link):
    surveys.customer.one_response_per_link = False
    surveys.customer.save()
    _, token = acme_link
    for _ in range(3):
        assert client.post(f"/s/{token}/", answers_post(surveys)).status_code == 200
    assert SurveyResponse.objects.count() == 3


def test_expired_revoked_and_unknown_tokens_get_the_same_neutral_page(client, surveys, acme_link):
    link, token = acme_link
    bodies = []
    SurveyLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    bodies.append(client.get(f"/s/{token}/"))
    SurveyLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() + dt.timedelta(1), revoked_at=timezone.now()
    )
    bodies.append(client.post(f"/s/{token}/", answers_post(surveys)))
    bodies.append(client.get("/s/not-a-token-at-all/"))
    assert {r.status_code for r in bodies} == {404}
    texts = {r.content.decode().split("<main>")[1].split("</main>")[0] for r in bodies}
    assert len(texts) == 1 and INVALID in texts.pop()
    assert "Acme" not in bodies[0].content.decode()
    assert not SurveyResponse.objects.exists()


def test_only_the_tokens_hash_is_stored(acme_link):
    link, token = acme_link
    assert link.token_hash == token_hash(token) and token not in link.token_hash
    assert len(token) >= 40


def test_a_token_of_partner_a_answers_only_for_a(client, world, surveys, acme_link):
    _, token = acme_link
    post = answers_post(surveys) | {"partner": world.globex.code, "partner_id": world.globex.pk}
    client.post(f"/s/{token}/", post)
    assert list(SurveyResponse.objects.values_list("partner__code", flat=True)) == ["ACME"]


def test_the_page_names_the_programme_and_partner_and_nothing_else_of_it(client, world, acme_link):
    world.acme.manager.username = "secret-manager"
    world.acme.manager.save()
    body = client.get(f"/s/{acme_link[1]}/").content.decode()
    assert "Acme Corp" in body and "ACME" not in body
    assert "secret-manager" not in body and "Globex" not in body
    assert 'name="csrfmiddlewaretoken"' in body


def test_a_response_in_a_closed_period_is_refused_with_the_reason(client, surveys, acme_link):
    today = timezone.localdate()
    Period.objects.create(
        code="this-month",
        start=today - dt.timedelta(days=3),
        end=today + dt.timedelta(days=3),
        granularity="month",
        status="closed",
    )
    refused = client.post(f"/s/{acme_link[1]}/", answers_post(surveys))
    assert refused.status_code == 400
    assert "closed period this-month" in refused.content.decode()
    assert not SurveyResponse.objects.exists()


def test_an_inactive_survey_refuses_its_links(client, surveys, acme_link):
    surveys.customer.is_active = False
    surveys.customer.save()
    refused = client.post(f"/s/{acme_link[1]}/", answers_post(surveys))
    assert refused.status_code == 410 and "no longer open" in refused.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_bad_answer_is_refused_on_its_question_and_nothing_is_written(client, surveys, acme_link):
    post = answers_post(surveys) | {f"q{surveys.nps_q.pk}": "11", f"q{surveys.choice_q.pk}": "x"}
    refused = client.post(f"/s/{acme_link[1]}/", post)
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "takes a whole number from 0 to 10" in body and "not an option of" in body
    assert not SurveyResponse.objects.exists() and not RecomputeMark.objects.exists()


def test_the_public_page_answers_429_after_twenty_posts_an_hour(client, surveys):
    for _ in range(20):
        assert client.post("/s/unknown-token/", {}).status_code == 404
    limited = client.post("/s/unknown-token/", {})
    assert limited.status_code == 429
    assert "Too many requests" in limited.content.decode()
    other_ip = client.post("/s/unknown-token/", {}, REMOTE_ADDR="10.1.2.3")
    assert other_ip.status_code == 404


def test_manager_makes_and_revokes_a_link_shown_once(client, world, surveys):
    client.force_login(world.manager)
    made = client.post(
        "/partners/ACME/surveys/links/", {"survey": surveys.customer.pk, "label": "Initech"}
    )
    assert made.status_code == 200
    address = made.context["new_address"]
    token = address.rstrip("/").rsplit("/", 1)[1]
    link = SurveyLink.objects.get(label="Initech")
    assert link.token_hash == token_hash(token) and link.partner == world.acme
    assert token not in client.get("/partners/ACME/surveys/").content.decode()
    client.post(f"/partners/ACME/surveys/links/{link.pk}/revoke/")
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert client.get(f"/s/{token}/").status_code == 404


def test_a_partner_survey_has_no_public_links(client, world, surveys):
    client.force_login(world.manager)
    refused = client.post("/partners/ACME/surveys/links/", {"survey": surveys.relation.pk})
    assert not SurveyLink.objects.exists()
    assert refused.status_code == 200  # the form names the problem
