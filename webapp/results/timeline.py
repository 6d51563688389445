"""The results page's responses-over-time chart: responses started and completed per ISO week (Monday to Sunday,
UTC), or per calendar month once the responses span more than `WEEKLY_SPAN_DAYS` days, so that the chart stays
readable from a few weeks (a handful of columns) to two years (24 monthly columns instead of 105 weekly ones).
Empty weeks and months between the first and the last response are shown as zero, so the axis is regular."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup

from ..charts import Series, render_column_chart
from .summary import DayCount

WEEKLY_SPAN_DAYS = 182
"""Up to 26 weeks between the first and the last day with responses: weekly bins; beyond, monthly ones."""


@dataclass(frozen=True)
class TimeBin:
    """One week or month: its label (`2026-W05`, `2026-02`), first and last day, and counts."""

    label: str
    first: date
    last: date
    started: int
    completed: int


@dataclass(frozen=True)
class Timeline:
    unit: str
    """"week" or "month"."""
    bins: tuple[TimeBin, ...]
    svg: Markup | None

    @property
    def rows(self) -> list[tuple[str, str, int, int]]:
        """The data table: bin, its days, started, completed."""
        return [(b.label, f"{b.first.isoformat()} to {b.last.isoformat()}", b.started, b.completed)
                for b in self.bins]


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def time_bins(days: Sequence[DayCount]) -> tuple[str, tuple[TimeBin, ...]]:
    """("week" or "month", the bins from the first to the last day of `days`, empty ones included)."""
    if not days:
        return "week", ()
    first, last = min(d.day for d in days), max(d.day for d in days)
    weekly = (last - first).days <= WEEKLY_SPAN_DAYS
    start_of = _week_start if weekly else _month_start
    started: dict[date, int] = {}
    completed: dict[date, int] = {}
    for d in days:
        started[start_of(d.day)] = started.get(start_of(d.day), 0) + d.started
        completed[start_of(d.day)] = completed.get(start_of(d.day), 0) + d.completed
    bins = []
    current = start_of(first)
    while current <= last:
        following = current + timedelta(days=7) if weekly else _next_month(current)
        if weekly:
            year, week, _ = current.isocalendar()
            label = f"{year}-W{week:02d}"
        else:
            label = f"{current.year}-{current.month:02d}"
        bins.append(TimeBin(label, current, following - timedelta(days=1), started.get(current, 0),
                            completed.get(current, 0)))
        current = following
    return ("week" if weekly else "month"), tuple(bins)


def timeline_chart(days: Sequence[DayCount]) -> Timeline:
    """The chart (None without responses) and data table of responses over time."""
    unit, bins = time_bins(days)
    if not bins:
        return Timeline(unit, bins, None)
    x_title = "ISO week (Monday to Sunday, UTC)" if unit == "week" else "Month (UTC)"
    svg = render_column_chart(
        [b.label for b in bins],
        [Series("Started", tuple(float(b.started) for b in bins)),
         Series("Completed", tuple(float(b.completed) for b in bins))],
        ident="chart-days", title=f"Responses started and completed per {unit} (UTC)",
        x_title=x_title, y_title="Responses", fixed=True)
    return Timeline(unit, bins, svg)
