"""The configuration editor (issue 10): scoring model drafts edited on our own pages with the
writer the API uses (kpis.drafts.draft_write), live validation, read-only published versions,
publishing with a reason after the what-if summary; the KPI editor's formula check; the
recompute schedule in plain words; admins only."""

import datetime as dt
import io
import json
import re
from html import unescape

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from assessments.services import scorecards_recompute
from kpis.editor_form import form_from_version
from kpis.models import KPI, MetricValue, RecomputeMark, ScoringModelVersion, TierRequirement
from kpis.services import version_draft_create


def page_text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def as_post(version: ScoringModelVersion, **changes) -> dict:
    """The editor's form for `version` as the page would post it, with `changes` by field."""
    form = form_from_version(version)
    data = {
        name: ("on" if value is True else "" if value is False else str(value))
        for name, value in form.settings.items()
    }
    if not form.settings["tier_changes_need_approval"]:
        del data["tier_changes_need_approval"]
    for row in form.lines:
        data.update({f"{row.name}-{f}": v for f, v in row.values.items()})
    for tier in form.tiers:
        data.update({f"{tier.name}-{f}": v for f, v in tier.values.items()})
        for req in tier.requirements:
            data.update({f"{req.name}-{f}": v for f, v in req.values.items()})
    data.update(changes)
    return data


def row_of(version, kpi_code: str) -> str:
    """The form row name (lines-N) of a KPI's line."""
    form = form_from_version(version)
    return next(row.name for row in form.lines if row.values["kpi"] == kpi_code)


def tier_row(version, name: str) -> str:
    form = form_from_version(version)
    return next(row.name for row in form.tiers if row.values["name"] == name)


@pytest.fixture
def draft(world):
    return version_draft_create(model=world.version.model)


@pytest.fixture
def admin(client, world):
    client.force_login(world.admin)
    return client


def url(version, name="config-version"):
    return reverse(name, args=[version.model.code, version.pk])


def validate(admin, version, **changes) -> dict:
    response = admin.post(url(version, "config-version-validate"), as_post(version, **changes))
    assert response.status_code == 200
    return json.loads(response.content)


# -- access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "acme_user"])
def test_managers_and_partner_users_get_404_on_every_admin_page(client, world, draft, who):
    client.force_login(getattr(world, who))
    pages = [
        reverse("config-models"),
        url(draft),
        url(draft, "config-version-publish"),
        reverse("config-kpis"),
        reverse("config-kpi", args=["revenue"]),
        reverse("config-schedule"),
    ]
    for page in pages:
        assert client.get(page).status_code == 404, page
    posts = [
        url(draft),
        url(draft, "config-version-validate"),
        url(draft, "config-version-publish"),
        reverse("config-draft-new", args=["reseller"]),
        reverse("config-kpi-check"),
    ]
    for page in posts:
        assert client.post(page, {"reason": "x"}).status_code == 404, page
    assert ScoringModelVersion.objects.get(pk=draft.pk).status == "draft"


