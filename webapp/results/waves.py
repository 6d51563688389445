"""Results by wave: every metric of the scorecard per wave, with its 95% interval and n, and for each wave after
the first whether the change from the previous wave is larger than chance (docs/waves.md).

The tests work from each wave's `MetricScore` (estimate, interval, n), which for the scoring's methods hold the
sufficient statistics:

* a share (Wilson interval): the count is estimate × n / 100; **two-proportion z-test** with the pooled variance
  (statsmodels `proportions_ztest`);
* a mean (Student t interval): the standard deviation is half the interval's width × √n / t(0.975, n − 1), exactly
  (the unclamped side when the interval was clamped to the scale); **Welch's t-test** (scipy
  `ttest_ind_from_stats`, unequal variances);
* an NPS: the shares of promoters and detractors (the question's own `:promoters` and `:detractors` metrics);
  **z-test of the difference of two NPS** with the multinomial variance (pP + pD − (pP − pD)²)/n of each wave.

The tests themselves (and the Holm adjustment) are `roi.over_time.change`, the one implementation the ROI
analysis's results by wave use too; this module turns scorecards into their sufficient statistics.

Two-sided, 5% level per metric; a Holm adjustment over the metrics compared between the same two waves is shown
beside it, since with many metrics some "changes" are expected by chance alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from scipy import stats
from sqlalchemy.orm import Session

from roi.over_time.change import (
    ALPHA,
    NPS_Z,
    TWO_PROPORTIONS,
    WELCH,
    WaveChange,
    adjust_changes,
    nps_change,
    share_change,
    welch_change,
)
from roi.over_time.change import no_test as _no_test
from surveys.errors import CxroiError
from surveys.model import Survey
from surveys.scoring import Group, MetricScore, Scorecard, score_survey
from surveys.scoring.intervals import NPS_METHOD, T_MEAN, WILSON

from ..services import tallies
from ..services.publishing import latest_version, survey_of
from ..services.waves import waves_of
from ..storage.models import SurveyVersion

__all__ = ["ALPHA", "NPS_Z", "TWO_PROPORTIONS", "WELCH", "WaveChange", "build_wave_results", "change_text",
           "compare", "compare_means", "compare_nps", "compare_shares", "trend_charts", "wave_groups"]
GROUP_TITLES = {"overall": "Headline metrics", "items": "Other questions", "promises": "Brand promises (BAS)",
                "touchpoints": "Touchpoints (friction)", "channels": "Channels (rating)"}


def _mean_sd(metric: MetricScore) -> float | None:
    """The standard deviation behind a Student t interval (see the module docstring), or None."""
    if metric.estimate is None or metric.ci_low is None or metric.ci_high is None or metric.n < 2:
        return None
    half = max(metric.estimate - metric.ci_low, metric.ci_high - metric.estimate)
    return half * math.sqrt(metric.n) / float(stats.t.ppf(0.975, metric.n - 1))


def compare_means(previous: MetricScore, current: MetricScore) -> WaveChange:
    """Welch's t-test (`roi.over_time.change.welch_change`) between two means scored with a Student t interval."""
    difference = _difference(previous, current)
    sd_previous, sd_current = _mean_sd(previous), _mean_sd(current)
    if sd_previous is None or sd_current is None or difference is None:
        return _no_test(difference, WELCH, "needs at least two answers with an interval in each wave")
    assert previous.estimate is not None and current.estimate is not None
    return welch_change((previous.estimate, sd_previous, previous.n), (current.estimate, sd_current, current.n))


def compare_shares(previous: MetricScore, current: MetricScore) -> WaveChange:
    """Two-proportion z-test (`roi.over_time.change.share_change`) between two shares (in %) scored with a
    Wilson interval."""
    difference = _difference(previous, current)
    if difference is None or previous.n == 0 or current.n == 0:
        return _no_test(difference, TWO_PROPORTIONS, "no answers in one of the waves")
    assert previous.estimate is not None and current.estimate is not None
    return share_change((round(previous.estimate * previous.n / 100), previous.n),
                        (round(current.estimate * current.n / 100), current.n))


def compare_nps(previous: MetricScore, current: MetricScore, previous_card: Scorecard,
                current_card: Scorecard) -> WaveChange:
    """z-test of the difference of two NPS (`roi.over_time.change.nps_change`), from each wave's shares of
    promoters and detractors."""
    difference = _difference(previous, current)
    before, after = _nps_parts(previous, previous_card), _nps_parts(current, current_card)
    if difference is None or before is None or after is None:
        return _no_test(difference, NPS_Z, "needs at least two answers in each wave")
    return nps_change(before, after)


