"""What the results pages show, computed from the database: response counts over time, completion and drop-off
per page, counts by channel, the scorecard (surveys.scoring) overall and per channel, the latest comments.

Plain functions of a `Session` returning frozen dataclasses; the views only render them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.errors import CxroiError
from surveys.model import Survey
from surveys.scoring import Scorecard, score_survey

from ..services.export import response_frame
from ..services.publishing import find_survey, latest_version, survey_of
from ..storage.models import Response, SurveyRecord, SurveyVersion

COMMENT_LIMIT = 50
NO_CHANNEL = "(no channel)"


@dataclass(frozen=True)
class SurveyLine:
    """One survey of the results list."""

    slug: str
    title: str
    versions: int
    complete: int
    partial: int
    closed: bool


@dataclass(frozen=True)
class DayCount:
    day: date
    started: int
    completed: int


@dataclass(frozen=True)
class PageDropOff:
    """Partial responses whose furthest page is `page` (1-based): where those respondents stopped."""

    page: int
    title: str
    stopped: int


@dataclass(frozen=True)
class ChannelCount:
    channel: str
    complete: int
    partial: int


@dataclass(frozen=True)
class ChannelScores:
    """The headline metrics of the complete responses that came in on one channel."""

    channel: str
    scorecard: Scorecard


@dataclass(frozen=True)
class Comment:
    response_id: int
    question: str
    text: str
    channel: str | None
    submitted_at: datetime | None


@dataclass(frozen=True)
class SurveyResults:
    """Everything the results page of one survey shows."""

    slug: str
    title: str
    version: int
    complete: int
    partial: int
    days: tuple[DayCount, ...]
    drop_off: tuple[PageDropOff, ...]
    channels: tuple[ChannelCount, ...]
    scorecard: Scorecard | None
    scoring_error: str | None
    by_channel: tuple[ChannelScores, ...]
    comments: tuple[Comment, ...]
    comments_matching: int
    comment_query: str

    @property
    def total(self) -> int:
        return self.complete + self.partial

    @property
    def completion_rate(self) -> float | None:
        """Share of started responses that were submitted (0–1), None when nobody started."""
        return self.complete / self.total if self.total else None


def list_result_surveys(session: Session) -> list[SurveyLine]:
    """Every published survey with its count of complete and partial responses, newest first."""
    versions = dict(session.execute(
        sa.select(SurveyVersion.survey_id, sa.func.count()).group_by(SurveyVersion.survey_id)).all())
    counts: dict[tuple[int, str], int] = {}
    for survey_id, status, count in session.execute(
            sa.select(SurveyVersion.survey_id, Response.status, sa.func.count(Response.id))
            .join(Response, Response.version_id == SurveyVersion.id)
            .group_by(SurveyVersion.survey_id, Response.status)):
        counts[(survey_id, status)] = count
    lines = []
    for record in session.scalars(sa.select(SurveyRecord).order_by(SurveyRecord.created_at.desc(),
                                                                   SurveyRecord.id.desc())):
        if versions.get(record.id, 0) == 0:
            continue  # a draft never published has no results
        lines.append(SurveyLine(record.slug, record.title, versions[record.id], counts.get((record.id, "complete"), 0),
                                counts.get((record.id, "partial"), 0), record.closed_at is not None))
    return lines


def _days(session: Session, version_ids: list[int]) -> tuple[DayCount, ...]:
    started: dict[object, int] = dict(session.execute(
        sa.select(sa.func.date(Response.started_at), sa.func.count())
        .where(Response.version_id.in_(version_ids)).group_by(sa.func.date(Response.started_at))).all())
    completed: dict[object, int] = dict(session.execute(
        sa.select(sa.func.date(Response.submitted_at), sa.func.count())
        .where(Response.version_id.in_(version_ids), Response.status == "complete")
        .group_by(sa.func.date(Response.submitted_at))).all())
    days = {_as_date(day) for day in (*started, *completed) if day is not None}
    started_by = {_as_date(k): v for k, v in started.items() if k is not None}
    completed_by = {_as_date(k): v for k, v in completed.items() if k is not None}
    return tuple(DayCount(day, started_by.get(day, 0), completed_by.get(day, 0)) for day in sorted(days))


def _as_date(value: object) -> date:
    # SQLite's date() gives text, PostgreSQL's a date.
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _drop_off(session: Session, versions: dict[int, SurveyVersion]) -> tuple[PageDropOff, ...]:
    stopped: dict[tuple[int, str], int] = {}
    for version_id, page, count in session.execute(
            sa.select(Response.version_id, Response.current_page, sa.func.count())
            .where(Response.version_id.in_(list(versions)), Response.status == "partial")
            .group_by(Response.version_id, Response.current_page)):
        sections = survey_of(versions[version_id]).sections
        title = sections[page].title or sections[page].id if 0 <= page < len(sections) else ""
        key = (page + 1, title or "")
        stopped[key] = stopped.get(key, 0) + count
    return tuple(PageDropOff(page, title, count) for (page, title), count in sorted(stopped.items()))


def _channels(session: Session, version_ids: list[int]) -> tuple[ChannelCount, ...]:
    counts: dict[str, dict[str, int]] = {}
    for channel, status, count in session.execute(
            sa.select(Response.channel, Response.status, sa.func.count())
            .where(Response.version_id.in_(version_ids)).group_by(Response.channel, Response.status)):
        counts.setdefault(channel or NO_CHANNEL, {})[status] = count
    return tuple(ChannelCount(channel, c.get("complete", 0), c.get("partial", 0))
                 for channel, c in sorted(counts.items()))


def _comment_columns(survey: Survey) -> dict[str, str]:
    """Open-text columns of the survey and the question (or touchpoint) each belongs to."""
    return {column: label for question in survey.questions()
            for column, label in question.open_text_columns(survey).items()}


def _comments(frame: pd.DataFrame, survey: Survey, query: str) -> tuple[tuple[Comment, ...], int]:
    found: list[Comment] = []
    needle = query.casefold()
    for column, question in _comment_columns(survey).items():
        if column not in frame.columns:
            continue
        subset = frame.loc[frame[column].notna(), ["response_id", "channel", "submitted_at", column]]
        for record in subset.to_dict("records"):
            text = str(record[column]).strip()
            if text and needle in text.casefold():
                submitted = record["submitted_at"]
                channel = record["channel"] if isinstance(record["channel"], str) else None
                found.append(Comment(int(record["response_id"]), question, text, channel,
                                     None if pd.isna(submitted) else pd.Timestamp(submitted).to_pydatetime()))
    found.sort(key=lambda c: (c.submitted_at or datetime.min, c.response_id), reverse=True)
    return tuple(found[:COMMENT_LIMIT]), len(found)


def build_survey_results(session: Session, slug: str, *, comment_query: str = "") -> SurveyResults:
    """The results of `slug`: counts from every response, scores and comments from the complete ones.

    Raises `UnknownSurvey` (404) when no survey is published under `slug`.
    """
    record = find_survey(session, slug)
    latest = latest_version(session, slug)
    survey = survey_of(latest)
    versions = {v.id: v for v in session.scalars(sa.select(SurveyVersion).where(SurveyVersion.survey_id == record.id))}
    ids = list(versions)
    channels = _channels(session, ids)
    frame = response_frame(session, slug, status="complete")
    scorecard: Scorecard | None = None
    scoring_error = None
    by_channel: list[ChannelScores] = []
    try:
        scorecard = score_survey(frame, survey)
        keys = frame["channel"].fillna(NO_CHANNEL)
        for channel in sorted(keys.unique()):
            by_channel.append(ChannelScores(str(channel), score_survey(frame[keys == channel], survey)))
    except CxroiError as error:  # stored answers off the latest version's scale (an older version's answers)
        scoring_error = str(error)
    comments, matching = _comments(frame, survey, comment_query.strip())
    return SurveyResults(
        slug=slug, title=record.title, version=latest.number,
        complete=sum(c.complete for c in channels), partial=sum(c.partial for c in channels),
        days=_days(session, ids), drop_off=_drop_off(session, versions), channels=channels,
        scorecard=scorecard, scoring_error=scoring_error, by_channel=tuple(by_channel),
        comments=comments, comments_matching=matching, comment_query=comment_query.strip(),
    )
