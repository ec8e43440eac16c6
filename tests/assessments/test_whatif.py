"""What-if (SCORING.md section 16): a draft's preview equals publishing it and recomputing the
period, every partner's numbers at 9 decimals; the preview writes nothing; its comparison
(matrix, winners and losers, partners falling to insufficient data) matches the scorecards
before and after a real publish; refusals name the problem; the page and the API."""

import datetime as dt
import math
import random
import re
from html import unescape

import pandas as pd
import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from assessments.models import RecomputeRun, Scorecard, ScorecardLine, TierChange
from assessments.selectors import recompute_inputs
from assessments.services import period_close, scorecards_recompute
from assessments.whatif import NO_TIER, whatif_preview, whatif_preview_cached
from kpis import scoring
from kpis.models import (
    KPI,
    MetricValue,
    ModelLine,
    Period,
    RecomputeMark,
    ScoringModel,
    ScoringModelVersion,
    Tier,
    TierRequirement,
    VersionStatus,
)
from kpis.recompute import request_recompute
from kpis.services import version_draft_create, version_publish
from partners.models import Partner
from tests.assessments.test_portfolio import Q3_DAY, portfolio  # noqa: F401 (fixture)

RESULTS = ["score", "status", "tier", "rank", "percentile"]


def close(a, b) -> bool:
    """Equal as the contract compares: at 9 decimals, missing equal to missing."""
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return b is not None and not math.isnan(b) and round(a, 9) == round(b, 9)


def stored(period: Period, type_code: str | None = None) -> pd.DataFrame:
    cards = Scorecard.objects.filter(period=period).select_related("partner", "partner_type")
    if type_code:
        cards = cards.filter(partner_type__code=type_code)
    rows = cards.values_list("partner__code", *RESULTS, "tier_min_score")
    frame = pd.DataFrame.from_records(list(rows), columns=["code", *RESULTS, "tier_min"])
    frame = frame.set_index("code").sort_index()  # old and new align row by row
    return frame.astype({"score": "float64", "percentile": "float64"})


def snapshot() -> dict[str, list]:
    """Every row the recompute writes, and the marks a write would leave."""
    return {
        "cards": sorted(Scorecard.objects.values_list()),
        "lines": sorted(ScorecardLine.objects.values_list()),
        "changes": sorted(TierChange.objects.values_list()),
        "runs": sorted(RecomputeRun.objects.values_list()),
        "marks": sorted(RecomputeMark.objects.values_list()),
    }


def assert_preview_equals_stored(preview, period: Period, type_code: str) -> None:
    after = stored(period, type_code)
    got = preview.partners.set_index("code")
    assert sorted(got.index) == sorted(after.index)
    for code, row in after.iterrows():
        for column in RESULTS:
            assert close(row[column], got.at[code, column]), (code, column, row[column])


def rich_draft(world) -> ScoringModelVersion:
    """The resellers' next version, changing every kind of thing: a weight and a threshold, a
    new line with data for a few partners only (the rest fall to insufficient data under a
    higher min_coverage), the zero policy's cousin amber_from, a tier moved and a tier renamed
    at the same threshold."""
    draft = version_draft_create(model=world.version.model)
    draft.lines.filter(kpi=world.revenue).update(weight=10, target=80000)
    draft.lines.filter(kpi=world.nps).update(target=60, stretch=None)
    training = KPI.objects.create(code="training", name="Training", aggregation="sum")
    ModelLine.objects.create(version=draft, kpi=training, weight=30, floor=0, target=10)
    for i in range(14):  # R14-R19 have no training data
        MetricValue.objects.create(
            partner=Partner.objects.get(code=f"R{i:02d}"),
            kpi=training,
            observed_on=Q3_DAY,
            value=12 - i / 2 if i % 2 == 0 else 1,
        )
    RecomputeMark.objects.all().delete()  # the scorecards count as current (see `stale`)
    draft.min_coverage = 0.75
    draft.amber_from = 50
    draft.save()
    draft.tiers.filter(name="Gold").update(min_score=85)
    draft.tiers.filter(name="Member").update(name="Registered")
    return draft


