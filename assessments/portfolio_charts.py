"""The portfolio's Plotly figures. Every clickable mark carries, as its customdata, the link
that filters the table to the partners behind it (static/js/charts.js follows it).

Figures are plain dicts in plotly.js's JSON schema, not plotly.graph_objects: validating a
figure object costs tens of milliseconds a chart, more than the rest of the page."""

import json
from collections.abc import Callable

from django.utils.html import format_html

from assessments.charts import STATUS_COLOURS, TOP_LEGEND
from assessments.charts import plain_html as figure
from assessments.dashboards import QUADRANT_SCORE_EDGES, SCORE_BINS, TREND_EDGES
from assessments.filtersets import NO_TIER

Link = Callable[..., str]  # filter changes -> "?query#table"

# Tiers, highest first; partners without a tier in grey.
TIER_COLOURS = ["#6639ba", "#0969da", "#1a7f37", "#9a6700", "#bc4c00", "#cf222e", "#57606a"]
NO_TIER_COLOUR = "#afb8c1"
NO_TIER_LABEL = "No tier"
STATUS_LEVELS = {"red": 0, "amber": 1, "green": 2, "grey": 3}
STATUS_SCALE = [
    [0.0, STATUS_COLOURS["red"]],
    [0.25, STATUS_COLOURS["red"]],
    [0.25, STATUS_COLOURS["amber"]],
    [0.5, STATUS_COLOURS["amber"]],
    [0.5, STATUS_COLOURS["green"]],
    [0.75, STATUS_COLOURS["green"]],
    [0.75, STATUS_COLOURS["grey"]],
    [1.0, STATUS_COLOURS["grey"]],
]


def tier_colours(order: list[str]) -> dict[str, str]:
    named = [t for t in order if t != NO_TIER]
    colours = {t: TIER_COLOURS[min(i, len(TIER_COLOURS) - 1)] for i, t in enumerate(named)}
    colours[NO_TIER] = NO_TIER_COLOUR
    return colours


def tier_label(tier: str) -> str:
    return NO_TIER_LABEL if tier == NO_TIER else tier


def distribution(histogram: dict[str, list[int]], order: list[str], link: Link) -> str:
    """Scores in 5-point bins, stacked by tier; a bar opens its partners."""
    colours = tier_colours(order)
    lows = [5 * i for i in range(SCORE_BINS)]
    data = [
        {
            "type": "bar",
            "name": tier_label(tier),
            "x": [low + 2.5 for low in lows],
            "y": histogram[tier],
            "width": 4.6,
            "marker": {"color": colours[tier]},
            "customdata": [
                link(score_min=low, score_max=low + 5 if low + 5 < 120 else 121, tier=tier)
                for low in lows
            ],
            "text": [f"{low}-{low + 5}" for low in lows],
            "textposition": "none",
            "hovertemplate": f"{tier_label(tier)}, score %{{text}}: %{{y}} partners<extra></extra>",
        }
        for tier in order
        if any(histogram.get(tier, ()))
    ]
    return figure(
        data,
        title="Score distribution by tier",
        barmode="stack",
        bargap=0.05,
        xaxis=dict(range=[0, 120], dtick=20),
        yaxis=dict(title=dict(text="Partners")),
        legend=TOP_LEGEND,
        margin=dict(l=56, r=16, t=64, b=32),
    )


def _range_label(low: float, high: float) -> str:
    if low == float("-inf"):
        return f"<{high:g}"
    if high == float("inf"):
        return f"≥{low:g}"
    return f"{low:g}..{high:g}"


