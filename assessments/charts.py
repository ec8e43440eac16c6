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
    """Each KPI's score as a bar coloured by status, against the 100 = target line, with a
    marker and the figure at the score: a KPI scored 0 has no bar length but stays visible."""
    labels = [line.kpi.name for line in lines]
    scored = [line for line in lines if line.score is not None]
    missing = [line for line in lines if line.score is None]
    fig = go.Figure(
        go.Bar(
            x=[line.score if line.score is not None else 0 for line in lines],
            y=labels,
            orientation="h",
            marker_color=[STATUS_COLOURS[line.status] for line in lines],
            customdata=[line.get_status_display() for line in lines],
            hovertemplate="%{y}: %{x:.1f} (%{customdata})<extra></extra>",
            showlegend=False,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[line.score for line in scored],
            y=[line.kpi.name for line in scored],
            mode="markers+text",
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
        )
    )
    if missing:
        fig.add_trace(
            go.Scatter(
                x=[0] * len(missing),
                y=[line.kpi.name for line in missing],
                mode="text",
                text=["no data"] * len(missing),
                textposition="middle right",
                textfont=dict(color="#656d76"),
                hoverinfo="skip",
                showlegend=False,
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
        xaxis=dict(range=[-2, 135], title="Score (0-120)"),
        yaxis=dict(
            autorange="reversed", automargin=True, categoryorder="array", categoryarray=labels
        ),
    )
    fig.update_layout(height=max(260, 60 + 34 * len(lines)))
    return html(fig)


TIER_BAND_COLOURS = ("#f3f4f6", "#e6eefa")  # alternate, faint: the score line stays in front


def _tier_bands(fig: go.Figure, tiers: list[tuple[str, float]], top: float) -> None:
    """Each tier as a horizontal band from its min_score to the next tier's, named inside."""
    ascending = sorted(tiers, key=lambda t: t[1])
    for i, (name, low) in enumerate(ascending):
        high = ascending[i + 1][1] if i + 1 < len(ascending) else top
        fig.add_hrect(
            y0=low,
            y1=high,
            fillcolor=TIER_BAND_COLOURS[i % 2],
            line_width=0,
            layer="below",
        )
        if low > 0:
            fig.add_hline(y=low, line_width=1, line_dash="dot", line_color="#afb8c1", layer="below")
        fig.add_annotation(  # in the right margin: never on top of the data
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
    fig = go.Figure()
    _tier_bands(fig, tiers or [], top=125)
    if medians and any(m is not None for m in medians):
        fig.add_trace(
            go.Scatter(
                x=codes,
                y=medians,
                name=peer_label,
                mode="lines+markers",
                line=dict(color="#8c959f", dash="dash"),
                marker=dict(size=6),
                hovertemplate="%{x}: peer median %{y:.1f}<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=codes,
            y=[row[1] for row in history],
            name="Score",
            mode="lines+markers",
            line=dict(color="#0969da", width=3),
            marker=dict(size=8),
            text=[row[2] for row in history],
            hovertemplate="%{x}: %{y:.1f} (%{text})<extra></extra>",
        )
    )
    fig.update_layout(
        **LAYOUT,
        title="Score by period",
        yaxis=dict(range=[0, 125], title="Score"),
        xaxis=dict(type="category"),
        legend=dict(orientation="h", x=0, y=-0.18, yanchor="top"),
    )
    fig.update_layout(margin=dict(l=48, r=86 if tiers else 16, t=40, b=72))
    return html(fig)


def kpi_history(rows: list[tuple[str, float | None, float | None]], *, unit: str = "") -> str:
    """One KPI over the periods (rows: period code, value, score): the value as bars, the score
    as a line on its own axis (0-120)."""
    codes = [row[0] for row in rows]
    suffix = f" {unit}" if unit else ""
    fig = go.Figure(
        go.Bar(
            x=codes,
            y=[row[1] for row in rows],
            name=f"Value{suffix}",
            marker_color="#b6d3f5",
            hovertemplate="%{x}: %{y:,.4~f}" + suffix + "<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=codes,
            y=[row[2] for row in rows],
            name="Score",
            yaxis="y2",
            mode="lines+markers+text",
            line=dict(color="#0969da", width=2),
            text=[f"{row[2]:.1f}" if row[2] is not None else "" for row in rows],
            textposition="top center",
            cliponaxis=False,
            hovertemplate="%{x}: score %{y:.1f}<extra></extra>",
        )
    )
    fig.update_layout(
        **LAYOUT,
        title="Value and score by period",
        xaxis=dict(type="category"),
        yaxis=dict(title=f"Value{suffix}", rangemode="tozero"),
        yaxis2=dict(
            title="Score",
            overlaying="y",
            side="right",
            range=[0, 130],
            tickvals=[0, 50, 100, 120],
            showgrid=False,
        ),
        legend=dict(orientation="h", x=0, y=-0.18, yanchor="top"),
    )
    fig.update_layout(height=300, margin=dict(l=56, r=48, t=40, b=72))
    return html(fig)