# -- the numbers equal a real publish + recompute -----------------------------------------------


def test_draft_preview_equals_publishing_it_and_recomputing_the_period(portfolio):  # noqa: F811
    world = portfolio
    draft = rich_draft(world)
    before = snapshot()
    distributors_before = stored(world.q3, "distributor")

    preview = whatif_preview(version=draft, period=world.q3)

    assert snapshot() == before  # it wrote nothing, not even a run row or a mark
    assert set(preview.partners["partner_type"]) == {"reseller"}  # only the draft's type
    assert len(preview.partners) == 24  # ACME, GLOBEX, 20 resellers, LONELY, EMPTY
    version_publish(version=draft)
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    assert_preview_equals_stored(preview, world.q3, "reseller")
    # other partner types are untouched by the publish, as the preview assumed
    pd.testing.assert_frame_equal(stored(world.q3, "distributor"), distributors_before)


def test_weight_edit_preview_equals_publishing_that_weight(portfolio):  # noqa: F811
    world = portfolio
    before = snapshot()
    preview = whatif_preview(version=world.version, period=world.q3, weight_changes={"nps": 90})
    assert snapshot() == before
    assert preview.weight_changes == {"nps": 90.0}
    assert world.version.lines.get(kpi=world.nps).weight == 30  # nothing saved

    draft = version_draft_create(model=world.version.model)
    draft.lines.filter(kpi=world.nps).update(weight=90)
    version_publish(version=draft)
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    assert_preview_equals_stored(preview, world.q3, "reseller")
    assert preview.summary().changed > 0


def test_draft_of_the_default_model_previews_every_type_it_would_serve(portfolio):  # noqa: F811
    """A default model serves the types without a model of their own: publishing its first
    version scores them, each type ranked among itself."""
    world = portfolio
    other = Partner.objects.create(
        code="MSP1", name="Msp one", partner_type=_type("msp"), manager=world.manager
    )
    other2 = Partner.objects.create(code="MSP2", name="Msp two", partner_type=_type("msp"))
    for partner, value in ((other, 90000.0), (other2, 30000.0)):
        MetricValue.objects.create(
            partner=partner, kpi=world.revenue, observed_on=Q3_DAY, value=value
        )
    scorecards_recompute(period_id=world.q3.pk, trigger="test")  # msp: no model, skipped
    default = ScoringModel.objects.create(code="default", name="Default", is_default=True)
    draft = version_draft_create(model=default)
    ModelLine.objects.create(version=draft, kpi=world.revenue, weight=1, floor=0, target=100000)
    Tier.objects.create(version=draft, name="Listed", min_score=0)
    Tier.objects.create(version=draft, name="Strong", min_score=50)

    preview = whatif_preview(version=draft, period=world.q3)

    got = preview.partners.set_index("code")
    assert sorted(got.index) == ["MSP1", "MSP2"]
    assert list(got["old_status"]) == ["", ""]  # no scorecard today
    assert list(got["move"]) == ["gained", "gained"]
    version_publish(version=draft)
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    assert_preview_equals_stored(preview, world.q3, "msp")


def test_preview_reads_only_the_partner_types_the_version_scores(portfolio):  # noqa: F811
    world = portfolio
    inputs = recompute_inputs(period=world.q3, for_warnings=False, scored_by=world.version.pk)
    resellers = set(
        Partner.objects.filter(partner_type=world.reseller).values_list("pk", flat=True)
    )
    assert set(inputs.members["partner_id"]) == resellers
    assert set(inputs.values["partner_id"]) <= resellers and len(inputs.values) > 0
    assert set(inputs.previous_cards["partner_id"]) <= resellers
    assert inputs.history.empty  # projections are not previewed


def _type(code: str):
    from partners.models import PartnerType

    return PartnerType.objects.get_or_create(code=code, defaults={"name": code.upper()})[0]


