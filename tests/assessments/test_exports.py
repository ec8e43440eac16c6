"""Exports of the portfolio (the page's filters and ordering) and of one scorecard, as CSV and
.xlsx: rounded as the pages show with exact columns beside, safe to open in a spreadsheet,
scoped to what the user may see, and clear about bad parameters."""

import csv
import datetime as dt
import io
import tracemalloc
import zipfile
from html import unescape

import pytest
from django.db import connection
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from assessments.exports import page_round, xlsx_file
from assessments.models import Scorecard
from assessments.selectors import PORTFOLIO_EXPORT_HEADER, SCORECARD_EXPORT_HEADER
from assessments.services import scorecards_recompute
from kpis.models import MetricValue, Period
from partners.models import Partner, Region
from tests.world import sees_all

MAY, AUG = dt.date(2026, 5, 1), dt.date(2026, 8, 1)
EVIL_NAME = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def scored(world):
    """Q3 cards shaped like SCORING.md's worked examples; ACME also has a Q2 card (a trend).
    ACME 88.2 Gold, PLUS 80.0 Gold, AT 52.0 Member, GLOBEX 28.571... Member, and EVIL 100 with
    insufficient data (it sorts after the scored ones)."""
    sees_all(world.manager)  # the new partners are nobody's
    apac = Region.objects.create(code="apac", name="APAC")
    made = {
        code: Partner.objects.create(code=code, name=name, partner_type=world.reseller, region=r)
        for code, name, r in [
            ("EVIL", EVIL_NAME, apac),
            ("PLUS", "+Plus Partners", apac),
            ("AT", "@Risk Co", world.acme.region),
        ]
    }
    values = {
        (world.acme, MAY): (100000, 50, 5),
        (world.acme, AUG): (120000, 35, 8),  # example 1
        (world.globex, AUG): (50000, None, 25),  # example 2
        (made["EVIL"], AUG): (None, 60, None),  # example 3
        (made["PLUS"], AUG): (90000, 40, 10),
        (made["AT"], AUG): (60000, 30, 15),
    }
    MetricValue.objects.bulk_create(
        MetricValue(partner=partner, kpi=kpi, observed_on=day, value=value)
        for (partner, day), triple in values.items()
        for kpi, value in zip((world.revenue, world.nps, world.late), triple, strict=True)
        if value is not None
    )
    scorecards_recompute(period_id=world.q2.pk, trigger="test")
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    return world


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def xlsx_sheet(response):
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    return data, load_workbook(io.BytesIO(data)).active


def card(code: str) -> Scorecard:
    return Scorecard.objects.get(partner__code=code, period__code="2026-Q3")


# -- portfolio ---------------------------------------------------------------------------------


def test_portfolio_csv_is_rounded_as_the_page_with_exact_values_beside(scored, client):
    client.force_login(scored.manager)
    rows = csv_rows(client.get(reverse("portfolio-export"), {"period": "2026-Q3"}))
    by_code = {row["partner_code"]: row for row in rows}
    assert list(rows[0]) == PORTFOLIO_EXPORT_HEADER
    assert [row["partner_code"] for row in rows] == ["ACME", "PLUS", "AT", "GLOBEX", "EVIL"]
    globex, acme, plus = by_code["GLOBEX"], by_code["ACME"], by_code["PLUS"]
    assert (globex["score"], globex["tier"], globex["coverage_pct"]) == ("28.6", "Member", "70")
    assert globex["score_exact"] == repr(card("GLOBEX").score)  # every digit kept
    assert float(globex["score_exact"]) == pytest.approx(200 / 7, abs=1e-9)
    assert (plus["percentile"], float(plus["percentile_exact"])) == ("67", pytest.approx(200 / 3))
    assert (acme["score"], acme["trend"], acme["rank"], acme["peer_count"]) == (
        "88.2",
        "-11.8",
        "1",
        "4",
    )
    assert float(acme["trend_exact"]) == pytest.approx(-11.8)
    assert (by_code["EVIL"]["status"], by_code["EVIL"]["rank"]) == ("insufficient_data", "")
    assert by_code["EVIL"]["partner_name"] == "'" + EVIL_NAME  # formula neutralised
    assert by_code["PLUS"]["partner_name"] == "'+Plus Partners"
    assert by_code["AT"]["partner_name"] == "'@Risk Co"


@pytest.mark.parametrize(
    "params, codes",
    [
        ({"region": "apac"}, ["PLUS", "EVIL"]),
        ({"tier": "Gold"}, ["ACME", "PLUS"]),
        ({"status": "insufficient_data"}, ["EVIL"]),
        ({"q": "acme"}, ["ACME"]),
        ({"ordering": "score"}, ["GLOBEX", "AT", "PLUS", "ACME", "EVIL"]),
        ({"ordering": "-percentile"}, ["ACME", "PLUS", "AT", "GLOBEX", "EVIL"]),
        ({"region": "emea", "ordering": "-trend", "page": "7"}, ["ACME", "AT", "GLOBEX"]),
        ({"score_min": "50", "score_max": "85"}, ["PLUS", "AT"]),  # the portfolio's new filters
        ({"trend_max": "0"}, ["ACME"]),
    ],
)
def test_portfolio_export_applies_the_pages_filters_and_ordering(scored, client, params, codes):
    client.force_login(scored.manager)
    for name in ("portfolio-export", "portfolio-export-xlsx"):
        response = client.get(reverse(name), {"period": "2026-Q3", **params})
        if name.endswith("xlsx"):
            _, sheet = xlsx_sheet(response)
            got = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
        else:
            got = [row["partner_code"] for row in csv_rows(response)]
        assert got == codes, (name, params)


