"""Tallies of complete responses (table `answer_tallies`, webapp/storage/tallies.py), so that the results page
never reads every response: counted by the submit that completes a response, in its transaction, with one
INSERT … ON CONFLICT DO UPDATE SET count = count + 1 statement; counted from scratch by `rebuild_tallies`
(migration 0014, `cxroi results rebuild`, an import).

What is counted per complete response (`tally_rows`, a pure function of the version it answered and its answers):
the response itself, its UTC start and submit days, per question the JSON of the question's scored export
columns (open text left out: free text would make every answer distinct), and per open-text column whether it
holds a comment, each "Not applicable" answer of a question offering it (`NOT_APPLICABLE`), and the screen-out
rule that ended it, if one did (`SCREENED_OUT`). The scorecard is then `surveys.scoring.score_survey` over one row per distinct answer,
weighted by its count (`scorecard_of`): the same numbers as scoring every response, in time and memory that grow
with the number of distinct answers, not of responses. docs/web-results.md explains the choice.

Concurrency: two submits that count the same row are serialised by the row (PostgreSQL) or by the database's
write lock (SQLite), and each adds 1 to what is stored when it writes, so no count is lost; the rows of one
statement are sorted by key, so two submits lock shared rows in the same order (no deadlock).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.errors import CxroiError
from surveys.model import Survey
from surveys.not_applicable import not_applicable_of, offers_not_applicable
from surveys.page_logic import SCREENED_OUT_KEY
from surveys.scoring import Scorecard, score_survey

from ..storage.models import Response, SurveyVersion
from ..storage.tallies import AnswerTally
from .export_rows import SEEN, frozen
from .kept import Kept
from .publishing import survey_of

RESPONSES = ""
"""`question_id` of the count of complete responses (answer "")."""
STARTED = ":started"
SUBMITTED = ":submitted"
"""`question_id`s of the counts by UTC day (answer `YYYY-MM-DD`) the responses were started and submitted."""
COMMENT = ":comment"
"""`question_id` of the count of non-blank open-text answers (answer: the export column)."""
NOT_APPLICABLE = ":not_applicable"
"""`question_id` of the count of "Not applicable" answers (answer: `question_id`, or `question_id.row` for a grid
row; surveys/not_applicable.py) of the questions that offer it."""
SCREENED_OUT = ":screened_out"
"""`question_id` of the count of screened-out responses (answer: the screen-out rule's id, the answers'
`_screened_out`: surveys/page_logic.py); migration 0022 counted those stored before."""
log = logging.getLogger(__name__)
KEY_COLUMNS = ("version_id", "channel", "wave_id", "question_id", "answer")
INSERT_BATCH = 500


@dataclass(frozen=True)
class Tally:
    """One stored tally row, as read back."""

    version_id: int
    channel: str
    wave_id: int
    question_id: str
    answer: str
    count: int


def tally_rows(survey: Survey, answers: Mapping[str, Any], *, version_id: int, channel: str | None,
               wave_id: int | None, started_at: datetime | None, submitted_at: datetime | None
               ) -> list[dict[str, Any]]:
    """The tally rows (each with count 1) one complete response adds, sorted by key."""
    base = {"version_id": version_id, "channel": channel or "", "wave_id": wave_id or 0}
    keys = _KEYS.get((survey,)) or _KEYS.put((survey,), None, _keys_of(survey))  # once per version's survey
    return [base | {"question_id": question_id, "answer": answer, "count": 1}
            for question_id, answer in keys(answers, started_at, submitted_at)]


_KEYS = Kept(256)

KeysOf = Callable[[Mapping[str, Any], "datetime | None", "datetime | None"], list[tuple[str, str]]]


def _keys_of(survey: Survey) -> KeysOf:
    """The (question_id, answer) keys of one complete response to `survey`, sorted: the response, its days, its
    answers, its comments. Made once per version's survey (`tally_rows` keeps it): each question's keys for an
    answer already seen are reused (answers repeat: scale points, yes/no grids), at most `SEEN` answers per
    question, and never for a question with open text (its answers do not repeat, and what a respondent wrote,
    erased or not, must not stay in the process's memory)."""
    questions = [(q.id, q.to_columns, q.open_text_columns(survey), {}) for q in survey.questions()]
    fractional = {column for q in survey.questions() for column, kind in q.column_kinds(survey).items()
                  if kind == "number"}
    offering = {q.id: q.widget == "row_radios" for q in survey.questions() if offers_not_applicable(survey, q)}

    def keys(answers: Mapping[str, Any], started_at: datetime | None, submitted_at: datetime | None
             ) -> list[tuple[str, str]]:
        found = [(RESPONSES, "")]
        found += [(name, moment.date().isoformat()) for name, moment in ((STARTED, started_at),
                                                                         (SUBMITTED, submitted_at)) if moment]
        for question_id, to_columns, texts, seen in questions:
            answer = answers.get(question_id)
            cached = None if texts else seen.get(frozen(answer))
            if cached is None:
                columns = to_columns(answer, survey)
                # A number answer is a float whatever JSON made of it (JSONB gives 1e300 back as an int):
                # the same answer must give the same key from the submit and from a rebuild.
                scored = {column: float(value) if column in fractional and type(value) is int else value
                          for column, value in columns.items() if column not in texts}
                cached = [(question_id, answer_key(scored))] if any(v is not None for v in scored.values()) else []
                cached += [(COMMENT, column) for column in texts
                           if isinstance(columns.get(column), str) and columns[column].strip()]
                if not texts:  # an open text is not kept: each is new, and it may be a person's words
                    if len(seen) >= SEEN:
                        seen.clear()
                    seen[frozen(answer)] = cached
            found += cached
        if offering:
            found += [(NOT_APPLICABLE, name) for name in not_applicable_of(answers)
                      if _offered(offering, name)]
        if answers.get(SCREENED_OUT_KEY):
            found.append((SCREENED_OUT, str(answers[SCREENED_OUT_KEY])))
        return sorted(set(found))

    return keys


def _offered(offering: Mapping[str, bool], name: str) -> bool:
    """Whether a stored "Not applicable" name is one the version offers: a question's own (`q`), or a grid
    row's (`q.row`) when the question is a grid."""
    question_id, dot, row = name.partition(".")
    return question_id in offering and offering[question_id] == bool(dot and row)


def answer_key(columns: Mapping[str, Any]) -> str:
    """The stored form of a question's scored columns: compact JSON, keys sorted (equal answers, equal keys)."""
    return json.dumps(columns, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def count_complete_response(session: Session, survey: Survey, answers: Mapping[str, Any], *, version_id: int,
                            channel: str | None, wave_id: int | None, started_at: datetime | None,
                            submitted_at: datetime | None) -> None:
    """Add one complete response to the tallies, in the caller's transaction: one statement."""
    rows = tally_rows(survey, answers, version_id=version_id, channel=channel, wave_id=wave_id,
                      started_at=started_at, submitted_at=submitted_at)
    session.execute(*_upsert(rows))


def _upsert(rows: list[dict[str, Any]]) -> tuple[sa.TextClause, dict[str, Any]]:
    """(statement, parameters) that INSERT the rows, adding their counts to those of rows already stored under
    the same key: the same SQL on SQLite (3.24+) and PostgreSQL. Written as text, made once per row count: the
    respondent's submit runs it, and compiling a multi-row INSERT construct each time cost more than running it."""
    parameters = {f"{column}_{index}": row[column] for index, row in enumerate(rows)
                  for column in (*KEY_COLUMNS, "count")}
    return _upsert_text(len(rows)), parameters


@functools.lru_cache(maxsize=128)
def _upsert_text(count: int) -> sa.TextClause:
    columns = (*KEY_COLUMNS, "count")
    values = ", ".join("(" + ", ".join(f":{column}_{index}" for column in columns) + ")" for index in range(count))
    return sa.text(f"INSERT INTO answer_tallies ({', '.join(columns)}) VALUES {values} "  # nosec B608 - no input
                   f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET count = answer_tallies.count + excluded.count")


@sa.event.listens_for(Response, "after_insert")
def _count_inserted(_mapper: Any, connection: sa.Connection, target: Response) -> None:
    """A response stored complete at once (an import, `cxroi demo`, a test) is counted as it is inserted, in the
    same transaction; the submit path completes an existing row and counts it itself
    (`count_complete_response`). Core bulk inserts are not seen: `rebuild_tallies` after them."""
    if target.status != "complete":
        return
    found = connection.execute(sa.select(SurveyVersion.__table__).where(SurveyVersion.id == target.version_id)).one()
    survey = survey_of(SurveyVersion(id=found.id, survey_id=found.survey_id, number=found.number,
                                     definition=found.definition, published_at=found.published_at))
    rows = tally_rows(survey, target.answers or {}, version_id=target.version_id, channel=target.channel,
                      wave_id=target.wave_id, started_at=target.started_at, submitted_at=target.submitted_at)
    connection.execute(*_upsert(rows))


# --- counting from scratch ------------------------------------------------------------------------------------

_responses = sa.table("responses", sa.column("id", sa.Integer), sa.column("version_id", sa.Integer),
                      sa.column("status", sa.String), sa.column("channel", sa.String),
                      sa.column("wave_id", sa.Integer), sa.column("answers", sa.JSON),
                      sa.column("started_at", sa.DateTime), sa.column("submitted_at", sa.DateTime))
_versions = sa.table("survey_versions", sa.column("id", sa.Integer), sa.column("definition", sa.JSON))
_tallies = sa.table("answer_tallies", *(sa.column(name) for name in (*KEY_COLUMNS, "count")))
"""The columns read, spelled out rather than taken from the models, so the migration that creates the tallies
(0014) can count with them whatever the models become later."""


def rebuild_tallies(connection: sa.Connection, version_ids: Sequence[int] | None = None,
                    *, build: Callable[[Any, str], Survey] | None = None) -> int:
    """Count the tallies of `version_ids` (every version when None) again from the stored complete responses,
    in the caller's transaction; returns the number of responses counted.

    Submits that complete responses meanwhile wait (PostgreSQL: the table is locked against writers first;
    SQLite: the DELETE takes the write lock before anything is read), so each is counted exactly once: by the
    rebuild if it committed first, by its own upsert after it otherwise.
    """
    from surveys.definition import build_survey

    build = build or (lambda definition, source: build_survey(definition, source=source))
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(sa.text("LOCK TABLE answer_tallies IN SHARE ROW EXCLUSIVE MODE"))
    table = _tallies
    query = sa.select(_versions.c.id, _versions.c.definition)
    if version_ids is not None:
        query = query.where(_versions.c.id.in_(list(version_ids)))
        connection.execute(table.delete().where(table.c.version_id.in_(list(version_ids))))
    else:
        connection.execute(table.delete())
    surveys: dict[int, Survey] = {}
    for row in connection.execute(query):
        try:
            surveys[row.id] = build(row.definition, f"survey version {row.id}")
        except CxroiError as error:  # stored under older rules: its responses cannot be scored, nor counted
            log.warning("tallies: survey version %s is not readable under today's rules, its responses are not "
                        "counted: %s", row.id, str(error)[:500])
    keys_of = {version_id: _keys_of(survey) for version_id, survey in surveys.items()}
    counts: dict[tuple[Any, ...], int] = {}
    counted = 0
    for row in _complete_responses(connection, list(surveys)):
        counted += 1
        where = (row.version_id, row.channel or "", row.wave_id or 0)
        for key in keys_of[row.version_id](row.answers or {}, row.started_at, row.submitted_at):
            counts[(*where, *key)] = counts.get((*where, *key), 0) + 1
    rows = [dict(zip(KEY_COLUMNS, key, strict=True)) | {"count": count} for key, count in sorted(counts.items())]
    for start in range(0, len(rows), INSERT_BATCH):
        connection.execute(table.insert(), rows[start:start + INSERT_BATCH])
    return counted


def _complete_responses(connection: sa.Connection, version_ids: list[int]) -> Iterator[Any]:
    if not version_ids:
        return
    query = (sa.select(_responses.c.version_id, _responses.c.channel, _responses.c.wave_id, _responses.c.answers,
                       _responses.c.started_at, _responses.c.submitted_at)
             .where(_responses.c.status == "complete", _responses.c.version_id.in_(version_ids))
             .order_by(_responses.c.id).execution_options(yield_per=1000))
    yield from connection.execute(query)


# --- reading --------------------------------------------------------------------------------------------------

def read_tallies(session: Session, version_ids: Iterable[int]) -> list[Tally]:
    """Every tally row of the given versions."""
    table = AnswerTally.__table__
    ids = list(version_ids)
    if not ids:
        return []
    rows = session.execute(sa.select(*(table.c[column] for column in (*KEY_COLUMNS, "count")))
                           .where(table.c.version_id.in_(ids)))
    return [Tally(*row) for row in rows]


def responses_counted(tallies: Iterable[Tally]) -> int:
    """The complete responses the tallies count."""
    return sum(t.count for t in tallies if t.question_id == RESPONSES)


def scorecard_of(tallies: Sequence[Tally], survey: Survey) -> Scorecard:
    """`score_survey` of the complete responses the tallies count, against `survey` (the latest version): one
    row per distinct answer of each of its questions, weighted by how many responses gave it. Raises what
    `score_survey` raises (an answer off the latest version's scale)."""
    import pandas as pd

    question_columns = {question.id: question.columns(survey) for question in survey.questions()}
    merged: dict[tuple[str, str], int] = {}
    for tally in tallies:
        if tally.question_id in question_columns:
            key = (tally.question_id, tally.answer)
            merged[key] = merged.get(key, 0) + tally.count
    records, weights = [], []
    for (question_id, answer), count in sorted(merged.items()):
        stored = json.loads(answer)
        records.append({column: stored.get(column) for column in question_columns[question_id]})
        weights.append(count)
    frame = pd.DataFrame(records, columns=survey.columns(), dtype=object)  # the reserved columns, then each question's
    frame[survey.metadata_columns()["status"]] = "complete"  # `response_status` beside a question `status`
    card = score_survey(frame, survey, weights=pd.Series(weights, index=frame.index, dtype="int64"))
    total = responses_counted(tallies)
    return replace(card, responses_total=total, responses_scored=total)


def counts_by(tallies: Iterable[Tally], question_id: str, key: Callable[[Tally], Any]) -> dict[Any, int]:
    """Sum of the counts of the `question_id` rows, by `key` of each row (e.g. the day, the channel)."""
    found: dict[Any, int] = {}
    for tally in tallies:
        if tally.question_id == question_id:
            found[key(tally)] = found.get(key(tally), 0) + tally.count
    return found