# -- with tier rules: requirements and demotion grace over a history ----------------------------


def tier_history(world, *, grace: int, seed: int) -> Period:
    """Q1-Q4 of 16 resellers whose KPIs wander (tiers go up and down), scored in order by the
    active version with `grace`, then Q1-Q3 closed (their scorecards are the previous cards of
    Q4, the open period). Returns Q4."""
    rng = random.Random(seed)
    ScoringModelVersion.objects.filter(pk=world.version.pk).update(demotion_grace=grace)
    q1 = Period.objects.create(code="2026-Q1", start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))
    q4 = Period.objects.create(
        code="2026-Q4", start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31)
    )
    partners = [world.acme, world.globex] + [
        Partner.objects.create(code=f"T{i:02d}", name=f"Tiered {i}", partner_type=world.reseller)
        for i in range(14)
    ]
    values = []
    for period in (q1, world.q2, world.q3, q4):
        day = period.start + dt.timedelta(days=20)
        for partner in partners:
            for kpi, low, high in (
                (world.revenue, 60000, 160000),
                (world.nps, 25, 70),
                (world.late, 0, 14),
            ):
                if rng.random() < 0.06:  # now and then a KPI without data (a requirement unmet)
                    continue
                values.append(
                    MetricValue(
                        partner=partner, kpi=kpi, observed_on=day, value=rng.uniform(low, high)
                    )
                )
    MetricValue.objects.bulk_create(values)
    for period in (q1, world.q2, world.q3, q4):
        scorecards_recompute(period_id=period.pk, trigger="test")
    for period in (q1, world.q2, world.q3):
        period_close(period=period)
    RecomputeMark.objects.all().delete()  # the scorecards count as current
    cache.clear()
    return q4


@pytest.mark.parametrize("grace, seed", [(0, 1), (2, 2), (2, 5)])
def test_preview_with_tier_rules_equals_publishing_over_a_history(world, grace, seed):
    """The draft adds requirements and sets demotion grace 1 on a history scored with grace
    `grace`: who holds a tier depends on the previous (closed) cards' tier, its threshold and
    their grace used, all of which the preview must read as the recompute does."""
    q4 = tier_history(world, grace=grace, seed=seed)
    q3_cards = Scorecard.objects.filter(period=world.q3)
    if grace:
        assert q3_cards.filter(grace_used__gte=1).exists()  # the history holds some tiers
    draft = version_draft_create(model=world.version.model)
    draft.demotion_grace = 1
    draft.save()
    gold, silver = (draft.tiers.get(name=name) for name in ("Gold", "Silver"))
    TierRequirement.objects.create(tier=gold, kpi=world.nps, min_kpi_score=60)
    TierRequirement.objects.create(tier=silver, kpi=world.late, min_kpi_score=30)
    before = snapshot()

    preview = whatif_preview(version=draft, period=q4)

    assert snapshot() == before
    assert len(preview.partners) == 16
    version_publish(version=draft, reason="tier rules")
    scorecards_recompute(period_id=q4.pk, trigger="test")
    assert_preview_equals_stored(preview, q4, "reseller")
    after = Scorecard.objects.filter(period=q4)
    # not a vacuous equality: the grace held tiers, and the requirements cost some a tier
    held = after.filter(grace_used=1)
    assert held.exists()
    assert all(card.tier != card.earned_tier for card in held)
    by_score = {"Gold": 80, "Silver": 60, "Member": 0}  # the tier the score alone earns
    assert any(
        by_score[card.earned_tier] < max(m for m in by_score.values() if m <= card.score)
        for card in after.filter(status="ok")
    )
    q3 = {card.partner_id: card for card in q3_cards}
    ended = [  # held in Q3 and still below that tier in Q4: grace 1 is used up, they fall
        card
        for card in after.filter(status="ok")
        if card.partner_id in q3
        and q3[card.partner_id].grace_used >= 1
        and card.earned_tier != q3[card.partner_id].tier
    ]
    if grace:
        assert ended
    assert all((card.tier, card.grace_used) == (card.earned_tier, 0) for card in ended)


