"""Vector charts (reportlab.graphics) for the report: bars with confidence whiskers, the importance–performance
quadrant, survival curves by score band, the reliability chart of predicted churn risks.

Every chart reads in greyscale: each bar and point carries its label and value as text, each curve has its own
line pattern and marker and is named at its end. The charts draw values given to them; they compute nothing
but positions (and tick marks of the axes).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.lib.colors import Color

from .styles import (
    BLACK,
    FONT,
    FONT_BOLD,
    GREY_DARK,
    GREY_FILL,
    GREY_LIGHT,
    GREY_MID,
    SERIES_DASHES,
    SERIES_FILLS,
    SERIES_MARKERS,
    WHITE,
)

Formatter = Callable[[float], str]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    low: float | None = None
    high: float | None = None
    note: str = ""
    """Printed after the value, e.g. "n=412"."""


@dataclass(frozen=True)
class QuadrantPoint:
    label: str
    importance: float
    performance: float


@dataclass(frozen=True)
class Curve:
    label: str
    times: Sequence[float]
    survival: Sequence[float]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 2.5 or 5 times a power of ten apart)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        high = low + 1.0
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step + 1e-9) * step
    ticks = []
    value = start
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _text(x: float, y: float, text: str, *, size: float = 7.5, anchor: str = "start", bold: bool = False,
          color: Color = BLACK) -> String:
    return String(x, y, text, fontName=FONT_BOLD if bold else FONT, fontSize=size, textAnchor=anchor,
                  fillColor=color)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_interval_bars(bars: Sequence[Bar], *, fmt: Formatter, axis_title: str, width: float = 460,
                        value_fmt: Formatter | None = None, zero_based: bool = True,
                        reference: float | None = None, reference_label: str = "") -> Drawing:
    """Horizontal bars, one per row, with a whisker for the confidence interval and the value written beside.

    `fmt` writes the axis ticks, `value_fmt` (default `fmt`) the value beside each bar, which should match
    the way the tables print it. `reference` draws a dashed vertical line (e.g. AUC 0.5, "chance").
    """
    value_fmt = value_fmt or fmt
    row = 20.0
    label_width, value_width = 150.0, 95.0
    top_pad, bottom_pad = 8.0, 34.0
    height = top_pad + bottom_pad + row * max(len(bars), 1)
    drawing = Drawing(width, height)
    x0, x1 = label_width, width - value_width
    ends = [b.value for b in bars] + [v for b in bars for v in (b.low, b.high) if v is not None]
    if reference is not None:
        ends.append(reference)
    low = min([0.0, *ends]) if zero_based else min(ends, default=0.0)
    high = max([0.0, *ends]) if zero_based else max(ends, default=1.0)
    ticks = nice_ticks(low, high)
    lo_axis, hi_axis = ticks[0], ticks[-1]

    def x(value: float) -> float:
        return x0 + (value - lo_axis) / (hi_axis - lo_axis) * (x1 - x0)

    base_y = bottom_pad
    for tick in ticks:
        drawing.add(Line(x(tick), base_y, x(tick), height - top_pad, strokeColor=GREY_FILL, strokeWidth=0.5))
        drawing.add(Line(x(tick), base_y, x(tick), base_y - 3, strokeColor=GREY_DARK, strokeWidth=0.5))
        drawing.add(_text(x(tick), base_y - 12, fmt(tick), size=7, anchor="middle", color=GREY_DARK))
    drawing.add(Line(x0, base_y, x1, base_y, strokeColor=GREY_DARK, strokeWidth=0.6))
    drawing.add(_text((x0 + x1) / 2, 4, axis_title, size=7.5, anchor="middle", color=GREY_DARK))
    origin = x(0.0) if lo_axis <= 0.0 <= hi_axis else x(lo_axis)

    for index, bar in enumerate(bars):
        centre = height - top_pad - row * index - row / 2
        drawing.add(_text(label_width - 6, centre - 2.5, _shorten(bar.label, 34), anchor="end"))
        left, right = sorted((origin, x(bar.value)))
        drawing.add(Rect(left, centre - 6, max(right - left, 0.5), 12, fillColor=SERIES_FILLS[1],
                         strokeColor=GREY_DARK, strokeWidth=0.4))
        if bar.low is not None and bar.high is not None:
            whisker = Group(
                Line(x(bar.low), centre, x(bar.high), centre, strokeColor=BLACK, strokeWidth=1),
                Line(x(bar.low), centre - 4, x(bar.low), centre + 4, strokeColor=BLACK, strokeWidth=1),
                Line(x(bar.high), centre - 4, x(bar.high), centre + 4, strokeColor=BLACK, strokeWidth=1),
            )
            drawing.add(whisker)
        value_text = value_fmt(bar.value) + (f"  {bar.note}" if bar.note else "")
        drawing.add(_text(x1 + 6, centre - 2.5, value_text, bold=True))
    if reference is not None and lo_axis <= reference <= hi_axis:
        drawing.add(Line(x(reference), base_y, x(reference), height - top_pad + 2, strokeColor=BLACK,
                         strokeWidth=0.8, strokeDashArray=(3, 2)))
        if reference_label:
            drawing.add(_text(x(reference) + 2, height - top_pad - 1, reference_label, size=6.5,
                              color=GREY_DARK))
    return drawing


Box = tuple[float, float, float, float]
"""(left, bottom, right, top)."""


def _overlap(a: Box, b: Box) -> float:
    """Area two boxes share (0 when they only touch)."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _place_label(cx: float, cy: float, width: float, taken: list[Box], bounds: Box) -> tuple[float, float]:
    """Bottom-left corner for a small label near (cx, cy) that overlaps nothing already placed: no other
    label, no point, no corner caption (greedy, nearest free spot first; `taken` gains the label's box).
    Only when no spot within reach is free does it take the one that overlaps least."""
    height = 8.0
    # right, left, above, below first; then rings further out, so crowded points still get a free spot
    candidates = [(cx + 4, cy - 3), (cx - 4 - width, cy - 3), (cx - width / 2, cy + 4), (cx - width / 2, cy - 12)]
    for ring in range(1, 13):
        step = 5.0 * ring
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1),
                       (2, 1), (-2, 1), (2, -1), (-2, -1), (1, 2), (-1, 2), (1, -2), (-1, -2)):
            scale = step / math.hypot(dx, dy)
            candidates.append((cx + dx * scale - width / 2, cy + dy * scale - height / 2))
    left, bottom, right, top = bounds

    def box(x: float, y: float) -> Box:
        return (x, y, x + width, y + height)

    inside = [(x, y) for x, y in candidates
              if left <= x and x + width <= right and bottom <= y and y + height <= top] or candidates
    for x, y in inside:
        if all(_overlap(box(x, y), other) == 0 for other in taken):
            taken.append(box(x, y))
            return x, y
    x, y = min(inside, key=lambda c: sum(_overlap(box(*c), other) for other in taken))
    taken.append(box(x, y))
    return x, y


