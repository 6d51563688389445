"""Export: the wide responses table of DESIGN.md, streamed from the database into CSV, XLSX or Parquet.

Rows are fetched in chunks (`yield_per`, a server-side cursor on PostgreSQL) as records made by
`export_rows.records`, and written batch by batch as they come, so the memory used does not grow with the number of
responses. Text cells of CSV and XLSX files that start with `=`, `+`, `-`, `@`, a tab or a carriage return get a
leading apostrophe, so a spreadsheet shows them as text instead of running them as formulas (respondents' answers
are untrusted). XLSX cells lose the control characters XML cannot hold. Every file is written under a temporary
name and renamed into place when complete.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy.orm import Session

from surveys.model import RESERVED_COLUMNS
from surveys.page_logic import logic_column_kinds
from surveys.questions import ColumnKind

from ..storage.models import SurveyVersion
from .cells import FORMULA_STARTS, neutralise_formula
from .errors import HostingError
from .export_labelled import LABELLED_FORMATS, write_labelled
from .export_rows import LANGUAGE_COLUMN as LANGUAGE_COLUMN  # re-exported: the import reads these names
from .export_rows import LANGUAGE_COLUMN_ALTERNATIVE as LANGUAGE_COLUMN_ALTERNATIVE
from .export_rows import WAVE_COLUMN as WAVE_COLUMN
from .export_rows import WAVE_COLUMN_ALTERNATIVE as WAVE_COLUMN_ALTERNATIVE
from .export_rows import CellFormat, Pseudonym, dict_rows, reading, records, survey_versions, table_columns
from .export_rows import iter_response_rows as iter_response_rows
from .export_rows import own_columns as own_columns
from .export_rows import response_columns as response_columns
from .export_rows import wave_column as wave_column
from .publishing import survey_of

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from ..themes.coded import ThemeCells

CHUNK = 1000
"""Rows per Parquet row group."""
EXPORT_FORMATS = (".csv", ".xlsx", ".parquet", *LABELLED_FORMATS)
Batches = Iterator[list[list[Any]]]


def response_frame(session: Session, slug: str, *, status: str | None = "complete",
                   language: str | None = None) -> pd.DataFrame:
    """The responses of `slug` as a pandas DataFrame in the wide layout (complete ones by default; those answered
    in `language` only, when given), for the results pages and `cxroi analyze --survey SLUG`."""
    import pandas as pd

    with reading(session) as reader:
        versions = survey_versions(reader, slug)
        return pd.DataFrame(list(dict_rows(reader, versions, status, language)), columns=table_columns(versions))


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
    with reading(session) as reader:
        versions = survey_versions(reader, slug)
        if suffix in LABELLED_FORMATS:  # SPSS, Stata: with variable and value labels (export_labelled.py)
            columns, rows = table_columns(versions), dict_rows(reader, versions, status, language, where)
            if themes is not None:  # one 0/1 column per theme of the survey's codebook (docs/themes.md)
                columns, rows = themes.extend(reader, columns, rows)
            rows = _pseudonymised(rows, pseudonym, own_columns(columns)["customer_id"])
            with _written_whole(path) as partial:
                return write_labelled(partial, suffix, columns, rows, [survey_of(v) for v in reversed(versions)])
        if suffix == ".csv":
            columns, batches = _table(reader, versions, status, language, where, themes, _csv_cells(), pseudonym)
            with _written_whole(path) as partial:
                return _write_csv(partial, columns, batches)
        if suffix == ".xlsx":
            cells = _xlsx_cells(_date_columns(versions))
            columns, batches = _table(reader, versions, status, language, where, themes, cells, pseudonym)
            with _written_whole(path) as partial:
                return _write_xlsx(partial, columns, batches)
        theme_columns = [] if themes is None else themes.names(table_columns(versions))
        schema = _arrow_schema(versions, table_columns(versions), theme_columns)
        columns, batches = _table(reader, versions, status, language, where, themes, _parquet_cells(schema), pseudonym)
        with _written_whole(path) as partial:
            return _write_parquet(partial, columns, batches, schema)


def _table(reader: Session, versions: list[SurveyVersion], status: str | None, language: str | None,
           where: Sequence[Any], themes: ThemeCells | None, cells: CellFormat,
           pseudonym: Pseudonym | None) -> tuple[list[str], Batches]:
    """The export's columns and its records in batches, cells made as `cells` says, with the theme columns
    (docs/themes.md) when the survey has a codebook."""
    columns = table_columns(versions)
    batches = records(reader, versions, status, language, where, cells, pseudonym)
    if themes is None:
        return columns, batches
    rows = (dict(zip(columns, record, strict=True)) for batch in batches for record in batch)
    extended, themed = themes.extend(reader, columns, rows)  # one 0/1 column per theme of the survey's codebook
    return extended, _rebatched(themed, extended, {index: convert for index, name in enumerate(extended)
                                                   if index >= len(columns) and (convert := cells.column(name))})


def _rebatched(rows: Iterable[dict[str, Any]], columns: list[str], converters: dict[int, Callable[[Any], Any]]
               ) -> Batches:
    """Dict rows back into batches of records over `columns`, the cells of `converters`' columns converted."""
    cells = itemgetter(*columns)
    batch: list[list[Any]] = []
    for row in rows:
        record = list(cells(row))
        for index, convert in converters.items():
            record[index] = convert(record[index])
        batch.append(record)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


