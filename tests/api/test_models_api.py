"""Scoring models and draft versions through the API: admins write, managers read, partners
see nothing; a draft's lines and tiers are checked with messages naming the item; a published
version answers 409; publishing needs a reason and recomputes the open periods."""

from kpis.models import (
    ModelLine,
    RecomputeMark,
    ScoringModel,
    ScoringModelVersion,
    Tier,
    TierRequirement,
)


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


def with_tier_rules(world) -> None:
    gold = Tier.objects.get(version=world.version, name="Gold")
    TierRequirement.objects.create(tier=gold, kpi=world.revenue, min_kpi_score=80)
    ScoringModelVersion.objects.filter(pk=world.version.pk).update(
        demotion_grace=2, tier_changes_need_approval=True
    )


def test_versions_show_grace_approval_and_requirements(world, api, admin_api):
    with_tier_rules(world)
    shown = api(world.manager).get(f"/api/v1/scoring-versions/{world.version.pk}/").json()
    assert (shown["demotion_grace"], shown["tier_changes_need_approval"]) == (2, True)
    assert shown["tiers"] == [
        {
            "name": "Gold",
            "min_score": 80.0,
            "requirements": [{"kpi": "revenue", "min_kpi_score": 80.0}],
        },
        {"name": "Silver", "min_score": 60.0, "requirements": []},
        {"name": "Member", "min_score": 0.0, "requirements": []},
    ]
    draft = draft_of(admin_api)  # the copy keeps them
    assert (draft["demotion_grace"], draft["tier_changes_need_approval"]) == (2, True)
    assert draft["tiers"] == shown["tiers"]
    model = api(world.manager).get("/api/v1/scoring-models/reseller/").json()
    assert [v["tiers"][0]["requirements"] for v in model["versions"]] == [
        [{"kpi": "revenue", "min_kpi_score": 80.0}]
    ] * 2


def test_a_drafts_tier_rules_are_written(world, admin_api):
    draft = draft_of(admin_api)
    body = {
        "demotion_grace": 1,
        "tier_changes_need_approval": True,
        "tiers": [
            {
                "name": "Gold",
                "min_score": 80,
                "requirements": [
                    {"kpi": "nps", "min_kpi_score": 70},
                    {"kpi": "late_deliveries", "min_kpi_score": 50},
                ],
            },
            {"name": "Member", "min_score": 0},
        ],
    }
    answer = admin_api.patch(f"/api/v1/scoring-versions/{draft['id']}/", body, format="json")
    assert answer.status_code == 200, answer.json()
    shown = answer.json()
    assert (shown["demotion_grace"], shown["tier_changes_need_approval"]) == (1, True)
    assert shown["tiers"][0]["requirements"] == [
        {"kpi": "late_deliveries", "min_kpi_score": 50.0},
        {"kpi": "nps", "min_kpi_score": 70.0},
    ]
    assert shown["tiers"][1]["requirements"] == []
    stored = ScoringModelVersion.objects.get(pk=draft["id"])
    assert (stored.demotion_grace, stored.tier_changes_need_approval) == (1, True)
    assert TierRequirement.objects.filter(tier__version=stored).count() == 2


def test_bad_tier_rules_are_named_by_their_path(world, admin_api):
    draft = draft_of(admin_api)
    body = {
        "demotion_grace": 1.5,
        "tier_changes_need_approval": "maybe",
        "tiers": [
            {
                "name": "Gold",
                "min_score": 80,
                "requirements": [
                    {"kpi": "nps", "min_kpi_score": -1},
                    {"kpi": "nps", "min_kpi_score": 10},
                    {"kpi": "revenue", "min_kpi_score": 10, "weight": 3},
                ],
            },
            {
                "name": "Member",
                "min_score": 0,
                "requirements": [{"kpi": "nps", "min_kpi_score": 1}],
            },
        ],
    }
    answer = admin_api.put(f"/api/v1/scoring-versions/{draft['id']}/", body, format="json")
    assert answer.status_code == 400
    gold = "tiers[0].requirements"
    assert answer.json() == {
        "demotion_grace": ["Expected a whole number, got 1.5."],
        "tier_changes_need_approval": ["\u201cmaybe\u201d value must be either True or False."],
        f"{gold}[0].min_kpi_score": ["Ensure this value is greater than or equal to 0.0."],
        f"{gold}[1].kpi": ["KPI 'nps' is already tiers[0].requirements[0]."],
        f"{gold}[2].weight": ["Unknown field (expected one of: kpi, min_kpi_score)."],
        "tiers[1].requirements[0]": [
            "Member is the entry tier (min score 0): it cannot have requirements (got one on nps)."
        ],
    }
    stored = ScoringModelVersion.objects.get(pk=draft["id"])
    assert stored.demotion_grace == 0 and stored.tiers.count() == 3  # nothing changed
    assert not TierRequirement.objects.exists()


def test_new_lines_must_keep_the_kpis_the_tiers_require(world, admin_api):
    with_tier_rules(world)
    draft = draft_of(admin_api)  # Gold requires revenue
    lines = [{"kpi": "nps", "weight": 1, "floor": 0, "target": 50}]
    url = f"/api/v1/scoring-versions/{draft['id']}/"
    answer = admin_api.patch(url, {"lines": lines}, format="json")
    assert answer.status_code == 400
    assert answer.json() == {
        "tiers[0].requirements[0].kpi": [
            "Gold cannot require revenue: it is not a KPI line of this version (lines: nps)."
        ]
    }
    assert ModelLine.objects.filter(version_id=draft["id"]).count() == 3
    lines.append({"kpi": "revenue", "weight": 1, "floor": 0, "target": 10})
    assert admin_api.patch(url, {"lines": lines}, format="json").status_code == 200


def test_model_list_reads_tier_rules_in_a_fixed_number_of_queries(
    world, api, django_assert_max_num_queries
):
    with_tier_rules(world)
    manager = api(world.manager)
    manager.get("/api/v1/scoring-models/")  # (session and permission look-ups warmed)
    with django_assert_max_num_queries(12) as one:
        manager.get("/api/v1/scoring-models/")
    for number in range(2, 6):  # four more versions, each with a line, a tier, a requirement
        version = ScoringModelVersion.objects.create(model=world.version.model, number=number)
        ModelLine.objects.create(version=version, kpi=world.nps, weight=1, floor=0, target=1)
        gold = Tier.objects.create(version=version, name="Gold", min_score=80)
        TierRequirement.objects.create(tier=gold, kpi=world.nps, min_kpi_score=1)
    with django_assert_max_num_queries(len(one.captured_queries)):
        answer = manager.get("/api/v1/scoring-models/")
    assert sum(len(v["tiers"]) for v in answer.json()["results"][0]["versions"]) == 3 + 4
