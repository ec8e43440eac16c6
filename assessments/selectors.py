"""Reads for the recompute (frames, one query per table) and for the pages."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
from django.core.cache import cache
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import Combinable
from django.utils import timezone

from assessments.exports import page_round
from assessments.models import Scorecard, ScorecardLine
from kpis import guidance
from kpis.models import (
    KPI,
    ModelLine,
    Period,
    ScoringModel,
    ScoringModelVersion,
    TargetOverride,
    Tier,
    TierRequirement,
    VersionStatus,
)
from kpis.observations import observation_params, observations_sql
from partners.models import Partner, PartnerType, Region
from partnerscore.pgcopy import copy_out

VALUE_DTYPES = {"partner_id": "int64", "kpi_id": "int64", "value": "float64"}


@dataclass
class RecomputeInputs:
    period: Period
    kpis: pd.DataFrame
    members: pd.DataFrame
    versions: pd.DataFrame
    lines: pd.DataFrame
    tiers: pd.DataFrame
    requirements: pd.DataFrame  # version_id, tier (name), kpi_id, min_kpi_score (section 14)
    overrides: pd.DataFrame
    values: pd.DataFrame
    previous_values: pd.DataFrame
    previous_cards: pd.DataFrame
    unscored_types: list[str]
    # SCORING.md sections 10 and 11: scorecards of up to 3 earlier periods (partner_id, back,
    # score, status), the as-of date of staleness (None: closed period), and for a one-partner
    # recompute the stored values of its peers (partner_type_id, kpi_id, value).
    history: pd.DataFrame
    stale_as_of: dt.date | None
    peer_values: pd.DataFrame | None


def _frame(queryset, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(queryset.values_list(*columns)), columns=columns)


def metric_values_frame(
    *,
    start,
    end,
    granularity: str,
    partner_ids: list[int] | None = None,
    kpi_ids: list[int] | None = None,
) -> pd.DataFrame:
    """Every observation (SCORING.md 2: imported values, survey responses, ratings of
    submitted assessments) dated start..end, from kpis.observations."""
    sql = f"SELECT partner_id, kpi_id, observed_on, value FROM ({observations_sql()}) o"
    params = observation_params(start=start, end=end, granularity=granularity)
    where = []
    if partner_ids is not None:
        where.append("partner_id = ANY(%(partner_ids)s)")
        params["partner_ids"] = list(partner_ids)
    if kpi_ids is not None:
        where.append("kpi_id = ANY(%(kpi_ids)s)")
        params["kpi_ids"] = list(kpi_ids)
    if where:
        sql += " WHERE " + " AND ".join(where)
    return copy_out(sql, params, dtypes=VALUE_DTYPES, parse_dates=["observed_on"])


def kpis_needed_by_prev(kpis: pd.DataFrame, also: list[int] | None = None) -> list[int]:
    """KPI ids whose previous-period values some prev() reads: the prev() targets and, for
    formula targets, the inputs of their formulas (transitively). `also`: more KPI ids needed
    in the previous period (with their formulas' inputs too)."""
    from kpis import formula as formula_lang

    formulas = {
        code: formula_lang.parse(text)
        for code, text in zip(kpis["code"], kpis["formula"], strict=True)
        if text
    }
    wanted = set().union(*(f.prev_refs for f in formulas.values())) if formulas else set()
    wanted |= set(kpis["code"].reindex(also or []).dropna())
    todo = list(wanted)
    while todo:
        code = todo.pop()
        for ref in formulas[code].refs if code in formulas else ():
            if ref not in wanted:
                wanted.add(ref)
                todo.append(ref)
    return [int(i) for i in kpis.index[kpis["code"].isin(wanted)]]


def active_versions_by_type() -> tuple[dict[int, int], int | None]:
    """{partner_type_id: active version id} and the default model's active version id."""
    by_type: dict[int, int] = {}
    default = None
    for version_id, type_id, is_default in ScoringModelVersion.objects.filter(
        status=VersionStatus.ACTIVE
    ).values_list("id", "model__partner_type_id", "model__is_default"):
        if type_id is not None:
            by_type[type_id] = version_id
        if is_default:
            default = version_id
    return by_type, default


def members_frame(*, period: Period, partner_ids: list[int] | None = None) -> pd.DataFrame:
    """Active partners that had joined by the period's end."""
    partners = Partner.objects.filter(is_active=True).filter(
        Q(joined_on__isnull=True) | Q(joined_on__lte=period.end)
    )
    if partner_ids is not None:
        partners = partners.filter(pk__in=partner_ids)
    return _frame(partners, ["id", "partner_type_id"]).rename(columns={"id": "partner_id"})


def versions_as_published(
    version: ScoringModelVersion, by_type: dict[int, int], default: int | None
) -> tuple[dict[int, int], int | None]:
    """`active_versions_by_type()`'s answer as it would be once `version` is published: it
    replaces its model's active version for the model's partner type, and as the default
    version when its model is the default one."""
    model = ScoringModel.objects.only("partner_type_id", "is_default").get(pk=version.model_id)
    if model.partner_type_id is not None:
        by_type = {**by_type, model.partner_type_id: version.pk}
    if model.is_default:
        default = version.pk
    return by_type, default


def recompute_inputs(
    *,
    period: Period,
    partner_ids: list[int] | None = None,
    as_published: ScoringModelVersion | None = None,
    for_warnings: bool = True,
    scored_by: int | None = None,
) -> RecomputeInputs:
    """One period's inputs for the method. For the what-if (assessments.whatif):
    `as_published`: a draft version to score its model's partners with, as if it were
    published; `for_warnings=False`: without what only the flags and projections read
    (SCORING.md 10, 11: the previous period's values of KPIs no prev() reads, the score
    history), for `score_period(warnings=False)`; `scored_by`: a version id, to read only the
    partners that version scores (whole partner types, so peer groups stay whole)."""
    kpis = (
        _frame(
            KPI.objects.all(),
            ["id", "code", "direction", "aggregation", "source", "formula", "stale_after_days"],
        )
        .set_index("id")
        .rename_axis("kpi_id")
    )
    members = members_frame(period=period, partner_ids=partner_ids)
    by_type, default = active_versions_by_type()
    if as_published is not None:
        by_type, default = versions_as_published(as_published, by_type, default)
    members["version_id"] = members["partner_type_id"].map(by_type)
    if default is not None:
        members["version_id"] = members["version_id"].fillna(default)
    unscored = sorted(members.loc[members["version_id"].isna(), "partner_type_id"].unique())
    members = members.dropna(subset=["version_id"]).astype({"version_id": "int64"})
    if scored_by is not None:
        scored = members["version_id"] == scored_by
        if partner_ids is None and not scored.all():
            partner_ids = members.loc[scored, "partner_id"].tolist()
        members = members[scored].reset_index(drop=True)
    version_ids = sorted(members["version_id"].unique().tolist())
    versions = (
        _frame(
            ScoringModelVersion.objects.filter(pk__in=version_ids),
            ["id", "missing_policy", "min_coverage", "amber_from", "demotion_grace"],
        )
        .set_index("id")
        .rename_axis("version_id")
    )
    lines = _frame(
        ModelLine.objects.filter(version_id__in=version_ids),
        ["version_id", "kpi_id", "weight", "floor", "target", "stretch"],
    ).astype({"stretch": "float64"})
    tiers = _frame(
        Tier.objects.filter(version_id__in=version_ids), ["version_id", "name", "min_score"]
    )
    requirements = _frame(
        TierRequirement.objects.filter(tier__version_id__in=version_ids),
        ["tier__version_id", "tier__name", "kpi_id", "min_kpi_score"],
    ).rename(columns={"tier__version_id": "version_id", "tier__name": "tier"})
    overrides = _frame(
        TargetOverride.objects.filter(period=period),
        ["partner_id", "kpi_id", "floor", "target", "stretch"],
    ).astype({"stretch": "float64"})
    values = metric_values_frame(
        start=period.start,
        end=period.end,
        granularity=period.granularity,
        partner_ids=partner_ids,
    )
    previous = period.previous()
    # every KPI the lines use, for the gap flag, and what prev() reads
    line_kpi_ids = sorted(lines["kpi_id"].unique().tolist())
    prev_kpi_ids = kpis_needed_by_prev(kpis, also=line_kpi_ids if for_warnings else None)
    if previous is not None and prev_kpi_ids:
        previous_values = metric_values_frame(
            start=previous.start,
            end=previous.end,
            granularity=previous.granularity,
            partner_ids=partner_ids,
            kpi_ids=prev_kpi_ids,
        )
    else:
        previous_values = values.iloc[0:0]
    previous_scorecards = (
        Scorecard.objects.filter(period=previous) if previous else (Scorecard.objects.none())
    )
    if partner_ids is not None:
        previous_scorecards = previous_scorecards.filter(partner_id__in=partner_ids)
    # float dtypes even when every value is NULL (a period with no data): the method compares
    previous_cards = _frame(
        previous_scorecards, ["partner_id", "score", "tier", "tier_min_score", "grace_used"]
    ).astype({"score": "float64", "tier_min_score": "float64", "grace_used": "int64"})
    return RecomputeInputs(
        period=period,
        kpis=kpis,
        members=members,
        versions=versions,
        lines=lines,
        tiers=tiers,
        requirements=requirements,
        overrides=overrides,
        values=values,
        previous_values=previous_values,
        previous_cards=previous_cards,
        unscored_types=[str(t) for t in unscored],
        history=(
            score_history(period=period, partner_ids=partner_ids)
            if for_warnings
            else _empty_history()
        ),
        stale_as_of=min(timezone.localdate(), period.end) if period.is_open else None,
        peer_values=(
            None
            if partner_ids is None or not for_warnings
            else stored_peer_values(
                period=period,
                partner_type_ids=sorted(members["partner_type_id"].unique().tolist()),
                kpi_ids=line_kpi_ids,
                exclude=partner_ids,
            )
        ),
    )


def score_history(*, period: Period, partner_ids: list[int] | None = None) -> pd.DataFrame:
    """Scorecards of the 3 periods before `period` (each the previous of the next): partner_id,
    back (1 = the previous period), score, status. Three small queries for the chain, one
    for the scorecards."""
    backs: dict[int, int] = {}
    earlier = period.previous()
    while earlier is not None and len(backs) < 3:
        backs[earlier.pk] = len(backs) + 1
        earlier = earlier.previous()
    if not backs:
        return _empty_history()
    sql = f"SELECT partner_id, period_id, score, status FROM {Scorecard._meta.db_table} "
    sql += "WHERE period_id = ANY(%s)"
    params: list = [list(backs)]
    if partner_ids is not None:
        sql += " AND partner_id = ANY(%s)"
        params.append(partner_ids)
    cards = copy_out(
        sql, params, dtypes={"partner_id": "int64", "period_id": "int64", "score": "float64"}
    )
    cards["back"] = cards.pop("period_id").map(backs).astype("int64")
    return cards


def _empty_history() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "partner_id": pd.Series(dtype="int64"),
            "back": pd.Series(dtype="int64"),
            "score": pd.Series(dtype="float64"),
            "status": pd.Series(dtype="str"),
        }
    )