def build_quadrant(points: Sequence[QuadrantPoint], *, importance_split: float, performance_split: float,
                   importance_fmt: Formatter, performance_fmt: Formatter, performance_title: str,
                   width: float = 460, height: float = 280) -> Drawing:
    """Importance (x) against performance (y), divided into four labelled quadrants.

    Each point carries a number, placed so that numbers do not overprint; the key at the right names them.
    """
    drawing = Drawing(width, height)
    key_width = 150.0
    left, right, bottom, top = 46.0, width - key_width - 10, 34.0, height - 10
    xs = [p.importance for p in points] + [importance_split]
    ys = [p.performance for p in points] + [performance_split]
    x_ticks = nice_ticks(min(0.0, *xs), max(xs))
    y_ticks = nice_ticks(min(ys), max(ys))

    def px(value: float) -> float:
        return left + (value - x_ticks[0]) / (x_ticks[-1] - x_ticks[0]) * (right - left)

    def py(value: float) -> float:
        return bottom + (value - y_ticks[0]) / (y_ticks[-1] - y_ticks[0]) * (top - bottom)

    drawing.add(Rect(left, bottom, right - left, top - bottom, fillColor=None, strokeColor=GREY_DARK,
                     strokeWidth=0.6))
    for tick in x_ticks:
        drawing.add(_text(px(tick), bottom - 11, importance_fmt(tick), size=7, anchor="middle", color=GREY_DARK))
    for tick in y_ticks:
        drawing.add(_text(left - 4, py(tick) - 2.5, performance_fmt(tick), size=7, anchor="end", color=GREY_DARK))
    sx, sy = px(importance_split), py(performance_split)
    drawing.add(Line(sx, bottom, sx, top, strokeColor=GREY_MID, strokeWidth=0.8, strokeDashArray=(4, 2)))
    drawing.add(Line(left, sy, right, sy, strokeColor=GREY_MID, strokeWidth=0.8, strokeDashArray=(4, 2)))
    corner_size = 7.0
    drawing.add(_text(right - 4, top - 10, "Strengths to keep", anchor="end", size=corner_size, bold=True,
                      color=GREY_MID))
    drawing.add(_text(right - 4, bottom + 4, "Fix first", anchor="end", size=corner_size, bold=True,
                      color=GREY_MID))
    drawing.add(_text(left + 4, top - 10, "Possible overinvestment", size=corner_size, bold=True, color=GREY_MID))
    drawing.add(_text(left + 4, bottom + 4, "Lower priority", size=corner_size, bold=True, color=GREY_MID))
    drawing.add(_text((left + right) / 2, 4, "Importance (higher: matters more)", size=7.5,
                      anchor="middle", color=GREY_DARK))
    title = _text(0, 0, performance_title, size=7.5, anchor="middle", color=GREY_DARK)
    drawing.add(Group(title, transform=(0, 1, -1, 0, 10, (bottom + top) / 2)))
    # the corner captions and every point are taken: a number covers neither, nor another number
    taken: list[Box] = [
        (right - 70, top - 12, right, top), (right - 40, bottom, right, bottom + 12),
        (left, top - 12, left + 95, top), (left, bottom, left + 60, bottom + 12)]
    centres = [(px(p.importance), py(p.performance)) for p in points]
    taken += [(cx - 3, cy - 3, cx + 3, cy + 3) for cx, cy in centres]
    for cx, cy in centres:
        drawing.add(Circle(cx, cy, 2.8, fillColor=BLACK, strokeColor=WHITE, strokeWidth=0.5))
    for number, (cx, cy) in enumerate(centres, start=1):
        label = str(number)
        width_label = 4.2 * len(label) + 1
        x, y = _place_label(cx, cy, width_label, taken, (left, bottom, right, top))
        # a number set away from its point is tied to it by a thin leader line
        nearest_x, nearest_y = min(max(cx, x), x + width_label), min(max(cy, y), y + 8)
        if math.hypot(nearest_x - cx, nearest_y - cy) > 5:
            drawing.add(Line(cx, cy, nearest_x, nearest_y, strokeColor=GREY_MID, strokeWidth=0.4))
        drawing.add(_text(x, y + 1, label, size=7, bold=True))
    key_x = right + 14
    for number, point in enumerate(points, start=1):
        y = top - 8 - (number - 1) * 10
        if y < bottom:
            break
        drawing.add(_text(key_x, y, f"{number}", size=7, bold=True))
        drawing.add(_text(key_x + 12, y, _shorten(point.label, 30), size=7))
    return drawing


