"""Export: the wide responses table of DESIGN.md, streamed from the database into CSV, XLSX or Parquet.

Rows are fetched in chunks (`yield_per`, a server-side cursor on PostgreSQL) and written as they come, so
the memory used does not grow with the number of responses. Text cells of CSV and XLSX files that start with
`=`, `+`, `-`, `@`, a tab or a carriage return get a leading apostrophe, so a spreadsheet shows them as text
instead of running them as formulas (respondents' answers are untrusted). XLSX cells lose the control
characters XML cannot hold. Every file is written under a temporary name and renamed into place when complete.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from surveys.model import RESERVED_COLUMNS, Survey, metadata_columns
from surveys.page_logic import logic_cells, logic_column_kinds
from surveys.questions import ColumnKind

from ..storage.engine import READ_ONLY
from ..storage.models import Response, SurveyVersion, Wave
from .cells import neutralise_formula
from .errors import HostingError
from .export_labelled import LABELLED_FORMATS, write_labelled
from .publishing import find_survey, survey_of

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

CHUNK = 1000
Pseudonym = Callable[[str | None], str | None]
"""Replaces a customer id in an export (`webapp.privacy.keys.pseudonymiser`)."""
EXPORT_FORMATS = (".csv", ".xlsx", ".parquet", *LABELLED_FORMATS)
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


@contextmanager
def _reading(session: Session) -> Iterator[Session]:
    """A read-only session beside `session` for a long read: on SQLite its transactions are deferred, so an
    export taking minutes does not hold the write lock that respondents' answers need (WAL keeps its
    snapshot consistent). The caller's session and its transaction are left alone."""
    bind = session.get_bind()
    if not isinstance(bind, Engine):
        yield session
        return
    with Session(bind=bind.execution_options(**{READ_ONLY: True})) as reader:
        yield reader


def _versions(session: Session, slug: str) -> list[SurveyVersion]:
    record = find_survey(session, slug)
    return list(session.scalars(
        sa.select(SurveyVersion).where(SurveyVersion.survey_id == record.id).order_by(SurveyVersion.number)
    ))


def _columns(versions: list[SurveyVersion]) -> list[str]:
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
    with _reading(session) as reader:
        return _columns(_versions(reader, slug))


def iter_response_rows(session: Session, slug: str, *, status: str | None = None,
                       language: str | None = None) -> Iterator[dict[str, Any]]:
    """Every response of `slug` as a dict over `response_columns` (missing cells None), oldest first.

    `status` keeps only "partial" or "complete" responses, `language` only those answered in that language.
    Streams in chunks of `CHUNK` rows, reading in a session of its own (the caller's transaction is not used).
    """
    with _reading(session) as reader:
        yield from _rows(reader, _versions(reader, slug), status, language)


