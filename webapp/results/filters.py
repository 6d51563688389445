"""The results page's filters — submitted between two dates, survey version, channel, segment (a single-choice
answer such as the plan), wave and language — read from the page's query string, checked (a bad value is a 400
naming the field) and turned into SQL conditions on the responses table; the figures of a filtered view are
counted with them in SQL (`webapp.results.counting`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.model import Survey

from ..services import tallies
from ..services.errors import HostingError
from ..services.publishing import survey_of
from ..storage.models import Response, SurveyVersion, Wave
from .comments import answer_text

NO_CHANNEL = "(no channel)"
VALUE_LIMIT = 200
Where = Sequence[sa.ColumnElement[bool]]


class BadFilter(HostingError):
    """A filter value the results page cannot use (400); the message starts with the field's name."""

    title = "This filter cannot be used"


@dataclass(frozen=True)
class ResultFilters:
    """The filters of one results page view; every field None is the unfiltered page."""

    since: date | None = None
    until: date | None = None
    version: int | None = None
    """The survey version's number (1, 2, …)."""
    channel: str | None = None
    segment: str | None = None
    """A single-choice question of the latest version and one of its choice codes, as `question:code`."""
    wave: int | None = None
    """The wave's number."""
    language: str | None = None

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))

    @property
    def needs_responses(self) -> bool:
        """Whether the figures must be counted from the responses: the stored tallies keep version, channel and
        wave, but not the day, the segment or the language; any filter is counted in SQL (one code path)."""
        return self.active

    def query_args(self) -> dict[str, str]:
        """The filters as query-string arguments (for the export and the cross-tab's links)."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class FilterChoices:
    """What the filter form offers for one survey."""

    versions: tuple[int, ...]
    channels: tuple[str, ...]
    segments: tuple[tuple[str, str], ...]
    """(value `question:code`, label 'Question: Choice') of every choice of a single-choice question."""
    waves: tuple[tuple[int, str], ...]
    languages: tuple[str, ...]


def segment_questions(survey: Survey) -> list[Any]:
    """The single-choice questions of `survey`: the segments a page can be filtered and cross-tabulated by."""
    return [q for q in survey.questions() if q.type == "single_choice"]


def filter_choices(session: Session, versions: Mapping[int, SurveyVersion], survey: Survey, waves: Sequence[Wave],
                   complete_channels: Sequence[str]) -> FilterChoices:
    """The values each filter accepts: versions and waves of the survey, the channels its responses came in on
    (the complete ones' from the tallies, the partial ones' through the responses index), the segments of the
    latest version and its languages."""
    partial = session.scalars(sa.select(Response.channel).distinct()
                              .where(Response.version_id.in_(list(versions)), Response.status == "partial"))
    channels = {c or NO_CHANNEL for c in complete_channels} | {c or NO_CHANNEL for c in partial}
    segments = [(f"{q.id}:{code}", f"{q.text}: {label}") for q in segment_questions(survey) for code, label in q.options()]
    return FilterChoices(tuple(sorted(v.number for v in versions.values())), tuple(sorted(channels)),
                         tuple(segments), tuple((w.number, w.name) for w in waves), tuple(survey.all_languages))


def _date(args: Mapping[str, str], name: str) -> date | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value[:VALUE_LIMIT])
    except ValueError:
        raise BadFilter(f"{name}: {value[:40]!r} is not a date (YYYY-MM-DD)") from None


def _number(args: Mapping[str, str], name: str, allowed: Sequence[int], what: str) -> int | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value[:12]) not in allowed:
        listed = ", ".join(map(str, allowed)) or "none"
        raise BadFilter(f"{name}: {value[:40]!r} is not one of the survey's {what} ({listed})")
    return int(value)


def _one_of(args: Mapping[str, str], name: str, allowed: Sequence[str], what: str) -> str | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if value not in allowed:
        raise BadFilter(f"{name}: {value[:40]!r} is not one of the survey's {what}")
    return value


def parse_filters(args: Mapping[str, str], choices: FilterChoices) -> ResultFilters:
    """The filters of a query string, each checked against what the survey offers; `BadFilter` (400) naming the
    field otherwise. Empty values are no filter."""
    since, until = _date(args, "since"), _date(args, "until")
    if since and until and since > until:
        raise BadFilter(f"until: {until.isoformat()} is before since ({since.isoformat()})")
    language = (args.get("language") or "").strip() or None
    if language is not None and language not in choices.languages:
        raise BadFilter(f"language: {language[:20]!r} is not one of the survey's languages "
                        f"({', '.join(choices.languages)})")
    return ResultFilters(
        since=since, until=until,
        version=_number(args, "version", choices.versions, "versions"),
        channel=_one_of(args, "channel", choices.channels, "channels"),
        segment=_one_of(args, "segment", [value for value, _ in choices.segments], "segments (question:choice)"),
        wave=_number(args, "wave", [number for number, _ in choices.waves], "waves"),
        language=language,
    )


def describe(filters: ResultFilters, choices: FilterChoices) -> list[str]:
    """The filters that are on, in words, for the page's summary line."""
    said = []
    if filters.since or filters.until:
        said.append(f"submitted (partial responses: started) from {filters.since or 'the first response'} to "
                    f"{filters.until or 'today'}")
    if filters.version is not None:
        said.append(f"version {filters.version}")
    if filters.channel is not None:
        said.append(f"channel {filters.channel}")
    if filters.segment is not None:
        said.append(dict(choices.segments)[filters.segment])
    if filters.wave is not None:
        said.append(f"wave {dict(choices.waves)[filters.wave]}")
    if filters.language is not None:
        said.append(f"answered in {filters.language}")
    return said