def test_portfolio_xlsx_has_numbers_strings_and_no_formula(scored, client):
    client.force_login(scored.manager)
    response = client.get(reverse("portfolio-export-xlsx"), {"period": "2026-Q3"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"] == 'attachment; filename="portfolio-2026-Q3.xlsx"'
    assert response["Cache-Control"] == "no-store"
    data, sheet = xlsx_sheet(response)
    header = [cell.value for cell in sheet[1]]
    assert header == PORTFOLIO_EXPORT_HEADER
    col = {name: index for index, name in enumerate(header)}
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    score, exact = rows["GLOBEX"][col["score"]], rows["GLOBEX"][col["score_exact"]]
    assert (score.value, score.number_format, score.data_type) == (28.6, "0.0", "n")
    assert exact.value == card("GLOBEX").score
    assert rows["PLUS"][col["percentile"]].value == 67
    assert rows["ACME"][col["trend"]].value == -11.8
    evil = rows["EVIL"][col["partner_name"]]
    assert (evil.value, evil.data_type) == (EVIL_NAME, "s")  # the name as text, not a formula
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "HYPERLINK" in sheet_xml


def test_portfolio_export_query_count_is_constant(scored, client):
    client.force_login(scored.manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert len(csv_rows(client.get(reverse("portfolio-export")))) > 0
        return len(ctx.captured_queries)

    small = queries()
    Partner.objects.bulk_create(
        Partner(code=f"Q{i:04d}", name=f"Q {i}", partner_type=scored.reseller) for i in range(60)
    )
    scorecards_recompute(period_id=scored.q3.pk, trigger="test")
    assert queries() == small <= 8


# -- one scorecard -----------------------------------------------------------------------------


def test_scorecard_csv_has_lines_contributions_and_headline(scored, client):
    client.force_login(scored.manager)
    response = client.get(reverse("scorecard-export", args=["ACME"]), {"period": "2026-Q3"})
    assert response["Content-Disposition"] == 'attachment; filename="scorecard-ACME-2026-Q3.csv"'
    rows = csv_rows(response)
    assert list(rows[0]) == SCORECARD_EXPORT_HEADER
    assert [row["kpi_code"] for row in rows] == ["revenue", "late_deliveries", "nps"]
    # SCORING.md section 12, example 10: 43.2 + 24.0 + 21.0 = 88.2; lost 0, 6.0, 9.0
    assert [row["contribution"] for row in rows] == ["43.2", "24.0", "21.0"]
    assert [row["lost_to_target"] for row in rows] == ["0.0", "6.0", "9.0"]
    assert [row["score"] for row in rows] == ["108.0", "80.0", "70.0"]
    total = sum(float(row["contribution_exact"]) for row in rows)
    assert total == pytest.approx(card("ACME").score, abs=1e-9)
    for row in rows:  # the headline on every line
        assert (row["card_score"], row["card_tier"], row["card_status"]) == ("88.2", "Gold", "ok")
        assert (row["card_rank"], row["card_percentile"], row["card_trend"]) == (
            "1",
            "100",
            "-11.8",
        )
        assert row["card_coverage_pct"] == "100" and row["partner_name"] == "Acme Corp"


def test_scorecard_xlsx_missing_line_has_no_points_lost_under_renormalize(scored, client):
    client.force_login(scored.manager)
    response = client.get(reverse("scorecard-export-xlsx", args=["GLOBEX"]), {"period": "2026-Q3"})
    assert response["Content-Disposition"] == 'attachment; filename="scorecard-GLOBEX-2026-Q3.xlsx"'
    _, sheet = xlsx_sheet(response)
    header = [cell.value for cell in sheet[1]]
    assert header == SCORECARD_EXPORT_HEADER
    lines = {
        row[3]: dict(zip(header, row, strict=True))
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert set(lines) == {"revenue", "late_deliveries", "nps"}
    nps, revenue, late = lines["nps"], lines["revenue"], lines["late_deliveries"]
    assert (nps["value"], nps["status"], nps["contribution"], nps["lost_to_target"]) == (
        None,
        "grey",
        0,
        None,
    )
    assert (revenue["contribution"], revenue["contribution_exact"]) == (
        28.6,
        pytest.approx(40 * 50 / 70),
    )
    assert (late["contribution"], late["lost_to_target"]) == (0, 42.9)  # 30 x 100 / 70
    assert (revenue["card_score"], revenue["card_coverage_pct"]) == (28.6, 70)


def test_scorecard_export_of_a_period_without_card_is_the_header_alone(scored, client):
    client.force_login(scored.manager)
    Period.objects.create(code="2026-Q4", start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31))
    response = client.get(reverse("scorecard-export", args=["GLOBEX"]), {"period": "2026-Q4"})
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode().splitlines() == [
        ",".join(SCORECARD_EXPORT_HEADER)
    ]


# -- access and bad parameters -----------------------------------------------------------------


def test_partner_user_exports_own_scorecard_only_and_never_the_portfolio(scored, client):
    client.force_login(scored.acme_user)
    for name in ("portfolio-export", "portfolio-export-xlsx"):
        assert client.get(reverse(name), {"period": "2026-Q3"}).status_code == 404
    for name in ("scorecard-export", "scorecard-export-xlsx"):
        assert client.get(reverse(name, args=["GLOBEX"])).status_code == 404
        assert client.get(reverse(name, args=["NOSUCH"])).status_code == 404
        assert client.get(reverse(name, args=["ACME"])).status_code == 200
    rows = csv_rows(client.get(reverse("scorecard-export", args=["ACME"])))
    assert {row["partner_code"] for row in rows} == {"ACME"} and len(rows) == 3


def test_anonymous_exports_go_to_login(scored, client):
    for url in (
        reverse("portfolio-export"),
        reverse("portfolio-export-xlsx"),
        reverse("scorecard-export", args=["ACME"]),
        reverse("scorecard-export-xlsx", args=["ACME"]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    "name, params, status, words",
    [
        ("portfolio-export", {"period": "1999-Q9"}, 404, ["No period", "1999-Q9"]),
        ("portfolio-export-xlsx", {"status": "great"}, 400, ["Invalid filter", "status", "great"]),
        ("portfolio-export", {"ordering": "-salary"}, 400, ["Invalid filter", "ordering"]),
        ("portfolio-export", {"score_min": "high"}, 400, ["Invalid filter", "score_min"]),
        ("scorecard-export", {"period": "1999-Q9"}, 404, ["No period", "1999-Q9"]),
        ("scorecard-export-xlsx", {"period": "1999-Q9"}, 404, ["No period", "1999-Q9"]),
    ],
)
def test_bad_export_parameters_are_named(scored, client, name, params, status, words):
    client.force_login(scored.manager)
    args = ["ACME"] if name.startswith("scorecard") else []
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == status
    body = response.content.decode()
    assert all(word in body for word in words), body


# -- the links on the pages ----------------------------------------------------------------------


def test_export_links_carry_the_current_filters(scored, client):
    request = RequestFactory().get(
        "/portfolio/", {"region": "apac", "ordering": "score", "page": 2}
    )
    request.user = scored.manager
    html = render_to_string(
        "assessments/_export_links.html",
        {"export": "portfolio", "period": scored.q3},
        request=request,
    )
    links = [unescape(part.split('"')[0]) for part in html.split('href="')[1:]]
    assert [link.split("?")[0] for link in links] == [
        reverse("portfolio-export"),
        reverse("portfolio-export-xlsx"),
    ]
    assert "period=2026-Q3" in links[0] and "region=apac" in links[0]
    client.force_login(scored.manager)
    assert [row["partner_code"] for row in csv_rows(client.get(links[0]))] == ["PLUS", "EVIL"]
    html = render_to_string(
        "assessments/_export_links.html",
        {"export": "scorecard", "period": scored.q2, "partner": scored.acme},
        request=request,
    )
    assert f"{reverse('scorecard-export-xlsx', args=['ACME'])}?period=2026-Q2" in html
    assert "data-print" in html and "Acme Corp" in html


# -- the formats ---------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    # (floatformat shows a number below 1e-9 in scientific notation: no score is that small)
    value=st.floats(min_value=-1e6, max_value=1e6).filter(lambda v: v == 0 or abs(v) > 1e-9)
    | st.sampled_from([88.25, 0.125, -0.04, 99.95, 2.675, 12.5, -11.799999999999997]),
    places=st.sampled_from([0, 1, 2]),
)
def test_page_round_shows_what_floatformat_shows(value, places):
    assert str(page_round(value, places)) == floatformat(value, places)


@pytest.mark.slow  # tracemalloc slows openpyxl down: about 25 s
def test_xlsx_memory_stays_bounded_as_rows_grow():
    """Write-only mode spills rows to disk: 10,000 rows peak at the memory of 1,000 (about
    0.5 MB), where a normal workbook would hold every cell."""
    row = ["P00001", "=Partner", "reseller", page_round(88.25, 1), 88.25, "Gold", "ok"] * 4

    def peak(n: int) -> int:
        tracemalloc.start()
        xlsx_file(["c"] * len(row), (row for _ in range(n)), title="t").close()
        used = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return used

    small, large = peak(1_000), peak(10_000)
    assert large < 1.5 * small and large < 20_000_000, (small, large)
