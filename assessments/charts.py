"""Plotly figures for the pages, as HTML fragments (plotly.js comes from our static files).

A fragment is an empty element carrying the figure as JSON; static/js/charts.js draws it. No
inline script: the Content-Security-Policy allows scripts from our own origin only."""

import json
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString

CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
}
STATUS_COLOURS = {"green": "#1a7f37", "amber": "#bf8700", "red": "#cf222e", "grey": "#8c959f"}
# Every chart is a plain dict in plotly.js's JSON schema. Building figures through
# plotly.graph_objects validates every property and costs tens of milliseconds a chart.

AXIS: dict[str, Any] = dict(
    gridcolor="#eaeef2", zeroline=False, linecolor="#d0d7de", automargin=True
)
PLAIN_LAYOUT: dict[str, Any] = dict(
    margin=dict(l=48, r=16, t=40, b=48),
    height=320,
    paper_bgcolor="#ffffff",
    plot_bgcolor="#ffffff",
    font=dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=13),
    hoverlabel=dict(bgcolor="#ffffff", font=dict(color="#1f2328")),
)
# the title at the top of the box, clear of labels an axis puts on top of the plot
TITLE = dict(x=0.01, y=1, yref="container", yanchor="top", pad=dict(t=10), font=dict(size=15))
# below the title, above the plot: clear of the axis labels at any height and width
TOP_LEGEND = dict(orientation="h", x=1, xanchor="right", y=1.02, yanchor="bottom")


def plain_html(data: list[dict], *, title: str, **layout: Any) -> SafeString:
    """A chart element for static/js/charts.js to draw, from a figure given as dicts."""
    merged = {**PLAIN_LAYOUT, **layout, "title": {**TITLE, "text": title}}
    for axis in [k for k in merged if k.startswith(("xaxis", "yaxis"))]:
        merged[axis] = {**AXIS, **merged[axis]}
    return format_html(
        '<div class="plotly-chart" style="width:100%;height:{}px" data-figure="{}" '
        'data-config="{}"></div>',
        merged["height"],
        json.dumps({"data": data, "layout": merged}, separators=(",", ":")),
        json.dumps(CONFIG),
    )


def kpi_scores(lines: list) -> str:
    """Each KPI's score as a bar coloured by status, against the 100 = target line, with a
    marker and the figure at the score: a KPI scored 0 has no bar length but stays visible."""
    labels = [line.kpi.name for line in lines]
    scored = [line for line in lines if line.score is not None]
    missing = [line for line in lines if line.score is None]
    data: list[dict] = [
        dict(
            type="bar",
            orientation="h",
            x=[line.score if line.score is not None else 0 for line in lines],
            y=labels,
            marker=dict(color=[STATUS_COLOURS[line.status] for line in lines]),
            customdata=[line.get_status_display() for line in lines],
            hovertemplate="%{y}: %{x:.1f} (%{customdata})<extra></extra>",
            showlegend=False,
        ),
        dict(
            type="scatter",
            mode="markers+text",
            x=[line.score for line in scored],
            y=[line.kpi.name for line in scored],
            marker=dict(
                symbol="diamond",
                size=11,
                color=[STATUS_COLOURS[line.status] for line in scored],
                line=dict(color="#1f2328", width=1),
            ),
            text=[f"{line.score:.1f}" for line in scored],
            textposition="middle right",
            cliponaxis=False,
            hoverinfo="skip",
            showlegend=False,
        ),
    ]
    if missing:
        data.append(
            dict(
                type="scatter",
                mode="text",
                x=[0] * len(missing),
                y=[line.kpi.name for line in missing],
                text=["no data"] * len(missing),
                textposition="middle right",
                textfont=dict(color="#656d76"),
                hoverinfo="skip",
                showlegend=False,
            )
        )
    return plain_html(
        data,
        title="KPI scores against target",
        height=max(260, 60 + 34 * len(lines)),
        xaxis=dict(range=[-2, 135], title=dict(text="Score (0-120)")),
        yaxis=dict(
            autorange="reversed",
            automargin=True,
            categoryorder="array",
            categoryarray=labels,
            gridcolor="rgba(0,0,0,0)",
        ),
        shapes=[
            dict(
                type="line",
                x0=100,
                x1=100,
                yref="paper",
                y0=0,
                y1=1,
                line=dict(color="#24292f", dash="dash", width=1.5),
            )
        ],
        annotations=[
            dict(
                x=100,
                y=1,
                yref="paper",
                yanchor="bottom",
                text="target = 100",
                showarrow=False,
                font=dict(size=12),
            )
        ],
    )


