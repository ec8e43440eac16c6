"""The alerts a recompute raises (issue 12), for the partner's manager (Partner.manager; a
partner without one alerts nobody):

- tier_drop: the assigned tier went down from the previous period (SCORING.md 6 and 7);
- at_risk: the tier is held on demotion grace and falls unless earned back (section 14);
- projected_drop: the trend projects the next score into a lower tier (section 10);
- red_kpi: a KPI carrying at least ALERT_KEY_WEIGHT_PERCENT of its model's weights is red
  now and was not red in the previous period;
- data_quality: lines flagged gap, stale or outlier (section 11), one alert per partner.

Set-based: two queries over the period's scorecards and lines whatever the number of
partners, one bulk insert. Each alert's `key` names the event (kind, partner, period and what
happened), so raising the same situation again inserts nothing ((user, key) is unique), and a
changed situation (a drop to another tier) is a new event, a new alert."""

import hashlib
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q
from django.urls import reverse

from assessments.models import Scorecard, ScorecardLine
from assessments.templatetags.scorecard import num
from feedback.models import Alert, AlertKind
from kpis.models import KPI, Period
from partners.models import Partner

FLAG_WORDS = {
    "gap": "no value this period, though there was one in {previous}",
    "stale": "the latest value ({last}) is older than {days} days",
    "outlier": "far from its peers' values (over 5 scaled MADs from their median)",
}

# Pages list the newest first, and a batch shares its creation time: the gravest kinds are
# inserted last, so they lead the list.
INSERT_ORDER: list[str] = [
    AlertKind.DATA_QUALITY,
    AlertKind.RED_KPI,
    AlertKind.PROJECTED_DROP,
    AlertKind.AT_RISK,
    AlertKind.TIER_DROP,
]


def alerts_raise(*, period_id: int, partner_id: int | None = None) -> int:
    """Raise the alerts of the period's scorecards (of one partner when given). Returns how
    many alerts the situation calls for (those raised before are not inserted again). A
    period closed since (the task ran late) raises nothing: its news is old."""
    period = Period.objects.filter(pk=period_id).first()
    if period is None or not period.is_open:  # deleted or closed since the task was sent
        return 0
    previous = period.previous()
    alerts = [
        *_card_alerts(period, previous, partner_id),
        *_line_alerts(period, previous, partner_id),
    ]
    alerts.sort(key=lambda a: INSERT_ORDER.index(a.kind))  # the gravest last: listed first
    Alert.objects.bulk_create(alerts, ignore_conflicts=True, batch_size=2000)
    return len(alerts)


def scorecard_url(code: str, period_code: str) -> str:
    return f"{reverse('scorecard', kwargs={'code': code})}?period={period_code}"


def _alert(kind: str, row: dict, period: Period, what: str, title: str, body: str) -> Alert:
    return Alert(
        user_id=row["partner__manager_id"],
        partner_id=row["partner_id"],
        period=period,
        kind=kind,
        key=f"{kind}:partner{row['partner_id']}:period{period.pk}:{what}"[:200],
        title=title[:300],
        body=body,
        url=scorecard_url(row["partner__code"], period.code),
    )


CARD_FIELDS = (
    "partner_id",
    "partner__code",
    "partner__name",
    "partner__manager_id",
    "score",
    "previous_score",
    "tier",
    "previous_tier",
    "tier_change",
    "earned_tier",
    "falls_to",
    "falls_in",
    "projected_score",
    "projected_tier",
    "projected_drop",
)


def _card_alerts(period: Period, previous: Period | None, partner_id: int | None) -> list[Alert]:
    cards = Scorecard.objects.filter(
        Q(tier_change="down") | ~Q(falls_to="") | Q(projected_drop=True),
        period=period,
        partner__manager__isnull=False,
        partner__manager__is_active=True,
    )
    if partner_id is not None:
        cards = cards.filter(partner_id=partner_id)
    was = previous.code if previous else "the previous period"
    alerts = []
    for row in cards.values(*CARD_FIELDS).order_by("partner_id"):
        name, score = row["partner__name"], num(row["score"], 1)
        if row["tier_change"] == "down":
            alerts.append(
                _alert(
                    AlertKind.TIER_DROP,
                    row,
                    period,
                    row["tier"],
                    f"{name} dropped from {row['previous_tier']} to {row['tier']} in {period.code}",
                    f"{name} scores {score} in {period.code} ({num(row['previous_score'], 1)} "
                    f"in {was}): its tier went down from {row['previous_tier']} "
                    f"to {row['tier']}.",
                )
            )
        if row["falls_to"]:
            when = "next period" if row["falls_in"] == 1 else f"in {row['falls_in']} periods"
            alerts.append(
                _alert(
                    AlertKind.AT_RISK,
                    row,
                    period,
                    f"{row['tier']}>{row['falls_to']}",
                    f"{name} is at risk of falling from {row['tier']} to {row['falls_to']}",
                    f"{name} keeps {row['tier']} in {period.code} on demotion grace: its score "
                    f"({score}) and the tier's requirements earn only {row['earned_tier']}. "
                    f"Unless it earns {row['tier']} back, it falls to {row['falls_to']} {when}.",
                )
            )
        if row["projected_drop"]:
            alerts.append(
                _alert(
                    AlertKind.PROJECTED_DROP,
                    row,
                    period,
                    row["projected_tier"],
                    f"{name} is projected to drop from {row['tier']} to {row['projected_tier']}",
                    f"On the trend of its recent scores, the next score of {name} is projected "
                    f"at {num(row['projected_score'], 1)}, which is {row['projected_tier']}; it "
                    f"is {row['tier']} now with {score} in {period.code}.",
                )
            )
    return alerts


