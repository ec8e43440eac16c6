"""Template helpers for the partner pages: number formatting and the bullet chart, an inline
SVG drawn on the server (no script, prints as drawn, readable without colour)."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()

WIDTH, HEIGHT, PAD = 170, 34, 6
BAND_TOP, BAND_HEIGHT = 3, 16
RANGES = ("#ffdcd7", "#fff0c2", "#d3f3da", "#b4e8c1")  # below floor, to target, to stretch, above
MIN_LABEL_GAP = 34  # px between two threshold labels, else the later one is left to the tooltip


@register.filter
def num(value, decimals: int = 3) -> str:
    """12345.678 -> '12,345.678'; 112500.0 -> '112,500'; up to `decimals` decimals."""
    if value is None or value == "":
        return "–"
    text = f"{float(value):,.{int(decimals)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@register.filter
def signed(value, decimals: int = 1) -> str:
    """A change: '+3.2', '-0.5', '0.0'; '–' when unknown."""
    if value is None:
        return "–"
    rounded = round(float(value), int(decimals))
    text = f"{rounded:+,.{int(decimals)}f}"
    return text.replace("+0.0", "0.0").replace("-0.0", "0.0") if rounded == 0 else text


@register.filter
def signed_num(value) -> str:
    """A change of a value: '+70,000', '-17', '+0.25'; '–' when unknown."""
    if value is None:
        return "–"
    text = num(abs(float(value)))
    return text if text == "0" else ("-" if value < 0 else "+") + text


def compact(value: float) -> str:
    """Short axis labels: 150000 -> '150k', 2500000 -> '2.5M', 4.333 -> '4.33'."""
    size = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def bullet_geometry(
    *, direction: str, floor: float, target: float, stretch: float | None, value: float | None
) -> dict:
    """Positions (px) of the ranges, the value bar and the labels. Worked in 'better is to the
    right' units: a lower-is-better KPI is negated, so its chart is mirrored."""
    sign = -1.0 if direction == "lower" else 1.0
    f, t = sign * floor, sign * target
    s = t if stretch is None else sign * stretch
    base = t - f
    lo, hi = f - 0.25 * base, (s + 0.15 * (s - f)) if s > t else t + 0.25 * base
    clipped = ""  # "low" or "high" when the value lies beyond what the chart shows
    if value is not None:
        v = sign * value
        if v < lo:
            lo, clipped = max(v, f - base), "low" if v < f - base else ""
        if v > hi:
            hi, clipped = min(v, s + base), "high" if v > s + base else ""

    def x(u: float) -> float:
        return round(PAD + (u - lo) / (hi - lo) * (WIDTH - 2 * PAD), 1)

    stops = [x(lo), x(f), x(t), x(s), x(hi)]
    ranges = [(stops[i], stops[i + 1] - stops[i], RANGES[i]) for i in range(4)]
    # the target always; floor and stretch when there is room
    labels: list[tuple[float, float | None]] = [(x(t), target)]
    if x(t) - x(f) >= MIN_LABEL_GAP:
        labels.insert(0, (x(f), floor))
    if s > t and x(s) - x(t) >= MIN_LABEL_GAP:
        labels.append((x(s), stretch))
    bar = None
    if value is not None:
        end = min(max(sign * value, lo), hi)
        bar = max(x(end) - x(lo), 2.0)  # a value at or below the range still shows a stub
    return {"ranges": ranges, "target": x(t), "bar": bar, "labels": labels, "clipped": clipped}


def _anchor(x: float) -> str:
    """Labels near an edge grow inwards, so none is cut off."""
    return "start" if x < 20 else "end" if x > WIDTH - 20 else "middle"


@register.simple_tag
def bullet_chart(line) -> SafeString:
    """A bullet chart of one ScorecardLine: shaded ranges below floor / floor-target /
    target-stretch, a dark bar for the value, a tick at the target, thresholds labelled."""
    kpi = line.kpi
    g = bullet_geometry(
        direction=kpi.direction,
        floor=line.floor,
        target=line.target,
        stretch=line.stretch,
        value=line.value,
    )
    unit = f" {kpi.unit}" if kpi.unit else ""
    value_text = "no value" if line.value is None else f"value {num(line.value)}{unit}"
    stretch_text = "no bonus" if line.stretch is None else num(line.stretch)
    mirrored = (
        " (lower is better: mirrored, better to the right)" if kpi.direction == "lower" else ""
    )
    title = (
        f"{kpi.name}: {value_text}; floor {num(line.floor)}, target {num(line.target)}, "
        f"stretch {stretch_text}{mirrored}"
    )
    ranges = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
        ((x, BAND_TOP, w, BAND_HEIGHT, colour) for x, w, colour in g["ranges"]),
    )
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="{}">{}</text>',
        ((x, HEIGHT - 2, _anchor(x), compact(v)) for x, v in g["labels"]),
    )
    bar = (
        format_html(
            '<rect class="bullet-value" x="{}" y="{}" width="{}" height="6" fill="#24292f"/>',
            PAD,
            BAND_TOP + 5,
            g["bar"],
        )
        if g["bar"] is not None
        else format_html(
            '<text x="{}" y="{}" class="bullet-missing">no value</text>', PAD + 3, BAND_TOP + 12
        )
    )
    arrow = {  # the value lies beyond the chart's range: an arrowhead on that side
        "high": format_html('<path d="M{} {}l5 3-5 3z"/>', WIDTH - PAD, BAND_TOP + 5),
        "low": format_html('<path d="M{} {}l-5 3 5 3z"/>', PAD, BAND_TOP + 5),
    }.get(g["clipped"], "")
    return format_html(
        '<svg class="bullet" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-label="{title}"><title>{title}</title>{ranges}{bar}{arrow}'
        '<rect x="{tick}" y="1" width="2" height="{th}" fill="#1f2328"/>'
        '<g class="bullet-labels">{labels}</g></svg>',
        w=WIDTH,
        h=HEIGHT,
        title=title,
        ranges=ranges,
        bar=bar,
        arrow=arrow,
        tick=g["target"] - 1,
        th=BAND_HEIGHT + 4,
        labels=labels,
    )
