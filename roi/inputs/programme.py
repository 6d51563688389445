"""The programme columns of the outcomes table: which customers the CX programme reached, from when, and each
outcome per period before and after its start (docs/results.md, "Did the programme pay off").

`build_programme_table(raw, config)` reads them from the same raw (text) outcomes table `roi.inputs.outcomes`
reads, with the same `roi.yaml` `columns` mapping, and checks them cell by cell. It returns None when the table has
no `programme` column (the analysis then has no programme section). Fatal (a `ProgrammeDataError` naming the
file, rows and column): a blank or non-0/1 `programme`, an unparseable `programme_start`, a period churn other
than 0/1, a negative or non-numeric period revenue. Blanks in the period columns are not fatal: a blank means the
customer was not a customer during that period (joined later, or had already left).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import PRE_PERIODS, PROGRAMME_COLUMNS, PROGRAMME_OUTCOMES, RoiConfig
from .tables import TableError, to_dates, to_flags, to_numbers, where


class ProgrammeDataError(TableError):
    """The programme columns break their contract; the message names the file, the rows and the column."""


def period_columns(outcome: str) -> list[str]:
    """The period columns of one outcome in time order: `<outcome>_pre6` … `<outcome>_pre2`, `<outcome>_pre`,
    `<outcome>_post` (only the names; which are present is up to the file)."""
    return [*(f"{outcome}_pre{k}" for k in range(PRE_PERIODS, 1, -1)), f"{outcome}_pre", f"{outcome}_post"]


def period_index(column: str) -> int:
    """The period of a column relative to the programme start: post 0, pre −1, preK −K."""
    suffix = column.rsplit("_", 1)[1]
    if suffix == "post":
        return 0
    return -1 if suffix == "pre" else -int(suffix.removeprefix("pre"))


def _flags(frame: pd.DataFrame, column: str, shown: str, *, blank_ok: bool) -> pd.Series:
    values = to_flags(frame, column, shown_as=shown, error=ProgrammeDataError)
    if not blank_ok:
        blank = np.flatnonzero(values.isna().to_numpy())
        if len(blank):
            raise ProgrammeDataError(f"{where(frame, blank, shown)}: blank; say for every customer whether the "
                                     "programme reached them (1) or not (0)")
    return values


def build_programme_table(raw: pd.DataFrame, config: RoiConfig) -> pd.DataFrame | None:
    """The checked programme columns, one row per outcome row: `customer_id` (text), `programme` (0/1 float),
    `programme_start` (timestamp, NaT when blank) and each period column present (churn 0/1 float, revenue
    float, NaN when blank); None without a `programme` column."""
    if "programme" not in raw.columns and config.columns.get("programme") not in raw.columns:
        return None  # the common case: no programme to measure (and no copy of the table)
    renamed = {theirs: canonical for canonical, theirs in config.columns.items()
               if canonical in (*PROGRAMME_COLUMNS, "customer_id", "account_id") and theirs in raw.columns}
    frame = raw.rename(columns=renamed)
    frame.attrs.update(raw.attrs)
    if "programme" not in frame.columns or "customer_id" not in frame.columns:
        return None
    shown = {canonical: f"{theirs} ({canonical})" for canonical, theirs in config.columns.items() if theirs != canonical}
    out = pd.DataFrame({"customer_id": frame["customer_id"].astype(str)})
    out["programme"] = _flags(frame, "programme", shown.get("programme", "programme"), blank_ok=False)
    if "programme_start" in frame.columns:
        out["programme_start"] = to_dates(frame, "programme_start", shown_as=shown.get("programme_start"),
                                          error=ProgrammeDataError)
    for outcome in PROGRAMME_OUTCOMES:
        for column in period_columns(outcome):
            if column not in frame.columns:
                continue
            label = shown.get(column, column)
            if outcome == "churned":
                out[column] = _flags(frame, column, label, blank_ok=True)
            else:
                out[column] = to_numbers(frame, column, shown_as=label, error=ProgrammeDataError, minimum=0)
    out.attrs["source"] = str(raw.attrs.get("source", "<outcomes>"))
    return out.reset_index(drop=True)
