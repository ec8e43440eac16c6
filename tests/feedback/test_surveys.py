"""Surveys: answers validation, NPS from responses end to end, the CSV import, relationship
survey requests (idempotent), the admin's question rules, partner isolation (portal, API)."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from assessments.models import ScorecardLine
from assessments.services import scorecards_recompute
from feedback.admin.surveys import question_check
from feedback.models import Answer, QuestionKind, SurveyRequest, SurveyResponse
from feedback.survey_import import ImportRefused, survey_responses_import
from feedback.survey_services import survey_requests_create, survey_response_record
from kpis.models import KPI, RecomputeMark
from partners.models import PortalUser

DAY = dt.date(2026, 8, 3)


def record(s, partner, nps, day=DAY, more=None):
    answers = {s.nps_q.pk: nps, s.csat_q.pk: 4, s.choice_q.pk: "Price"} | (more or {})
    return survey_response_record(
        survey=s.customer, partner=partner, answered_on=day, answers=answers, channel="import"
    )


# -- answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nps_q", "11", "from 0 to 10"),
        ("nps_q", "7.5", "from 0 to 10"),
        ("csat_q", "0", "from 1 to 5"),
        ("csat_q", "", "needs an answer"),
        ("choice_q", "Weather", "is not an option"),
    ],
)
def test_each_answer_is_checked_against_its_question(world, surveys, field, value, message):
    question = getattr(surveys, field)
    answers = {surveys.nps_q.pk: 9, surveys.csat_q.pk: 4, surveys.choice_q.pk: "Price"}
    answers[question.pk] = value
    with pytest.raises(ValidationError) as refused:
        survey_response_record(
            survey=surveys.customer,
            partner=world.acme,
            answered_on=DAY,
            answers=answers,
            channel="import",
        )
    assert message in " ".join(refused.value.message_dict[f"q{question.pk}"])
    assert not SurveyResponse.objects.exists()


def test_an_answer_to_another_surveys_question_is_refused(world, surveys):
    with pytest.raises(ValidationError, match="No such question"):
        record(surveys, world.acme, 9, more={surveys.recommend_q.pk: 9})


def test_a_response_is_written_with_its_answers_and_asks_for_a_recompute(world, surveys):
    response = record(surveys, world.acme, 9)
    answers = Answer.objects.filter(response=response).values_list("value", "text")
    assert sorted(answers, key=str) == [(4.0, ""), (9.0, ""), (None, "Price")]
    mark = RecomputeMark.objects.get()
    assert (mark.period_id, mark.partner_id) == (world.q3.pk, world.acme.pk)


def test_a_response_dated_in_a_closed_period_is_refused(world, surveys):
    world.q3.status = "closed"
    world.q3.save()
    with pytest.raises(ValidationError, match="closed period 2026-Q3"):
        record(surveys, world.acme, 9)
    assert not SurveyResponse.objects.exists()


# -- NPS end to end ---------------------------------------------------------------------------


def test_nps_of_survey_responses_is_the_scorecard_lines_value(world, surveys):
    for value in (10, 10, 3):  # one day, three customers: all three count
        record(surveys, world.acme, value)
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    line = ScorecardLine.objects.get(partner=world.acme, period=world.q3, kpi=world.nps)
    assert line.value == pytest.approx(100 / 3, abs=1e-3)  # (2 promoters - 1 detractor) / 3


# -- CSV import -------------------------------------------------------------------------------


def rows(text: str) -> list[list[str]]:
    import csv

    return list(csv.reader(io.StringIO(text)))


def test_a_good_csv_imports_every_row_even_several_per_partner_and_day(world, surveys):
    text = (
        "partner_code,answered_on,1,Satisfied?,why?,4\n"
        "ACME,2026-08-03,10,5,Price,Great\n"
        "ACME,2026-08-03,3,2,Service,\n"
        "GLOBEX,2026-08-04,8,4,Service,\n"
    )
    assert (
        survey_responses_import(survey=surveys.customer, rows=rows(text), user=world.manager) == 3
    )
    assert SurveyResponse.objects.filter(partner=world.acme, answered_on=DAY).count() == 2
    assert Answer.objects.filter(question=surveys.text_q).get().text == "Great"


def test_a_csv_with_bad_rows_imports_nothing_and_names_every_line(world, surveys):
    world.q2.status = "closed"
    world.q2.save()
    text = (
        "partner_code,answered_on,1,2,3\n"
        "ACME,2026-08-03,10,5,Price\n"
        "NOPE,2026-08-03,10,5,Price\n"
        "ACME,2026-08-03,12,5,Price\n"
        "ACME,2026-05-03,9,5,Price\n"
        "ACME,3 August,9,5,Price\n"
    )
    with pytest.raises(ImportRefused) as refused:
        survey_responses_import(survey=surveys.customer, rows=rows(text), user=world.manager)
    errors = refused.value.errors
    assert errors[0] == "Line 3: unknown partner “NOPE”."
    assert errors[1].startswith("Line 4: “Recommend?” takes a whole number from 0 to 10")
    assert errors[2].startswith("Line 5: ") and "closed period 2026-Q2" in errors[2]
    assert errors[3].startswith("Line 6: answered_on “3 August” is not a date")
    assert not SurveyResponse.objects.exists()


def test_the_import_page_and_the_command_share_the_import(client, world, surveys, tmp_path):
    client.force_login(world.manager)
    upload = io.BytesIO(b"partner_code,answered_on,1,2,3\nACME,2026-08-03,10,5,Price\n")
    upload.name = "r.csv"
    done = client.post("/surveys/import/", {"survey": surveys.customer.pk, "file": upload})
    assert done.status_code == 302 and SurveyResponse.objects.count() == 1
    bad = io.BytesIO(b"partner_code,answered_on,1,2,3\nACME,2026-08-03,99,5,Price\n")
    bad.name = "bad.csv"
    refused = client.post("/surveys/import/", {"survey": surveys.customer.pk, "file": bad})
    assert refused.status_code == 400 and "Line 2:" in refused.content.decode()
    path = tmp_path / "r.csv"
    path.write_text("partner_code,answered_on,1,2,3\nGLOBEX,2026-08-03,10,5,Price\n")
    call_command("import_survey_responses", str(surveys.customer.pk), str(path))
    assert SurveyResponse.objects.count() == 2
    path.write_text("partner_code,answered_on,1,2,3\nGLOBEX,2026-08-03,10,5,Nope\n")
    with pytest.raises(CommandError, match="Line 2"):
        call_command("import_survey_responses", str(surveys.customer.pk), str(path))


def test_a_manager_imports_only_partners_they_see(world, surveys, django_user_model):
    from django.contrib.auth.models import Group

    other = django_user_model.objects.create_user("other-manager", password="x-pass-123")
    other.groups.add(Group.objects.get(name="Channel managers"))
    text = "partner_code,answered_on,1,2,3\nACME,2026-08-03,10,5,Price\n"
    with pytest.raises(ImportRefused, match="unknown partner “ACME”"):
        survey_responses_import(survey=surveys.customer, rows=rows(text), user=other)


# -- relationship survey requests --------------------------------------------------------------


def test_requests_are_made_once_per_user_survey_and_open_period(world, surveys):
    today = dt.date(2026, 8, 15)
    created = survey_requests_create(today=today)
    # q2 and q3 are open and begun; two portal users; one partner survey
    assert created == 4
    assert survey_requests_create(today=today) == 0
    assert SurveyRequest.objects.count() == 4
    world.q2.status = "closed"
    world.q2.save()
    world.globex.is_active = False
    world.globex.save()
    SurveyRequest.objects.all().delete()
    assert survey_requests_create(today=today) == 1
    assert SurveyRequest.objects.get().user == world.acme_user


def test_the_daily_task_makes_the_requests(world, surveys):
    from feedback.tasks import survey_requests_daily

    assert survey_requests_daily.apply().get()["created"] == 4 - 0  # q2, q3 begun by now
    assert survey_requests_daily.apply().get()["created"] == 0


# -- the portal -------------------------------------------------------------------------------


@pytest.fixture
def requests_made(world, surveys):
    survey_requests_create(today=dt.date(2026, 8, 15))
    return {r.user.username: r for r in SurveyRequest.objects.filter(period=world.q3)}


def test_partner_user_answers_own_request_in_the_portal(client, world, surveys, requests_made):
    mine = requests_made["acme"]
    client.force_login(world.acme_user)
    listed = client.get("/portal/surveys/").content.decode()
    assert f"/portal/surveys/{mine.pk}/" in listed
    assert f"/portal/surveys/{requests_made['globex'].pk}/" not in listed
    post = {f"q{surveys.recommend_q.pk}": "9", f"q{surveys.comment_q.pk}": "More leads"}
    assert client.post(f"/portal/surveys/{mine.pk}/", post).status_code == 302
    response = SurveyResponse.objects.get()
    assert (response.partner, response.request, response.respondent) == (
        world.acme,
        mine,
        world.acme_user,
    )
    assert response.answered_on == world.q3.end  # the period is over: its last day
    again = client.post(f"/portal/surveys/{mine.pk}/", post)
    assert again.status_code == 302 and SurveyResponse.objects.count() == 1


def test_partner_user_cannot_answer_a_colleagues_or_other_partners_request(
    client, world, surveys, requests_made
):
    colleague = type(world.acme_user).objects.create_user("acme2", password="acme2-pass-123")
    PortalUser.objects.create(user=colleague, partner=world.acme)
    survey_requests_create(today=dt.date(2026, 8, 15))
    theirs = SurveyRequest.objects.get(user=colleague, period=world.q3)
    client.force_login(world.acme_user)
    post = {f"q{surveys.recommend_q.pk}": "9"}
    for other in (theirs, requests_made["globex"]):
        assert client.get(f"/portal/surveys/{other.pk}/").status_code == 404
        assert client.post(f"/portal/surveys/{other.pk}/", post).status_code == 404
    assert not SurveyResponse.objects.exists()


def test_manager_preview_of_the_portal_tab_is_read_only(client, world, surveys, requests_made):
    client.force_login(world.manager)
    page = client.get("/portal/surveys/?partner=ACME").content.decode()
    assert "Relationship" in page and "/portal/surveys/" + str(requests_made["acme"].pk) not in page
    assert client.get(f"/portal/surveys/{requests_made['acme'].pk}/").status_code == 404


# -- the API ----------------------------------------------------------------------------------


def test_api_partner_user_lists_own_partners_responses_without_respondents(world, surveys):
    record(surveys, world.acme, 9)
    record(surveys, world.globex, 3)
    survey_requests_create(today=dt.date(2026, 8, 15))
    asked = SurveyRequest.objects.get(user=world.globex_user, period=world.q3)
    api = APIClient()
    api.force_authenticate(world.globex_user)
    answer = {"answers": {str(surveys.recommend_q.pk): "8"}}
    made = api.post(f"/api/v1/survey-requests/{asked.pk}/answer/", answer, format="json")
    assert made.status_code == 201, made.json()
    api.force_authenticate(world.acme_user)
    body = api.get("/api/v1/survey-responses/").json()
    assert [r["partner"] for r in body["results"]] == ["ACME"]
    assert all(r["respondent"] is None for r in body["results"])
    refused = api.post(f"/api/v1/survey-requests/{asked.pk}/answer/", answer, format="json")
    assert refused.status_code == 404
    own = api.get("/api/v1/survey-requests/").json()["results"]
    assert {r["partner"] for r in own} == {"ACME"} and len(own) == 2  # q2 and q3
    assert api.post("/api/v1/survey-responses/", answer, format="json").status_code == 403
    api.force_authenticate(world.manager)
    rows = api.get("/api/v1/survey-responses/").json()["results"]
    assert {r["respondent"] for r in rows} == {None, "globex"}


def test_api_manager_records_a_response_and_makes_and_revokes_links(world, surveys):
    api = APIClient()
    api.force_authenticate(world.manager)
    made = api.post(
        "/api/v1/survey-responses/",
        {
            "survey": surveys.customer.pk,
            "partner": "ACME",
            "answered_on": "2026-08-03",
            "answers": {
                str(surveys.nps_q.pk): 10,
                str(surveys.csat_q.pk): 5,
                str(surveys.choice_q.pk): "Price",
            },
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    bad = api.post(
        "/api/v1/survey-responses/",
        {
            "survey": surveys.customer.pk,
            "partner": "ACME",
            "answered_on": "2026-08-03",
            "answers": {str(surveys.nps_q.pk): 12},
        },
        format="json",
    )
    assert bad.status_code == 400 and f"q{surveys.nps_q.pk}" in bad.json()
    link = api.post(
        "/api/v1/survey-links/", {"survey": surveys.customer.pk, "partner": "ACME"}, format="json"
    )
    assert link.status_code == 201 and "/s/" in link.json()["url"]
    revoked = api.post(f"/api/v1/survey-links/{link.json()['id']}/revoke/")
    assert revoked.json()["state"] == "revoked"
    api.force_authenticate(world.acme_user)
    assert api.get("/api/v1/survey-links/").status_code == 403
    assert api.get("/api/v1/surveys/").status_code == 200


# -- the admin's question rules ---------------------------------------------------------------


def test_question_rules_name_the_problem(world):
    survey_kpi = KPI.objects.create(
        code="csat_mean", name="CSAT", source="survey", aggregation="mean"
    )
    nps_kpi = KPI.objects.create(code="c_nps", name="NPS", source="survey", aggregation="nps")
    cases = [
        (dict(kind=QuestionKind.CHOICE, choices="", kpi=None), "at least two options"),
        (dict(kind=QuestionKind.TEXT, choices="", kpi=survey_kpi), "Only a 0-10 or 1-5"),
        (dict(kind=QuestionKind.SCALE_5, choices="", kpi=world.revenue), "source “import”"),
        (dict(kind=QuestionKind.SCALE_5, choices="", kpi=nps_kpi), "takes a 0-10 question"),
    ]
    for given, message in cases:
        with pytest.raises(ValidationError, match=message):
            question_check(**given)
    question_check(kind=QuestionKind.SCALE_10, choices="", kpi=nps_kpi)
    question_check(kind=QuestionKind.SCALE_5, choices="", kpi=survey_kpi)


def test_admin_adds_a_survey_with_questions_inline(client, world):
    nps_kpi = KPI.objects.create(code="c_nps", name="NPS", source="survey", aggregation="nps")
    client.force_login(world.admin)
    form = {
        "name": "Customers",
        "audience": "customer",
        "intro": "",
        "is_active": "on",
        "one_response_per_link": "on",
        "link_valid_days": "30",
        "questions-TOTAL_FORMS": "2",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
        "questions-0-position": "1",
        "questions-0-text": "Recommend?",
        "questions-0-kind": "scale5",
        "questions-0-kpi": str(nps_kpi.pk),
        "questions-0-required": "on",
        "questions-1-position": "2",
        "questions-1-text": "Why?",
        "questions-1-kind": "choice",
        "questions-1-choices": "",
    }
    refused = client.post("/admin/feedback/survey/add/", form)
    body = refused.content.decode()
    assert refused.status_code == 200
    assert "is an NPS: it takes a 0-10 question" in body and "at least two options" in body
    form |= {"questions-0-kind": "scale10", "questions-1-choices": "Price\nService"}
    assert client.post("/admin/feedback/survey/add/", form).status_code == 302


def test_an_answered_questions_kind_and_kpi_are_fixed(world, surveys):
    """Its answers are KPI observations already (some may be in closed periods)."""
    from feedback.admin.surveys import QuestionForm

    record(surveys, world.acme, 9)
    other = KPI.objects.create(code="c_nps2", name="NPS 2", source="survey", aggregation="nps")
    q = surveys.nps_q
    data = {"position": q.position, "text": "Reworded?", "kind": q.kind, "kpi": q.kpi_id}
    assert QuestionForm(data | {"required": "on"}, instance=q).is_valid()  # rewording is fine
    moved = QuestionForm(data | {"kpi": other.pk}, instance=q)
    assert not moved.is_valid()
    assert "has 1 answer(s): its kpi cannot change" in str(moved.errors)
    fresh = surveys.recommend_q  # no answers yet: it may still feed a KPI
    assert not Answer.objects.filter(question=fresh).exists()
    data = {"position": 1, "text": fresh.text, "kind": "scale10", "kpi": other.pk}
    assert QuestionForm(data, instance=fresh).is_valid()


def test_cached_results_follow_a_new_response_at_once(world, surveys):
    from feedback.survey_selectors import survey_results
    from partners.models import Partner

    record(surveys, world.acme, 10)
    everyone = Partner.objects.all()

    def nps() -> float | None:
        results = survey_results(survey=surveys.customer, partners=everyone)
        return next(r.nps for r in results if r.question == surveys.nps_q)

    assert nps() == 100.0
    assert nps() == 100.0  # from the cache
    record(surveys, world.globex, 0)
    assert nps() == 0.0  # a new response is a new state: recomputed
    only_acme = Partner.objects.filter(code="ACME")
    results = survey_results(survey=surveys.customer, partners=only_acme)
    assert next(r.nps for r in results if r.question == surveys.nps_q) == 100.0


# -- the results pages ------------------------------------------------------------------------


def test_results_pages_aggregate_in_sql_and_name_partners_only_to_managers(
    client, world, surveys, django_assert_max_num_queries
):
    from tests.world import sees_all

    sees_all(world.manager)
    for value in (10, 9, 3):
        record(surveys, world.acme, value, more={surveys.text_q.pk: "Acme was quick"})
    record(surveys, world.globex, 2, day=dt.date(2026, 5, 4))
    client.force_login(world.manager)
    with django_assert_max_num_queries(20):
        page = client.get(f"/surveys/?survey={surveys.customer.pk}")
    body = page.content.decode()
    assert page.status_code == 200
    results = {r.question.pk: r for r, _ in page.context["results"]}
    assert results[surveys.nps_q.pk].nps == pytest.approx(0.0)  # 2 promoters, 2 detractors
    assert results[surveys.nps_q.pk].trend == [("2026-Q2", -100.0, 1), ("2026-Q3", 100 / 3, 3)]
    assert results[surveys.choice_q.pk].counts == {"Price": 4}
    assert "Acme was quick" in body and "Acme Corp" in body  # free text, with its partner
    partner_page = client.get(f"/partners/GLOBEX/surveys/?survey={surveys.customer.pk}")
    assert "Acme" not in partner_page.content.decode()
    client.force_login(world.acme_user)
    assert client.get("/surveys/").status_code == 403
    assert client.get("/partners/ACME/surveys/").status_code == 404
