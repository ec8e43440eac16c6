"""The assessments API: the same workflow as the pages (assessments.reviews), refusals as 400
with the service's message, and partner isolation."""

import pytest
from rest_framework.test import APIClient

from assessments.models import Assessment, AssessmentStatus
from tests.assessments.reviews_world import qualitative_build

S = AssessmentStatus
BASE = "/api/v1/assessments/"


@pytest.fixture
def q(world):
    return qualitative_build(world)


def _as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _draft(world) -> dict:
    answer = _as(world.manager).post(
        BASE, {"partner": "GLOBEX", "period": "2026-Q3"}, format="json"
    )
    assert answer.status_code == 201, answer.content
    return answer.json()


def _rate(world, pk: int, **ratings) -> dict:
    body = {
        "ratings": [{"kpi": k, "rating": v, "comment": f"{k} note"} for k, v in ratings.items()]
    }
    return _as(world.manager).patch(f"{BASE}{pk}/", {"summary": "Fine", **body}, format="json")


def test_a_manager_walks_the_whole_workflow_through_the_api(world, q):
    draft = _draft(world)
    assert draft["status"] == "draft" and draft["actions"] == ["submit"]
    assert {r["kpi"] for r in draft["ratings"]} == {"relationship", "communication"}
    rated = _rate(world, draft["id"], relationship=4, communication=5)
    assert rated.status_code == 200
    body = rated.json()
    assert body["summary"] == "Fine"
    assert {r["kpi"]: r["level_text"] for r in body["ratings"]} == {
        "communication": "Communication: excellent",
        "relationship": "Relationship strength: good",
    }
    pk, manager = draft["id"], _as(world.manager)
    assert manager.post(f"{BASE}{pk}/submit/", {"note": "ok"}, format="json").json()["status"] == (
        "submitted"
    )
    assert manager.post(f"{BASE}{pk}/share/", {}, format="json").json()["status"] == "shared"
    done = _as(world.globex_user).post(
        f"{BASE}{pk}/acknowledge/", {"response": "Thanks"}, format="json"
    )
    assert done.status_code == 200 and done.json()["partner_response"] == "Thanks"
    steps = [(t["from_status"], t["to_status"], t["by"]) for t in done.json()["transitions"]]
    assert steps[-1] == ("shared", "acknowledged", "globex")


def test_a_forbidden_transition_is_a_400_with_the_services_message(world, q):
    pk = _draft(world)["id"]
    answer = _as(world.manager).post(f"{BASE}{pk}/share/", {}, format="json")
    assert answer.status_code == 400
    assert answer.json() == {
        "non_field_errors": [
            "Cannot share an assessment that is draft: only a submitted one can be shared."
        ]
    }
    incomplete = _as(world.manager).post(f"{BASE}{pk}/submit/", {}, format="json")
    assert incomplete.status_code == 400
    assert "Rate every criterion before submitting" in incomplete.json()["non_field_errors"][0]
    bad = _rate(world, pk, relationship=9)
    assert bad.status_code == 400 and "from 1 to 5" in str(bad.json())
    unknown = _rate(world, pk, revenue=3)
    assert unknown.status_code == 400 and "does not rate revenue" in str(unknown.json())


def test_editing_a_submitted_assessment_through_the_api_is_refused(world, q):
    pk = _draft(world)["id"]
    _rate(world, pk, relationship=4, communication=5)
    _as(world.manager).post(f"{BASE}{pk}/submit/", {}, format="json")
    answer = _rate(world, pk, relationship=1)
    assert answer.status_code == 400
    assert "only a draft can be edited" in answer.json()["non_field_errors"][0]


def test_a_partner_user_sees_only_its_shared_assessments(world, q):
    pk = _draft(world)["id"]
    globex = _as(world.globex_user)
    assert globex.get(BASE).json()["results"] == []  # a draft is not the partner's to see
    assert globex.get(f"{BASE}{pk}/").status_code == 404
    _rate(world, pk, relationship=4, communication=5)
    for step in ("submit", "share"):
        _as(world.manager).post(f"{BASE}{pk}/{step}/", {}, format="json")
    assert [a["id"] for a in globex.get(BASE).json()["results"]] == [pk]
    acme = _as(world.acme_user)
    assert acme.get(BASE).json()["results"] == []
    assert acme.get(f"{BASE}{pk}/").status_code == 404
    assert acme.post(f"{BASE}{pk}/acknowledge/", {}, format="json").status_code == 404
    assert Assessment.objects.get(pk=pk).status == S.SHARED


def test_a_partner_user_cannot_create_edit_or_submit(world, q):
    globex = _as(world.globex_user)
    made = globex.post(BASE, {"partner": "GLOBEX", "period": "2026-Q3"}, format="json")
    assert made.status_code == 403
    pk = _draft(world)["id"]
    _rate(world, pk, relationship=4, communication=5)
    _as(world.manager).post(f"{BASE}{pk}/submit/", {}, format="json")
    _as(world.manager).post(f"{BASE}{pk}/share/", {}, format="json")
    assert globex.patch(f"{BASE}{pk}/", {"summary": "x"}, format="json").status_code == 403
    reopen = globex.post(f"{BASE}{pk}/reopen/", {}, format="json")
    assert reopen.status_code == 400
    assert reopen.json()["non_field_errors"] == [
        "Only a channel manager of Globex can reopen its assessment."
    ]


def test_a_manager_sees_only_the_assessments_of_their_partners(world, q):
    pk = _draft(world)["id"]
    other = type(world.manager).objects.create_user("other-manager")
    other.groups.add(*world.manager.groups.all())
    client = _as(other)
    assert client.get(BASE).json()["results"] == []
    assert client.get(f"{BASE}{pk}/").status_code == 404
    made = client.post(BASE, {"partner": "GLOBEX", "period": "2026-Q3"}, format="json")
    assert made.status_code == 400 and "Unknown partner code: GLOBEX." in str(made.json())


def test_the_list_filters_by_period_and_status(world, q):
    _draft(world)
    manager = _as(world.manager)
    assert len(manager.get(BASE, {"status": "draft"}).json()["results"]) == 1
    assert manager.get(BASE, {"status": "submitted"}).json()["results"] == []
    assert manager.get(BASE, {"period": "2026-Q2"}).json()["results"] == []
