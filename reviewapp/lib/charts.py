"""Risk charts as SVG markup, built on the server so the web page and the PDF show the same picture: risk by
area (a review's overview, the PDF) and the risk trend across milestones.

Pure functions: numbers and labels in, markup out. No scripts, no inline CSS: only SVG presentation attributes
(fill, stroke, ...), which a strict CSP allows. Every label is escaped, so the result may be marked safe.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

# Colours match static/css/app.css; each segment also carries its count as text, so colour is not the only cue.
SEGMENTS = (
    ("high", "High", "#b42318"),
    ("medium", "Medium", "#d98a00"),
    ("none", "No risk", "#1e7b34"),
    ("not_applicable", "Not applicable", "#8a96a3"),
    ("unanswered", "Unanswered", "#d8dee5"),
)


def area_risk_chart(
    rows: Sequence[tuple[str, dict[str, int]]],
    *,
    width: int = 640,
    title: str = "Question risk by best-practice area",
) -> str:
    """One stacked horizontal bar per area (or per team, ...): how many of its questions carry each risk."""
    label_width, bar_height, gap, top = 190, 22, 10, 30
    bar_width = width - label_width - 20
    height = top + len(rows) * (bar_height + gap) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    legend_x = label_width
    for _, label, colour in SEGMENTS:
        parts.append(f'<rect x="{legend_x}" y="6" width="12" height="12" fill="{colour}"/>')
        parts.append(
            f'<text x="{legend_x + 16}" y="16" font-size="11" font-family="sans-serif" fill="#16202b">{label}</text>'
        )
        legend_x += 16 + 7 * len(label) + 14
    for index, (area, counts) in enumerate(rows):
        y = top + index * (bar_height + gap)
        total = sum(counts.get(key, 0) for key, _, _ in SEGMENTS) or 1
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" font-size="12" font-family="sans-serif" '
            f'fill="#16202b">{escape(area)}</text>'
        )
        x = float(label_width)
        for key, label, colour in SEGMENTS:
            count = counts.get(key, 0)
            if not count:
                continue
            segment = bar_width * count / total
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{segment:.1f}" height="{bar_height}" fill="{colour}">'
                f"<title>{escape(area)}: {count} {label.lower()}</title></rect>"
            )
            text_fill = "#16202b" if key == "unanswered" else "#ffffff"
            parts.append(
                f'<text x="{x + segment / 2:.1f}" y="{y + 15}" text-anchor="middle" font-size="11" '
                f'font-family="sans-serif" fill="{text_fill}">{count}</text>'
            )
            x += segment
    parts.append("</svg>")
    return "".join(parts)


# --- Risk trend across milestones ---------------------------------------------------------------------------

# The same reds and ambers as static/css/app.css. Each series also has its own marker shape and a legend, so
# colour is not the only way to tell them apart.
SERIES = (("high", "High risk", "#b42318"), ("medium", "Medium risk", "#a15c00"))
LABEL_MAX = 22


def _nice_step(top: int) -> int:
    """A round step giving about four gridlines up to `top`."""
    if top <= 4:
        return 1
    raw = top / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return int(factor * magnitude)
    return int(10 * magnitude)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def risk_trend_svg(points: Sequence[tuple[str, int, int]], *, width: int = 720, height: int = 280) -> str:
    """One point per (label, high, medium), left to right; an accessible SVG line chart."""
    # Rotated labels hang down and to the left of their point: leave room for the longest one.
    longest = max([0, *(len(_short(label)) for label, _, _ in points)])
    left, right, top, bottom = max(44, int(longest * 5.4)), 24, 34, 86
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([1, *(max(high, medium) for _, high, medium in points)])
    step = _nice_step(peak)
    y_max = step * math.ceil(peak / step)
    count = len(points)

    def x_at(index: int) -> float:
        return left + (plot_w / 2 if count == 1 else plot_w * index / (count - 1))

    def y_at(value: int) -> float:
        return top + plot_h - plot_h * value / y_max

    summary = "; ".join(f"{label}: {high} high, {medium} medium" for label, high, medium in points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart trend-chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-labelledby="trend-title trend-desc">',
        '<title id="trend-title">High and medium risk questions per milestone</title>',
        f'<desc id="trend-desc">{escape(summary or "No milestones yet.")}</desc>',
    ]
    for value in range(0, y_max + 1, step):
        y = y_at(value)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            'stroke="#d8dee5" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" font-size="11" font-family="sans-serif" '
            f'fill="#5b6b7a">{value}</text>'
        )
    legend_x = left
    for key, name, colour in SERIES:
        marker = (
            f'<circle cx="{legend_x + 6}" cy="14" r="5" fill="{colour}"/>'
            if key == "high"
            else f'<rect x="{legend_x + 1}" y="9" width="10" height="10" fill="{colour}"/>'
        )
        parts.append(marker)
        parts.append(
            f'<text x="{legend_x + 16}" y="18" font-size="12" font-family="sans-serif" '
            f'fill="#16202b">{name}</text>'
        )
        legend_x += 110
    for series_index, (key, name, colour) in enumerate(SERIES):
        values = [(high, medium)[series_index] for _, high, medium in points]
        if count > 1:
            coords = " ".join(f"{x_at(i):.1f},{y_at(v):.1f}" for i, v in enumerate(values))
            parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
        for index, value in enumerate(values):
            x, y = x_at(index), y_at(value)
            tip = f"<title>{escape(points[index][0])}: {value} {name.lower()}</title>"
            if key == "high":
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{colour}">{tip}</circle>')
            else:
                parts.append(
                    f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}">{tip}</rect>'
                )
    base = top + plot_h
    parts.append(
        f'<line x1="{left}" y1="{base:.1f}" x2="{width - right}" y2="{base:.1f}" '
        'stroke="#5b6b7a" stroke-width="1"/>'
    )
    # Label every milestone while they fit, then every n-th, always keeping the last one.
    every = max(1, math.ceil(count / max(1, plot_w // 28)))
    for index, (label, _, _) in enumerate(points):
        if index % every and index != count - 1:
            continue
        x = x_at(index)
        parts.append(
            f'<text x="{x:.1f}" y="{base + 14:.1f}" text-anchor="end" font-size="11" '
            'font-family="sans-serif" '
            f'fill="#16202b" transform="rotate(-35 {x:.1f} {base + 14:.1f})">{escape(_short(label))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
