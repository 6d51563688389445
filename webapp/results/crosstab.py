"""The results page's cross-tab: the mean of one scale question (a rating, Likert, CSAT, CES or NPS question) by
one segment — channel, language, wave, survey version or the answer to a single-choice question such as the
plan — with n and a 95% interval per segment, over the complete responses the page's filters keep.

Counted in SQL: one `GROUP BY` (segment, answer) over the responses table with the filters in the WHERE clause,
so Python sees one row per segment and scale point. The mean, standard deviation and Student t interval
(mean ± t(0.975, n − 1) · s / √n) of each segment follow exactly from those counts. A segment with fewer than
`SMALL_GROUP` answers is flagged "too few to compare" instead of shown with a mean and an interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from scipy import stats
from sqlalchemy.orm import Session

from surveys.model import Survey

from ..services.export_rows import reading
from ..services.publishing import find_survey, latest_version, survey_of
from ..services.waves import waves_of
from ..storage.models import Response, SurveyVersion, Wave
from .comments import answer_text
from .filters import NO_CHANNEL, BadFilter, ResultFilters, segment_questions, where_of

SMALL_GROUP = 30
"""Segments with fewer answers than this are "too few to compare"."""
FIXED_SEGMENTS = {"channel": "Channel", "language": "Language", "wave": "Wave", "version": "Survey version"}
NO_VALUE = "(none)"


@dataclass(frozen=True)
class SegmentMean:
    """The metric's mean in one segment; mean and interval None for a segment that is too small."""

    segment: str
    n: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None

    @property
    def too_few(self) -> bool:
        return self.n < SMALL_GROUP


@dataclass(frozen=True)
class CrossTab:
    metric: str
    metric_label: str
    by: str
    by_label: str
    rows: tuple[SegmentMean, ...]


def metric_options(survey: Survey) -> list[tuple[str, str]]:
    """(question id, text) of every scale question of `survey`: the metrics a cross-tab can show."""
    return [(q.id, str(q.text)) for q in survey.questions() if q.widget != "row_radios" and q.scale_range()]


def segment_options(survey: Survey) -> list[tuple[str, str]]:
    """(name, label) of every segment a cross-tab can split by."""
    return [*FIXED_SEGMENTS.items(), *((q.id, str(q.text)) for q in segment_questions(survey))]


def segment_mean(segment: str, counts: Mapping[float, int]) -> SegmentMean:
    """Mean and 95% Student t interval of the answers counted as {value: how many}."""
    n = sum(counts.values())
    if n < SMALL_GROUP or n < 2:
        return SegmentMean(segment, n, None, None, None)
    mean = sum(value * count for value, count in counts.items()) / n
    variance = sum(count * (value - mean) ** 2 for value, count in counts.items()) / (n - 1)
    half = float(stats.t.ppf(0.975, n - 1)) * math.sqrt(variance / n)
    return SegmentMean(segment, n, mean, mean - half, mean + half)


def build_cross_tab(reader: Session, survey: Survey, versions: Mapping[int, SurveyVersion], waves: Sequence[Wave],
                    where: Sequence[sa.ColumnElement[bool]], metric: str, by: str) -> CrossTab:
    """The cross-tab of `metric` by `by`; `BadFilter` (400) naming `metric` or `by` when the survey has no such
    scale question or segment."""
    metrics = dict(metric_options(survey))
    segments = dict(segment_options(survey))
    if metric not in metrics:
        raise BadFilter(f"metric: {metric[:40]!r} is not a scale question of the survey "
                        f"({', '.join(metrics) or 'it has none'})")
    if by not in segments:
        raise BadFilter(f"by: {by[:40]!r} is not a segment of the survey ({', '.join(segments)})")
    group, naming = _segment(survey, versions, waves, by)
    inner = (sa.select(group.label("segment"), Response.answers[metric].label("value"))
             .where(Response.version_id.in_(list(versions)), Response.status == "complete", *where).subquery())
    found = reader.execute(sa.select(inner.c.segment, inner.c.value, sa.func.count())
                           .group_by(inner.c.segment, inner.c.value))
    counts: dict[str, dict[float, int]] = {}
    for segment, value, count in found:
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue  # not answered (or "Not applicable")
        name = naming(segment)
        counts.setdefault(name, {})
        counts[name][float(value)] = counts[name].get(float(value), 0) + int(count)
    rows = tuple(segment_mean(name, counts[name]) for name in sorted(counts))
    return CrossTab(metric, metrics[metric], by, segments[by], rows)


def survey_cross_tab(session: Session, slug: str, filters: ResultFilters, metric: str, by: str) -> CrossTab:
    """`build_cross_tab` of survey `slug` under the results page's (checked) `filters`."""
    record = find_survey(session, slug)
    survey = survey_of(latest_version(session, slug))
    versions = {v.id: v for v in session.scalars(sa.select(SurveyVersion).where(SurveyVersion.survey_id == record.id))}
    waves = waves_of(session, slug)
    with reading(session) as reader:
        return build_cross_tab(reader, survey, versions, waves, where_of(filters, versions, waves), metric, by)


def _segment(survey: Survey, versions: Mapping[int, SurveyVersion], waves: Sequence[Wave], by: str
             ) -> tuple[Any, Callable[[Any], str]]:
    """The SQL expression of segment `by` and how to name one of its values."""
    if by == "channel":
        return Response.channel, lambda v: v or NO_CHANNEL
    if by == "language":
        return Response.language, lambda v: v or NO_VALUE
    if by == "wave":
        names = {w.id: w.name for w in waves}
        return Response.wave_id, lambda v: names.get(v, NO_VALUE)
    if by == "version":
        numbers = {v.id: v.number for v in versions.values()}
        return Response.version_id, lambda v: f"version {numbers[v]}"
    [question] = [q for q in segment_questions(survey) if q.id == by]
    labels = dict(question.options())
    return answer_text(by), lambda v: labels.get(v, v) if v else NO_VALUE


def cross_tab_rows(table: CrossTab, unit: str = "") -> list[tuple[str, str, str, int, str]]:
    """The table rows: segment, mean, 95% interval, n, note."""
    rows = []
    for row in table.rows:
        if row.mean is None or row.ci_low is None or row.ci_high is None:
            rows.append((row.segment, "—", "—", row.n, f"too few to compare (n < {SMALL_GROUP})"))
        else:
            rows.append((row.segment, f"{row.mean:.2f}", f"{row.ci_low:.2f} to {row.ci_high:.2f}", row.n, ""))
    return rows