def stored_peer_values(
    *, period: Period, partner_type_ids: list[int], kpi_ids: list[int], exclude: list[int]
) -> pd.DataFrame:
    """Period values of the stored `ok` scorecards of these partner types (the peer groups),
    but the excluded partners': what a one-partner recompute judges outliers against."""
    return copy_out(
        f"SELECT s.partner_type_id, l.kpi_id, l.value FROM {ScorecardLine._meta.db_table} l "
        f"JOIN {Scorecard._meta.db_table} s "
        "ON s.period_id = l.period_id AND s.partner_id = l.partner_id "
        "WHERE l.period_id = %s AND s.period_id = %s AND s.status = 'ok' "
        "AND s.partner_type_id = ANY(%s) AND l.kpi_id = ANY(%s) AND l.value IS NOT NULL "
        "AND NOT (l.partner_id = ANY(%s))",
        [period.pk, period.pk, partner_type_ids, kpi_ids, exclude],
        dtypes={"partner_type_id": "int64", "kpi_id": "int64", "value": "float64"},
    )


# -- pages ----------------------------------------------------------------------------------


def period_choose(*, code: str | None) -> Period | None:
    """The period asked for, else the latest one that has scorecards, else the latest."""
    if code:
        return Period.objects.filter(code=code).first()
    with_cards = Period.objects.filter(scorecards__isnull=False).order_by("-end").first()
    return with_cards or Period.objects.order_by("-end").first()