# -- the comparison ----------------------------------------------------------------------------


def test_comparison_matches_the_scorecards_before_and_after_publishing(portfolio):  # noqa: F811
    world = portfolio
    draft = rich_draft(world)
    old = stored(world.q3, "reseller")
    preview = whatif_preview(version=draft, period=world.q3)
    version_publish(version=draft)
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    new = stored(world.q3, "reseller")

    # the matrix: (old tier, new tier) -> exactly the partners who make that move
    expected: dict[tuple[str, str], set[str]] = {}
    for code in new.index:
        expected.setdefault((old.at[code, "tier"], new.at[code, "tier"]), set()).add(code)
    got = {
        (a, b): set(rows["code"]) for a, row in preview.matrix().items() for b, rows in row.items()
    }
    assert got == expected
    assert set(preview.cell("Member", "Registered")["code"]) == expected[("Member", "Registered")]

    change = (new["score"] - old["score"]).dropna().rename("change").reset_index()
    # biggest first; equal changes (R02 and R04 gain exactly 21.875) by partner code
    winners = change[change["change"] > 0].sort_values(["change", "code"], ascending=[False, True])
    losers = change[change["change"] < 0].sort_values(["change", "code"])
    assert list(preview.winners()["code"]) == list(winners["code"].head(10))
    assert list(preview.losers()["code"]) == list(losers["code"].head(10))
    assert len(winners) > 0 and len(losers) > 0

    falling = old[(old["status"] == "ok") & new["status"].isin(["insufficient_data", "no_data"])]
    assert set(preview.falling()["code"]) == set(falling.index) != set()

    summary = preview.summary()
    both = (old["tier"] != "") & (new["tier"] != "")
    assert summary.ups == int((both & (new["tier_min"] > old["tier_min"])).sum())
    assert summary.downs == int((both & (new["tier_min"] < old["tier_min"])).sum())
    assert summary.downs > 0  # Gold moved from 80 to 85
    assert summary.to_insufficient == int(
        ((old["status"] == "ok") & (new["status"] == "insufficient_data")).sum()
    )
    assert summary.lost == int(((old["tier"] != "") & (new["tier"] == "")).sum())
    assert summary.partners == 24
    assert math.isclose(summary.mean_change, change["change"].mean())


def test_a_tier_renamed_at_the_same_threshold_is_not_a_move(portfolio):  # noqa: F811
    world = portfolio
    draft = version_draft_create(model=world.version.model)
    draft.tiers.filter(name="Member").update(name="Registered")
    preview = whatif_preview(version=draft, period=world.q3)
    renamed = preview.cell("Member", "Registered")
    assert len(renamed) > 0 and set(renamed["move"]) == {"same"}
    summary = preview.summary()
    assert (summary.ups, summary.downs, summary.changed) == (0, 0, 0)
    assert summary.same_tier == int((preview.partners["old_tier"] != NO_TIER).sum())
    assert preview.tier_order == ["Gold", "Silver", "Member", "Registered", NO_TIER]


def test_stale_scorecards_are_flagged(portfolio):  # noqa: F811
    """An input changed since the last recompute (a mark waits): the comparison says so."""
    world = portfolio
    RecomputeMark.objects.all().delete()
    assert not whatif_preview(version=world.version, period=world.q3).stale
    MetricValue.objects.create(partner=world.acme, kpi=world.nps, observed_on=Q3_DAY, value=10)
    request_recompute(period_ids=[world.q3.pk], partner_id=world.acme.pk, reason="test")
    assert whatif_preview(version=world.version, period=world.q3).stale


# -- refusals --------------------------------------------------------------------------------


