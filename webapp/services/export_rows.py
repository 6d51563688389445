"""The rows of the wide responses table (DESIGN.md), read from the database for the exports and the results.

The columns are the response's own (`RESERVED_COLUMNS`), the wave and the language, then every version's question
columns (`response_columns`). The rows are read with one Core select, `CHUNK` rows per fetch (a server-side
cursor on PostgreSQL), in a read-only session of their own, and come out as *records*: lists in the order of the
columns, built by a record maker made once per survey version (`_RecordMaker`). Each question keeps the cells it
has already made for an answer (`to_columns`, then the writer's own cell conversion, `CellFormat`), looked up by
the answer's exact value and types: the answers of a survey repeat (scale points, yes/no grids), so most rows cost
a dictionary look-up per question instead of `to_columns` and a formula check per cell. Dict rows
(`iter_response_rows`) are the same records zipped with the columns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from surveys.model import RESERVED_COLUMNS, Survey, metadata_columns
from surveys.page_logic import logic_cells, logic_column_kinds, logic_columns

from ..storage.engine import READ_ONLY
from ..storage.models import Response, SurveyVersion, Wave
from .publishing import find_survey, survey_of

CHUNK = 1000
"""Rows per fetch from the database (and per batch of records)."""
WAVE_COLUMN = "wave"
"""The response's wave (its name; empty without a wave), right after the reserved columns (docs/waves.md). Not one
of `RESERVED_COLUMNS`, so a definition may still have a question `wave`: that survey's export calls the wave
column `WAVE_COLUMN_ALTERNATIVE` instead."""
WAVE_COLUMN_ALTERNATIVE = "response_wave"
LANGUAGE_COLUMN = "language"
"""The language the response was answered in (a code such as `fr`; empty for responses from before languages were
recorded), right after the wave column (docs/definition-format.md, "Languages"); `response_language` when a question
gives a column `language`."""
LANGUAGE_COLUMN_ALTERNATIVE = "response_language"
OWN = len(RESERVED_COLUMNS) + 2
"""How many columns a record starts with before the questions': the reserved ones, the wave and the language."""

Cell = Callable[[Any], Any]
Pseudonym = Callable[[str | None], str | None]
"""Replaces a customer id in an export (`webapp.privacy.keys.pseudonymiser`)."""


@dataclass(frozen=True)
class CellFormat:
    """How a writer wants the cells of a record. `column(name)` converts a cell of that question (or theme) column;
    `own(...)` makes the first `OWN` cells from the response's id, customer id, channel, version number, start and
    submit times, status, wave name and language. None keeps the values as stored (dict rows, Parquet).
    `times_as_text`: the database gives the start and submit times as text to the second, "YYYY-MM-DD HH:MM:SS"
    (CSV's cells), instead of datetimes."""

    column: Callable[[str], Cell | None] = field(default=lambda name: None)
    own: Callable[..., list[Any]] | None = None
    times_as_text: bool = False


RAW = CellFormat()


@contextmanager
def reading(session: Session) -> Iterator[Session]:
    """A read-only session beside `session` for a long read: on SQLite its transactions are deferred, so an
    export taking minutes does not hold the write lock that respondents' answers need (WAL keeps its
    snapshot consistent). The caller's session and its transaction are left alone."""
    bind = session.get_bind()
    if not isinstance(bind, Engine):
        yield session
        return
    with Session(bind=bind.execution_options(**{READ_ONLY: True})) as reader:
        yield reader


def survey_versions(session: Session, slug: str) -> list[SurveyVersion]:
    record = find_survey(session, slug)
    return list(session.scalars(
        sa.select(SurveyVersion).where(SurveyVersion.survey_id == record.id).order_by(SurveyVersion.number)
    ))


def table_columns(versions: list[SurveyVersion]) -> list[str]:
    """The response's own columns (`RESERVED_COLUMNS`, each `response_<name>` when a question of some version
    takes its name: `surveys.model.metadata_column`), the wave and language columns, then the questions'."""
    questions: list[str] = []
    for version in reversed(versions):
        seen = set(questions)
        questions += [c for c in survey_of(version).question_columns() if c not in seen]
    wave = wave_column(questions)
    language = wave_column(questions, LANGUAGE_COLUMN, LANGUAGE_COLUMN_ALTERNATIVE)
    return [*metadata_columns(questions).values(), wave, language, *questions]