@dataclass
class PeriodChoice:
    period: Period | None  # the period asked for, else the latest with scorecards, else latest
    previous: Period | None  # SCORING.md section 1's previous period of `period`
    with_scorecards: list[Period]  # for the period picker, latest first


def period_choice(*, code: str | None) -> PeriodChoice:
    """The period a page shows, its previous period and the picker's list: one query (a
    handful of periods), where period_choose + previous() + the list would take three."""
    annotated = Period.objects.annotate(
        has_cards=Exists(Scorecard.objects.filter(period=OuterRef("pk")))
    ).order_by("-end")
    periods: list[Period] = list(annotated)
    with_cards: list[Period] = []
    with_cards.extend(p for p in annotated if p.has_cards)
    if code:
        chosen = next((p for p in periods if p.code == code), None)
    else:
        chosen = with_cards[0] if with_cards else (periods[0] if periods else None)
    previous = None
    if chosen is not None:
        previous = next(
            (
                p
                for p in periods  # latest end first
                if p.granularity == chosen.granularity and p.end < chosen.start
            ),
            None,
        )
    return PeriodChoice(period=chosen, previous=previous, with_scorecards=with_cards)


FILTER_CHOICES_SECONDS = 60


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """The portfolio filters' options: partner types, regions and the channel managers who
    manage partners, in one query. Configuration that rarely changes: cached for a minute."""
    choices = cache.get("portfolio-filter-choices")
    if choices is None:
        kinds = (
            PartnerType.objects.values_list(Value("partner_types"), "code", "name", Value(""))
            .union(Region.objects.values_list(Value("regions"), "code", "name", Value("")))
            .union(
                Partner.objects.exclude(manager=None).values_list(
                    Value("managers"),
                    "manager__username",
                    "manager__first_name",
                    "manager__last_name",
                )
            )
        )
        choices = {"partner_types": [], "regions": [], "managers": []}
        for kind, code, name, last in sorted(kinds, key=lambda row: (row[0], row[2], row[1])):
            choices[kind].append((code, " ".join(filter(None, (name, last))) or code))
        cache.set("portfolio-filter-choices", choices, FILTER_CHOICES_SECONDS)
    return choices