def _nps_parts(metric: MetricScore, card: Scorecard) -> tuple[float, float, int] | None:
    base = metric.name.rsplit(":", 1)[0]
    try:
        promoters, detractors = card.get(f"{base}:promoters"), card.get(f"{base}:detractors")
    except KeyError:
        return None
    if promoters.estimate is None or detractors.estimate is None:
        return None
    return promoters.estimate / 100, detractors.estimate / 100, metric.n


def _difference(previous: MetricScore, current: MetricScore) -> float | None:
    if previous.estimate is None or current.estimate is None:
        return None
    return current.estimate - previous.estimate


def compare(previous: MetricScore, current: MetricScore, previous_card: Scorecard,
            current_card: Scorecard) -> WaveChange:
    """The change of one metric between two waves, tested by the method that fits how it was scored."""
    if current.method == T_MEAN:
        return compare_means(previous, current)
    if current.method == WILSON:
        return compare_shares(previous, current)
    if current.method == NPS_METHOD:
        return compare_nps(previous, current, previous_card, current_card)
    return _no_test(_difference(previous, current), "none", f"no test for a metric scored as: {current.method}")


@dataclass(frozen=True)
class WaveColumn:
    number: int
    name: str
    complete: int


@dataclass(frozen=True)
class WaveMetricRow:
    """One metric across the waves: its score in each (None when that wave has none) and the change from the
    previous wave (None for the first wave, or when either has no score)."""

    group: str
    name: str
    label: str
    unit: str
    scores: tuple[MetricScore | None, ...]
    changes: tuple[WaveChange | None, ...]


@dataclass(frozen=True)
class WaveResults:
    waves: tuple[WaveColumn, ...]
    rows: tuple[WaveMetricRow, ...]
    without_wave: int
    """Complete responses that belong to no wave (public link, or before waves): not in the comparison."""
    error: str | None = None


def wave_results_of(frame: pd.DataFrame, survey: Survey, waves: Sequence[tuple[int, str]],
                    column: str = "wave") -> WaveResults:
    """Per-wave scorecards of the complete responses in `frame` (the wide table, its wave names in `column`),
    waves in the given (number, name) order, and the tests between consecutive waves."""
    status = survey.metadata_columns()["status"]  # `response_status` beside a question `status`
    complete = frame[frame[status] == "complete"] if status in frame.columns else frame
    names = complete[column] if column in complete.columns else pd.Series([None] * len(complete), dtype=object)
    cards: list[Scorecard] = []
    columns: list[WaveColumn] = []
    try:
        for number, name in waves:
            part = complete[names == name]
            cards.append(score_survey(part, survey))
            columns.append(WaveColumn(number, name, len(part)))
    except CxroiError as error:
        return WaveResults(tuple(columns), (), int(names.isna().sum()), str(error))
    return compare_waves(cards, columns, int(names.isna().sum()))


def compare_waves(cards: Sequence[Scorecard], columns: Sequence[WaveColumn], unassigned: int) -> WaveResults:
    """The rows of the by-wave table from each wave's scorecard (waves in order): every metric's score per wave
    and its change from the previous wave, Holm-adjusted over that pair of waves."""
    order: list[tuple[Group, MetricScore]] = []
    seen: set[str] = set()
    for card in cards:
        for group, metric in card.metrics():
            if metric.name not in seen:
                seen.add(metric.name)
                order.append((group, metric))
    by_name = [{metric.name: metric for _, metric in card.metrics()} for card in cards]
    changes_by_pair: list[list[WaveChange | None]] = []
    for index in range(1, len(cards)):
        pair: list[WaveChange | None] = []
        for _, metric in order:
            before, after = by_name[index - 1].get(metric.name), by_name[index].get(metric.name)
            pair.append(compare(before, after, cards[index - 1], cards[index])
                        if before is not None and after is not None else None)
        changes_by_pair.append(adjust_changes(pair, "holm"))
    rows = []
    for position, (group, metric) in enumerate(order):
        scores = tuple(scores.get(metric.name) for scores in by_name)
        changes = (None, *(pair[position] for pair in changes_by_pair)) if cards else ()
        rows.append(WaveMetricRow(group, metric.name, metric.label, metric.unit, scores, tuple(changes)))
    return WaveResults(tuple(columns), tuple(rows), unassigned)


