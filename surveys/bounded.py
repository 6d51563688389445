"""Reading files a stranger may have built to exhaust the reader: zip bombs, spreadsheets that claim a
million rows, YAML that expands through anchors and aliases, numbers of thousands of digits.

Every reader of user files (definitions, XLSForms, customer lists, responses and outcomes tables), from the
command line and from the web alike, goes through these checks before it allocates anything in proportion to
what the file claims. The limits are documented in docs/security.md; each refusal is a `TooLarge` (a
`CxroiError`) naming the file and the limit.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import yaml

from .errors import CxroiError

MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
"""An .xlsx workbook may hold at most this many bytes once unzipped (all members together)."""
MAX_ZIP_RATIO = 100
"""A member larger than 1 MiB unzipped may be at most this many times its compressed size."""
MAX_ZIP_MEMBERS = 10_000
MAX_SHEET_ROWS = 2_000_000
"""Rows read from one worksheet (header included); a declared `<dimension>` is ignored."""
MAX_SHEET_COLUMNS = 1_000
MAX_CELL_CHARACTERS = 32_767
"""Excel's own limit for one cell."""
MAX_TABLE_CELLS = 20_000_000
"""Rows × columns of one table: a Parquet file's from its metadata, a worksheet's while streaming it."""
class TooLarge(CxroiError, ValueError):
    """A file that is (or would expand to) more than cxroi reads; the message names the file and the limit."""


def check_zip(path: str | Path, source: str | None = None) -> None:
    """Refuse an archive whose members unzip to more than the limits, before any member is opened."""
    source = source or str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: the reader reports that in its own words
    if len(members) > MAX_ZIP_MEMBERS:
        raise TooLarge(f"{source}: the workbook has {len(members):,} parts; at most {MAX_ZIP_MEMBERS:,} are read")
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > 1024 * 1024 and member.file_size > MAX_ZIP_RATIO * max(member.compress_size, 1):
            raise TooLarge(f"{source}: the part {member.filename!r} unzips to {member.file_size:,} bytes from "
                           f"{member.compress_size:,} (more than {MAX_ZIP_RATIO}× compression); refused as a "
                           "possible zip bomb")
    if total > MAX_UNZIPPED_BYTES:
        raise TooLarge(f"{source}: the workbook unzips to {total:,} bytes; at most {MAX_UNZIPPED_BYTES:,} are read")


def check_sheet(sheet: Any, source: str, *, max_rows: int = MAX_SHEET_ROWS, max_columns: int = MAX_SHEET_COLUMNS,
                max_cells: int = MAX_TABLE_CELLS) -> None:
    """Stream through an openpyxl read-only worksheet, ignoring its declared dimension, and refuse it
    (`TooLarge`) when it has more rows than `max_rows`, a filled cell beyond `max_columns`, a cell longer than
    Excel's limit, or more rows × columns than `max_cells` (what a reader padding every row would allocate)."""
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()  # a forged <dimension ref="A1:XFD1048576"> must not size anything
    title = getattr(sheet, "title", "sheet")
    width = 0
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > max_rows:
            raise TooLarge(f"{source}: sheet {title!r} has more than {max_rows:,} rows")
        filled = [index for index, value in enumerate(row) if value is not None and value != ""]
        if filled:
            width = max(width, filled[-1] + 1)
        if width > max_columns:
            raise TooLarge(f"{source}: sheet {title!r}, row {number} has a value in column {width:,}; at most "
                           f"{max_columns:,} columns are read")
        if number * width > max_cells:
            raise TooLarge(f"{source}: sheet {title!r} spans more than {max_cells:,} cells (row {number:,} × "
                           f"{width:,} columns)")
        for index in filled:
            value = row[index]
            if isinstance(value, str) and len(value) > MAX_CELL_CHARACTERS:
                raise TooLarge(f"{source}: sheet {title!r}, row {number} has a cell of {len(value):,} characters; "
                               f"at most {MAX_CELL_CHARACTERS:,} are read")


def check_workbook(path: str | Path, source: str | None = None) -> None:
    """Check an .xlsx file before a reader that trusts it opens it: its zip members, then every sheet."""
    from openpyxl import load_workbook

    source = source or str(path)
    check_zip(path, source)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - unreadable: the reader reports that in its own words
        return
    try:
        for sheet in workbook.worksheets:
            check_sheet(sheet, source)
    finally:
        workbook.close()


def check_parquet(path: str | Path, source: str | None = None, *, max_rows: int = MAX_SHEET_ROWS,
                  max_cells: int = MAX_TABLE_CELLS) -> None:
    """Refuse a Parquet file whose metadata declares more rows or cells than are read, before reading a row."""
    import pyarrow.parquet as pq

    source = source or str(path)
    try:
        metadata = pq.ParquetFile(path).metadata
    except Exception:  # noqa: BLE001 - not Parquet: the reader reports that in its own words
        return
    rows, columns = metadata.num_rows, metadata.num_columns
    if rows > max_rows or rows * max(columns, 1) > max_cells:
        raise TooLarge(f"{source}: the table has {rows:,} rows × {columns:,} columns; at most {max_rows:,} rows "
                       f"and {max_cells:,} cells are read")


class _NoAliasLoader(yaml.SafeLoader):
    """The safe loader, refusing anchors and aliases (a few kilobytes of them expand to gigabytes)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases (&name, *name) are not allowed in a definition; write the value "
                            "out", event.start_mark)
        event = self.peek_event()
        if getattr(event, "anchor", None) is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases (&name, *name) are not allowed in a definition; write the value "
                            "out", event.start_mark)
        return super().compose_node(parent, index)


def load_yaml(text: str) -> Any:
    """`yaml.safe_load` without anchors and aliases; raises yaml.YAMLError (with a position) for them."""
    return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506  # nosec B506 - a SafeLoader subclass
