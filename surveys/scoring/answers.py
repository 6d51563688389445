"""Reading answers out of a responses DataFrame: which rows count, and each scored column as checked numbers.

The responses table is user input (an export, or a file from another tool), so every column used is checked
here, once: a missing column or a value off the question's scale is a `CxroiError` that names the column and
the row (the DataFrame's index label; the caller turns it into a file row when it knows the file).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import CxroiError

SCORED_STATUSES = ("complete",)
WITH_PARTIAL = ("complete", "partial")
NEVER_SCORED = ("started", "abandoned", "invited")
"""Statuses other tools (and `roi`) use for responses never submitted; accepted, never scored."""


class InvalidResponses(CxroiError, ValueError):
    """A responses table that cannot be scored against its survey definition."""


class MissingColumn(InvalidResponses):
    """Columns the definition needs are not in the table; `column` is the first, `columns` all of them."""

    def __init__(self, columns: list[str], *, where: str | None = None) -> None:
        self.columns = list(columns)
        self.column = self.columns[0]
        self.where = where
        names = ", ".join(repr(c) for c in self.columns[:10]) + (" …" if len(self.columns) > 10 else "")
        prefix = f"{where}: " if where else ""
        noun = "column" if len(self.columns) == 1 else "columns"
        super().__init__(f"{prefix}the responses table has no {noun} {names}, needed to score this survey")


class InvalidValue(InvalidResponses):
    """A value that does not fit its column: `column`, `row` (index label) and `problem` say which and why.

    `where` replaces the default "row <label>" wording when the caller knows the file, e.g. "responses.csv,
    row 12".
    """

    def __init__(self, column: str, row: Any, problem: str, *, where: str | None = None) -> None:
        self.column = column
        self.row = row
        self.problem = problem
        self.where = where
        place = where or f"row {row}"
        super().__init__(f"{place}, column {column!r}: {problem}")


def require_columns(responses: pd.DataFrame, columns: list[str]) -> None:
    """Raise `MissingColumn` naming every one of `columns` the table lacks."""
    present = set(map(str, responses.columns))
    missing = [column for column in columns if column not in present]
    if missing:
        raise MissingColumn(missing)


def select_rows(responses: pd.DataFrame, *, include_partial: bool, column: str = "status") -> pd.DataFrame:
    """The responses to score: status `complete`, plus `partial` when asked. `NEVER_SCORED` statuses are left
    out; any other status (a typo, an empty cell) is an error rather than a silent guess. `column` holds the
    status (`response_status` when a question is called `status`, `surveys.model.metadata_column`)."""
    require_columns(responses, [column])
    status = responses[column].map(lambda v: v.strip().lower() if isinstance(v, str) else v)
    known = status.isin(WITH_PARTIAL + NEVER_SCORED)
    if not known.all():
        at = int(np.flatnonzero(~known.to_numpy())[0])
        value = responses[column].iloc[at]
        raise InvalidValue(column, status.index[at], "expected complete or partial (scored) or "
                           f"{', '.join(NEVER_SCORED)} (never scored), got {_show(value)}")
    keep = status.isin(WITH_PARTIAL if include_partial else SCORED_STATUSES)
    return responses.loc[keep.to_numpy()]


def _show(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "an empty cell"
    return repr(value)[:60] if isinstance(value, str) else str(value)[:60]


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def read_numbers(responses: pd.DataFrame, column: str, *, low: float | None = None, high: float | None = None,
                 whole: bool = True) -> pd.Series:
    """The column as float64 with NaN for blank cells, checked to be numbers (whole ones when `whole`) within
    [low, high]; raises `MissingColumn` or `InvalidValue`. Booleans count as 0/1 (a friction column)."""
    require_columns(responses, [column])
    raw = responses[column]
    if isinstance(raw, pd.DataFrame):  # duplicated column name: scoring cannot tell which one is meant
        raise InvalidResponses(f"the responses table has the column {column!r} more than once")
    if raw.dtype == bool:
        raw = raw.astype("int64")
    if pd.api.types.is_numeric_dtype(raw.dtype):
        numbers = raw.astype("float64")
    else:
        cleaned = raw.map(lambda v: None if _blank(v) else (v.strip() if isinstance(v, str) else v))
        cleaned = cleaned.map(lambda v: int(v) if isinstance(v, (bool, np.bool_)) else v)
        numbers = pd.to_numeric(cleaned, errors="coerce").astype("float64")
        bad = cleaned.notna() & numbers.isna()
        if bad.any():
            at = int(np.flatnonzero(bad.to_numpy())[0])
            problem = f"expected a number{_range_text(low, high)}, got {_show(raw.iloc[at])}"
            raise InvalidValue(column, raw.index[at], problem)
    values = numbers.to_numpy()
    checks: list[tuple[np.ndarray, str]] = [(np.isinf(values), "expected a finite number")]
    if whole:
        finite = np.where(np.isfinite(values), values, 0.0)
        checks.append((finite != np.round(finite), f"expected a whole number{_range_text(low, high)}"))
    if low is not None:
        checks.append((values < low, f"expected a number{_range_text(low, high)}"))
    if high is not None:
        checks.append((values > high, f"expected a number{_range_text(low, high)}"))
    for failed, problem in checks:
        if failed.any():
            at = int(np.flatnonzero(failed)[0])
            raise InvalidValue(column, raw.index[at], f"{problem}, got {_show(raw.iloc[at])}")
    return numbers


def _range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" from {low:g} to {high:g}"
    if low is not None:
        return f" of at least {low:g}"
    if high is not None:
        return f" of at most {high:g}"
    return ""