def _marker(kind: str, x: float, y: float) -> Group | Circle | Rect | Polygon | Line:
    size = 2.8
    if kind == "circle":
        return Circle(x, y, size, fillColor=BLACK, strokeColor=BLACK)
    if kind == "square":
        return Rect(x - size, y - size, 2 * size, 2 * size, fillColor=WHITE, strokeColor=BLACK, strokeWidth=0.8)
    if kind == "triangle":
        return Polygon([x - size, y - size, x + size, y - size, x, y + size], fillColor=GREY_LIGHT,
                       strokeColor=BLACK, strokeWidth=0.8)
    if kind == "diamond":
        return Polygon([x, y - size, x + size, y, x, y + size, x - size, y], fillColor=WHITE, strokeColor=BLACK,
                       strokeWidth=0.8)
    return Group(Line(x - size, y - size, x + size, y + size, strokeColor=BLACK, strokeWidth=0.9),
                 Line(x - size, y + size, x + size, y - size, strokeColor=BLACK, strokeWidth=0.9))


def build_survival_curves(curves: Sequence[Curve], *, time_title: str = "Months of tenure",
                          width: float = 460, height: float = 260) -> Drawing:
    """Step curves of the share of customers still with us, one per score band, each with its own pattern,
    marker and a label at its end."""
    drawing = Drawing(width, height)
    left, right, bottom, top = 40.0, width - 110, 34.0, height - 10
    horizon = max((t for c in curves for t in c.times), default=1.0) or 1.0
    lowest = min((s for c in curves for s in c.survival), default=0.0)
    x_ticks = nice_ticks(0.0, horizon)
    y_ticks = nice_ticks(min(lowest, 0.5) if lowest > 0.5 else 0.0, 1.0)

    def px(value: float) -> float:
        return left + (value - x_ticks[0]) / (x_ticks[-1] - x_ticks[0]) * (right - left)

    def py(value: float) -> float:
        return bottom + (value - y_ticks[0]) / (y_ticks[-1] - y_ticks[0]) * (top - bottom)

    drawing.add(Rect(left, bottom, right - left, top - bottom, fillColor=None, strokeColor=GREY_DARK,
                     strokeWidth=0.6))
    for tick in x_ticks:
        drawing.add(_text(px(tick), bottom - 11, f"{tick:g}", size=7, anchor="middle", color=GREY_DARK))
    for tick in y_ticks:
        drawing.add(Line(left, py(tick), right, py(tick), strokeColor=GREY_FILL, strokeWidth=0.4))
        drawing.add(_text(left - 4, py(tick) - 2.5, f"{tick * 100:.0f}%", size=7, anchor="end", color=GREY_DARK))
    drawing.add(_text((left + right) / 2, 4, time_title, size=7.5, anchor="middle", color=GREY_DARK))
    label_slots: list[float] = []
    for index, curve in enumerate(curves):
        points: list[float] = []
        previous = 1.0
        for t, s in zip(curve.times, curve.survival, strict=False):
            points += [px(t), py(previous), px(t), py(s)]  # a step: flat until the event, then down
            previous = s
        if not points:
            continue
        dash = SERIES_DASHES[index % len(SERIES_DASHES)]
        drawing.add(PolyLine([px(0.0), py(1.0), *points], strokeColor=BLACK, strokeWidth=1.1,
                             strokeDashArray=dash))
        marker = SERIES_MARKERS[index % len(SERIES_MARKERS)]
        step = max(1, len(curve.times) // 4)
        for t, s in list(zip(curve.times, curve.survival, strict=False))[step - 1 :: step]:
            drawing.add(_marker(marker, px(t), py(s)))
        end_y = py(curve.survival[-1])
        for slot in sorted(label_slots):  # keep end labels from overprinting each other
            if abs(end_y - slot) < 9:
                end_y = slot - 9
        label_slots.append(end_y)
        drawing.add(_marker(marker, right + 8, end_y + 2))
        drawing.add(_text(right + 14, end_y - 0.5, _shorten(curve.label, 22), size=7))
    return drawing


def build_reliability(points: Sequence[tuple[float, float]], *, width: float = 300, height: float = 230) -> Drawing:
    """The reliability chart of predicted churn risks: one marker per group of customers at (mean predicted,
    observed churn rate), against the dashed diagonal where prediction and outcome agree."""
    drawing = Drawing(width, height)
    left, right, bottom, top = 44.0, width - 12, 34.0, height - 20
    highest = max((max(p, o) for p, o in points), default=1.0)
    ticks = nice_ticks(0.0, max(highest, 0.05))

    def scale(value: float, low: float, high: float) -> float:
        return low + (value - ticks[0]) / (ticks[-1] - ticks[0]) * (high - low)

    drawing.add(Rect(left, bottom, right - left, top - bottom, fillColor=None, strokeColor=GREY_DARK,
                     strokeWidth=0.6))
    for tick in ticks:
        drawing.add(Line(left, scale(tick, bottom, top), right, scale(tick, bottom, top), strokeColor=GREY_FILL,
                         strokeWidth=0.4))
        drawing.add(_text(left - 4, scale(tick, bottom, top) - 2.5, f"{tick * 100:.0f}%", size=7, anchor="end",
                          color=GREY_DARK))
        drawing.add(_text(scale(tick, left, right), bottom - 11, f"{tick * 100:.0f}%", size=7, anchor="middle",
                          color=GREY_DARK))
    drawing.add(Line(left, bottom, right, top, strokeColor=GREY_MID, strokeWidth=0.8, strokeDashArray=[3, 2]))
    drawing.add(_text(right - 4, top - 10, "predicted = observed", size=6.5, anchor="end", color=GREY_DARK))
    for predicted, observed in points:
        drawing.add(_marker("circle", scale(predicted, left, right), scale(observed, bottom, top)))
    drawing.add(_text((left + right) / 2, 4, "Predicted chance of leaving (group mean)", size=7.5,
                      anchor="middle", color=GREY_DARK))
    drawing.add(_text(left, height - 10, "Share who left", size=7.5, color=GREY_DARK))
    return drawing
