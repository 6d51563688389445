"""Reading the user's tables (CSV, XLSX, Parquet) as text, and converting columns with row-naming errors.

Values are read as text so that a bad cell can be reported exactly ("row 7, column 'Revenue': 'n/a' is not a
number") instead of pandas guessing a dtype. Row numbers are those a user sees in a spreadsheet: the header is
row 1, the first data row is row 2 (Parquet, having no header row, counts data rows from 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from surveys.bounded import TooLarge, check_parquet, check_workbook
from surveys.errors import CxroiError

ROWS_LISTED = 10
"""At most this many row numbers are listed in one error message."""


class TableError(CxroiError, ValueError):
    """A table that cannot be read, or a cell that breaks the data contract; the message names file, row, column."""


def read_table(path: str | Path, *, error: type[TableError] = TableError) -> pd.DataFrame:
    """A CSV/XLSX/Parquet file as a DataFrame of text cells (None for blanks), chosen by extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            check_workbook(path)
        elif suffix in (".parquet", ".pq"):
            check_parquet(path)
    except TooLarge as exc:
        raise error(str(exc)) from None
    try:
        if suffix in (".csv", ".txt"):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        elif suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            raise error(f"{path}: expected a .csv, .xlsx or .parquet file")
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
        if isinstance(exc, TableError):
            raise
        raise error(f"{path}: cannot read the table: {exc}") from None
    except Exception as exc:  # pyarrow/openpyxl raise their own types for corrupt files
        raise error(f"{path}: cannot read the table: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = pd.DataFrame({column: as_text(frame[column]) for column in frame.columns}, index=frame.index)
    frame.attrs["source"] = str(path)
    frame.attrs["first_row"] = 1 if suffix in (".parquet", ".pq") else 2
    return frame.reset_index(drop=True)


def as_text(column: pd.Series) -> pd.Series:
    """Cells as stripped text (object dtype), None for blanks and missing values; vectorised."""
    missing = column.isna().to_numpy()
    text = column.astype(str).str.strip()
    return text.mask(missing | (text == "").to_numpy(), None).astype(object)


def row_numbers(frame: pd.DataFrame, positions: Sequence[int] | np.ndarray) -> str:
    """The user-visible row numbers of some positions, e.g. 'rows 2, 5, 9 (and 3 more)'."""
    first = int(frame.attrs.get("first_row", 2))
    numbers = [int(p) + first for p in positions]
    shown = ", ".join(str(n) for n in numbers[:ROWS_LISTED])
    more = f" (and {len(numbers) - ROWS_LISTED} more)" if len(numbers) > ROWS_LISTED else ""
    return f"{'row' if len(numbers) == 1 else 'rows'} {shown}{more}"


def where(frame: pd.DataFrame, positions: Sequence[int] | np.ndarray, column: str) -> str:
    """'outcomes.csv, rows 3, 8, column 'Revenue'' for error messages."""
    return f"{frame.attrs.get('source', '<table>')}, {row_numbers(frame, positions)}, column {column!r}"


def to_numbers(frame: pd.DataFrame, column: str, *, shown_as: str | None = None,
               error: type[TableError] = TableError, minimum: float | None = None) -> pd.Series:
    """A text column as floats (NaN for blanks); non-numeric cells (or cells below `minimum`) raise `error`."""
    text = frame[column]
    values = pd.to_numeric(text.map(lambda v: v.replace(",", "") if isinstance(v, str) else v), errors="coerce")
    values = values.astype(float)
    bad = np.flatnonzero(text.notna().to_numpy() & ~np.isfinite(values.to_numpy()))
    label = shown_as or column
    if len(bad):
        sample = ", ".join(repr(text.iloc[i]) for i in bad[:3])
        raise error(f"{where(frame, bad, label)}: not a number ({sample})")
    if minimum is not None:
        low = np.flatnonzero((values < minimum).to_numpy())
        if len(low):
            sample = ", ".join(f"{values.iloc[i]:g}" for i in low[:3])
            raise error(f"{where(frame, low, label)}: must not be below {minimum:g} ({sample})")
    return values


TRUE_TEXT = frozenset({"1", "1.0", "true", "yes", "y"})
FALSE_TEXT = frozenset({"0", "0.0", "false", "no", "n"})


def to_flags(frame: pd.DataFrame, column: str, *, shown_as: str | None = None,
             error: type[TableError] = TableError, message: str = "must be 0 or 1") -> pd.Series:
    """A 0/1 column as floats (NaN for blanks): 1, 1.0, true, yes, y and 0, 0.0, false, no, n in any case;
    numbers and booleans (Parquet, Excel, a notebook's DataFrame) are read as their text. Other cells raise
    `error` naming the rows, with `message`."""
    text = frame[column].map(lambda v: None if v is None or (isinstance(v, float) and v != v)
                             else str(v).strip().lower())
    values = pd.Series(np.nan, index=frame.index)
    values[text.isin(TRUE_TEXT)] = 1.0
    values[text.isin(FALSE_TEXT)] = 0.0
    bad = np.flatnonzero(text.notna().to_numpy() & values.isna().to_numpy())
    if len(bad):
        sample = ", ".join(repr(frame[column].iloc[i]) for i in bad[:3])
        raise error(f"{where(frame, bad, shown_as or column)}: {message} ({sample})")
    return values


def to_dates(frame: pd.DataFrame, column: str, *, shown_as: str | None = None,
             error: type[TableError] = TableError) -> pd.Series:
    """A text column as timestamps (NaT for blanks); unparseable cells raise `error` naming the rows."""
    text = frame[column]
    values = pd.to_datetime(text, errors="coerce", format="mixed")
    bad = np.flatnonzero(text.notna().to_numpy() & values.isna().to_numpy())
    if len(bad):
        sample = ", ".join(repr(text.iloc[i]) for i in bad[:3])
        raise error(f"{where(frame, bad, shown_as or column)}: not a date ({sample})")
    return values


def numeric_share(text: pd.Series) -> float:
    """Share of the non-blank cells of a text column that read as numbers (1.0 for a numeric column)."""
    present = text.dropna()
    if present.empty:
        return 0.0
    values = pd.to_numeric(present, errors="coerce")
    return float(np.isfinite(values.astype(float)).mean())