def quadrant(counts: list[list[int]], link: Link) -> str:
    """Score against trend, as counts: rising stars top right, slipping giants top left."""
    score_labels = [
        f"{int(QUADRANT_SCORE_EDGES[i])}-{int(round(QUADRANT_SCORE_EDGES[i + 1]))}"
        for i in range(len(QUADRANT_SCORE_EDGES) - 1)
    ]
    trend_labels = [
        _range_label(TREND_EDGES[i], TREND_EDGES[i + 1]) for i in range(len(TREND_EDGES) - 1)
    ]

    def cell_link(i: int, j: int) -> str:
        changes: dict = {
            "score_min": QUADRANT_SCORE_EDGES[i],
            "score_max": QUADRANT_SCORE_EDGES[i + 1],
        }
        if TREND_EDGES[j] != float("-inf"):
            changes["trend_min"] = TREND_EDGES[j]
        if TREND_EDGES[j + 1] != float("inf"):
            changes["trend_max"] = TREND_EDGES[j + 1]
        return link(status="ok", **changes)

    corners = [  # above the plot: the top row is where the giants and the stars are
        (0, "← Slipping giants", "left"),
        (1, "Rising stars →", "right"),
    ]
    return figure(
        [
            {
                "type": "heatmap",
                "z": counts,
                "x": trend_labels,
                "y": score_labels,
                "text": [[str(n) if n else "" for n in row] for row in counts],
                "texttemplate": "%{text}",
                "colorscale": [[0, "#f6f8fa"], [1, "#0969da"]],
                "showscale": False,
                "xgap": 2,
                "ygap": 2,
                "customdata": [
                    [cell_link(i, j) for j in range(len(trend_labels))]
                    for i in range(len(score_labels))
                ],
                "hovertemplate": "score %{y}, trend %{x}: %{z} partners<extra></extra>",
            }
        ],
        title="Score vs trend since the previous period",
        xaxis=dict(title=dict(text="Trend (points)"), type="category"),
        yaxis=dict(title=dict(text="Score"), type="category"),
        margin=dict(l=64, r=16, t=62, b=48),
        annotations=[
            dict(
                x=x,
                y=1.01,
                xref="paper",
                yref="paper",
                text=f"<b>{text}</b>",
                showarrow=False,
                xanchor=xanchor,
                yanchor="bottom",
                font=dict(size=12, color="#57606a"),
            )
            for x, text, xanchor in corners
        ],
    )


def migration_matrix(
    migration: dict, order: list[str], link: Callable[[str, str], str], *, title: str
) -> str:
    """From tier (rows) x to tier (columns); a cell opens the partners who made that move."""
    present = [t for t in order if t in migration or any(t in row for row in migration.values())]
    z = [[migration.get(a, {}).get(b, 0) for b in present] for a in present]
    labels = [tier_label(t) for t in present]
    return figure(
        [
            {
                "type": "heatmap",
                "z": z,
                "x": labels,
                "y": labels,
                "text": [[f"{n:,}" if n else "" for n in row] for row in z],
                "texttemplate": "%{text}",
                "colorscale": [[0, "#f6f8fa"], [1, "#8250df"]],
                "showscale": False,
                "xgap": 2,
                "ygap": 2,
                "customdata": [[link(a, b) for b in present] for a in present],
                "hovertemplate": "from %{y} to %{x}: %{z} partners<extra></extra>",
            }
        ],
        title=title,
        xaxis=dict(type="category", side="top"),
        yaxis=dict(type="category", autorange="reversed"),
        margin=dict(l=90, r=16, t=90, b=16),
    )


def breakdown(rows: list[dict], order: list[str], link: Callable[[str], str], *, title: str) -> str:
    """Partners per tier for each region (or manager), a bar per tier; a bar opens them."""
    colours = tier_colours(order)
    labels = [
        f"{r['label']} · {r['mean_score']:.1f}" if r["mean_score"] is not None else r["label"]
        for r in rows
    ]
    links = [link(r["key"]) for r in rows]
    data = []
    for tier in order:
        counts = [r["tiers"].get(tier, 0) for r in rows]
        if any(counts):
            data.append(
                {
                    "type": "bar",
                    "orientation": "h",
                    "name": tier_label(tier),
                    "y": labels,
                    "x": counts,
                    "marker": {"color": colours[tier]},
                    "customdata": links,
                    "hovertemplate": f"%{{y}}: %{{x}} {tier_label(tier)}<extra></extra>",
                }
            )
    return figure(
        data,
        title=title,
        barmode="stack",
        xaxis=dict(),
        yaxis=dict(autorange="reversed", type="category"),
        legend=TOP_LEGEND,
        height=max(260, 120 + 26 * len(rows)),
        margin=dict(l=8, r=16, t=64, b=32),
    )