def own_columns(columns: Sequence[str]) -> dict[str, str]:
    """Each of `RESERVED_COLUMNS` → its column among the export `columns` (they come first, in that order)."""
    return dict(zip(RESERVED_COLUMNS, columns[:len(RESERVED_COLUMNS)], strict=True))


def wave_column(columns: list[str], preferred: str = WAVE_COLUMN, alternative: str = WAVE_COLUMN_ALTERNATIVE) -> str:
    """The name of the wave column (or another column the export adds) among the question `columns`: `wave`, or
    `response_wave` when a question gives a column `wave` (or, should both be taken, `response_wave_`, and so on)."""
    if preferred not in columns:
        return preferred
    name = alternative
    while name in columns:
        name += "_"
    return name


def response_columns(session: Session, slug: str) -> list[str]:
    """Reserved columns, then the question columns of every version of `slug`: the latest version's in its
    order, then columns only older versions had, newest first."""
    with reading(session) as reader:
        return table_columns(survey_versions(reader, slug))


def iter_response_rows(session: Session, slug: str, *, status: str | None = None,
                       language: str | None = None) -> Iterator[dict[str, Any]]:
    """Every response of `slug` as a dict over `response_columns` (missing cells None), oldest first.

    `status` keeps only "partial" or "complete" responses, `language` only those answered in that language.
    Streams in chunks of `CHUNK` rows, reading in a session of its own (the caller's transaction is not used).
    """
    with reading(session) as reader:
        yield from dict_rows(reader, survey_versions(reader, slug), status, language)


