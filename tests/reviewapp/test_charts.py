from __future__ import annotations

import xml.etree.ElementTree as ET

from reviewapp.lib.charts import risk_trend_svg

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    # Parsing is how the test proves the markup is well-formed; the input is our own function's output.
    return ET.fromstring(svg)  # noqa: S314


def test_it_draws_one_marker_per_point_and_series():
    svg = risk_trend_svg([("January", 5, 7), ("June", 2, 4), ("Now", 1, 3)])
    root = parse(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert len(root.findall(f"{SVG}polyline")) == 2
    # Two legend markers plus three points per series.
    assert len(root.findall(f"{SVG}circle")) == 1 + 3 and len(root.findall(f"{SVG}rect")) == 1 + 3
    assert "January: 5 high, 7 medium" in root.find(f"{SVG}desc").text


def test_it_escapes_labels_and_uses_no_inline_style():
    svg = risk_trend_svg([('<script>alert("x")</script>', 1, 0), ("R&D", 0, 1)])
    parse(svg)  # well-formed
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "R&amp;D" in svg
    assert "style=" not in svg


def test_it_handles_a_single_point_and_long_series():
    single = parse(risk_trend_svg([("Only", 3, 0)]))
    assert single.findall(f"{SVG}polyline") == []
    many = risk_trend_svg([(f"Round {n}", n % 7, n % 5) for n in range(101)])
    parse(many)
    assert "Round 100" in many


def test_the_scale_covers_the_highest_count():
    root = parse(risk_trend_svg([("A", 0, 0), ("B", 37, 2)]))
    ticks = [int(text.text) for text in root.findall(f"{SVG}text") if (text.text or "").isdigit()]
    assert max(ticks) >= 37 and min(ticks) == 0