TIER_BAND_COLOURS = ("#f3f4f6", "#e6eefa")  # alternate, faint: the score line stays in front


def tier_bands(tiers: list[tuple[str, float]], top: float) -> tuple[list[dict], list[dict]]:
    """Each tier as a horizontal band from its min_score to the next tier's, named in the
    right margin (never on top of the data): (shapes, annotations)."""
    ascending = sorted(tiers, key=lambda t: t[1])
    shapes: list[dict] = []
    notes: list[dict] = []
    for i, (name, low) in enumerate(ascending):
        high = ascending[i + 1][1] if i + 1 < len(ascending) else top
        band = dict(xref="paper", x0=0, x1=1, yref="y", y0=low, y1=high, layer="below")
        shapes.append(
            dict(type="rect", fillcolor=TIER_BAND_COLOURS[i % 2], line=dict(width=0), **band)
        )
        if low > 0:
            edge = {**band, "y1": low}
            shapes.append(
                dict(type="line", line=dict(width=1, dash="dot", color="#afb8c1"), **edge)
            )
        notes.append(
            dict(
                x=1,
                xref="paper",
                xanchor="left",
                xshift=4,
                y=(low + high) / 2,
                yanchor="middle",
                text=f"{name} ≥{low:g}" if low > 0 else name,
                showarrow=False,
                align="left",
                font=dict(size=10, color="#57606a"),
            )
        )
    return shapes, notes


def score_history(
    history: list[tuple[str, float | None, str]],
    *,
    medians: list[float | None] | None = None,
    tiers: list[tuple[str, float]] | None = None,
    peer_label: str = "Peer median",
) -> str:
    """Score by period (rows: period code, score, tier or status) over the tier bands of the
    model version, with the peer median per period."""
    codes = [row[0] for row in history]
    shapes, notes = tier_bands(tiers or [], top=125)
    data: list[dict] = []
    if medians and any(m is not None for m in medians):
        data.append(
            dict(
                type="scatter",
                mode="lines+markers",
                x=codes,
                y=medians,
                name=peer_label,
                line=dict(color="#8c959f", dash="dash"),
                marker=dict(size=6),
                hovertemplate="%{x}: peer median %{y:.1f}<extra></extra>",
            )
        )
    data.append(
        dict(
            type="scatter",
            mode="lines+markers",
            x=codes,
            y=[row[1] for row in history],
            name="Score",
            line=dict(color="#0969da", width=3),
            marker=dict(size=8),
            text=[row[2] for row in history],
            hovertemplate="%{x}: %{y:.1f} (%{text})<extra></extra>",
        )
    )
    return plain_html(
        data,
        title="Score by period",
        yaxis=dict(range=[0, 125], title=dict(text="Score")),
        xaxis=dict(type="category"),
        legend=TOP_LEGEND,
        margin=dict(l=48, r=86 if tiers else 16, t=64, b=48),
        shapes=shapes,
        annotations=notes,
    )


def kpi_history(rows: list[tuple[str, float | None, float | None]], *, unit: str = "") -> str:
    """One KPI over the periods (rows: period code, value, score): the value as bars, the score
    as a line on its own axis (0-120)."""
    codes = [row[0] for row in rows]
    suffix = f" {unit}" if unit else ""
    data: list[dict] = [
        dict(
            type="bar",
            x=codes,
            y=[row[1] for row in rows],
            name=f"Value{suffix}",
            marker=dict(color="#b6d3f5"),
            hovertemplate="%{x}: %{y:,.4~f}" + suffix + "<extra></extra>",
        ),
        dict(
            type="scatter",
            mode="lines+markers+text",
            x=codes,
            y=[row[2] for row in rows],
            name="Score",
            yaxis="y2",
            line=dict(color="#0969da", width=2),
            text=[f"{row[2]:.1f}" if row[2] is not None else "" for row in rows],
            textposition="top center",
            cliponaxis=False,
            hovertemplate="%{x}: score %{y:.1f}<extra></extra>",
        ),
    ]
    return plain_html(
        data,
        title="Value and score by period",
        height=300,
        xaxis=dict(type="category"),
        yaxis=dict(title=dict(text=f"Value{suffix}"), rangemode="tozero"),
        yaxis2=dict(
            title=dict(text="Score"),
            overlaying="y",
            side="right",
            range=[0, 130],
            tickvals=[0, 50, 100, 120],
            showgrid=False,
        ),
        legend=TOP_LEGEND,
        margin=dict(l=56, r=48, t=64, b=56),
    )
