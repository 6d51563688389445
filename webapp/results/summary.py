"""What the results pages show, computed from the database: response counts over time, completion and drop-off
per page, counts by channel, the scorecard (surveys.scoring) overall and per channel, the latest comments.

Nothing here reads every response: complete responses are counted and scored from their tallies
(`webapp.services.tallies`, kept by the submit), partial ones through the index on (version_id, status,
submitted_at), and the comments are filtered, counted and cut to one page in SQL (`comments`; see
docs/web-results.md).

Plain functions of a `Session` returning frozen dataclasses; the views only render them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.errors import CxroiError
from surveys.model import Survey
from surveys.not_applicable import offers_not_applicable
from surveys.scoring import Scorecard

from ..services import tallies
from ..services.errors import HostingError
from ..services.export_rows import reading
from ..services.publishing import find_survey, latest_version, survey_of
from ..services.waves import waves_of
from ..storage.models import Response, SurveyRecord, SurveyVersion
from ..storage.tallies import AnswerTally
from .comments import Comment, latest_comments, open_text_columns
from .counting import filtered_tallies
from .filters import FilterChoices, ResultFilters, describe, filter_choices, parse_filters, where_of
from .screen_outs import ScreenOuts, screen_outs_of

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
class NotApplicableCount:
    """How many complete responses answered one question (or one grid row) "Not applicable": not a score point,
    so left out of every mean and share; `row` is None for a question that is not a grid."""

    question_id: str
    row: str | None
    label: str
    count: int


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
    languages: tuple[str, ...] = ()
    """The languages the survey is offered in (the default first); a filter is offered when there are several."""
    language: str | None = None
    """The language the counts and scores are filtered to; None for every language."""
    not_applicable: tuple[NotApplicableCount, ...] = ()
    """Per question (and grid row) of the latest version offering "Not applicable", in the survey's order: how
    many complete responses answered so; empty when the survey offers it nowhere."""
    filters: ResultFilters = ResultFilters()
    """The filters the counts, charts, scores and comments are of (`webapp.results.filters`)."""
    choices: FilterChoices | None = None
    """What the filter form offers."""
    filters_said: tuple[str, ...] = ()
    """The filters that are on, in words."""
    filtered: tuple[tallies.Tally, ...] | None = None
    """The tallies of the filtered complete responses (None unfiltered: the stored tallies are read)."""
    screen_outs: ScreenOuts = ScreenOuts()
    """The screened-out responses among the complete ones (counted by the same tallies)."""

    def not_applicable_of(self, question_id: str, row: str | None = None) -> int | None:
        """The "Not applicable" count of a question (or grid row) offering it; None when it does not."""
        for found in self.not_applicable:
            if (found.question_id, found.row) == (question_id, row):
                return found.count
        return None

    @property
    def total(self) -> int:
        return self.complete + self.partial


def list_result_surveys(session: Session) -> list[SurveyLine]:
    """Every published survey with its count of complete and partial responses, newest first (complete ones
    from the tallies, partial ones through the responses index: neither reads every response)."""
    versions = dict(session.execute(
        sa.select(SurveyVersion.survey_id, sa.func.count()).group_by(SurveyVersion.survey_id)).all())
    complete: dict[int, int] = dict(session.execute(
        sa.select(SurveyVersion.survey_id, sa.func.sum(AnswerTally.count))
        .join(AnswerTally, AnswerTally.version_id == SurveyVersion.id)
        .where(AnswerTally.question_id == tallies.RESPONSES).group_by(SurveyVersion.survey_id)).all())
    partial: dict[int, int] = dict(session.execute(
        sa.select(SurveyVersion.survey_id, sa.func.count(Response.id))
        .join(Response, Response.version_id == SurveyVersion.id)
        .where(Response.status == "partial").group_by(SurveyVersion.survey_id)).all())
    lines = []
    for record in session.scalars(sa.select(SurveyRecord).order_by(SurveyRecord.created_at.desc(),
                                                                   SurveyRecord.id.desc())):
        if versions.get(record.id, 0) == 0:
            continue  # a draft never published has no results
        lines.append(SurveyLine(record.slug, record.title, versions[record.id], int(complete.get(record.id, 0)),
                                int(partial.get(record.id, 0)), record.closed_at is not None))
    return lines


@dataclass(frozen=True)
class _Partial:
    """The partial responses of a survey, counted by version, channel, furthest page and start day at once."""

    rows: tuple[tuple[int, str | None, int, date, int], ...]

    @classmethod
    def read(cls, session: Session, version_ids: list[int], where: Sequence[sa.ColumnElement[bool]] = ()
             ) -> _Partial:
        day = sa.func.date(Response.started_at)
        query = (sa.select(Response.version_id, Response.channel, Response.current_page, day, sa.func.count())
                 .where(Response.version_id.in_(version_ids), Response.status == "partial", *where)
                 .group_by(Response.version_id, Response.channel, Response.current_page, day))
        found = session.execute(query)
        return cls(tuple((v, channel, page, _as_date(started), n) for v, channel, page, started, n in found))


def _days(counted: list[tallies.Tally], partial: _Partial) -> tuple[DayCount, ...]:
    started = tallies.counts_by(counted, tallies.STARTED, lambda t: date.fromisoformat(t.answer))
    for *_, day, count in partial.rows:
        started[day] = started.get(day, 0) + count
    completed = tallies.counts_by(counted, tallies.SUBMITTED, lambda t: date.fromisoformat(t.answer))
    return tuple(DayCount(day, started.get(day, 0), completed.get(day, 0)) for day in sorted({*started, *completed}))


def _as_date(value: object) -> date:
    # SQLite's date() gives text, PostgreSQL's a date.
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _drop_off(partial: _Partial, versions: dict[int, SurveyVersion]) -> tuple[PageDropOff, ...]:
    stopped: dict[tuple[int, str], int] = {}
    for version_id, _, page, _, count in partial.rows:
        sections = survey_of(versions[version_id]).sections
        title = sections[page].title or sections[page].id if 0 <= page < len(sections) else ""
        key = (page + 1, title or "")
        stopped[key] = stopped.get(key, 0) + count
    return tuple(PageDropOff(page, title, count) for (page, title), count in sorted(stopped.items()))


def _channels(counted: list[tallies.Tally], partial: _Partial) -> tuple[ChannelCount, ...]:
    complete = tallies.counts_by(counted, tallies.RESPONSES, lambda t: t.channel or NO_CHANNEL)
    partial_by: dict[str, int] = {}
    for _, channel, _, _, count in partial.rows:
        partial_by[channel or NO_CHANNEL] = partial_by.get(channel or NO_CHANNEL, 0) + count
    return tuple(ChannelCount(channel, complete.get(channel, 0), partial_by.get(channel, 0))
                 for channel in sorted({*complete, *partial_by}))


def _not_applicable(counted: list[tallies.Tally], survey: Survey) -> tuple[NotApplicableCount, ...]:
    """The "Not applicable" counts of the questions (and grid rows) of `survey` that offer it, from the tallies
    (answered so in any version; a name the latest version no longer offers is not shown)."""
    counts = tallies.counts_by(counted, tallies.NOT_APPLICABLE, lambda t: t.answer)
    found = []
    for question in survey.questions():
        if not offers_not_applicable(survey, question):
            continue
        if question.widget == "row_radios":
            found += [NotApplicableCount(question.id, row, f"{question.text}: {label}",
                                         counts.get(f"{question.id}.{row}", 0)) for row, label in question.rows(survey)]
        else:
            found.append(NotApplicableCount(question.id, None, str(question.text), counts.get(question.id, 0)))
    return tuple(found)


def _comments(reader: Session, versions: dict[int, SurveyVersion], survey: Survey, query: str,
              counted: list[tallies.Tally], where: Sequence[sa.ColumnElement[bool]] = ()
              ) -> tuple[tuple[Comment, ...], int]:
    """The newest `COMMENT_LIMIT` comments (containing `query`, case-insensitive, when given) and how many there
    are: without a query the count is the tallies', with one it is counted in SQL (`comments.latest_comments`)."""
    labels = open_text_columns(survey)
    counted_comments = sum(t.count for t in counted if t.question_id == tallies.COMMENT and t.answer in labels)
    return latest_comments(reader, versions, survey, query, counted_comments, where)


