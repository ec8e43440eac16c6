"""Scoring models and draft versions through the API: admins write, managers read, partners
see nothing; a draft's lines and tiers are checked with messages naming the item; a published
version answers 409; publishing needs a reason and recomputes the open periods."""

from kpis.models import ModelLine, RecomputeMark, ScoringModel, ScoringModelVersion


def draft_of(admin_api, copy=True) -> dict:
    answer = admin_api.post(
        "/api/v1/scoring-models/reseller/versions/", {"copy_active": copy}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    return answer.json()


def test_admin_creates_a_model_and_managers_only_read(world, api, admin_api):
    body = {"code": "msp", "name": "MSP", "partner_type": None, "is_default": True}
    assert admin_api.post("/api/v1/scoring-models/", body, format="json").status_code == 201
    assert ScoringModel.objects.get(code="msp").is_default
    manager = api(world.manager)
    assert manager.get("/api/v1/scoring-models/msp/").status_code == 200
    assert (
        manager.patch("/api/v1/scoring-models/msp/", {"name": "X"}, format="json").status_code
        == 403
    )
    assert (
        manager.post("/api/v1/scoring-models/reseller/versions/", {}, format="json").status_code
        == 403
    )
    assert api(world.acme_user).get("/api/v1/scoring-versions/").status_code == 403


def test_draft_copied_from_the_active_version_or_empty(world, admin_api):
    draft = draft_of(admin_api)
    assert (draft["number"], draft["status"], len(draft["lines"])) == (2, "draft", 3)
    again = admin_api.post("/api/v1/scoring-models/reseller/versions/", {}, format="json")
    assert again.status_code == 409
    assert "already has a draft, v2" in again.json()["detail"]
    ScoringModelVersion.objects.filter(number=2).delete()
    assert draft_of(admin_api, copy=False)["lines"] == []


def test_draft_lines_and_tiers_are_checked_with_named_problems(world, admin_api):
    draft = draft_of(admin_api)
    body = {
        "lines": [
            {"kpi": "revenue", "weight": -1, "floor": 0, "target": 10},
            {"kpi": "nps", "weight": 1, "floor": 50, "target": 50},
            {"kpi": "nope", "weight": 1, "floor": 0, "target": 1},
            {"kpi": "nps", "weight": 2, "floor": 0, "target": 1},
        ],
        "tiers": [{"name": "Gold", "min_score": 80}],
    }
    answer = admin_api.put(f"/api/v1/scoring-versions/{draft['id']}/", body, format="json")
    assert answer.status_code == 400
    assert answer.json() == {
        "lines[0].weight": ["Weight must be greater than 0 (got -1)."],
        "lines[1].floor": ["Floor (50) must be below the target (50)."],
        "lines[2].kpi": ["Unknown KPI code 'nope'."],
        "lines[3].kpi": ["KPI 'nps' is already lines[1]."],
        "tiers": ["The tiers must include one with min score 0."],
    }
    assert ModelLine.objects.filter(version_id=draft["id"]).count() == 3  # nothing changed


def test_a_draft_is_edited_then_published_with_a_reason(world, admin_api, sent):
    draft = draft_of(admin_api)
    body = {
        "amber_from": 50,
        "lines": [{"kpi": "revenue", "weight": 2, "floor": 0, "target": 10, "stretch": 20}],
        "tiers": [{"name": "Gold", "min_score": 70}, {"name": "Member", "min_score": 0}],
    }
    answer = admin_api.put(f"/api/v1/scoring-versions/{draft['id']}/", body, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["amber_from"] == 50 and len(answer.json()["lines"]) == 1
    url = f"/api/v1/scoring-versions/{draft['id']}/publish/"
    assert admin_api.post(url, {}, format="json").json() == {"reason": ["This field is required."]}
    RecomputeMark.objects.all().delete()
    published = admin_api.post(url, {"reason": "Q3 targets"}, format="json")
    assert published.status_code == 200 and published.json()["status"] == "active"
    world.version.refresh_from_db()
    assert world.version.status == "retired"
    assert set(RecomputeMark.objects.values_list("reason", flat=True)) == {
        "published reseller v2: Q3 targets"
    }


def test_a_published_version_answers_409(world, admin_api):
    url = f"/api/v1/scoring-versions/{world.version.pk}/"
    answer = admin_api.patch(url, {"amber_from": 10}, format="json")
    assert answer.status_code == 409
    assert "cannot be changed; make a new version" in answer.json()["detail"]
    publish = admin_api.post(url + "publish/", {"reason": "again"}, format="json")
    assert publish.status_code == 409
    world.version.refresh_from_db()
    assert world.version.amber_from == 60


def test_the_schema_documents_the_writes(client):
    paths = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()[
        "paths"
    ]
    assert "post" in paths["/api/v1/scoring-models/{code}/versions/"]
    assert "409" in paths["/api/v1/scoring-versions/{id}/"]["put"]["responses"]
    assert "post" in paths["/api/v1/scoring-versions/{id}/publish/"]
    assert "post" in paths["/api/v1/partners/bulk/"]
