"""Charts drawn on the server as inline SVG: no chart JavaScript, readable without colour.

Every chart is an `<svg role="img">` whose `<title>` and `<desc>` give its text alternative (the desc lists
every value), prints each value next to its mark, and tells series apart by pattern (solid, hatched) and by
a legend, not by colour alone. Pages show the same numbers in a data table beside the chart
(`templates/results/_charts.html`). All text is escaped: labels may come from survey definitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

INK = "#1b1b1b"
MUTED = "#595959"  # 7:1 on white
BAR_HEIGHT = 22
ROW_GAP = 10
LABEL_WIDTH = 250
PLOT_WIDTH = 360
VALUE_WIDTH = 200
FONT = 'font-family="system-ui, sans-serif" font-size="13"'
PATTERNS = ("solid", "hatched")


@dataclass(frozen=True)
class Bar:
    """One labelled value of a bar chart; `text` is how the value is printed (default: the number)."""

    label: str
    value: float
    text: str | None = None


@dataclass(frozen=True)
class Series:
    """One series of a column chart: a name for the legend and one value per category."""

    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class IntervalPoint:
    """An estimate with its 95% interval; `estimate` None draws no mark and prints `text`."""

    label: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    text: str


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _open(ident: str, title: str, desc: str, width: int, height: int, *, fixed: bool = False) -> str:
    # fixed: drawn at its own width (never shrunk below it): the page puts it in a region that scrolls sideways
    size = f"min-width:{width}px;max-width:{width}px" if fixed else f"max-width:{width}px"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
            f'width="100%" style="{size}" aria-labelledby="{escape(ident)}-title {escape(ident)}-desc" '
            f'class="chart" {FONT}>'
            f'<title id="{escape(ident)}-title">{escape(title)}</title>'
            f'<desc id="{escape(ident)}-desc">{escape(desc)}</desc>')


def _defs(ident: str) -> str:
    # Hatching is the second series' pattern: distinguishable in greyscale and by people who see no colour.
    return (f'<defs><pattern id="{escape(ident)}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="{INK}" stroke-width="3"/></pattern></defs>')


def _fill(ident: str, pattern: str) -> str:
    return f'fill="url(#{escape(ident)}-hatch)" stroke="{INK}"' if pattern == "hatched" else f'fill="{INK}"'


def _clip(text: str, limit: int = 31) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_bar_chart(bars: Sequence[Bar], *, ident: str, title: str, unit: str = "",
                     maximum: float | None = None) -> Markup:
    """Horizontal bars, one per label, each value printed at the end of its bar.

    `maximum` fixes the length of a full bar (e.g. 100 for percentages); by default the largest value.
    """
    values = [max(bar.value, 0.0) for bar in bars]
    top = maximum if maximum is not None else max(values, default=0.0)
    scale = PLOT_WIDTH / top if top > 0 else 0.0
    height = max(len(bars), 1) * (BAR_HEIGHT + ROW_GAP) + ROW_GAP
    width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    suffix = f" {unit}" if unit else ""
    shown = [bar.text if bar.text is not None else _number(bar.value) + suffix for bar in bars]
    desc = "; ".join(f"{bar.label}: {text}" for bar, text in zip(bars, shown, strict=True)) or "No data."
    parts = [_open(ident, title, desc, width, height)]
    for index, (bar, value, text) in enumerate(zip(bars, values, shown, strict=True)):
        y = ROW_GAP + index * (BAR_HEIGHT + ROW_GAP)
        length = value * scale
        parts.append(
            f'<text x="4" y="{y + 16}" fill="{INK}">{escape(_clip(bar.label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" fill="{INK}"/>'
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 16}" fill="{INK}">{escape(text)}</text>'
        )
    parts.append(f'<line x1="{LABEL_WIDTH}" y1="0" x2="{LABEL_WIDTH}" y2="{height}" stroke="{MUTED}"/></svg>')
    return Markup("".join(parts))  # nosec B704 - every piece above is escaped or a number


def render_column_chart(categories: Sequence[str], series: Sequence[Series], *, ident: str, title: str,
                        x_title: str = "", y_title: str = "", fixed: bool = False) -> Markup:
    """Grouped vertical columns (e.g. responses per week: started, completed); series told apart by pattern
    and a legend, each value printed above its column. With `x_title` and `y_title` the axes are named, and the
    value axis is drawn with its 0, middle and top marks. `fixed` keeps the chart at its own width (its text
    readable on a phone), for a page that puts it in a region scrolling sideways."""
    if len(series) > len(PATTERNS):
        raise ValueError(f"at most {len(PATTERNS)} series can be told apart by pattern")
    group = max(len(series), 1) * 18 + 14
    plot_height = 160
    top_margin, bottom = 42, 72 if x_title else 56
    origin = 76 if y_title else 40  # room for the value axis' marks and name
    width = max(len(categories) * group + origin + 20, 440)
    height = top_margin + plot_height + bottom
    top = max((v for s in series for v in s.values), default=0.0)
    scale = plot_height / top if top > 0 else 0.0
    desc_parts = []
    for position, category in enumerate(categories):
        values = ", ".join(f"{s.name} {_number(s.values[position])}" for s in series)
        desc_parts.append(f"{category}: {values}")
    parts = [_open(ident, title, "; ".join(desc_parts) or "No data.", width, height, fixed=fixed), _defs(ident)]
    for number, (item, pattern) in enumerate(zip(series, PATTERNS, strict=False)):
        x = origin + number * 190
        parts.append(f'<rect x="{x}" y="8" width="16" height="16" {_fill(ident, pattern)}/>'
                     f'<text x="{x + 22}" y="21" fill="{INK}">{escape(item.name)} ({pattern})</text>')
    baseline = top_margin + plot_height
    for position, category in enumerate(categories):
        left = origin + position * group
        for number, (item, pattern) in enumerate(zip(series, PATTERNS, strict=False)):
            value = max(item.values[position], 0.0)
            tall = value * scale
            x = left + number * 18
            parts.append(
                f'<rect x="{x}" y="{baseline - tall:.1f}" width="16" height="{tall:.1f}" {_fill(ident, pattern)}/>'
                f'<text x="{x + 8}" y="{baseline - tall - 4:.1f}" text-anchor="middle" font-size="11" '
                f'fill="{INK}">{escape(_number(value))}</text>'
            )
        parts.append(f'<text x="{left + group / 2 - 7:.1f}" y="{baseline + 14}" text-anchor="end" font-size="11" '
                     f'fill="{INK}" transform="rotate(-40 {left + group / 2 - 7:.1f} {baseline + 14})">'
                     f'{escape(category)}</text>')
    parts.append(f'<line x1="{origin - 4}" y1="{baseline}" x2="{width}" y2="{baseline}" stroke="{MUTED}"/>')
    if y_title:
        parts.append(_value_axis(top, baseline, plot_height, y_title, origin - 4))
    if x_title:
        parts.append(f'<text x="{width / 2:.1f}" y="{height - 4}" text-anchor="middle" fill="{MUTED}">'
                     f'{escape(x_title)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # nosec B704 - every piece above is escaped or a number


def _value_axis(top: float, baseline: float, plot_height: float, y_title: str, x: float) -> str:
    """The value axis of a column chart at `x`: a line, marks at 0, half and the top value, and the axis' name."""
    parts = [f'<line x1="{x}" y1="{baseline - plot_height}" x2="{x}" y2="{baseline}" stroke="{MUTED}"/>']
    for share in (0.0, 0.5, 1.0) if top > 0 else (0.0,):
        y = baseline - share * plot_height
        parts.append(f'<line x1="{x - 4}" y1="{y:.1f}" x2="{x}" y2="{y:.1f}" stroke="{MUTED}"/>'
                     f'<text x="{x - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="{MUTED}">'
                     f'{escape(_number(share * top))}</text>')
    middle = baseline - plot_height / 2
    parts.append(f'<text x="10" y="{middle:.1f}" text-anchor="middle" fill="{MUTED}" '
                 f'transform="rotate(-90 10 {middle:.1f})">{escape(y_title)}</text>')
    return "".join(parts)