def portfolio_scorecards(*, period: Period, partners):
    """Scorecards of a period for the visible partners, for the portfolio page to filter and
    sort with assessments.filtersets.ScorecardFilterSet (the scorecards API's) and paginate:
    a queryset, so a page costs the same at 100 or 10,000 partners."""
    return Scorecard.objects.filter(period=period, partner__in=partners).select_related(
        "partner", "partner_type"
    )


def falls_in_period(*, card: Scorecard) -> Period | None:
    """For a card at risk (SCORING.md 14: a tier held on demotion grace), the period in which
    it falls to `falls_to` unless it earns its tier back; None when not at risk or when that
    period is not created yet (say "in N periods" then)."""
    if not card.falls_to or not card.falls_in:
        return None
    period = card.period
    later = Period.objects.filter(granularity=period.granularity, start__gt=period.end)
    return later.order_by("start")[card.falls_in - 1 : card.falls_in].first()


# -- exports (assessments/exports.py writes them as CSV or .xlsx) ----------------------------

# column -> field it comes from (one list, so the header and rows cannot drift)
PORTFOLIO_EXPORT: dict[str, str | Combinable] = {
    "partner_code": "partner__code",
    "partner_name": "partner__name",
    "partner_type": "partner_type__code",
    "region": "partner__region__code",
    "manager": "partner__manager__username",
    "period": "period__code",
    "score": "score",
    "tier": "tier",
    "status": "status",
    "coverage_pct": F("coverage") * 100,
    "rank": "rank",
    "peer_count": "peer_count",
    "percentile": "percentile",
    "trend": "trend",
    "previous_tier": "previous_tier",
    "tier_change": "tier_change",
    "projected_score": "projected_score",
    "projected_tier": "projected_tier",
    "projected_drop": "projected_drop",
    "red_key_lines": "red_key_lines",
    "flagged_lines": "flagged_lines",
}
SCORECARD_EXPORT = {  # one row per line of the card
    "partner_code": "partner__code",
    "partner_name": "partner__name",
    "period": "period__code",
    "kpi_code": "kpi__code",
    "kpi_name": "kpi__name",
    "unit": "kpi__unit",
    "direction": "kpi__direction",
    "value": "value",
    "n_values": "n_values",
    "floor": "floor",
    "target": "target",
    "stretch": "stretch",
    "weight": "weight",
    "score": "score",
    "status": "status",
    "contribution": None,  # SCORING.md section 12, computed from the lines
    "lost_to_target": None,
    "flags": "flags",
    "last_observed_on": "last_observed_on",
    "agreed_target": "overridden",
}
# the card's headline, repeated on each line so every row stands alone (one table, as a CSV is)
CARD_EXPORT = {
    "card_score": "score",
    "card_tier": "tier",
    "card_status": "status",
    "card_coverage_pct": "coverage_pct",
    "card_rank": "rank",
    "card_peer_count": "peer_count",
    "card_percentile": "percentile",
    "card_trend": "trend",
    "card_projected_score": "projected_score",
    "card_projected_tier": "projected_tier",
    "card_projected_drop": "projected_drop",
}
# decimals the pages show (templates' floatformat); the full value follows in `<name>_exact`
EXPORT_DECIMALS = {
    "score": 1,
    "coverage_pct": 0,
    "percentile": 0,
    "trend": 1,
    "projected_score": 1,
    "value": 2,
    "contribution": 1,
    "lost_to_target": 1,
    "card_score": 1,
    "card_coverage_pct": 0,
    "card_percentile": 0,
    "card_trend": 1,
    "card_projected_score": 1,
}