def test_refusals_name_the_problem(portfolio):  # noqa: F811
    world = portfolio
    period_close(period=world.q2)
    cases = [
        (dict(version=world.version, period=world.q2), "Period 2026-Q2 is closed"),
        (dict(version=world.version, period=world.q3, weight_changes={"bogus": 5}), "'bogus'"),
        (dict(version=world.version, period=world.q3, weight_changes={"nps": 0}), "nps"),
        (dict(version=world.version, period=world.q3, weight_changes={"nps": "x"}), "number"),
        (
            dict(version=world.version, period=world.q3, weight_changes={"nps": float("inf")}),
            "greater than 0",
        ),
    ]
    for kwargs, words in cases:
        with pytest.raises(ValidationError) as caught:
            whatif_preview(**kwargs)
        assert words in " ".join(caught.value.messages), (kwargs, caught.value.messages)
    draft = version_draft_create(model=world.version.model)
    draft.tiers.filter(min_score=0).delete()
    with pytest.raises(ValidationError, match="cannot be published yet.*min score 0"):
        whatif_preview(version=draft, period=world.q3)
    retired = ScoringModelVersion.objects.create(
        model=world.version.model, number=9, status=VersionStatus.RETIRED
    )
    with pytest.raises(ValidationError, match="retired"):
        whatif_preview(version=retired, period=world.q3)


# -- cache ------------------------------------------------------------------------------------


def test_cached_preview_follows_every_change_it_reads(portfolio):  # noqa: F811
    world = portfolio
    cache.clear()
    draft = version_draft_create(model=world.version.model)
    first = whatif_preview_cached(version=draft, period=world.q3)
    with CaptureQueriesContext(connection) as warm:
        again = whatif_preview_cached(version=draft, period=world.q3)
    assert again.computed_at == first.computed_at  # served from the cache
    assert len(warm) <= 12, [q["sql"] for q in warm.captured_queries]

    # a line of the draft edited: a new preview with the new weight
    draft.lines.filter(kpi=world.revenue).update(weight=5)
    edited = whatif_preview_cached(version=draft, period=world.q3)
    assert edited.computed_at != first.computed_at
    assert edited.summary().changed > 0
    # a tier edited
    draft.tiers.filter(name="Gold").update(min_score=90)
    tiered = whatif_preview_cached(version=draft, period=world.q3)
    assert tiered.computed_at != edited.computed_at
    assert tiered.summary().downs > 0
    # a weight edit is its own preview
    weighted = whatif_preview_cached(version=draft, period=world.q3, weight_changes={"nps": 1})
    assert weighted.computed_at != tiered.computed_at
    # a recompute of the period (new stored scorecards) is a new preview
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    assert whatif_preview_cached(version=draft, period=world.q3).computed_at != (tiered.computed_at)


def test_preview_is_deterministic(portfolio):  # noqa: F811
    """The preview of an unchanged period: two runs give equal frames."""
    world = portfolio
    draft = rich_draft(world)
    a = whatif_preview(version=draft, period=world.q3)
    b = whatif_preview(version=draft, period=world.q3)
    pd.testing.assert_frame_equal(a.partners, b.partners)
    assert a.period_code == "2026-Q3" and "v2 (draft)" in a.version_label
    assert isinstance(a.computed_at, dt.datetime)
    assert scoring.comparable(a.partners["score"]).notna().any()


# -- the page -------------------------------------------------------------------------------


def page(client, user, params=None, status=200):
    client.force_login(user)
    response = client.get(reverse("whatif"), params or {})
    assert response.status_code == status, response.content[:800]
    return response


