"""The report's charts: vector drawings that read in greyscale, with every value labelled."""

from __future__ import annotations

from reportlab.graphics.shapes import Drawing, Group, PolyLine, String
from reportlab.lib.colors import Color

from roi.report.charts import (
    Bar,
    Curve,
    QuadrantPoint,
    build_interval_bars,
    build_quadrant,
    build_survival_curves,
    nice_ticks,
)


def shapes(node: Drawing | Group) -> list[object]:
    found: list[object] = []
    for child in node.contents:
        found.append(child)
        if isinstance(child, Group):
            found += shapes(child)
    return found


def colours(drawing: Drawing) -> list[Color]:
    out = []
    for shape in shapes(drawing):
        for name in ("fillColor", "strokeColor"):
            colour = getattr(shape, name, None)
            if isinstance(colour, Color):
                out.append(colour)
    return out


def strings(drawing: Drawing) -> list[str]:
    return [s.text for s in shapes(drawing) if isinstance(s, String)]


def test_nice_ticks_cover_the_range_with_round_steps() -> None:
    assert nice_ticks(0.0, 0.3) == [0.0, 0.1, 0.2, 0.3]  # raw step 0.06 → 0.1
    assert nice_ticks(0.0, 2_034_011.8) == [0.0, 500_000.0, 1_000_000.0, 1_500_000.0, 2_000_000.0, 2_500_000.0]
    assert nice_ticks(0.45, 0.75) == [0.4, 0.5, 0.6, 0.7, 0.8]
    assert nice_ticks(5.0, 5.0) == [5.0, 5.2, 5.4, 5.6, 5.8, 6.0]  # an empty range still gets an axis


def test_every_colour_is_a_grey() -> None:
    drawings = [
        build_interval_bars([Bar("phone", 0.19, 0.17, 0.21), Bar("email", 0.17, 0.15, 0.19)],
                            fmt=lambda v: f"{v:.0%}", axis_title="Churn rate", reference=0.5),
        build_quadrant([QuadrantPoint("a", 30, 50), QuadrantPoint("b", 5, 75)], importance_split=17.5,
                       performance_split=62.5, importance_fmt=str, performance_fmt=str, performance_title="P"),
        build_survival_curves([Curve("low", [6, 12], [0.9, 0.8]), Curve("high", [6, 12], [0.97, 0.95])]),
    ]
    for drawing in drawings:
        for colour in colours(drawing):
            assert colour.red == colour.green == colour.blue, f"{colour} is not grey"


def test_bars_print_each_value_and_label() -> None:
    drawing = build_interval_bars([Bar("Brand Alignment Score", 0.7234, 0.70, 0.75), Bar("NPS", 0.5612)],
                                  fmt=lambda v: f"{v:.1f}", value_fmt=lambda v: f"{v:.3f}", axis_title="AUC")
    texts = strings(drawing)
    assert {"Brand Alignment Score", "NPS", "0.723", "0.561", "AUC"} <= set(texts)


def test_survival_curves_differ_by_line_pattern_and_are_named() -> None:
    curves = [Curve(f"band {i}", [6, 12, 18], [0.9 - i / 100, 0.8, 0.7]) for i in range(3)]
    drawing = build_survival_curves(curves)
    patterns = [line.strokeDashArray for line in shapes(drawing) if isinstance(line, PolyLine)]
    assert len(patterns) == 3 and len({repr(p) for p in patterns}) == 3
    assert {"band 0", "band 1", "band 2"} <= set(strings(drawing))


def test_quadrant_numbers_do_not_overprint_even_for_coinciding_points() -> None:
    points = [QuadrantPoint(f"item {i}", 30.0, 50.0) for i in range(5)]  # five points on one spot
    drawing = build_quadrant(points, importance_split=20, performance_split=60, importance_fmt=str,
                             performance_fmt=str, performance_title="P")
    numbers = [s for s in shapes(drawing) if isinstance(s, String) and s.text in {"1", "2", "3", "4", "5"}
               and s.fontName.endswith("Bold") and s.x < 310]  # plot labels; the key starts at x=314
    assert len(numbers) == 5
    boxes = [(s.x, s.y, s.x + 5, s.y + 7) for s in numbers]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], "labels overlap"
    assert {f"item {i}" for i in range(5)} <= set(strings(drawing))  # the key names every point
