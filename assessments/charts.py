"""Plotly figures for the pages, as HTML fragments (plotly.js comes from our static files).

A fragment is an empty element carrying the figure as JSON; static/js/charts.js draws it. No
inline script: the Content-Security-Policy allows scripts from our own origin only."""

import json

import numpy as np
import plotly.graph_objects as go
from django.utils.html import format_html
from django.utils.safestring import SafeString

CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
}
STATUS_COLOURS = {"green": "#1a7f37", "amber": "#bf8700", "red": "#cf222e", "grey": "#8c959f"}
LAYOUT = dict(
    margin=dict(l=48, r=16, t=40, b=48),
    height=320,
    template="plotly_white",
    font=dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=13),
)


def html(fig: go.Figure) -> SafeString:
    height = fig.layout.height or LAYOUT["height"]
    return format_html(
        '<div class="plotly-chart" style="width:100%;height:{}px" data-figure="{}" '
        'data-config="{}"></div>',
        height,
        fig.to_json(),
        json.dumps(CONFIG),
    )


def score_histogram(scores: list[float], tiers: list[dict]) -> str:
    """Distribution of composite scores (0-120, bins of 5) with tier thresholds marked.
    Binned here, so the page carries 24 bars, not one number per partner."""
    counts, edges = np.histogram(np.asarray(scores, dtype=float), bins=24, range=(0, 120))
    fig = go.Figure(
        go.Bar(
            x=(edges[:-1] + edges[1:]) / 2,
            y=counts,
            width=4.6,
            marker_color="#0969da",
            customdata=np.stack([edges[:-1], edges[1:]], axis=1),
            hovertemplate="%{customdata[0]:.0f}-%{customdata[1]:.0f}: %{y} partners<extra></extra>",
        )
    )
    for tier in tiers:
        if tier["tier_min_score"]:
            fig.add_vline(x=tier["tier_min_score"], line_dash="dot", line_color="#57606a")
            fig.add_annotation(
                x=tier["tier_min_score"],
                y=1,
                yref="paper",
                yanchor="bottom",
                text=tier["tier"],
                showarrow=False,
                xanchor="left",
                font=dict(size=11, color="#57606a"),
            )
    fig.update_layout(
        **LAYOUT,
        title="Score distribution",
        bargap=0.05,
        xaxis=dict(title="Score", range=[0, 120], dtick=20),
        yaxis=dict(title="Partners"),
    )
    return html(fig)


def tier_bars(tiers: list[dict]) -> str:
    names = [t["tier"] for t in tiers]
    counts = [t["n"] for t in tiers]
    fig = go.Figure(
        go.Bar(
            x=counts,
            y=names,
            orientation="h",
            marker_color="#8250df",
            text=counts,
            textposition="auto",
            hovertemplate="%{y}: %{x} partners<extra></extra>",
        )
    )
    fig.update_layout(
        **LAYOUT,
        title="Partners per tier",
        xaxis=dict(title="Partners"),
        yaxis=dict(autorange="reversed"),
    )
    return html(fig)


def kpi_scores(lines: list) -> str:
    """Each KPI's score as a bar coloured by status, against the 100 = target line."""
    labels = [line.kpi.name for line in lines]
    scores = [line.score if line.score is not None else 0 for line in lines]
    colours = [STATUS_COLOURS[line.status] for line in lines]
    text = [f"{line.score:.1f}" if line.score is not None else "no data" for line in lines]
    fig = go.Figure(
        go.Bar(
            x=scores,
            y=labels,
            orientation="h",
            marker_color=colours,
            text=text,
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    fig.add_vline(
        x=100,
        line_dash="dash",
        line_color="#24292f",
        annotation_text="target = 100",
        annotation_position="top",
    )
    fig.update_layout(
        **LAYOUT,
        title="KPI scores against target",
        xaxis=dict(range=[0, 130], title="Score (0-120)"),
        yaxis=dict(autorange="reversed"),
    )
    fig.update_layout(height=max(260, 60 + 34 * len(lines)))
    return html(fig)


def score_history(history: list[tuple]) -> str:
    codes = [row[0] for row in history]
    scores = [row[1] for row in history]
    fig = go.Figure(
        go.Scatter(
            x=codes,
            y=scores,
            mode="lines+markers",
            line_color="#0969da",
            text=[row[2] or row[3] for row in history],
            hovertemplate="%{x}: %{y:.1f} (%{text})<extra></extra>",
        )
    )
    fig.update_layout(
        **LAYOUT,
        title="Score by period",
        yaxis=dict(range=[0, 125], title="Score"),
        xaxis=dict(type="category"),
    )
    return html(fig)
