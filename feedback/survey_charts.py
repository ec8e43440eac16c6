"""Survey results as Plotly figures (bar and scatter only: the vendored cartesian bundle),
through assessments.charts' plain_html."""

from assessments.charts import STATUS_COLOURS, TOP_LEGEND, plain_html
from feedback.models import SCALE_BOUNDS, QuestionKind
from feedback.survey_selectors import QuestionResult

BLUE = "#0969da"


def nps_split_bar(result: QuestionResult) -> str:
    """Detractors, passives and promoters as one stacked bar of 100 %."""
    total = result.total or 1
    parts = zip(
        ("Detractors (0-6)", "Passives (7-8)", "Promoters (9-10)"),
        reversed(result.split),
        (STATUS_COLOURS["red"], STATUS_COLOURS["grey"], STATUS_COLOURS["green"]),
        strict=True,
    )
    data = [
        dict(
            type="bar",
            orientation="h",
            name=name,
            x=[100.0 * n / total],
            y=[""],
            text=[f"{100.0 * n / total:.0f} % ({n})"],
            textposition="inside",
            insidetextanchor="middle",
            marker=dict(color=colour),
            hovertemplate=f"{name}: %{{x:.1f}} % ({n})<extra></extra>",
        )
        for name, n, colour in parts
    ]
    return plain_html(
        data,
        title="Promoters, passives, detractors",
        height=170,
        barmode="stack",
        legend=TOP_LEGEND,
        margin=dict(l=16, r=16, t=60, b=36),
        xaxis=dict(range=[0, 100], ticksuffix=" %"),
        yaxis=dict(showticklabels=False),
    )


def distribution(result: QuestionResult) -> str:
    """How many answers each value of the scale got."""
    low, high = SCALE_BOUNDS[QuestionKind(result.question.kind)]
    values = list(range(low, high + 1))
    data = [
        dict(
            type="bar",
            x=[str(v) for v in values],
            y=[result.counts.get(float(v), 0) for v in values],
            marker=dict(color=BLUE),
            hovertemplate="%{x}: %{y} answers<extra></extra>",
        )
    ]
    return plain_html(
        data,
        title="Answers by value",
        height=240,
        xaxis=dict(type="category", title=dict(text="Answer")),
        yaxis=dict(title=dict(text="Answers"), rangemode="tozero"),
    )


def choices(result: QuestionResult) -> str:
    options = result.question.choice_list()
    options += [o for o in result.counts if o not in options]  # options since removed
    data = [
        dict(
            type="bar",
            orientation="h",
            x=[result.counts.get(o, 0) for o in options],
            y=options,
            marker=dict(color=BLUE),
            hovertemplate="%{y}: %{x} answers<extra></extra>",
        )
    ]
    return plain_html(
        data,
        title="Answers by option",
        height=max(200, 70 + 32 * len(options)),
        xaxis=dict(title=dict(text="Answers"), rangemode="tozero"),
        yaxis=dict(autorange="reversed", type="category"),
    )


def trend(result: QuestionResult) -> str:
    is_nps = result.question.kind == QuestionKind.SCALE_10
    label = "NPS" if is_nps else "Mean"
    data = [
        dict(
            type="scatter",
            mode="lines+markers",
            x=[code for code, _, _ in result.trend],
            y=[score for _, score, _ in result.trend],
            customdata=[n for _, _, n in result.trend],
            marker=dict(color=BLUE, size=8),
            hovertemplate=f"%{{x}}: {label} %{{y:.1f}} (%{{customdata}} answers)<extra></extra>",
        )
    ]
    low, high = (-100, 100) if is_nps else SCALE_BOUNDS[QuestionKind(result.question.kind)]
    return plain_html(
        data,
        title=f"{label} by quarter",
        height=240,
        xaxis=dict(type="category"),
        yaxis=dict(range=[low - 0.05 * (high - low), high + 0.05 * (high - low)]),
    )


def question_charts(result: QuestionResult) -> list[str]:
    if not result.total:
        return []
    kind = result.question.kind
    if kind == QuestionKind.CHOICE:
        return [choices(result)]
    if kind not in SCALE_BOUNDS:
        return []
    charts = [nps_split_bar(result)] if kind == QuestionKind.SCALE_10 else []
    charts.append(distribution(result))
    if len(result.trend) > 1:
        charts.append(trend(result))
    return charts
