"""Risk charts as SVG markup, built on the server so the web page and the PDF show the same picture.

No scripts, no inline CSS: only SVG presentation attributes, which a strict CSP allows. Every label is escaped.
"""

from __future__ import annotations

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


def area_risk_chart(rows: Sequence[tuple[str, dict[str, int]]], *, width: int = 640) -> str:
    """One stacked horizontal bar per area: how many of its questions carry each risk."""
    label_width, bar_height, gap, top = 190, 22, 10, 30
    bar_width = width - label_width - 20
    height = top + len(rows) * (bar_height + gap) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="Question risk by best-practice area">',
        "<title>Question risk by best-practice area</title>",
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