def test_page_shows_the_drafts_preview_with_the_same_numbers(client, portfolio):  # noqa: F811
    world = portfolio
    draft = rich_draft(world)
    cache.clear()
    response = page(client, world.admin)  # defaults: the draft, the latest open period
    preview = response.context["preview"]
    assert preview.version_id == draft.pk and preview.period_code == "2026-Q3"
    html = response.content.decode()
    summary = preview.summary()
    for number, label in [
        (summary.downs, "tier down"),
        (summary.ups, "tier up"),
        (summary.to_insufficient, "fall to insufficient data"),
    ]:
        assert re.search(rf'"num[^"]*">{number}</span><span>{label}</span>', html), label
    # the matrix: a cell per (today, then) pair, each linking to its partner list
    cells = re.findall(r'<td class="num[^"]*"><a href="([^"]+)">(\d+)</a>', html)
    assert sum(int(n) for _, n in cells) == summary.partners == 24
    href, n = next((h, n) for h, n in cells if "from=Gold" in h and "to=-" in unescape(h))
    query = unescape(href).split("?")[1].split("#")[0]
    listed = page(client, world.admin, dict(QueryDict(query).items()))
    rows = listed.context["cell"]
    assert len(rows) == int(n) == listed.context["cell_total"]
    assert {r["code"] for r in rows} == set(preview.cell("Gold", NO_TIER)["code"])
    assert all(r["status"] == "insufficient_data" for r in rows)
    # winners, losers and fallers name partners, linking to their scorecards
    assert [r["code"] for r in response.context["losers"]] == list(preview.losers()["code"])
    assert f'href="/partners/{preview.losers()["code"].iloc[0]}/?period=2026-Q3"' in html
    assert "Falling to insufficient data" in html and "R18" in html
    assert 'class="plotly-chart"' in html  # the heatmap


def test_page_weight_edit_of_the_active_version(client, portfolio):  # noqa: F811
    world = portfolio
    cache.clear()
    params = {"version": world.version.pk, "period": "2026-Q3", "kpi": "nps", "weight": "90"}
    response = page(client, world.manager, params)  # managers may view
    preview = response.context["preview"]
    expected = whatif_preview(version=world.version, period=world.q3, weight_changes={"nps": 90})
    pd.testing.assert_frame_equal(preview.partners, expected.partners)
    assert "nps weighed 90" in response.content.decode()


def test_page_refuses_bad_input_with_the_reason(client, portfolio):  # noqa: F811
    world = portfolio
    period_close(period=world.q2)
    cases = [
        ({"version": "abc"}, "There is no draft or active version with id &#x27;abc&#x27;"),
        ({"version": "99999"}, "There is no draft or active version with id &#x27;99999&#x27;"),
        ({"period": "2026-Q2"}, "Period 2026-Q2 is closed"),
        ({"period": "1999-Q1"}, "There is no period &#x27;1999-Q1&#x27;"),
        ({"kpi": "nps"}, "needs both a KPI and its new weight"),
        ({"kpi": "bogus", "weight": "3"}, "&#x27;bogus&#x27; is not a KPI line"),
        ({"kpi": "nps", "weight": "-3"}, "must be greater than 0"),
        ({"kpi": "nps", "weight": "lots"}, "must be a number"),
    ]
    for params, words in cases:
        params.setdefault("version", world.version.pk)
        response = page(client, world.admin, params, status=400)
        assert words in response.content.decode(), params
        assert response.context["preview"] is None


