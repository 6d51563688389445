"""The responses-over-time chart (issue 16): ISO-week bins up to 182 days of responses, calendar months beyond,
empty bins shown as zero, named axes, and its title, description and data table. Bins worked out by hand from
the calendar."""

from __future__ import annotations

from datetime import date, timedelta

from webapp.results.summary import DayCount
from webapp.results.timeline import time_bins, timeline_chart


def _day(text: str, started: int, completed: int) -> DayCount:
    return DayCount(date.fromisoformat(text), started, completed)


def test_about_ninety_days_are_iso_weeks_with_the_empty_ones() -> None:
    # 2026-01-05 is a Monday, ISO week 2; 2026-01-11 the Sunday of that week; 2026-04-01 falls in the week of
    # Monday 2026-03-30, ISO week 14: weeks 2 to 14 are 13 bins.
    unit, bins = time_bins([_day("2026-01-05", 2, 1), _day("2026-01-11", 1, 1), _day("2026-01-12", 3, 0),
                            _day("2026-04-01", 4, 2)])
    assert unit == "week" and len(bins) == 13
    assert (bins[0].label, bins[0].first, bins[0].last, bins[0].started, bins[0].completed) == (
        "2026-W02", date(2026, 1, 5), date(2026, 1, 11), 3, 2)
    assert (bins[1].label, bins[1].started, bins[1].completed) == ("2026-W03", 3, 0)
    assert [(b.started, b.completed) for b in bins[2:12]] == [(0, 0)] * 10
    assert (bins[-1].label, bins[-1].first, bins[-1].started) == ("2026-W14", date(2026, 3, 30), 4)


def test_the_iso_week_crosses_the_year() -> None:
    # Monday 2024-12-30 to Sunday 2025-01-05 is ISO week 1 of 2025.
    unit, bins = time_bins([_day("2024-12-31", 1, 1), _day("2025-01-02", 2, 0)])
    assert (unit, [(b.label, b.started, b.completed) for b in bins]) == ("week", [("2025-W01", 3, 1)])


def test_two_years_are_months() -> None:
    # 2024-12-31 to 2026-12-30: December 2024 to December 2026, 25 months.
    unit, bins = time_bins([_day("2024-12-31", 5, 4), _day("2025-06-15", 1, 1), _day("2026-12-30", 2, 2)])
    assert unit == "month" and len(bins) == 25
    assert (bins[0].label, bins[0].first, bins[0].last, bins[0].started) == (
        "2024-12", date(2024, 12, 1), date(2024, 12, 31), 5)
    assert (bins[6].label, bins[6].started) == ("2025-06", 1)
    assert (bins[-1].label, bins[-1].last, bins[-1].completed) == ("2026-12", date(2026, 12, 31), 2)
    assert sum(b.started for b in bins) == 8


def test_the_span_where_weeks_become_months() -> None:
    start = date(2026, 1, 1)
    assert time_bins([DayCount(start, 1, 1), DayCount(start + timedelta(days=182), 1, 1)])[0] == "week"
    assert time_bins([DayCount(start, 1, 1), DayCount(start + timedelta(days=183), 1, 1)])[0] == "month"


def test_the_chart_names_its_axes_and_lists_every_value() -> None:
    timeline = timeline_chart([_day("2026-01-05", 2, 1), _day("2026-01-12", 3, 0)])
    svg = str(timeline.svg)
    assert '<title id="chart-days-title">Responses started and completed per week (UTC)</title>' in svg
    assert "2026-W02: Started 2, Completed 1; 2026-W03: Started 3, Completed 0" in svg  # the desc
    assert ">ISO week (Monday to Sunday, UTC)</text>" in svg and ">Responses</text>" in svg
    assert timeline.rows == [("2026-W02", "2026-01-05 to 2026-01-11", 2, 1),
                             ("2026-W03", "2026-01-12 to 2026-01-18", 3, 0)]
    assert timeline_chart([]).svg is None