def _rows(reader: Session, version_list: list[SurveyVersion], status: str | None,
          language_wanted: str | None = None, where: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
    versions = {version.id: version for version in version_list}
    columns = _columns(version_list)
    blank = dict.fromkeys(columns)
    own = own_columns(columns)
    response_id, customer_id, channel, survey_version, started_at, submitted_at, response_status = own.values()
    wave, language = columns[len(RESERVED_COLUMNS)], columns[len(RESERVED_COLUMNS) + 1]
    query = (
        sa.select(Response.id, Response.version_id, Response.customer_id, Response.channel, Response.started_at,
                  Response.submitted_at, Response.status, Response.answers, Wave.name.label("wave_name"),
                  Response.language)
        .outerjoin(Wave, Response.wave_id == Wave.id)
        .where(Response.version_id.in_(list(versions)), *where)  # where: the results page's filters
        .order_by(Response.id)
        .execution_options(yield_per=CHUNK)
    )
    if status is not None:
        query = query.where(Response.status == status)
    if language_wanted is not None:
        query = query.where(Response.language == language_wanted)
    to_row = {version_id: _row_maker(survey_of(version)) for version_id, version in versions.items()}
    number_columns = {version_id: _number_columns(version) for version_id, version in versions.items()}
    for row in reader.connection().execute(query):  # Core rows: no ORM loading per row
        version = versions[row.version_id]
        cells = blank | to_row[row.version_id](row.answers or {})
        for column in number_columns[row.version_id]:
            value = cells.get(column)
            if type(value) is int:  # JSONB gives 1e300 back as 1000…0: a number column is float
                cells[column] = float(value)
        cells[response_id], cells[customer_id], cells[channel] = row.id, row.customer_id, row.channel
        cells[survey_version], cells[started_at], cells[submitted_at] = version.number, row.started_at, row.submitted_at
        cells[response_status] = row.status
        cells[wave] = row.wave_name
        cells[language] = row.language
        yield cells


def _number_columns(version: SurveyVersion) -> list[str]:
    """The columns of `version` whose answers are numbers with a fraction (`ColumnKind` "number").

    PostgreSQL's JSONB keeps numbers as `numeric`, which prints a whole float such as 1e300 without a decimal
    point, so it is read back as a Python int; these columns turn it back into the float it was."""
    survey = survey_of(version)
    return [column for question in survey.questions()
            for column, kind in question.column_kinds(survey).items() if kind == "number"] + [
        column for column, kind in logic_column_kinds(survey).items() if kind == "number"]  # calculated values


def _row_maker(survey: Survey) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """`survey.to_row`, made for a long export: the questions are listed once, and each question's columns for an
    answer it has already spread are reused (`to_columns` depends only on the answer and the version; the
    answers of a survey repeat — scale points, yes/no grids), looked up by the answer's exact value and types.
    Each question keeps at most `_SEEN` answers, so memory stays bounded."""
    questions = [(question.id, question.to_columns, {}) for question in survey.questions()]

    def to_row(answers: Mapping[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for question_id, to_columns, seen in questions:
            answer = answers.get(question_id)
            key = _frozen(answer)
            columns = seen.get(key)
            if columns is None:
                columns = to_columns(answer, survey)
                if len(seen) >= _SEEN:
                    seen.clear()
                seen[key] = columns
            row.update(columns)
        return row | logic_cells(survey, answers)  # calculated values, screen-out (surveys/page_logic.py)

    return to_row


_SEEN = 2048


def _frozen(value: Any) -> Any:
    """A hashable key equal only for answers of the same value and types (1, 1.0, True and "1" differ; dict
    order counts): an int, a str or None is its own key, anything else (from JSON: a float, bool, list or dict)
    the tuple of its repr, which tells those apart exactly."""
    if value is None or type(value) is int or type(value) is str:
        return value
    return (repr(value),)


def response_frame(session: Session, slug: str, *, status: str | None = "complete",
                   language: str | None = None) -> pd.DataFrame:
    """The responses of `slug` as a pandas DataFrame in the wide layout (complete ones by default; those answered
    in `language` only, when given), for the results pages and `cxroi analyze --survey SLUG`."""
    import pandas as pd

    with _reading(session) as reader:
        versions = _versions(reader, slug)
        return pd.DataFrame(list(_rows(reader, versions, status, language)), columns=_columns(versions))


def export_responses(session: Session, slug: str, path: str | Path, *, status: str | None = None,
                     pseudonym: Pseudonym | None = None, language: str | None = None, where: Sequence[Any] = ()) -> int:
    """Write every response of `slug` to `path` (.csv, .xlsx, .parquet, .sav or .dta by extension); returns the
    row count. `pseudonym` replaces each customer id (`webapp.privacy.keys.pseudonymiser`); `language` keeps
    only the responses answered in that language.

    The file is written under a temporary name in the same folder and renamed to `path` only when complete:
    a failure part-way (a stored value the format refuses, a full disk, Ctrl-C) leaves neither a truncated file
    nor the temporary one, and an earlier file at `path` stays as it was.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise HostingError(f"{path}: expected a .csv, .xlsx or .parquet file name (or .sav for SPSS, .dta for Stata)")
    from ..themes.coded import (
        theme_cells,  # imported here: it is a step of the export, not a dependency of the module
    )

    themes = theme_cells(session, slug)  # codes new comments first (a write), before the reading snapshot
    with _reading(session) as reader:
        versions = _versions(reader, slug)
        columns = _columns(versions)
        rows = _rows(reader, versions, status, language, where)
        theme_columns: list[str] = []
        if themes is not None:  # one 0/1 column per theme of the survey's codebook (docs/themes.md)
            columns, rows = themes.extend(reader, columns, rows)
            theme_columns = columns[len(columns) - len(themes.theme_ids):]
        rows = _pseudonymised(rows, pseudonym, own_columns(columns)["customer_id"])
        with _written_whole(path) as partial:
            if suffix == ".csv":
                return _write_csv(partial, columns, rows)
            if suffix == ".xlsx":
                return _write_xlsx(partial, columns, rows, _date_columns(versions))
            if suffix in LABELLED_FORMATS:  # SPSS, Stata: with variable and value labels (export_labelled.py)
                return write_labelled(partial, suffix, columns, rows, [survey_of(v) for v in reversed(versions)])
            return _write_parquet(partial, columns, rows, _arrow_schema(versions, columns, theme_columns))


@contextmanager
def response_table(session: Session, slug: str, *, status: str | None = None, pseudonym: Pseudonym | None = None,
                   language: str | None = None, where: Sequence[Any] = ()
                   ) -> Iterator[tuple[list[str], Iterator[dict[str, Any]]]]:
    """(columns, rows) of the export of `slug`, read in a session of its own while the block runs: what
    `export_responses` writes, for a writer that is not a file (`stream_csv`). The transaction of `session` is
    ended (committed) before the rows are read: the block may last as long as a download, and an open
    transaction on SQLite would hold the write lock respondents need all that time."""
    from ..themes.coded import theme_cells  # a step of the export, as in export_responses

    themes = theme_cells(session, slug)  # codes new comments first (a write), before the reading snapshot
    session.commit()
    with _reading(session) as reader:
        versions = _versions(reader, slug)
        columns, rows = _columns(versions), _rows(reader, versions, status, language, where)
        if themes is not None:  # one 0/1 column per theme of the survey's codebook (docs/themes.md)
            columns, rows = themes.extend(reader, columns, rows)
        yield columns, _pseudonymised(rows, pseudonym, own_columns(columns)["customer_id"])


def _pseudonymised(rows: Iterator[dict[str, Any]], pseudonym: Pseudonym | None,
                   column: str = "customer_id") -> Iterator[dict[str, Any]]:
    """The rows with each customer id (in `column`) replaced by its pseudonym (docs/security.md, "Privacy"), if
    asked."""
    if pseudonym is None:
        return rows
    return (row | {column: pseudonym(row.get(column))} for row in rows)


def stream_csv(session: Session, slug: str, *, status: str | None = None,
               pseudonym: Pseudonym | None = None, language: str | None = None, where: Sequence[Any] = ()
               ) -> Iterator[bytes]:
    """The CSV export of `slug` as UTF-8 pieces of `CHUNK` rows each (the header first): the same columns,
    cells and formula guard as `export_responses`, for a download that starts at once and holds one piece in
    memory whatever the number of responses."""
    with response_table(session, slug, status=status, pseudonym=pseudonym, language=language,
                        where=where) as (columns, rows):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        cells = _csv_cells(columns)
        for count, row in enumerate(rows, start=1):
            writer.writerow(cells(row))
            if count % CHUNK == 0:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")


def export_to_open_file(session: Session, slug: str, suffix: str, *, status: str | None = None,
                        pseudonym: Pseudonym | None = None, language: str | None = None,
                        where: Sequence[Any] = ()) -> BinaryIO:
    """The export of `slug` in the format of `suffix` (".xlsx", ".parquet" …), written to a temporary file on
    disk (never in memory) and returned open for reading, its name already removed: the disk space is given back
    when the caller (e.g. the web response sending it) closes it."""
    folder = tempfile.mkdtemp(prefix="cxroi-export-")
    try:
        path = Path(folder) / f"responses{suffix}"
        export_responses(session, slug, path, status=status, pseudonym=pseudonym, language=language, where=where)
        return path.open("rb")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _written_whole(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` (same folder, so the rename is atomic) that becomes `path` when the block
    ends normally, and is removed when it raises. The file is created readable by its owner only (mkstemp):
    it holds respondents' answers."""
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(descriptor)
    partial = Path(name)
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _write_csv(path: Path, columns: list[str], rows: Iterator[dict[str, Any]]) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        cells = _csv_cells(columns)
        for row in rows:
            writer.writerow(cells(row))
            count += 1
    return count


def _csv_cells(columns: list[str]) -> Callable[[Mapping[str, Any]], list[Any]]:
    """A row's CSV cells in the order of `columns`: numbers as they are, the rest through `_csv_cell`."""
    cell, plain = _csv_cell, _PLAIN

    def cells(row: Mapping[str, Any]) -> list[Any]:
        return [value if type(value) in plain else cell(value) for value in map(row.__getitem__, columns)]

    return cells


_PLAIN = frozenset({int, float})
"""Cell types the CSV writer takes as they are (no formula, no None, no date to format)."""


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return neutralise_formula(value)


def _xlsx_cell(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        # XML cannot hold most control characters; openpyxl would refuse the whole file for one of them.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return neutralise_formula(value)


def _write_xlsx(path: Path, columns: list[str], rows: Iterator[dict[str, Any]],
                date_columns: Collection[str] = ()) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)  # rows go straight to the file, not into memory
    sheet = workbook.create_sheet("responses")
    sheet.append(columns)
    count = 0
    dates = [column in date_columns for column in columns]
    for row in rows:
        sheet.append([_as_date(row[c]) if is_date else _xlsx_cell(row[c]) for c, is_date in zip(columns, dates,
                                                                                               strict=True)])
        count += 1
    workbook.save(path)
    return count


def _arrow_schema(versions: list[SurveyVersion], columns: list[str], theme_columns: Sequence[str] = ()) -> pa.Schema:
    import pyarrow as pa

    own = {"response_id": pa.int64(), "customer_id": pa.string(), "channel": pa.string(),
           "survey_version": pa.int64(), "started_at": pa.timestamp("us"), "submitted_at": pa.timestamp("us"),
           "status": pa.string()}
    types: dict[str, pa.DataType] = dict.fromkeys(theme_columns, pa.int8()) | {
        column: own[name] for name, column in own_columns(columns).items()} | {
        columns[len(RESERVED_COLUMNS)]: pa.string(), columns[len(RESERVED_COLUMNS) + 1]: pa.string(),
    }
    for version in reversed(versions):
        survey = survey_of(version)
        for question in survey.questions():
            for column, kind in question.column_kinds(survey).items():
                types.setdefault(column, _arrow_type(kind))
        for column, kind in logic_column_kinds(survey).items():  # calculated values, screen-out
            types.setdefault(column, _arrow_type(kind))
    return pa.schema([(column, types[column]) for column in columns])


def _arrow_type(kind: ColumnKind) -> pa.DataType:
    import pyarrow as pa

    return {"text": pa.string(), "integer": pa.int64(), "number": pa.float64(), "date": pa.date32()}[kind]


def _date_columns(versions: list[SurveyVersion]) -> set[str]:
    """The columns holding dates (a date question's ISO answer), written as dates to XLSX and Parquet."""
    return {column for version in versions for survey in [survey_of(version)] for question in survey.questions()
            for column, kind in question.column_kinds(survey).items() if kind == "date"}


def _as_date(value: Any) -> Any:
    """A stored ISO date as a date (an Excel date cell, a Parquet date32); anything else as it is."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return _xlsx_cell(value)
    return value


def _write_parquet(path: Path, columns: list[str], rows: Iterator[dict[str, Any]], schema: pa.Schema) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    dates = [field.name for field in schema if pa.types.is_date32(field.type)]

    def table(chunk: list[dict[str, Any]]) -> pa.Table:
        for row in chunk if dates else ():
            for column in dates:
                row[column] = _as_date(row.get(column))
        try:
            return pa.Table.from_pylist(chunk, schema=schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as error:
            ids = [row[columns[0]] for row in chunk] or ["?"]  # the response id comes first
            raise HostingError(f"cannot export responses {ids[0]}–{ids[-1]} to Parquet: a stored answer does "
                               f"not fit its column ({error}); no file was written") from None

    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == CHUNK:
                writer.write_table(table(chunk))
                count += len(chunk)
                chunk = []
        if chunk or count == 0:
            writer.write_table(table(chunk))
            count += len(chunk)
    return count