def _header(columns) -> list[str]:
    header = []
    for name in columns:
        header.append(name)
        if name in EXPORT_DECIMALS:
            header.append(f"{name}_exact")
    return header


PORTFOLIO_EXPORT_HEADER = _header(PORTFOLIO_EXPORT)
SCORECARD_EXPORT_HEADER = _header([*SCORECARD_EXPORT, *CARD_EXPORT])


def _with_exact(names: list[str], values) -> list:
    row = []
    for name, value in zip(names, values, strict=True):
        if name in EXPORT_DECIMALS:
            row += [page_round(value, EXPORT_DECIMALS[name]), value]
        else:
            row.append(value)
    return row


def portfolio_export_rows(*, scorecards: QuerySet[Scorecard]) -> Iterator[list]:
    """One row per scorecard, in the queryset's order (the portfolio page's filterset filtered
    and ordered it); streamed from the database in chunks."""
    names = list(PORTFOLIO_EXPORT)
    values = scorecards.values_list(*PORTFOLIO_EXPORT.values()).iterator(chunk_size=2000)
    return (_with_exact(names, row) for row in values)


def scorecard_export_rows(*, partner, period: Period) -> list[list]:
    """One row per line of the partner's card in the period (none without a card), with its
    contribution and points lost to target, then the card's headline."""
    card = (
        Scorecard.objects.filter(partner=partner, period=period)
        .annotate(coverage_pct=F("coverage") * 100)
        .select_related("model_version")
        .first()
    )
    if card is None:
        return []
    fields = [field for field in SCORECARD_EXPORT.values() if field is not None]
    lines = list(
        ScorecardLine.objects.filter(period_id=period.pk, partner_id=partner.pk)
        .order_by("-weight", "kpi__code")
        .values(*fields)
    )
    explained = {
        c.kpi: c
        for c in guidance.contributions(
            [_line_facts(line) for line in lines], card.model_version.missing_policy
        )
    }
    headline = [getattr(card, field) for field in CARD_EXPORT.values()]
    names = [*SCORECARD_EXPORT, *CARD_EXPORT]
    rows = []
    for line in lines:
        contribution = explained[line["kpi__code"]]
        line["contribution"], line["lost_to_target"] = contribution.points, contribution.lost
        own = [line[field or column] for column, field in SCORECARD_EXPORT.items()]
        rows.append(_with_exact(names, [*own, *headline]))
    return rows


def _line_facts(line: dict) -> guidance.LineFacts:
    return guidance.LineFacts(
        kpi=line["kpi__code"],
        direction=line["kpi__direction"],
        weight=line["weight"],
        floor=line["floor"],
        target=line["target"],
        stretch=line["stretch"],
        value=line["value"],
        score=line["score"],
    )