def where_of(filters: ResultFilters, versions: Mapping[int, SurveyVersion], waves: Sequence[Wave]
             ) -> list[sa.ColumnElement[bool]]:
    """The SQL conditions on `responses` of `filters` (already checked by `parse_filters`)."""
    where: list[sa.ColumnElement[bool]] = []
    moment = sa.func.coalesce(Response.submitted_at, Response.started_at)  # a partial one was never submitted
    if filters.since is not None:
        where.append(moment >= datetime.combine(filters.since, time()))
    if filters.until is not None:
        where.append(moment < datetime.combine(filters.until + timedelta(days=1), time()))
    if filters.version is not None:
        where.append(Response.version_id.in_([v.id for v in versions.values() if v.number == filters.version]))
    if filters.channel == NO_CHANNEL:
        where.append(sa.or_(Response.channel.is_(None), Response.channel == ""))
    elif filters.channel is not None:
        where.append(Response.channel == filters.channel)
    if filters.segment is not None:
        question, _, code = filters.segment.partition(":")
        where.append(answer_text(question) == code)
    if filters.wave is not None:
        where.append(Response.wave_id.in_([w.id for w in waves if w.number == filters.wave]))
    if filters.language is not None:
        where.append(Response.language == filters.language)
    return where


def survey_filters(session: Session, slug: str, args: Mapping[str, str]
                   ) -> tuple[ResultFilters, list[sa.ColumnElement[bool]]]:
    """The checked filters of a query string for survey `slug` and their SQL conditions (the export's)."""
    from ..services.publishing import find_survey, latest_version
    from ..services.waves import waves_of

    record = find_survey(session, slug)
    survey = survey_of(latest_version(session, slug))
    versions = {v.id: v for v in session.scalars(sa.select(SurveyVersion).where(SurveyVersion.survey_id == record.id))}
    waves = waves_of(session, slug)
    stored = tallies.read_tallies(session, list(versions))
    channels = sorted({t.channel for t in stored if t.question_id == tallies.RESPONSES})
    filters = parse_filters(args, filter_choices(session, versions, survey, waves, channels))
    return filters, where_of(filters, versions, waves)
