"""Reading a responses table (the wide export of DESIGN.md) from .csv, .xlsx or .parquet, chosen by extension.

The DataFrame keeps a 0-based RangeIndex over the data rows, so a row's label turns into the row a person
sees in the file with `file_row(path, label)`: CSV and XLSX have a header row, so label 0 is row 2.
"""

from __future__ import annotations

import csv
import numbers
import zipfile
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from .bounded import TooLarge, check_parquet, check_workbook
from .errors import CxroiError
from .model import METADATA_PREFIX, RESERVED_COLUMNS

TABLE_SUFFIXES = (".csv", ".xlsx", ".parquet")

# Identifiers stay text: a customer id such as 00123 must not become the number 123.
_TEXT_COLUMNS = {f"{prefix}{name}": str for prefix in ("", METADATA_PREFIX)
                 for name in ("response_id", "customer_id", "channel", "status", "survey_version")}


def own_columns_in(columns: Iterable[Any], question_columns: Collection[str] = ()) -> dict[str, str | None]:
    """Each of `RESERVED_COLUMNS` → the column of a responses table (header `columns`) that holds it, None when
    the table has none.

    A survey with a question `status` names the response's own status `response_status` (`response_status_`
    should that be a question's too: `surveys.model.metadata_column`); files exported before questions could take
    these names have the plain names. So the deepest of `status`, `response_status`, `response_status_` … present
    is the response's own column, leaving out the survey's `question_columns` when they are known."""
    present = {str(column) for column in columns}
    found: dict[str, str | None] = {}
    for name in RESERVED_COLUMNS:
        found[name] = None
        candidate = name
        while True:
            if candidate in present and candidate not in question_columns:
                found[name] = candidate
            elif candidate != name and candidate not in present:
                break
            candidate = METADATA_PREFIX + name if candidate == name else candidate + "_"
    return found


class UnreadableTable(CxroiError, ValueError):
    """A table file that cannot be read; the message names the file and says why."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def read_responses_table(path: str | Path) -> pd.DataFrame:
    """The responses table in `path` (.csv, .xlsx or .parquet) with a 0-based RangeIndex over its data rows.

    Raises `UnreadableTable` naming the file for a missing or unreadable file, an unknown extension or a file
    with no header row.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise UnreadableTable(path, f"expected a {', '.join(TABLE_SUFFIXES[:-1])} or {TABLE_SUFFIXES[-1]} file")
    if not path.is_file():
        raise UnreadableTable(path, "no such file")
    try:
        if suffix == ".xlsx":
            check_workbook(path)
        elif suffix == ".parquet":
            check_parquet(path)
        table = _read(path, suffix)
    except TooLarge as error:
        raise UnreadableTable(path, str(error).removeprefix(f"{path}: ")) from None
    except UnreadableTable:
        raise
    except UnicodeDecodeError:
        raise UnreadableTable(path, "the file is not UTF-8 text; save the CSV as UTF-8") from None
    except pd.errors.EmptyDataError:
        raise UnreadableTable(path, "the file is empty") from None
    except pd.errors.ParserError as error:
        raise UnreadableTable(path, f"not a readable CSV table ({_first_line(error)})") from None
    except zipfile.BadZipFile:
        raise UnreadableTable(path, "not a readable .xlsx workbook") from None
    except (OSError, ValueError, KeyError) as error:
        # pyarrow's ArrowInvalid is a ValueError; openpyxl raises KeyError/ValueError for broken workbooks.
        raise UnreadableTable(path, f"cannot read the file ({_first_line(error)})") from None
    if len(table.columns) == 0:
        raise UnreadableTable(path, "the table has no columns")
    table.columns = [str(column).strip() for column in table.columns]
    return table


def _read(path: Path, suffix: str) -> pd.DataFrame:
    if suffix == ".csv":
        header = _csv_header(path)
        delimiter = ","
        if "," not in header:  # spreadsheets in many locales save ';'- or tab-separated "CSV"
            delimiter = next((d for d in (";", "\t") if d in header), ",")
        _check_unique(path, next(csv.reader([header], delimiter=delimiter), []))
        return pd.read_csv(path, dtype=_TEXT_COLUMNS, encoding="utf-8-sig", sep=delimiter)
    if suffix == ".xlsx":
        first_row = pd.read_excel(path, sheet_name=0, header=None, nrows=1, engine="openpyxl")
        _check_unique(path, [] if first_row.empty else list(first_row.iloc[0]))
        return pd.read_excel(path, sheet_name=0, dtype=_TEXT_COLUMNS, engine="openpyxl")
    table = pd.read_parquet(path)
    if not isinstance(table.index, pd.RangeIndex):
        table = table.reset_index()  # a stored index (e.g. response_id) becomes a column again
    return table.reset_index(drop=True)


def _csv_header(path: Path) -> str:
    # utf-8-sig: Excel's "CSV UTF-8" starts with a byte-order mark that would otherwise stick to the first name
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return handle.readline().rstrip("\r\n")


def _check_unique(path: Path, names: list[Any]) -> None:
    # pandas would silently rename a repeated header to "name.1", which reads like a grid column
    seen: set[str] = set()
    for name in names:
        if isinstance(name, float) and name != name:
            continue  # an empty header cell
        text = str(name).strip()
        if text in seen:
            raise UnreadableTable(path, f"the column {text!r} appears more than once in the header row")
        seen.add(text)


def file_row(path: str | Path, label: Any) -> str:
    """Where the row with DataFrame label `label` is in the file, for messages: "responses.csv, row 7"."""
    if isinstance(label, bool) or not isinstance(label, numbers.Integral):
        return f"{path}, row {label}"
    header = 0 if Path(path).suffix.lower() == ".parquet" else 1
    return f"{path}, row {int(label) + 1 + header}"


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__