def test_page_is_for_admins_and_managers_only(client, portfolio):  # noqa: F811
    world = portfolio
    response = client.get(reverse("whatif"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    for user in (world.acme_user, world.globex_user):
        page(client, user, status=404)
    staff_only = User.objects.create_user("staffer", password="x", is_staff=True)
    page(client, staff_only, status=404)  # staff alone is no role (partners.access)
    page(client, world.manager)
    page(client, world.admin)
    # a partner user does not even see the link
    client.force_login(world.acme_user)
    assert reverse("whatif") not in client.get(reverse("scorecard", args=["ACME"])).content.decode()


def test_page_served_from_the_cache_reads_little(client, portfolio):  # noqa: F811
    world = portfolio
    rich_draft(world)
    cache.clear()
    page(client, world.admin)
    with CaptureQueriesContext(connection) as warm:
        response = client.get(reverse("whatif"))
    assert response.context["preview"] is not None
    # session, user, choices, the key's parts (version, model, KPIs, lines, tiers, runs,
    # marks, previous period), the weight-edit menu and the unread-alerts badge: none per partner
    assert len(warm) <= 15, [q["sql"] for q in warm.captured_queries]


# -- the API --------------------------------------------------------------------------------


def api_get(user, params, status=200):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    response = client.get("/api/v1/whatif/", params)
    assert response.status_code == status, response.content[:800]
    return response.json()


def test_api_returns_the_preview_a_real_publish_confirms(portfolio):  # noqa: F811
    world = portfolio
    draft = rich_draft(world)
    cache.clear()
    before = snapshot()
    body = api_get(world.admin, {"version": draft.pk})  # period: the latest open one
    assert snapshot() == before
    assert body["period"] == "2026-Q3" and body["version"] == draft.pk
    assert body["summary"]["partners"] == len(body["partners"]) == 24
    assert sum(cell["count"] for cell in body["matrix"]) == 24
    version_publish(version=draft)
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    after = stored(world.q3, "reseller")
    for row in body["partners"]:
        for column in RESULTS:
            assert close(after.at[row["code"], column], row[column]), (row["code"], column)
    falling = {r["code"] for r in body["partners"] if r["move"] == "lost"}
    assert set(body["falling"]) == falling and falling
    gold_to_none = next(c for c in body["matrix"] if (c["from_tier"], c["to_tier"]) == ("Gold", ""))
    assert sorted(gold_to_none["partners"]) == sorted(
        after[(after["status"] != "ok")].index.intersection(
            [r["code"] for r in body["partners"] if r["old_tier"] == "Gold"]
        )
    )


def test_api_weight_edits_and_access(portfolio):  # noqa: F811
    world = portfolio
    params = {"version": world.version.pk, "period": "2026-Q3", "weights": "nps:90, revenue:10"}
    body = api_get(world.manager, params)  # managers may read
    expected = whatif_preview(
        version=world.version, period=world.q3, weight_changes={"nps": 90, "revenue": 10}
    )
    assert body["weight_changes"] == {"nps": 90.0, "revenue": 10.0}
    assert [r["code"] for r in body["partners"]] == list(expected.partners["code"])
    for row, (_, want) in zip(body["partners"], expected.partners.iterrows(), strict=True):
        assert close(want["score"], row["score"]) and row["tier"] == want["tier"]
    api_get(world.acme_user, params, status=403)
    api_get(None, params, status=401)


def test_api_refuses_bad_input_naming_it(portfolio):  # noqa: F811
    world = portfolio
    period_close(period=world.q2)
    v = world.version.pk
    cases = [
        ({}, "version"),
        ({"version": "x"}, "valid integer"),
        ({"version": 99999}, "There is no version with id 99999"),
        ({"version": v, "period": "1999-Q1"}, "There is no period '1999-Q1'"),
        ({"version": v, "period": "2026-Q2"}, "Period 2026-Q2 is closed"),
        ({"version": v, "weights": "nps"}, "'nps' is not code:weight"),
        ({"version": v, "weights": "nps:1,nps:2"}, "'nps' is given twice"),
        ({"version": v, "weights": "bogus:3"}, "'bogus' is not a KPI line"),
        ({"version": v, "weights": "nps:0"}, "must be greater than 0"),
    ]
    for params, words in cases:
        body = api_get(world.admin, params, status=400)
        assert words in str(body), (params, body)


def test_a_version_that_scores_nobody_previews_empty(client, portfolio):  # noqa: F811
    """A model for a partner type without partners: nothing moves, and the page says so."""
    world = portfolio
    model = ScoringModel.objects.create(code="msp", name="MSP", partner_type=_type("msp"))
    draft = version_draft_create(model=model)
    ModelLine.objects.create(version=draft, kpi=world.revenue, weight=1, floor=0, target=10)
    Tier.objects.create(version=draft, name="Listed", min_score=0)
    preview = whatif_preview(version=draft, period=world.q3)
    assert preview.partners.empty and preview.summary().partners == 0
    assert preview.summary().mean_change is None
    response = page(client, world.admin, {"version": draft.pk})
    assert "Nobody gains." in response.content.decode()