_LINES_SQL = f"""
    WITH cur AS (
        SELECT partner_id, kpi_id, weight, value, floor, target, score, status, flags,
               last_observed_on, sum(weight) OVER (PARTITION BY partner_id) AS total
        FROM {ScorecardLine._meta.db_table}
        WHERE period_id = %(period)s AND (%(partner)s::bigint IS NULL OR partner_id = %(partner)s)
    )
    SELECT c.partner_id, p.code, p.name, p.manager_id, k.code, k.name, k.unit,
           k.stale_after_days, c.weight, c.total, c.value, c.floor, c.target, c.score,
           c.status, c.flags, c.last_observed_on, prev.status, t.turned_red
    FROM cur AS c
    JOIN {Partner._meta.db_table} AS p ON p.id = c.partner_id
    JOIN {get_user_model()._meta.db_table} AS u ON u.id = p.manager_id AND u.is_active
    JOIN {KPI._meta.db_table} AS k ON k.id = c.kpi_id
    LEFT JOIN {ScorecardLine._meta.db_table} AS prev
        ON prev.period_id = %(previous)s AND prev.partner_id = c.partner_id
       AND prev.kpi_id = c.kpi_id
    CROSS JOIN LATERAL (SELECT c.status = 'red' AND prev.status IS DISTINCT FROM 'red'
        AND round(c.weight::numeric, 9) >= round((%(share)s * c.total)::numeric, 9)
        AS turned_red) AS t
    WHERE c.flags <> '' OR t.turned_red
    ORDER BY c.partner_id, k.code
"""
_LINE_COLUMNS = (
    "partner_id",
    "partner__code",
    "partner__name",
    "partner__manager_id",
    "kpi_code",
    "kpi_name",
    "unit",
    "stale_after_days",
    "weight",
    "total",
    "value",
    "floor",
    "target",
    "score",
    "status",
    "flags",
    "last_observed_on",
    "previous_status",
    "turned_red",
)


def _line_alerts(period: Period, previous: Period | None, partner_id: int | None) -> list[Alert]:
    params = {
        "period": period.pk,
        "partner": partner_id,
        "previous": previous.pk if previous else None,
        "share": settings.ALERT_KEY_WEIGHT_PERCENT / 100,
    }
    with connection.cursor() as cursor:
        cursor.execute(_LINES_SQL, params)
        rows = [dict(zip(_LINE_COLUMNS, r, strict=True)) for r in cursor.fetchall()]
    was = previous.code if previous else "the previous period"
    alerts, flagged = [], defaultdict(list)
    for row in rows:
        if row["flags"]:
            flagged[row["partner_id"]].append(row)
        if row["turned_red"]:
            alerts.append(_red_kpi(row, period, was))
    alerts += [_data_quality(lines, period, was) for lines in flagged.values()]
    return alerts


def _red_kpi(row: dict, period: Period, was: str) -> Alert:
    unit = "" if not row["unit"] else row["unit"] if row["unit"] == "%" else f" {row['unit']}"
    before = {
        None: f"it was not in the model in {was}",
        "grey": f"it had no value in {was}",
    }.get(row["previous_status"], f"it was {row['previous_status']} in {was}")
    share = 100 * row["weight"] / row["total"] if row["total"] else 0
    value = "no value" if row["value"] is None else f"{num(row['value'])}{unit}"
    return _alert(
        AlertKind.RED_KPI,
        row,
        period,
        row["kpi_code"],
        f"{row['partner__name']}: {row['kpi_name']} turned red in {period.code}",
        f"{row['kpi_name']} carries {num(share, 0)}% of the weights of {row['partner__name']}'s "
        f"model and is red in {period.code}: {value} against a floor of "
        f"{num(row['floor'])}{unit} and a target of {num(row['target'])}{unit} "
        f"(KPI score {num(row['score'], 1)}); {before}.",
    )


def _data_quality(lines: list[dict], period: Period, was: str) -> Alert:
    first = lines[0]
    what = sorted(f"{r['kpi_code']}={r['flags']}" for r in lines)
    digest = hashlib.sha1("|".join(what).encode()).hexdigest()[:12]
    count = sum(len(r["flags"].split(",")) for r in lines)
    body = "\n".join(f"- {r['kpi_name']}: {'; '.join(_flag_words(r, was))}" for r in lines)
    return _alert(
        AlertKind.DATA_QUALITY,
        first,
        period,
        digest,
        f"{first['partner__name']}: {count} data-quality flag{'s' if count != 1 else ''} "
        f"in {period.code}",
        f"Flags never change a score, but the data behind these lines needs a look:\n{body}",
    )


def _flag_words(row: dict, was: str) -> Iterable[str]:
    for flag in row["flags"].split(","):
        words = FLAG_WORDS.get(flag, flag).format(
            previous=was, last=row["last_observed_on"], days=row["stale_after_days"]
        )
        yield f"{flag}, {words}"
