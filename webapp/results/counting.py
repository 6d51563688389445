"""The tallies of a filtered results page, counted in SQL from the responses table.

The stored tallies (`webapp.services.tallies`) count every complete response of a version, channel and wave:
they cannot answer for a date range, a segment or a language. A filtered view counts the same tally rows from
the responses that match the filters (the WHERE clause of `webapp.results.filters.where_of`), in two scans per
survey version:

1. one `GROUP BY channel, wave, start day, submit day` giving the responses, their days, and — as sums of
   "this open-text column is not blank" — the comments;
2. one `GROUP BY channel, wave, question, answer` over the stored answers' top-level entries (SQLite's
   `json_each`, PostgreSQL's `jsonb_each`), keeping the scored questions and the "Not applicable" list: Python
   sees one row per distinct answer of each question, never one per response, and turns each into its tally
   keys with `tally_rows`, as the submit does.

The scorecard is then made from these rows exactly as from the stored tallies. docs/web-results.md ("Filters")
gives the cost.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.model import Survey
from surveys.not_applicable import STORED_KEY, offers_not_applicable
from surveys.page_logic import SCREENED_OUT_KEY

from ..services import tallies
from ..services.publishing import survey_of
from ..storage.models import Response, SurveyVersion
from .comments import answer_text

Where = Sequence[sa.ColumnElement[bool]]
Key = tuple[int, str, int, str, str]


def filtered_tallies(reader: Session, versions: Mapping[int, SurveyVersion], where: Where) -> list[tallies.Tally]:
    """The tally rows (`webapp.services.tallies.Tally`) of the complete responses matching `where`: the same rows
    the stored tallies hold for those responses, but for open-text comments, counted as non-blank once leading
    and trailing spaces are trimmed (the submit strips every kind of white space)."""
    counts: dict[Key, int] = {}
    for version_id, version in versions.items():
        survey = survey_of(version)
        conditions = [Response.version_id == version_id, Response.status == "complete", *where]
        _count_responses(reader, survey, version_id, conditions, counts)
        _count_answers(reader, survey, version_id, conditions, counts)
    return [tallies.Tally(*key, count) for key, count in counts.items()]


def _add(counts: dict[Key, int], key: Key, count: int) -> None:
    if count:
        counts[key] = counts.get(key, 0) + int(count)


def _count_responses(reader: Session, survey: Survey, version_id: int, conditions: Where,
                     counts: dict[Key, int]) -> None:
    """The responses, their start and submit days and their comments, in one GROUP BY."""
    columns = [column for question in survey.questions() for column in question.open_text_columns(survey)]
    comment_sums = []
    for column in columns:
        text = answer_text(column)
        comment_sums.append(sa.func.sum(sa.case((sa.and_(text.is_not(None), sa.func.trim(text) != ""), 1), else_=0)))
    started, submitted = sa.func.date(Response.started_at), sa.func.date(Response.submitted_at)
    query = (sa.select(Response.channel, Response.wave_id, started, submitted, sa.func.count(), *comment_sums)
             .where(*conditions).group_by(Response.channel, Response.wave_id, started, submitted))
    for channel, wave_id, started_day, submitted_day, count, *comments in reader.execute(query):
        where: tuple[int, str, int] = (version_id, channel or "", wave_id or 0)
        _add(counts, (*where, tallies.RESPONSES, ""), count)
        if started_day is not None:
            _add(counts, (*where, tallies.STARTED, _iso(started_day)), count)
        if submitted_day is not None:
            _add(counts, (*where, tallies.SUBMITTED, _iso(submitted_day)), count)
        for column, found in zip(columns, comments, strict=True):
            _add(counts, (*where, tallies.COMMENT, column), found or 0)


def _count_answers(reader: Session, survey: Survey, version_id: int, conditions: Where,
                   counts: dict[Key, int]) -> None:
    """Each scored question's distinct answers (and the "Not applicable" lists and screen-out rules), in one
    GROUP BY over the stored answers' entries."""
    scored = {question.id for question in survey.questions()
              if [c for c in question.columns(survey) if c not in question.open_text_columns(survey)]}
    if any(offers_not_applicable(survey, question) for question in survey.questions()):
        scored.add(STORED_KEY)
    if survey.screen_out:
        scored.add(SCREENED_OUT_KEY)
    if not scored:
        return
    named = {STORED_KEY: tallies.NOT_APPLICABLE, SCREENED_OUT_KEY: tallies.SCREENED_OUT}
    for channel, wave_id, key, raw, count in _answer_groups(reader, conditions, sorted(scored)):
        kept = named.get(key, key)
        rows = tallies.tally_rows(survey, {key: raw}, version_id=version_id, channel=None, wave_id=None,
                                  started_at=None, submitted_at=None)
        for row in rows:
            if row["question_id"] == kept:
                _add(counts, (version_id, channel or "", wave_id or 0, kept, row["answer"]), count)


def _answer_groups(reader: Session, conditions: Where, keys: list[str]) -> Iterator[tuple[Any, ...]]:
    """(channel, wave_id, question id, its answer as Python, count) of the matching responses."""
    if reader.get_bind().dialect.name == "postgresql":
        each = sa.func.jsonb_each(Response.answers).table_valued("key", "value")
        query = (sa.select(Response.channel, Response.wave_id, each.c.key, each.c.value, sa.func.count())
                 .select_from(Response).join(each, sa.true()).where(*conditions, each.c.key.in_(keys))
                 .group_by(Response.channel, Response.wave_id, each.c.key, each.c.value))
        for channel, wave_id, key, value, count in reader.execute(query):
            yield channel, wave_id, key, value, count
        return
    each = sa.func.json_each(Response.answers).table_valued("key", "value", "type")
    query = (sa.select(Response.channel, Response.wave_id, each.c.key, each.c.type, each.c.value, sa.func.count())
             .select_from(Response).join(each, sa.true()).where(*conditions, each.c.key.in_(keys))
             .group_by(Response.channel, Response.wave_id, each.c.key, each.c.type, each.c.value))
    for channel, wave_id, key, kind, value, count in reader.execute(query):
        yield channel, wave_id, key, _sqlite_value(kind, value), count


def _sqlite_value(kind: str, value: Any) -> Any:
    """A `json_each` value as Python: objects and arrays come as JSON text, true and false as 1 and 0."""
    if kind in ("object", "array"):
        return json.loads(value)
    if kind in ("true", "false"):
        return kind == "true"
    return None if kind == "null" else value


def _iso(day: object) -> str:
    # SQLite's date() gives text, PostgreSQL's a date.
    return day.isoformat() if isinstance(day, date) else str(day)