def build_wave_results(session: Session, slug: str, counted: Sequence[tallies.Tally] | None = None
                       ) -> WaveResults | None:
    """The results by wave of `slug`, scored against its latest version from the tallies of its complete
    responses (`webapp.services.tallies`: no response is read; `counted`, the filtered responses' tallies of a
    filtered results page, when given); None when it has no waves."""
    waves = waves_of(session, slug)
    if not waves:
        return None
    latest = latest_version(session, slug)
    survey = survey_of(latest)
    if counted is None:
        counted = tallies.read_tallies(session, session.scalars(
            sa.select(SurveyVersion.id).where(SurveyVersion.survey_id == latest.survey_id)))
    unassigned = sum(t.count for t in counted if t.question_id == tallies.RESPONSES and not t.wave_id)
    cards: list[Scorecard] = []
    columns: list[WaveColumn] = []
    try:
        for wave in waves:
            part = [t for t in counted if t.wave_id == wave.id]
            cards.append(tallies.scorecard_of(part, survey))
            columns.append(WaveColumn(wave.number, wave.name, tallies.responses_counted(part)))
    except CxroiError as error:
        return WaveResults(tuple(columns), (), unassigned, str(error))
    return compare_waves(cards, columns, unassigned)


# --- presentation --------------------------------------------------------------------------------------------


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def change_text(change: WaveChange | None, unit: str) -> str:
    """How a change reads in the table: '+2.00; Welch's t-test: t = 2.45, p = 0.070 (0.070 after Holm): within
    chance', or why there is no test."""
    from .present import format_value

    if change is None:
        return "—"
    if change.difference is None:
        return change.note or "no estimate in one of the waves"
    sign = "+" if change.difference >= 0 else "−"
    size = format_value(abs(change.difference), "points" if unit in ("%", "NPS", "0–100") else unit)
    size = size.lstrip("+")
    difference = f"{sign}{size}{' points' if unit in ('%', 'NPS', '0–100') else ''}"
    if change.p_value is None or change.statistic is None:
        return f"{difference}; no test: {change.note}"
    statistic = "t" if change.method == WELCH else "z"
    holm = f" ({change.p_adjusted:.3f} after Holm)" if change.p_adjusted is not None else ""
    verdict = "larger than chance" if change.larger_than_chance else "within chance"
    method = change.method.split(" (")[0].split(",")[0]
    return f"{difference}; {method}: {statistic} = {change.statistic:.2f}, {_p_text(change.p_value)}{holm}: {verdict}"


def wave_groups(results: WaveResults) -> list[tuple[str, list[WaveMetricRow]]]:
    """The rows by group (headline metrics, promises, touchpoints, channels, other questions), in page order."""
    order = ("overall", "promises", "touchpoints", "channels", "items")
    return [(GROUP_TITLES[group], [row for row in results.rows if row.group == group]) for group in order
            if any(row.group == group for row in results.rows)]


@dataclass(frozen=True)
class TrendChart:
    label: str
    svg: object
    rows: list[tuple[str, str, str, int, str]]


def trend_charts(results: WaveResults) -> list[TrendChart]:
    """One interval chart per headline metric on a known scale: its estimate and 95% interval in each wave, in
    order (a trend read top to bottom), with the data table's rows (wave, estimate, interval, n, change)."""
    from ..charts import IntervalPoint, render_interval_chart
    from .present import format_value, metric_text, scale_of

    charts = []
    for index, row in enumerate(r for r in results.rows if r.group == "overall"):
        scale = (0.0, 100.0) if row.unit in ("%", "0–100") else (-100.0, 100.0) if row.unit == "NPS" \
            else scale_of(row.unit)
        if scale is None or sum(s is not None for s in row.scores) < 2:
            continue
        points = []
        table = []
        for wave, score, change in zip(results.waves, row.scores, row.changes, strict=True):
            if score is None:
                continue
            points.append(IntervalPoint(wave.name, score.estimate, score.ci_low, score.ci_high, metric_text(score)))
            interval = (f"{format_value(score.ci_low, score.unit)} to {format_value(score.ci_high, score.unit)}"
                        if score.ci_low is not None and score.ci_high is not None else "no interval")
            table.append((wave.name, format_value(score.estimate, score.unit), interval, score.n,
                          change_text(change, row.unit)))
        svg = render_interval_chart(points, ident=f"chart-wave-{index}", title=f"{row.label} by wave, with 95% "
                                    "interval", low=scale[0], high=scale[1])
        charts.append(TrendChart(row.label, svg, table))
    return charts
