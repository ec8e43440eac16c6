"""Periods: the next ones in bulk (codes, no gap, no overlap) and the admin page's add, close
and reopen flows, each behind a confirmation and recorded in the audit trail."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from kpis.models import Granularity, Period, PeriodStatus, RecomputeMark
from kpis.periods import periods_create_next, periods_plan_next

D = dt.date


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# -- the service ---------------------------------------------------------------------------------


def test_the_next_quarters_continue_after_the_latest_across_the_year(world):
    created = periods_create_next(granularity=Granularity.QUARTER, count=3, user=world.admin)
    assert [(p.code, p.start, p.end) for p in created] == [
        ("2026-Q4", D(2026, 10, 1), D(2026, 12, 31)),
        ("2027-Q1", D(2027, 1, 1), D(2027, 3, 31)),
        ("2027-Q2", D(2027, 4, 1), D(2027, 6, 30)),
    ]
    assert all(p.status == PeriodStatus.OPEN for p in created)
    record = Period.objects.get(code="2027-Q1").history.get()
    assert (record.history_type, record.history_user) == ("+", world.admin)
    assert record.history_change_reason == "added with the next 3 quarters"


def test_the_first_months_need_a_first_day_then_continue(world):
    with pytest.raises(ValidationError, match="no month yet"):
        periods_plan_next(granularity=Granularity.MONTH, count=2)
    with pytest.raises(ValidationError, match="first day of a month"):
        periods_plan_next(granularity=Granularity.MONTH, count=2, first_start=D(2026, 11, 5))
    first = periods_create_next(granularity=Granularity.MONTH, count=2, first_start=D(2026, 11, 1))
    assert [(p.code, p.end) for p in first] == [
        ("2026-11", D(2026, 11, 30)),
        ("2026-12", D(2026, 12, 31)),
    ]
    more = periods_create_next(granularity=Granularity.MONTH, count=2)
    assert [(p.code, p.start, p.end) for p in more] == [
        ("2027-01", D(2027, 1, 1), D(2027, 1, 31)),
        ("2027-02", D(2027, 2, 1), D(2027, 2, 28)),
    ]


@pytest.mark.parametrize(
    ("first_start", "message"),
    [
        (D(2027, 4, 1), "would leave a gap after 2026-Q3 .* the next quarter is 2026-Q4"),
        (D(2026, 7, 1), "would overlap 2026-Q3 .* the next quarter is 2026-Q4"),
    ],
)
def test_a_gap_or_an_overlap_is_refused_naming_the_next_period(world, first_start, message):
    with pytest.raises(ValidationError, match=message):
        periods_create_next(granularity=Granularity.QUARTER, count=2, first_start=first_start)
    assert Period.objects.count() == 2


@pytest.mark.parametrize("count", [0, 25])
def test_the_count_is_bounded(world, count):
    with pytest.raises(ValidationError, match="Add 1 to 24 periods"):
        periods_plan_next(granularity=Granularity.QUARTER, count=count)


def test_a_code_in_use_is_refused(world):
    Period.objects.create(
        code="2026-Q4", start=D(2026, 10, 1), end=D(2026, 10, 31), granularity=Granularity.MONTH
    )
    with pytest.raises(ValidationError, match="already in use: 2026-Q4"):
        periods_plan_next(granularity=Granularity.QUARTER, count=1)


def test_a_latest_period_off_the_calendar_is_not_continued(world):
    Period.objects.create(code="odd", start=D(2026, 10, 1), end=D(2026, 11, 15))
    with pytest.raises(ValidationError, match="odd, ends on 2026-11-15, not at the end"):
        periods_plan_next(granularity=Granularity.QUARTER, count=1)


# -- the page ------------------------------------------------------------------------------------


def test_the_page_lists_periods_with_status_and_scorecard_counts(world):
    from assessments.services import period_close, scorecards_recompute

    scorecards_recompute(period_id=world.q2.pk, trigger="test")
    period_close(period=world.q2)
    response = signed_in(world.admin).get(reverse("periods"))
    assert response.status_code == 200
    rows = {p.code: p for p in response.context["periods"]}
    assert rows["2026-Q2"].scorecard_count == 2 and rows["2026-Q2"].recomputed_at is not None
    assert (rows["2026-Q3"].scorecard_count, rows["2026-Q3"].status) == (0, "open")
    html = response.content.decode()
    assert reverse("period-status", args=["2026-Q2", "reopen"]) in html
    assert reverse("period-status", args=["2026-Q3", "close"]) in html
    assert reverse("history", args=["kpis", "period", world.q2.pk]) in html


def test_adding_periods_shows_the_codes_first_then_creates_them(world):
    client = signed_in(world.admin)
    form = {"count": "2", "granularity": "quarter", "first_start": ""}
    response = client.post(reverse("periods-add"), form)
    assert response.status_code == 200
    assert [p.code for p in response.context["planned"]] == ["2026-Q4", "2027-Q1"]
    assert not Period.objects.filter(code="2026-Q4").exists()  # nothing yet
    response = client.post(reverse("periods-add"), form | {"confirm": "1"})
    assert response.status_code == 302
    created = Period.objects.filter(code__in=["2026-Q4", "2027-Q1"])
    assert created.count() == 2
    assert {p.history.get().history_user for p in created} == {world.admin}


def test_adding_with_a_gap_shows_the_problem_and_creates_nothing(world):
    response = signed_in(world.admin).post(
        reverse("periods-add"),
        {"count": "1", "granularity": "quarter", "first_start": "2027-01-01", "confirm": "1"},
    )
    assert response.status_code == 400
    assert "would leave a gap after 2026-Q3" in response.content.decode()
    assert Period.objects.count() == 2


def test_closing_asks_first_says_what_it_means_then_closes(world):
    client = signed_in(world.admin)
    url = reverse("period-status", args=["2026-Q3", "close"])
    response = client.post(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Inputs frozen" in html and "Scorecards kept" in html
    world.q3.refresh_from_db()
    assert world.q3.status == PeriodStatus.OPEN  # not yet
    assert client.post(url, {"confirm": "1"}).status_code == 302
    world.q3.refresh_from_db()
    assert world.q3.status == PeriodStatus.CLOSED and world.q3.closed_at is not None
    record = world.q3.history.order_by("-history_id").first()
    assert (record.history_user, record.history_change_reason) == (world.admin, "closed")


def test_reopening_asks_first_then_reopens_and_requests_a_recompute(world):
    from assessments.services import period_close

    period_close(period=world.q2)
    RecomputeMark.objects.all().delete()
    client = signed_in(world.admin)
    url = reverse("period-status", args=["2026-Q2", "reopen"])
    assert "Recomputed now" in client.post(url).content.decode()
    world.q2.refresh_from_db()
    assert world.q2.status == PeriodStatus.CLOSED
    assert client.post(url, {"confirm": "1"}).status_code == 302
    world.q2.refresh_from_db()
    assert world.q2.status == PeriodStatus.OPEN and world.q2.closed_at is None
    assert RecomputeMark.objects.filter(period=world.q2).exists()
    record = world.q2.history.order_by("-history_id").first()
    assert (record.history_user, record.history_change_reason) == (world.admin, "reopened")


@pytest.mark.parametrize("persona", ["manager", "acme_user"])
def test_only_admins_reach_the_periods_pages(world, persona):
    client = signed_in(getattr(world, persona))
    assert client.get(reverse("periods")).status_code == 404
    close = reverse("period-status", args=["2026-Q3", "close"])
    assert client.post(close, {"confirm": "1"}).status_code == 404
    add = {"count": "1", "granularity": "quarter", "confirm": "1"}
    assert client.post(reverse("periods-add"), add).status_code == 404
    world.q3.refresh_from_db()
    assert world.q3.status == PeriodStatus.OPEN and Period.objects.count() == 2


def test_an_unknown_action_or_period_is_404(world):
    client = signed_in(world.admin)
    assert client.post("/config/periods/2026-Q3/delete/").status_code == 404
    assert client.post("/config/periods/1999-Q1/close/").status_code == 404