def render_interval_chart(points: Sequence[IntervalPoint], *, ident: str, title: str, low: float,
                          high: float) -> Markup:
    """Estimates as dots with their 95% interval as a whisker on a fixed axis from `low` to `high`; the
    estimate and interval are printed as text beside each row."""
    if high <= low:
        raise ValueError("the axis needs high > low")
    height = max(len(points), 1) * (BAR_HEIGHT + ROW_GAP) + ROW_GAP + 22
    width = LABEL_WIDTH + PLOT_WIDTH + 2 * VALUE_WIDTH

    def x_of(value: float) -> float:
        share = (min(max(value, low), high) - low) / (high - low)
        return LABEL_WIDTH + share * PLOT_WIDTH

    desc = "; ".join(f"{p.label}: {p.text}" for p in points) or "No data."
    parts = [_open(ident, title, desc, width, height)]
    for index, point in enumerate(points):
        y = ROW_GAP + index * (BAR_HEIGHT + ROW_GAP) + BAR_HEIGHT / 2
        parts.append(f'<text x="4" y="{y + 5}" fill="{INK}">'
                     f'{escape(_clip(point.label))}</text>')
        if point.ci_low is not None and point.ci_high is not None:
            a, b = x_of(point.ci_low), x_of(point.ci_high)
            parts.append(f'<line x1="{a:.1f}" y1="{y}" x2="{b:.1f}" y2="{y}" stroke="{INK}" stroke-width="2"/>'
                         f'<line x1="{a:.1f}" y1="{y - 6}" x2="{a:.1f}" y2="{y + 6}" stroke="{INK}" stroke-width="2"/>'
                         f'<line x1="{b:.1f}" y1="{y - 6}" x2="{b:.1f}" y2="{y + 6}" stroke="{INK}" stroke-width="2"/>')
        if point.estimate is not None:
            parts.append(f'<circle cx="{x_of(point.estimate):.1f}" cy="{y}" r="6" fill="{INK}"/>')
        parts.append(f'<text x="{LABEL_WIDTH + PLOT_WIDTH + 12}" y="{y + 5}" fill="{INK}">{escape(point.text)}</text>')
    axis = height - 18
    parts.append(f'<line x1="{LABEL_WIDTH}" y1="{axis}" x2="{LABEL_WIDTH + PLOT_WIDTH}" y2="{axis}" stroke="{MUTED}"/>'
                 f'<text x="{LABEL_WIDTH}" y="{axis + 15}" text-anchor="middle" fill="{MUTED}">{_number(low)}</text>'
                 f'<text x="{LABEL_WIDTH + PLOT_WIDTH}" y="{axis + 15}" text-anchor="middle" fill="{MUTED}">'
                 f'{_number(high)}</text></svg>')
    return Markup("".join(parts))  # nosec B704 - every piece above is escaped or a number
