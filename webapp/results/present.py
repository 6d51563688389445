"""How results are printed: number formats by unit, and the charts of a survey's results page."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup

from surveys.scoring import MetricScore

from ..charts import Bar, IntervalPoint, render_bar_chart, render_interval_chart
from .screen_outs import NO_CHANNEL, ScreenOuts
from .summary import SurveyResults


def format_value(value: float | None, unit: str) -> str:
    """A metric's number as people read it: 62.5%, +20 (NPS), 71.3 (BAS), 3.40 (a scale mean)."""
    if value is None:
        return "—"
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "NPS":
        return f"{value:+.0f}"
    if unit in ("0–100", "touchpoints", "points"):
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_interval(metric: MetricScore) -> str:
    """'95% CI 55.1%–70.2%', or 'no interval' when the data cannot give one."""
    if metric.ci_low is None or metric.ci_high is None:
        return "no interval"
    return f"95% CI {format_value(metric.ci_low, metric.unit)} to {format_value(metric.ci_high, metric.unit)}"


def metric_text(metric: MetricScore) -> str:
    """Estimate, interval and n in one line (a chart's printed value and its text alternative)."""
    if metric.estimate is None:
        return f"no estimate (n = {metric.n})"
    return f"{format_value(metric.estimate, metric.unit)} ({format_interval(metric)}, n = {metric.n})"


METRIC_HEADERS = ("Metric", "Estimate", "95% interval", "n", "Note")


def metric_rows(metrics: tuple[MetricScore, ...] | list[MetricScore], results: SurveyResults | None = None
                ) -> list[tuple[str, str, str, int, str]]:
    """The data-table rows of metrics: label, estimate, interval, n, note. With `results`, the note of a metric
    of a question (or grid row) offering "Not applicable" ends with how many answered so (`not_applicable_note`)."""
    rows = []
    for m in metrics:
        interval = (f"{format_value(m.ci_low, m.unit)} to {format_value(m.ci_high, m.unit)}"
                    if m.ci_low is not None and m.ci_high is not None else "no interval")
        note = "; ".join(part for part in (m.note, not_applicable_note(results, m) if results else "") if part)
        rows.append((m.label, format_value(m.estimate, m.unit), interval, m.n, note))
    return rows


def not_applicable_note(results: SurveyResults, metric: MetricScore) -> str:
    """'Not applicable: 3' for a metric of a question (or grid row) offering it, else ''. Those answers are not
    a score point: they are outside the metric's n."""
    count = results.not_applicable_of(metric.question_id, metric.row) if metric.question_id else None
    return "" if count is None else f"Not applicable: {count}"


def scale_of(unit: str) -> tuple[float, float] | None:
    """(low, high) of a unit such as '1–5', else None."""
    match = re.fullmatch(r"(-?\d+(?:\.\d+)?)–(-?\d+(?:\.\d+)?)", unit)
    return (float(match.group(1)), float(match.group(2))) if match else None


@dataclass(frozen=True)
class ResultCharts:
    """The SVG charts of one results page (None when there is nothing to draw)."""

    drop_off: Markup | None
    channels: Markup | None
    promises: Markup | None
    touchpoints: Markup | None
    channel_ratings: Markup | None


def _interval_chart(metrics: tuple[MetricScore, ...], *, ident: str, title: str) -> Markup | None:
    if not metrics:
        return None
    unit = metrics[0].unit
    scale = (0.0, 100.0) if unit in ("%", "0–100") else scale_of(unit)
    if scale is None:
        return None
    labels = [m.label for m in metrics]
    prefixes = {label.split(": ", 1)[0] for label in labels if ": " in label}
    if len(prefixes) == 1 and all(": " in label for label in labels):
        labels = [label.split(": ", 1)[1] for label in labels]  # "Brand alignment: " is in the chart's title
    points = [IntervalPoint(label, m.estimate, m.ci_low, m.ci_high, metric_text(m))
              for label, m in zip(labels, metrics, strict=True)]
    return render_interval_chart(points, ident=ident, title=title, low=scale[0], high=scale[1])


def build_charts(results: SurveyResults, screen_outs: ScreenOuts | None = None) -> ResultCharts:
    """Every chart of the results page of `results` but responses over time (`timeline`); with `screen_outs`,
    the channels' bars are the complete responses that went to the end, the screened-out ones said apart."""
    screened = screen_outs.by_channel if screen_outs else {}
    drop_off = render_bar_chart(
        [Bar(f"Page {d.page}: {d.title}", float(d.stopped), f"{d.stopped} stopped") for d in results.drop_off],
        ident="chart-drop-off", title="Partial responses by the page where they stopped",
    ) if results.drop_off else None
    channels = render_bar_chart(
        [Bar(c.channel, float(c.complete - screened.get(c.channel or NO_CHANNEL, 0)),
             _channel_text(c.complete - screened.get(c.channel or NO_CHANNEL, 0),
                           screened.get(c.channel or NO_CHANNEL, 0), c.partial)) for c in results.channels],
        ident="chart-channels", title="Complete responses by channel",
    ) if results.channels else None
    card = results.scorecard
    return ResultCharts(
        drop_off=drop_off, channels=channels,
        promises=_interval_chart(card.promises, ident="chart-promises",
                                 title="Brand Alignment Score per promise (0–100) with 95% interval")
        if card else None,
        touchpoints=_interval_chart(card.touchpoints, ident="chart-touchpoints",
                                    title="Share of respondents who hesitated, per touchpoint, with 95% interval")
        if card else None,
        channel_ratings=_interval_chart(card.channels, ident="chart-channel-ratings",
                                        title="Mean rating per channel with 95% interval")
        if card else None,
    )


def _channel_text(complete: int, screened_out: int, partial: int) -> str:
    return f"{complete} complete{f', {screened_out} screened out' if screened_out else ''}, {partial} partial"


def headline_metrics(results: SurveyResults) -> list[MetricScore]:
    """The metric cards: overall BAS, CES, CSAT, NPS and friction, in the scorecard's order."""
    if results.scorecard is None:
        return []
    return list(results.scorecard.overall)


def channel_comparison(results: SurveyResults) -> tuple[list[str], list[tuple[str, list[MetricScore | None]]]]:
    """Rows of the per-channel table: (metric label, one score per channel or None), and the channel names.

    Compared are the question-level headline statistics (BAS, CES mean, CSAT top-2, NPS)."""
    channels = [c.channel for c in results.by_channel]
    if results.scorecard is None:
        return channels, []
    wanted = [m for m in results.scorecard.overall
              if m.name.endswith((":bas", ":mean", ":top2", ":nps")) and m.kind in ("bas", "ces", "csat", "nps")]
    rows = []
    for metric in wanted:
        per_channel: list[MetricScore | None] = []
        for scores in results.by_channel:
            try:
                per_channel.append(scores.scorecard.get(metric.name))
            except KeyError:
                per_channel.append(None)
        rows.append((metric.label, per_channel))
    return channels, rows


def language_options(languages: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    """(code, name) of each language of the results page's language filter, e.g. ("fr", "French (fr)"); empty
    when the survey has only one language (no filter then)."""
    if len(languages) < 2:
        return []
    from babel import Locale, UnknownLocaleError

    options = []
    for code in languages:
        try:
            name = Locale.parse(code.replace("-", "_")).get_display_name("en")
        except (UnknownLocaleError, ValueError):
            name = None
        options.append((code, f"{name} ({code})" if name else code))
    return options