def test_anonymous_users_are_sent_to_log_in(client, world):
    response = client.get(reverse("config-models"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# -- list, new draft, editing ---------------------------------------------------------------------


def test_the_models_page_lists_active_version_and_drafts(admin, world, draft):
    text = page_text(admin.get(reverse("config-models")))
    assert "Reseller" in text and "v1" in text and "v2 (edit)" in text


def test_new_draft_copies_the_active_version(admin, world):
    response = admin.post(reverse("config-draft-new", args=["reseller"]))
    draft = ScoringModelVersion.objects.get(model=world.version.model, status="draft")
    assert response.status_code == 302 and response["Location"] == url(draft)
    assert sorted(draft.lines.values_list("kpi__code", "weight")) == [
        ("late_deliveries", 30),
        ("nps", 30),
        ("revenue", 40),
    ]
    assert sorted(draft.tiers.values_list("name", flat=True)) == ["Gold", "Member", "Silver"]
    again = admin.post(reverse("config-draft-new", args=["reseller"]), follow=True)
    assert ScoringModelVersion.objects.filter(status="draft").count() == 1  # one at a time
    assert "already has a draft, v2" in page_text(again)


def test_the_draft_page_shows_weights_as_shares_of_the_total(admin, draft):
    response = admin.get(url(draft))
    text = page_text(response)
    assert response.status_code == 200
    assert "Total weight 100" in text
    assert "40.0%" in text and "30.0%" in text
    assert "higher ↑" in text and "lower ↓" in text  # the direction, from the KPI
    assert "config_editor.js" in response.content.decode()
    assert "<script>" not in response.content.decode()  # no inline script (CSP)


def test_saving_a_draft_writes_lines_tiers_and_rules(admin, world, draft):
    row = row_of(draft, "revenue")
    gold = tier_row(draft, "Gold")
    changes = {
        f"{row}-weight": "60",
        f"{row}-stretch": "",
        "lines-3-kpi": "",  # a blank row adds nothing
        f"{gold}-req-0-kpi": "nps",
        f"{gold}-req-0-min_kpi_score": "60",
        "demotion_grace": "2",
        "tier_changes_need_approval": "on",
        "min_coverage": "0.7",
    }
    response = admin.post(url(draft), as_post(draft, **changes))
    assert response.status_code == 302
    draft.refresh_from_db()
    revenue = draft.lines.get(kpi__code="revenue")
    assert (revenue.weight, revenue.stretch) == (60, None)
    assert draft.lines.count() == 3
    assert (draft.demotion_grace, draft.tier_changes_need_approval, draft.min_coverage) == (
        2,
        True,
        0.7,
    )
    requirement = TierRequirement.objects.get(tier__version=draft)
    assert (requirement.tier.name, requirement.kpi.code, requirement.min_kpi_score) == (
        "Gold",
        "nps",
        60,
    )
    shown = page_text(admin.get(url(draft)))
    assert "Total weight 120" in shown and "50.0%" in shown  # 60 of 120


def test_a_line_and_a_tier_are_removed_by_ticking_remove(admin, draft):
    changes = {f"{row_of(draft, 'nps')}-DELETE": "on", f"{tier_row(draft, 'Silver')}-DELETE": "on"}
    assert admin.post(url(draft), as_post(draft, **changes)).status_code == 302
    assert sorted(draft.lines.values_list("kpi__code", flat=True)) == ["late_deliveries", "revenue"]
    assert sorted(draft.tiers.values_list("name", flat=True)) == ["Gold", "Member"]


# -- validation: each rule names the problem, through the live check and the normal POST --------

BAD = {
    "negative weight": (
        lambda d: {f"{row_of(d, 'revenue')}-weight": "-5"},
        lambda d: f"{row_of(d, 'revenue')}-weight",
        "Weight must be greater than 0 (got -5).",
    ),
    "floor above target (higher is better)": (
        lambda d: {f"{row_of(d, 'nps')}-floor": "60"},
        lambda d: f"{row_of(d, 'nps')}-floor",
        "Floor (60) must be below the target (50).",
    ),
    "floor below target (lower is better)": (
        lambda d: {f"{row_of(d, 'late_deliveries')}-floor": "2"},
        lambda d: f"{row_of(d, 'late_deliveries')}-floor",
        "Floor (2) must be above the target (5).",
    ),
    "duplicate KPI": (
        lambda d: {
            "lines-3-kpi": "revenue",
            "lines-3-weight": "5",
            "lines-3-floor": "0",
            "lines-3-target": "10",
        },
        lambda d: "lines-3-kpi",
        "KPI 'revenue' is already line",
    ),
    "no entry tier": (
        lambda d: {f"{tier_row(d, 'Member')}-min_score": "10"},
        lambda d: "tiers",
        "The tiers must include one with min score 0.",
    ),
    "requirement outside the model": (
        lambda d: {
            f"{tier_row(d, 'Gold')}-req-0-kpi": "csat",
            f"{tier_row(d, 'Gold')}-req-0-min_kpi_score": "50",
        },
        lambda d: f"{tier_row(d, 'Gold')}-req-0-kpi",
        "Gold cannot require csat: it is not a KPI line of this version",
    ),
    "not a number": (
        lambda d: {f"{row_of(d, 'revenue')}-target": "lots"},
        lambda d: f"{row_of(d, 'revenue')}-target",
        "“lots” value must be a float.",
    ),
    "grace too long": (
        lambda d: {"demotion_grace": "40"},
        lambda d: "demotion_grace",
        "less than or equal to 12",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_live_validation_names_the_problem_and_saves_nothing(admin, world, draft, case):
    KPI.objects.create(code="csat", name="CSAT")
    changes, field, message = BAD[case]
    before = sorted(draft.lines.values_list("kpi__code", "weight", "floor", "target"))
    result = validate(admin, draft, **changes(draft))
    assert result["valid"] is False
    assert any(message in m for m in result["errors"][field(draft)]), result["errors"]
    assert sorted(draft.lines.values_list("kpi__code", "weight", "floor", "target")) == before
    assert draft.tiers.count() == 3


@pytest.mark.parametrize("case", BAD)
def test_a_bad_draft_is_not_saved_and_the_page_says_why(admin, world, draft, case):
    KPI.objects.create(code="csat", name="CSAT")
    changes, _, message = BAD[case]
    before = sorted(draft.lines.values_list("kpi__code", "weight", "floor", "target"))
    response = admin.post(url(draft), as_post(draft, **changes(draft)))
    assert response.status_code == 400
    assert message in page_text(response)
    assert sorted(draft.lines.values_list("kpi__code", "weight", "floor", "target")) == before


def test_live_validation_returns_the_total_and_shares(admin, draft):
    row = row_of(draft, "revenue")
    result = validate(admin, draft, **{f"{row}-weight": "140"})
    assert result["valid"] is True and result["errors"] == {}
    assert result["total"] == 200
    assert result["percent"][row] == 70
    assert result["percent"][row_of(draft, "nps")] == 15
    assert draft.lines.get(kpi__code="revenue").weight == 40  # checked, not saved


# -- published versions ---------------------------------------------------------------------------


def test_a_published_version_is_read_only(admin, world):
    active = world.version
    response = admin.get(url(active))
    text = page_text(response)
    assert "Read-only." in text and "a published version is read-only" in text
    assert "New draft" in text
    assert 'name="lines-0-weight"' in response.content.decode()  # shown, in a disabled fieldset
    assert 'fieldset class="card" disabled' in response.content.decode()
    posted = admin.post(url(active), as_post(active, **{"lines-0-weight": "99"}), follow=True)
    assert "read-only" in page_text(posted)
    assert sorted(active.lines.values_list("weight", flat=True)) == [30, 30, 40]
    result = json.loads(admin.post(url(active, "config-version-validate"), as_post(active)).content)
    assert "read-only" in result["errors"]["__all__"][0]


# -- publishing -----------------------------------------------------------------------------------


def put(world, partner, period, revenue, nps, late):
    day = period.start + dt.timedelta(days=10)
    for kpi, value in ((world.revenue, revenue), (world.nps, nps), (world.late, late)):
        MetricValue.objects.create(partner=partner, kpi=kpi, observed_on=day, value=value)


@pytest.fixture
def scored(world):
    put(world, world.acme, world.q3, 100000, 50, 5)  # 100: Gold
    put(world, world.globex, world.q3, 50000, 30, 10)  # 25*... Silver or Member
    assert scorecards_recompute(period_id=world.q3.pk, trigger="test").status == "succeeded"
    RecomputeMark.objects.all().delete()
    return world


def test_publishing_shows_the_whatif_summary_and_needs_a_reason(admin, scored, draft):
    row = row_of(draft, "revenue")
    admin.post(url(draft), as_post(draft, **{f"{row}-weight": "1"}))  # revenue hardly counts
    page = admin.get(url(draft, "config-version-publish"))
    text = page_text(page)
    assert page.status_code == 200
    assert "On 2026-Q3, the latest open period" in text
    assert "2 partners scored" in text
    assert "The full preview" in text and f"?version={draft.pk}" in page.content.decode()
    refused = admin.post(url(draft, "config-version-publish"), {"reason": "  "})
    assert refused.status_code == 400
    assert "Give a reason for publishing" in page_text(refused)
    draft.refresh_from_db()
    assert draft.status == "draft" and not RecomputeMark.objects.exists()


def test_publishing_with_a_reason_activates_the_draft_and_requests_recomputes(admin, scored, draft):
    response = admin.post(url(draft, "config-version-publish"), {"reason": "FY27 programme"})
    assert response.status_code == 302
    draft.refresh_from_db()
    scored.version.refresh_from_db()
    assert (draft.status, draft.published_by) == ("active", scored.admin)
    assert scored.version.status == "retired"
    marks = RecomputeMark.objects.filter(partner__isnull=True)
    assert set(marks.values_list("period__code", flat=True)) == {"2026-Q2", "2026-Q3"}
    assert all("FY27 programme" in m.reason for m in marks)
    record = draft.history.order_by("-history_date").first()  # the audit trail keeps the why
    assert (record.status, record.history_user, record.history_change_reason) == (
        "active",
        scored.admin,
        "published reseller v2: FY27 programme",
    )
    shown = page_text(admin.get(url(draft)))
    assert "published (FY27 programme)" in shown and "Read-only." in shown
    assert "History of this version" in shown


def test_a_draft_with_problems_cannot_be_published(admin, world, draft):
    draft.tiers.filter(min_score=0).delete()
    page = admin.get(url(draft, "config-version-publish"))
    assert "The tiers must include one with min score 0." in page_text(page)
    response = admin.post(url(draft, "config-version-publish"), {"reason": "try"})
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.status == "draft"


# -- KPI editor -----------------------------------------------------------------------------------


def check(admin, code, formula) -> dict:
    response = admin.post(reverse("config-kpi-check"), {"code": code, "formula": formula})
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_formula_check_shows_inputs_or_names_the_error(admin, world):
    ok = check(admin, "rev_per_nps", "revenue / max(nps, 1) + prev(revenue)")
    assert ok["ok"] is True and ok["error"] == ""
    assert ok["inputs"] == ["nps", "revenue"] and ok["previous"] == ["revenue"]
    unknown = check(admin, "x", "revenue + bogus")
    assert unknown["ok"] is False and "unknown KPI code 'bogus'" in unknown["error"]
    syntax = check(admin, "x", "revenue +")
    assert syntax["ok"] is False and syntax["error"]
    KPI.objects.create(code="a", name="A", source="formula", formula="b + 1", aggregation="sum")
    KPI.objects.create(code="b", name="B")
    cycle = check(admin, "b", "a * 2")
    assert cycle["ok"] is False and "cycle" in cycle["error"].lower()


def test_the_kpi_editor_saves_and_refuses_a_bad_formula(admin, world):
    page = admin.get(reverse("config-kpi-new"))
    assert page.status_code == 200
    assert 'data-check-url="/config/kpis/check/"' in page.content.decode()
    fields = {
        "code": "rev_share",
        "name": "Revenue share",
        "category": "sales",
        "direction": "higher",
        "source": "formula",
        "aggregation": "sum",
        "formula": "revenue / nope",
        "stale_after_days": "30",
    }
    refused = admin.post(reverse("config-kpi-new"), fields)
    assert refused.status_code == 400 and "unknown KPI code 'nope'" in page_text(refused)
    assert not KPI.objects.filter(code="rev_share").exists()
    saved = admin.post(reverse("config-kpi-new"), {**fields, "formula": "revenue / 2"})
    assert saved.status_code == 302
    kpi = KPI.objects.get(code="rev_share")
    assert (kpi.formula, kpi.stale_after_days) == ("revenue / 2", 30)
    page = admin.get(reverse("config-kpi", args=["rev_share"]))
    html = page.content.decode()
    assert re.search(r'id="aggregation-field"\s+hidden', html)  # hidden for a formula KPI
    assert "Reads: revenue" in page_text(page)
    plain = admin.get(reverse("config-kpi", args=["nps"])).content.decode()
    assert 'id="aggregation-field">' in plain


def test_a_kpi_code_cannot_be_changed(admin, world):
    data = {
        "code": "renamed",
        "name": "Revenue (net)",
        "category": "sales",
        "direction": "higher",
        "source": "import",
        "aggregation": "sum",
        "formula": "",
        "stale_after_days": "60",
    }
    assert admin.post(reverse("config-kpi", args=["revenue"]), data).status_code == 302
    world.revenue.refresh_from_db()
    assert (world.revenue.code, world.revenue.name) == ("revenue", "Revenue (net)")


# -- schedule -------------------------------------------------------------------------------------


@pytest.fixture
def schedule(db):
    call_command("setup_schedule", stdout=io.StringIO())
    return PeriodicTask.objects.get(name="Recompute open periods")


def test_the_schedule_is_shown_in_plain_words(admin, world, schedule):
    text = page_text(admin.get(reverse("config-schedule")))
    assert "Recompute open periods Runs every 60 minutes" in text
    assert "Recompute what changed (sweep) Runs every" in text


def test_the_schedule_is_edited_in_plain_words(admin, world, schedule):
    edit = reverse("config-schedule-edit", args=[schedule.pk])
    done = admin.post(edit, {"kind": "daily", "at": "06:30", "enabled": "on"}, follow=True)
    schedule.refresh_from_db()
    assert schedule.interval is None and schedule.enabled
    assert (schedule.crontab.hour, schedule.crontab.minute) == ("6", "30")
    assert "now daily at 06:30" in page_text(done)
    admin.post(edit, {"kind": "every", "every": "2", "unit": "hours"})  # enabled unticked
    schedule.refresh_from_db()
    assert (schedule.interval.every, schedule.interval.period, schedule.crontab) == (
        2,
        "hours",
        None,
    )
    assert schedule.enabled is False
    assert "every 2 hours paused" in page_text(admin.get(reverse("config-schedule")))


@pytest.mark.parametrize(
    "post, message",
    [
        ({"kind": "every", "every": "0", "unit": "minutes"}, "from 1 to 10080 (got '0')"),
        ({"kind": "every", "every": "ten", "unit": "hours"}, "(got 'ten')"),
        ({"kind": "daily", "at": "25:00"}, "as HH:MM, e.g. 06:30 (got '25:00')"),
        ({}, "Choose 'every' or 'daily at'."),
    ],
)
def test_a_bad_schedule_is_refused_in_words(admin, world, schedule, post, message):
    before = (schedule.interval_id, schedule.crontab_id, schedule.enabled)
    done = admin.post(reverse("config-schedule-edit", args=[schedule.pk]), post, follow=True)
    assert message in page_text(done)
    schedule.refresh_from_db()
    assert (schedule.interval_id, schedule.crontab_id, schedule.enabled) == before


def test_the_configuration_nav_is_for_admins(client, world):
    client.force_login(world.admin)
    assert 'href="/config/models/"' in client.get(reverse("portfolio")).content.decode()
    client.force_login(world.manager)
    assert 'href="/config/models/"' not in client.get(reverse("portfolio")).content.decode()