def dict_rows(reader: Session, versions: list[SurveyVersion], status: str | None, language: str | None = None,
              where: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
    """The rows as dicts over `table_columns(versions)`, values as stored (`records` with `RAW` cells)."""
    columns = table_columns(versions)
    for batch in records(reader, versions, status, language, where):
        for record in batch:
            yield dict(zip(columns, record, strict=True))


def records(reader: Session, versions: list[SurveyVersion], status: str | None, language: str | None = None,
            where: Sequence[Any] = (), cells: CellFormat = RAW,
            pseudonym: Pseudonym | None = None) -> Iterator[list[list[Any]]]:
    """The responses of `versions` (those of `status`, answered in `language`, meeting `where`: the results
    page's filters), oldest first, as batches of records over `table_columns(versions)` whose cells are made as
    `cells` says; `pseudonym` replaces each customer id first (docs/security.md, "Privacy")."""
    by_id = {version.id: version for version in versions}
    columns = table_columns(versions)
    surveys = {version_id: survey_of(version) for version_id, version in by_id.items()}
    answer_ids = list(dict.fromkeys(question.id for survey in surveys.values() for question in survey.questions()
                                    if question.columns(survey)))
    texts = _answer_texts(reader, answer_ids)
    whole = texts is None or any(logic_columns(survey) for survey in surveys.values())
    dialect = reader.get_bind().dialect.name
    started_at, submitted_at = ((_time_text(Response.started_at, dialect), _time_text(Response.submitted_at, dialect))
                                if cells.times_as_text else (Response.started_at, Response.submitted_at))
    query = (
        sa.select(Response.id, Response.version_id, Response.customer_id, Response.channel, started_at,
                  submitted_at, Response.status, Wave.name, Response.language,
                  Response.answers if whole else sa.null(), *(texts or ()))
        .outerjoin(Wave, Response.wave_id == Wave.id)
        .where(Response.version_id.in_(list(by_id)), *where)  # where: the results page's filters
        .order_by(Response.id)
        .execution_options(yield_per=CHUNK)
    )
    if status is not None:
        query = query.where(Response.status == status)
    if language is not None:
        query = query.where(Response.language == language)
    makers = {version_id: _RecordMaker(survey, by_id[version_id].number, columns, cells,
                                       None if texts is None else answer_ids)
              for version_id, survey in surveys.items()}
    own = cells.own
    for part in reader.connection().execute(query).partitions():  # Core rows: no ORM loading per row
        batch = []
        for row in part:
            response_id, version_id, customer_id, channel, started, submitted, state, wave, spoken = row[:_ANSWERS]
            maker = makers[version_id]
            if pseudonym is not None:
                customer_id = pseudonym(customer_id)
            if own is None:
                record = [response_id, customer_id, channel, maker.number, started, submitted, state, wave, spoken]
            else:
                record = own(response_id, customer_id, channel, maker.number, started, submitted, state, wave, spoken)
            batch.append(maker(record, row))
        yield batch


def _time_text(column: Any, dialect: str) -> Any:
    """A time column as text to the second ("2026-01-02 03:04:05", the fraction dropped), made by the database."""
    if dialect == "postgresql":
        return sa.func.to_char(column, "YYYY-MM-DD HH24:MI:SS")
    if dialect == "sqlite":  # SQLite's datetime(t) is its strftime('%Y-%m-%d %H:%M:%S', t), at half the cost
        return sa.func.datetime(column)
    return sa.func.substr(sa.cast(column, sa.String), 1, 19)


_ANSWERS = 9
"""Where the stored answers are in a row of `records`' select; each question's answer (as JSON text) follows."""
ANSWERS_IN_SQL = 500
"""At most this many questions' answers are taken apart by the database, one column each (`_answer_texts`)."""
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _answer_texts(reader: Session, answer_ids: list[str]) -> list[sa.ColumnElement[Any]] | None:
    """One column per question: its answer as the JSON text stored (SQL NULL when there is none), taken out of the
    answers by the database (SQLite's `->`, PostgreSQL's `->` as text), so that the rows need no JSON decoding in
    Python: the text is the answer's cache key (`_RecordMaker`), decoded only the first time it is seen. None
    (decode the whole answers) on another database or for a survey of more than `ANSWERS_IN_SQL` questions."""
    dialect = reader.get_bind().dialect.name
    if len(answer_ids) > ANSWERS_IN_SQL or not all(_IDENTIFIER.fullmatch(name) for name in answer_ids):
        return None
    if dialect == "sqlite":  # the exact text of the answer (json_extract would round numbers to 15 digits)
        return [Response.answers.op("->", return_type=sa.String)(sa.literal(f'$."{name}"')) for name in answer_ids]
    if dialect == "postgresql":
        return [sa.cast(Response.answers.op("->", return_type=sa.String)(sa.literal(name)), sa.Text)
                for name in answer_ids]
    return None


class _RecordMaker:
    """Makes the records of one survey version: its question cells, in the order of the export's columns (with
    None for the columns only other versions have), appended to the response's own cells.

    Each question's cells for an answer it has already seen are reused: `to_columns` depends only on the answer
    and the version, and the cell conversion only on the value and the column. The cache is keyed by the answer's
    JSON text (or, when the whole answers are decoded, by its exact value and types: `frozen`) and holds at most
    `SEEN` answers per question, so memory stays bounded."""

    def __init__(self, survey: Survey, number: int, columns: list[str], cells: CellFormat,
                 answer_ids: list[str] | None = None) -> None:
        self.number, self.survey, self.texts = number, survey, answer_ids is not None
        kinds = {column: kind for question in survey.questions()
                 for column, kind in question.column_kinds(survey).items()} | logic_column_kinds(survey)
        self.questions: list[tuple[str, int, Callable[..., dict[str, Any]], list[str], list[Cell | None],
                                   dict[Any, tuple[Any, ...]]]] = []
        made: list[str] = []
        for question in survey.questions():
            names = question.columns(survey)
            if names:
                index = _ANSWERS + 1 + answer_ids.index(question.id) if answer_ids is not None else 0
                self.questions.append((question.id, index, question.to_columns, names,
                                       [_converter(kinds.get(name), cells.column(name)) for name in names], {}))
                made += names
        self.by_text = [(index, seen, self._by_text(to_columns, names, converters, seen))
                        for _, index, to_columns, names, converters, seen in self.questions]
        self.logic = logic_columns(survey)
        self.logic_cells = [_converter(kinds.get(name), cells.column(name)) for name in self.logic]
        made += self.logic
        # The cells made come in `made` order; the export's question columns may differ (other versions' columns).
        place = {name: index for index, name in enumerate(made)}
        layout = [place.get(name, len(made)) for name in columns[OWN:]]
        self.gather = None if layout == list(range(len(made))) else itemgetter(*layout)

    def __call__(self, record: list[Any], row: Sequence[Any]) -> list[Any]:
        """`record` (the response's own cells) with the question cells of the database `row` appended."""
        made: list[Any] = record if self.gather is None else []
        if self.texts:  # each answer's JSON text at its place in the row: the cells of a text seen before
            for index, seen, spread in self.by_text:
                text = row[index]
                made += seen.get(text) or spread(text)
        else:
            answers = row[_ANSWERS] or {}
            for question_id, _, to_columns, names, converters, seen in self.questions:
                answer = answers.get(question_id)
                key = frozen(answer)
                cells = seen.get(key)
                if cells is None:
                    cells = self._spread(answer, key, to_columns, names, converters, seen)
                made += cells
        if self.logic:  # calculated values, screen-out (surveys/page_logic.py)
            values = logic_cells(self.survey, row[_ANSWERS] or {})
            made += [value if convert is None else convert(value)
                     for value, convert in zip(map(values.get, self.logic), self.logic_cells, strict=True)]
        if self.gather is not None:
            made.append(None)  # the cell of a column this version does not have
            record += self.gather(made)
        return record

    def _by_text(self, to_columns: Callable[..., dict[str, Any]], names: list[str], converters: list[Cell | None],
                 seen: dict[Any, tuple[Any, ...]]) -> Callable[[str | None], tuple[Any, ...]]:
        def spread(text: str | None) -> tuple[Any, ...]:
            return self._spread(None if text is None else json.loads(text), text, to_columns, names, converters, seen)

        return spread

    def _spread(self, answer: Any, key: Any, to_columns: Callable[..., dict[str, Any]], names: list[str],
                converters: list[Cell | None], seen: dict[Any, tuple[Any, ...]]) -> tuple[Any, ...]:
        """A question's cells for an answer not seen yet (`to_columns`, then each column's conversion), kept."""
        spread = to_columns(answer, self.survey)
        cells = tuple(value if convert is None else convert(value)
                      for value, convert in zip(map(spread.get, names), converters, strict=True))
        if len(seen) >= SEEN:
            seen.clear()
        seen[key] = cells
        return cells


def _converter(kind: str | None, convert: Cell | None) -> Cell | None:
    """A column's cell conversion; a "number" column first turns a whole number back into the float it was
    (PostgreSQL's JSONB keeps numbers as `numeric` and prints 1e300 without a decimal point, so it is read back
    as a Python int)."""
    if kind != "number":
        return convert
    if convert is None:
        return _as_float
    return lambda value: convert(_as_float(value))


def _as_float(value: Any) -> Any:
    return float(value) if type(value) is int else value


SEEN = 2048


def frozen(value: Any) -> Any:
    """A hashable key equal only for answers of the same value and types (1, 1.0, True and "1" differ; dict
    order counts): an int, a str or None is its own key, anything else (from JSON: a float, bool, list or dict)
    the tuple of its repr, which tells those apart exactly."""
    if value is None or type(value) is int or type(value) is str:
        return value
    return (repr(value),)


def row_maker(survey: Survey) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """`survey.to_row` as the export makes it (cached per answer): the question and logic columns of one
    response's answers."""
    columns = survey.question_columns()
    maker = _RecordMaker(survey, 0, [*([""] * OWN), *columns], RAW)
    before = [None] * _ANSWERS

    def to_row(answers: Mapping[str, Any]) -> dict[str, Any]:
        return dict(zip(columns, maker([], [*before, answers]), strict=True))

    return to_row