def kpi_heatmap(partners: list[dict], kpis: list[dict], lines: dict, link_template: str) -> str:
    """The table's partners (rows) x KPIs (columns), coloured by line status, the line score
    written in each cell; the hover names the status (never told by colour alone). A cell
    opens the partner's scorecard at that KPI: link_template's {row} is the partner code."""
    z, text, status = [], [], []
    for p in partners:
        row_z: list[int | None] = []
        row_text: list[str] = []
        row_status: list[str] = []
        for k in kpis:
            line = lines.get((p["partner_id"], k["id"]))
            if line is None:
                row_z.append(None)
                row_text.append("")
                row_status.append("not in the model")
            else:
                row_z.append(STATUS_LEVELS[line[0]])
                row_text.append(f"{line[1]:.0f}" if line[1] is not None else "–")
                row_status.append(line[0] if line[1] is not None else "grey (no data)")
        z.append(row_z)
        text.append(row_text)
        status.append(row_status)
    html = figure(
        [
            {
                "type": "heatmap",
                "z": z,
                "x": [k["code"] for k in kpis],
                "y": [f"{p['name'][:28]} ({p['code']})" for p in partners],
                "zmin": 0,
                "zmax": 3,
                "colorscale": STATUS_SCALE,
                "showscale": False,
                "text": text,
                "texttemplate": "%{text}",
                "textfont": {"size": 10, "color": "#ffffff"},
                "xgap": 1,
                "ygap": 1,
                "customdata": status,
                "hovertemplate": "%{y}<br>%{x}: %{customdata}, score %{text}<extra></extra>",
            }
        ],
        title="KPI status of the partners in the table (line score in each cell)",
        xaxis=dict(side="top", tickangle=-45, type="category"),
        yaxis=dict(autorange="reversed", type="category"),
        height=max(240, 160 + 20 * len(partners)),
        margin=dict(l=8, r=16, t=160, b=16),
    )
    rows = json.dumps([p["code"] for p in partners])
    return format_html(
        '<div class="heatmap-links" data-link-template="{}" data-rows="{}">{}</div>',
        link_template,
        rows,
        html,
    )


def region_kpis(rows: list[dict], link: Callable[[str], str]) -> str:
    """Mean line score per region and KPI (the weakest first): what drags a region down."""
    regions = sorted({r["region"] for r in rows})
    codes = {r["region"]: r["code"] for r in rows}
    means = {(r["region"], r["kpi"]): r["mean"] for r in rows}
    kpis = sorted(
        {r["kpi"] for r in rows},
        key=lambda k: sum(means.get((g, k), 0) for g in regions) / len(regions),
    )
    z = [[means.get((g, k)) for k in kpis] for g in regions]
    return figure(
        [
            {
                "type": "heatmap",
                "z": z,
                "x": kpis,
                "y": regions,
                "zmin": 0,
                "zmax": 120,
                "colorscale": [
                    [0, STATUS_COLOURS["red"]],
                    [0.5, "#fff8c5"],
                    [100 / 120, STATUS_COLOURS["green"]],
                    [1, "#0b4f25"],
                ],
                "colorbar": {"title": {"text": "mean"}, "thickness": 10},
                "text": [[f"{v:.0f}" if v is not None else "" for v in row] for row in z],
                "texttemplate": "%{text}",
                "textfont": {"size": 10},
                "xgap": 1,
                "ygap": 1,
                "customdata": [[link(codes[g]) for _ in kpis] for g in regions],
                "hovertemplate": "%{y}, %{x}: mean line score %{z:.1f}<extra></extra>",
            }
        ],
        title="Mean KPI score by region, weakest KPIs first",
        xaxis=dict(tickangle=-45, type="category"),
        yaxis=dict(autorange="reversed", type="category"),
        height=max(260, 190 + 28 * len(regions)),
        margin=dict(l=8, r=16, t=40, b=150),
    )