class UnknownLanguage(HostingError):
    """A language filter naming a language the survey is not offered in (400)."""


def survey_languages(session: Session, slug: str) -> list[str]:
    """The languages `slug` is offered in (its latest version's), the default first."""
    return list(survey_of(latest_version(session, slug)).all_languages)


def check_language(session: Session, slug: str, language: str | None) -> str | None:
    """`language` when `slug` is offered in it (None, or an empty choice: every language); else `UnknownLanguage`."""
    if not language:
        return None
    offered = survey_languages(session, slug)
    if language not in offered:
        raise UnknownLanguage(f"language: {language[:20]!r} is not one of the survey's languages "
                              f"({', '.join(offered)})")
    return language


def build_survey_results(session: Session, slug: str, *, comment_query: str = "",
                         language: str | None = None, filters: Mapping[str, str] | None = None) -> SurveyResults:
    """The results of `slug`: counts from every response, scores and comments from the complete ones — the
    complete ones from their tallies (`webapp.services.tallies`), the partial ones through the responses index.
    With `filters` (the page's query string: `webapp.results.filters`; `language` is one of them), every count,
    chart, score and comment is of the matching responses, the complete ones tallied in SQL.

    Raises `UnknownSurvey` (404) when no survey is published under `slug`, `BadFilter` (400, naming the field)
    for a filter value the survey does not offer (an `UnknownLanguage` for the language).
    """
    record = find_survey(session, slug)
    latest = latest_version(session, slug)
    survey = survey_of(latest)
    versions = {v.id: v for v in session.scalars(sa.select(SurveyVersion).where(SurveyVersion.survey_id == record.id))}
    ids = list(versions)
    args = dict(filters or {})
    if language is not None:
        args["language"] = language
    check_language(session, slug, args.get("language"))
    waves = waves_of(session, slug)
    with reading(session) as reader:  # a long search must not hold SQLite's write lock
        stored = tallies.read_tallies(reader, ids)
        channels_seen = sorted({t.channel for t in stored if t.question_id == tallies.RESPONSES})
        choices = filter_choices(reader, versions, survey, waves, channels_seen)
        chosen = parse_filters(args, choices)
        where = where_of(chosen, versions, waves)
        counted = filtered_tallies(reader, versions, where) if chosen.active else stored
        partial = _Partial.read(reader, ids, where)
        comments, matching = _comments(reader, versions, survey, comment_query.strip(), counted, where)
    channels = _channels(counted, partial)
    scorecard: Scorecard | None = None
    scoring_error = None
    by_channel: list[ChannelScores] = []
    try:
        scorecard = tallies.scorecard_of(counted, survey)
        names = sorted({t.channel or NO_CHANNEL for t in counted if t.question_id == tallies.RESPONSES})
        for channel in names:  # one channel only: its scores are the overall ones
            part = [t for t in counted if (t.channel or NO_CHANNEL) == channel] if len(names) > 1 else counted
            by_channel.append(ChannelScores(channel, tallies.scorecard_of(part, survey) if len(names) > 1
                                            else scorecard))
    except CxroiError as error:  # stored answers off the latest version's scale (an older version's answers)
        scoring_error = str(error)
    return SurveyResults(
        slug=slug, title=record.title, version=latest.number,
        complete=sum(c.complete for c in channels), partial=sum(c.partial for c in channels),
        days=_days(counted, partial), drop_off=_drop_off(partial, versions), channels=channels,
        scorecard=scorecard, scoring_error=scoring_error, by_channel=tuple(by_channel),
        comments=comments, comments_matching=matching, comment_query=comment_query.strip(),
        languages=tuple(survey.all_languages), language=chosen.language,
        not_applicable=_not_applicable(counted, survey), filters=chosen, choices=choices,
        filters_said=tuple(describe(chosen, choices)), filtered=tuple(counted) if chosen.active else None,
        screen_outs=screen_outs_of(counted),
    )