@contextmanager
def response_table(session: Session, slug: str, *, status: str | None = None, pseudonym: Pseudonym | None = None,
                   language: str | None = None, where: Sequence[Any] = (), cells: CellFormat | None = None
                   ) -> Iterator[tuple[list[str], Batches]]:
    """(columns, batches of records) of the export of `slug`, cells made as `cells` says (CSV's by default), read
    in a session of its own while the block runs: what `export_responses` writes, for a writer that is not a file
    (`stream_csv`). The transaction of `session` is ended (committed) before the rows are read: the block may
    last as long as a download, and an open transaction on SQLite would hold the write lock respondents need all
    that time."""
    from ..themes.coded import theme_cells  # a step of the export, as in export_responses

    themes = theme_cells(session, slug)  # codes new comments first (a write), before the reading snapshot
    session.commit()
    with reading(session) as reader:
        versions = survey_versions(reader, slug)
        yield _table(reader, versions, status, language, where, themes, cells or _csv_cells(), pseudonym)


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
    """The CSV export of `slug` as UTF-8 pieces of at most 1,000 rows each (the header first): the same columns,
    cells and formula guard as `export_responses`, for a download that starts at once and holds one piece in
    memory whatever the number of responses."""
    with response_table(session, slug, status=status, pseudonym=pseudonym, language=language,
                        where=where) as (columns, batches):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        yield buffer.getvalue().encode("utf-8")
        for batch in batches:
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(batch)
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


# --- CSV ----------------------------------------------------------------------------------------------------------

def _write_csv(path: Path, columns: list[str], batches: Batches) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for batch in batches:
            writer.writerows(batch)
            count += len(batch)
    return count


def _csv_cell(value: Any) -> Any:
    """A CSV cell: empty for None, a time to the second, text through the formula guard, numbers as they are."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return neutralise_formula(value)


class _CsvTexts(dict[str | None, str]):
    """The CSV cells of texts that repeat (channels, statuses, waves, languages), made once each; at most
    `_TEXTS` of them are kept."""

    def __missing__(self, value: str | None) -> str:
        if len(self) >= _TEXTS:
            self.clear()
        cell = self[value] = "" if value is None else neutralise_formula(value)
        return cell


_TEXTS = 4096


def _csv_cells() -> CellFormat:
    """CSV cells: the response's own made here (a row's customer id through the formula guard; the times come as
    text to the second from the database), the questions' through `_csv_cell` once per answer."""
    texts = _CsvTexts()

    def own(response_id: int, customer_id: str | None, channel: str | None, number: int, started: str | None,
            submitted: str | None, status: str, wave: str | None, language: str | None) -> list[Any]:
        return [response_id,
                "" if customer_id is None else ("'" + customer_id if customer_id.startswith(FORMULA_STARTS)
                                                else customer_id),
                texts[channel], number, started or "", submitted or "", texts[status], texts[wave], texts[language]]

    return CellFormat(column=lambda name: _csv_cell, own=own, times_as_text=True)


# --- XLSX ---------------------------------------------------------------------------------------------------------

def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str):
        # XML cannot hold most control characters; openpyxl would refuse the whole file for one of them.
        value = _illegal_characters().sub("", value)
    return neutralise_formula(value)


@cache
def _illegal_characters() -> re.Pattern[str]:
    """openpyxl's pattern of the characters XML cannot hold, imported once (openpyxl loads only for XLSX): an
    import statement in `_xlsx_cell` ran for each of a row's own cells."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE


def _xlsx_own(*cells: Any) -> list[Any]:
    return [_xlsx_cell(cell) for cell in cells]


def _xlsx_cells(date_columns: Collection[str]) -> CellFormat:
    return CellFormat(column=lambda name: _as_date if name in date_columns else _xlsx_cell, own=_xlsx_own)


def _write_xlsx(path: Path, columns: list[str], batches: Batches) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)  # rows go straight to the file, not into memory
    sheet = workbook.create_sheet("responses")
    sheet.append(columns)
    count = 0
    for batch in batches:
        for record in batch:
            sheet.append(record)
        count += len(batch)
    workbook.save(path)
    return count


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


# --- Parquet ------------------------------------------------------------------------------------------------------

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
    return pa.schema([(column, types[column]) for column in [*columns, *theme_columns]])


def _arrow_type(kind: ColumnKind) -> pa.DataType:
    import pyarrow as pa

    return {"text": pa.string(), "integer": pa.int64(), "number": pa.float64(), "date": pa.date32()}[kind]


def _parquet_cells(schema: pa.Schema) -> CellFormat:
    import pyarrow as pa

    dates = {field.name for field in schema if pa.types.is_date32(field.type)}
    return CellFormat(column=lambda name: _as_date if name in dates else None)


def _write_parquet(path: Path, columns: list[str], batches: Batches, schema: pa.Schema) -> int:
    """Row groups of `CHUNK` rows, each made column by column from its records (no dict per row)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def table(chunk: list[list[Any]]) -> pa.Table:
        try:
            cells = list(zip(*chunk, strict=True)) if chunk else [()] * len(columns)
            return pa.Table.from_arrays([pa.array(values, type=field.type) for values, field in zip(
                cells, schema, strict=True)], schema=schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as error:
            ids = [record[0] for record in chunk] or ["?"]  # the response id comes first
            raise HostingError(f"cannot export responses {ids[0]}–{ids[-1]} to Parquet: a stored answer does "
                               f"not fit its column ({error}); no file was written") from None

    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        pending: list[list[Any]] = []
        for batch in batches:
            pending += batch
            while len(pending) >= CHUNK:
                writer.write_table(table(pending[:CHUNK]))
                del pending[:CHUNK]
                count += CHUNK
        if pending or count == 0:
            writer.write_table(table(pending))
            count += len(pending)
    return count
