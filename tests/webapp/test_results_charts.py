"""Server-side SVG charts: valid XML, a text alternative that lists every value, values printed, series told
apart by pattern, labels escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from webapp.charts import (
    Bar,
    IntervalPoint,
    Series,
    render_bar_chart,
    render_column_chart,
    render_interval_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # raises on anything that is not well-formed XML


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_bar_chart_is_an_image_with_title_desc_and_printed_values() -> None:
    root = parse(render_bar_chart([Bar("Phone", 6, "6 complete"), Bar("Email", 3)], ident="c1", title="By channel"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "By channel"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "Phone: 6 complete; Email: 3"  # type: ignore[union-attr]
    assert "6 complete" in texts(root) and "3" in texts(root)
    widths = [float(r.get("width") or 0) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1])  # bars proportional to 6 and 3


def test_labels_are_escaped() -> None:
    markup = render_bar_chart([Bar("<script>alert(1)</script>", 1)], ident="x", title='"><b>')
    assert "<script>" not in markup and "<b>" not in markup
    root = parse(markup)
    assert root.find(f"{SVG}title").text == '"><b>'  # type: ignore[union-attr]


def test_column_chart_tells_series_apart_by_pattern() -> None:
    markup = render_column_chart(["2026-11-01", "2026-11-02"], [Series("Started", (4, 2)), Series("Completed", (3, 0))],
                                 ident="d", title="Per day")
    root = parse(markup)
    assert root.find(f"{SVG}desc").text == (  # type: ignore[union-attr]
        "2026-11-01: Started 4, Completed 3; 2026-11-02: Started 2, Completed 0")
    fills = {r.get("fill") for r in root.iter(f"{SVG}rect")}
    assert "url(#d-hatch)" in fills  # the second series is hatched, not only another colour
    assert "Started (solid)" in texts(root) and "Completed (hatched)" in texts(root)
    with pytest.raises(ValueError):
        render_column_chart(["a"], [Series("1", (1,)), Series("2", (1,)), Series("3", (1,))], ident="e", title="t")


def test_interval_chart_places_dots_and_whiskers_on_the_axis() -> None:
    markup = render_interval_chart(
        [IntervalPoint("Easy", 50, 25, 75, "50.0 (25.0 to 75.0)"), IntervalPoint("None", None, None, None, "no answers")],
        ident="p", title="BAS", low=0, high=100)
    root = parse(markup)
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 1  # no mark for the row without an estimate
    lines = [line for line in root.iter(f"{SVG}line") if line.get("stroke-width") == "2"]
    xs = sorted({float(line.get("x1") or 0) for line in lines})
    # plot from x=250 to x=610 (360 wide): 25 → 340, 75 → 520, the dot at 50 → 430
    assert xs == [340.0, 520.0]
    assert float(circles[0].get("cx") or 0) == 430.0
    assert "no answers" in texts(root)
    with pytest.raises(ValueError):
        render_interval_chart([], ident="q", title="t", low=1, high=1)
