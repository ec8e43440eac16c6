"""Model versions (draft -> publish), formula validation on save, overrides, and the
de-duplicated recompute triggers."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from assessments import tasks
from kpis.admin import KPIForm
from kpis.models import KPI, ModelLine, RecomputeMark, ScoringModelVersion, TargetOverride, Tier
from kpis.recompute import request_recompute, request_recompute_of_open_periods
from kpis.services import version_draft_create, version_publish
from tests.helpers import forget_pending_recomputes


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(
        tasks.recompute_period,
        "apply_async",
        lambda args, countdown: calls.append(("period", *args)),
    )
    monkeypatch.setattr(
        tasks.recompute_partner,
        "apply_async",
        lambda args, countdown: calls.append(("partner", *args)),
    )
    forget_pending_recomputes()
    yield calls
    forget_pending_recomputes()


def test_draft_copies_active_version_and_publish_swaps(
    world, sent, django_capture_on_commit_callbacks
):
    draft = version_draft_create(model=world.version.model)
    assert (draft.number, draft.status) == (2, "draft")
    assert draft.lines.count() == 3 and draft.tiers.count() == 3
    assert version_draft_create(model=world.version.model) == draft  # one draft at a time
    draft.lines.filter(kpi=world.revenue).update(weight=60)
    with django_capture_on_commit_callbacks(execute=True):
        version_publish(version=draft, user=world.admin)
    world.version.refresh_from_db()
    draft.refresh_from_db()
    assert (world.version.status, draft.status) == ("retired", "active")
    assert draft.published_by == world.admin
    assert sorted(sent) == [
        ("period", world.q2.pk, "published reseller v2"),
        ("period", world.q3.pk, "published reseller v2"),
    ]


def test_publish_refuses_a_version_without_zero_tier(world):
    draft = version_draft_create(model=world.version.model)
    draft.tiers.filter(min_score=0).delete()
    with pytest.raises(ValidationError, match="min score 0"):
        version_publish(version=draft)
    assert ScoringModelVersion.objects.get(pk=draft.pk).status == "draft"


def test_database_refuses_bad_lines_and_two_active_versions(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelLine.objects.create(
            version=world.version,
            kpi=KPI.objects.create(code="x", name="x"),
            weight=-1,
            floor=0,
            target=1,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelLine.objects.filter(kpi=world.revenue).update(floor=100000, target=100000)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoringModelVersion.objects.create(model=world.version.model, number=9, status="active")


def test_line_validation_names_the_problem(world):
    line = ModelLine(version=world.version, kpi=world.late, weight=10, floor=5, target=20)
    with pytest.raises(ValidationError) as info:
        line.full_clean()
    assert "Floor (5) must be above the target (20)" in str(info.value)
    line = ModelLine(version=world.version, kpi=world.revenue, weight=0, floor=0, target=1)
    with pytest.raises(ValidationError, match="Weight must be greater than 0"):
        line.full_clean()
    override = TargetOverride(
        partner=world.acme, kpi=world.revenue, period=world.q3, floor=10, target=20, stretch=15
    )
    with pytest.raises(ValidationError, match="Stretch"):
        override.full_clean()


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("100 * (revenue / ", "unexpected end of formula"),
        ("revenue + bogus", "unknown KPI code 'bogus'"),
        ("growth_a + 1", "cycle: growth_b -> growth_a -> growth_b"),
    ],
)
def test_kpi_form_refuses_bad_formulas(world, formula, message):
    KPI.objects.create(code="growth_a", name="A", source="formula", formula="growth_b * 2")
    form = KPIForm(
        data={
            "code": "growth_b",
            "name": "B",
            "category": "growth",
            "unit": "%",
            "direction": "higher",
            "source": "formula",
            "aggregation": "sum",
            "formula": formula,
        }
    )
    assert not form.is_valid()
    assert message in form.errors["formula"][0]


def test_kpi_form_accepts_a_good_formula(world):
    form = KPIForm(
        data={
            "code": "growth",
            "name": "G",
            "category": "growth",
            "unit": "%",
            "direction": "higher",
            "source": "formula",
            "aggregation": "sum",
            "formula": "100 * (revenue / prev(revenue) - 1)",
        }
    )
    assert form.is_valid(), form.errors
    form.save()


def test_a_burst_of_changes_enqueues_one_recompute(world, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request_recompute(period_ids=[world.q3.pk], reason="import")
    with django_capture_on_commit_callbacks(execute=True):
        request_recompute(period_ids=[world.q3.pk, world.q3.pk], reason="import")
        request_recompute_of_open_periods(reason="publish")
    assert sent == [("period", world.q3.pk, "import"), ("period", world.q2.pk, "publish")]
    # once the task starts it drops its de-duplication key, so a later change enqueues again
    forget_pending_recomputes()
    with django_capture_on_commit_callbacks(execute=True):
        request_recompute(period_ids=[world.q3.pk], reason="later")
    assert sent[-1] == ("period", world.q3.pk, "later")


def test_nothing_is_enqueued_or_marked_when_the_transaction_rolls_back(
    world, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            request_recompute(period_ids=[world.q3.pk], reason="import")
            raise RuntimeError
        request_recompute(period_ids=[world.q2.pk], reason="kept")
    assert len(callbacks) == 1
    assert sent == [("period", world.q2.pk, "kept")]
    assert list(RecomputeMark.objects.values_list("period_id", flat=True)) == [world.q2.pk]


def test_tier_model_requires_unique_thresholds(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Tier.objects.create(version=world.version, name="Other", min_score=80)
