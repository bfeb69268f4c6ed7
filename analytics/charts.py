"""Server-rendered SVG charts: columns per day (stacked when there are several series) and horizontal bars.

The Content-Security-Policy forbids inline scripts and ``style`` attributes, so the SVG carries only geometry
and a CSS class per series (colours are in ``/staff/static/analytics.css``). Every text (labels, titles, FAQ
questions) is escaped here, since the result is marked safe for the template. Each chart is an image with a
title for screen readers; the numbers themselves are in the table the page shows with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 720
FONT = 11
COLUMN_MARGIN = (28, 8, 36, 48)  # top, right, bottom, left
BAR_ROW = 26
BAR_LABEL_WIDTH = 250
BAR_VALUE_WIDTH = 70
MAX_LABEL_CHARS = 18
MAX_X_LABELS = 15
MAX_VALUE_LABELS = 31


@dataclass(frozen=True)
class Series:
    """One coloured series: its name (legend), CSS class and one value per label."""

    name: str
    css_class: str
    values: Sequence[float]


def count_text(value: float) -> str:
    """``1234`` → ``1,234``; a fraction keeps one decimal."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def nice_max(value: float) -> float:
    """The smallest 1, 2 or 5 × 10ⁿ at or above ``value`` (at least 1): a readable top for the axis."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return float(next(step * power for step in (1, 2, 5, 10) if step * power >= value))


def shorten(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (the full text goes in the bar's tooltip)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _text(x: float, y: float, text: str, css: str, anchor: str = "start") -> str:
    return (f'<text x="{_num(x)}" y="{_num(y)}" class="{escape(css)}" text-anchor="{anchor}" '
            f'font-size="{FONT}">{escape(text)}</text>')


def _rect(x: float, y: float, width: float, height: float, css: str, tooltip: str) -> str:
    return (f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(max(width, 0))}" height="{_num(max(height, 0))}" '
            f'class="{escape(css)}"><title>{escape(tooltip)}</title></rect>')


def _svg(chart_id: str, title: str, height: float, body: list[str]) -> Markup:
    ident = escape(chart_id)
    return Markup(
        f'<svg id="{ident}" class="chart" viewBox="0 0 {WIDTH} {_num(height)}" width="{WIDTH}" '
        f'height="{_num(height)}" role="img" aria-labelledby="{ident}-title" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-title">{escape(title)}（数値は下の表にあります）</title>{"".join(body)}</svg>')


def _legend(series: Sequence[Series], y: float) -> list[str]:
    if len(series) < 2:
        return []
    parts, x = [], float(COLUMN_MARGIN[3])
    for one in series:
        parts.append(f'<rect x="{_num(x)}" y="{_num(y - 9)}" width="10" height="10" class="{escape(one.css_class)}"/>')
        parts.append(_text(x + 14, y, one.name, "legend"))
        x += 28 + FONT * len(one.name)
    return parts


def column_chart(chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series],
                 fmt: Callable[[float], str] = count_text) -> Markup:
    """Vertical columns, one per label (a day), the series stacked; the total above each column when they fit,
    and each segment's label, series and value as its tooltip."""
    if not labels:
        return Markup("")
    top, right, bottom, left = COLUMN_MARGIN
    height = 240
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    totals = [sum(one.values[i] for one in series) for i in range(len(labels))]
    scale_max = nice_max(max(totals, default=0))
    slot = plot_w / len(labels)
    body = _legend(series, 14)
    for tick in (0.0, scale_max / 2, scale_max):
        y = top + plot_h - tick / scale_max * plot_h
        body.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{_num(y)}" y2="{_num(y)}" class="grid"/>')
        body.append(_text(left - 4, y + 4, fmt(tick), "axis", "end"))
    step = math.ceil(len(labels) / MAX_X_LABELS)
    for i, label in enumerate(labels):
        x, base = left + i * slot + slot * 0.15, float(top + plot_h)
        for one in series:
            h = one.values[i] / scale_max * plot_h
            base -= h
            if one.values[i]:
                body.append(_rect(x, base, slot * 0.7, h, one.css_class, f"{label} {one.name}: {fmt(one.values[i])}"))
        if len(labels) <= MAX_VALUE_LABELS and totals[i]:
            body.append(_text(x + slot * 0.35, base - 3, fmt(totals[i]), "value", "middle"))
        if i % step == 0:
            body.append(_text(x + slot * 0.35, height - bottom + 16, label, "axis", "middle"))
    return _svg(chart_id, title, height, body)


def bar_chart(chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series],
              fmt: Callable[[float], str] = count_text, tooltips: Sequence[str] | None = None) -> Markup:
    """Horizontal bars, one row per label (an entry, a team, a reason), the series stacked; long labels are
    shortened (the full text is in ``tooltips`` when given) and each bar ends with its total."""
    if not labels:
        return Markup("")
    top = 24 if len(series) > 1 else 6
    height = top + BAR_ROW * len(labels) + 6
    plot_w = WIDTH - BAR_LABEL_WIDTH - BAR_VALUE_WIDTH
    totals = [sum(one.values[i] for one in series) for i in range(len(labels))]
    scale_max = max(max(totals, default=0), 1)
    body = _legend(series, 14)
    for i, label in enumerate(labels):
        y = top + i * BAR_ROW
        full = tooltips[i] if tooltips else label
        body.append(_text(BAR_LABEL_WIDTH - 8, y + BAR_ROW / 2 + 4, shorten(label), "label", "end"))
        x = float(BAR_LABEL_WIDTH)
        for one in series:
            w = one.values[i] / scale_max * plot_w
            if one.values[i]:
                body.append(_rect(x, y + 4, w, BAR_ROW - 8, one.css_class, f"{full} {one.name}: {fmt(one.values[i])}"))
            x += w
        body.append(_text(x + 4, y + BAR_ROW / 2 + 4, fmt(totals[i]), "value"))
    return _svg(chart_id, title, height, body)
