"""The outcomes table: one row per customer, mapped to canonical names and checked cell by cell.

Fatal (an `OutcomeDataError` naming file, rows and column): no id column, blank or duplicate ids, `churned`
other than 0/1, non-numeric or negative revenue or tenure, unparseable dates, an end before its start, a
mapped or segment column that is not in the file. Blanks in optional columns are not fatal: they are counted
in `OutcomeTable.missing` and the models that need the column drop those rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..config import CASE_COLUMNS, RoiConfig
from .tables import TableError, as_text, to_dates, to_flags, to_numbers, where

DAYS_PER_MONTH = 365.25 / 12
TRUE_TEXT = {"1", "1.0", "true", "yes", "y"}
FALSE_TEXT = {"0", "0.0", "false", "no", "n"}


class OutcomeDataError(TableError):
    """The outcomes table breaks its contract; the message names the file, the rows and the column."""


@dataclass(frozen=True)
class OutcomeTable:
    """Canonical outcome columns (customer_id as text, churned 0/1 float, numbers as floats, dates as
    timestamps), plus segment columns as text. Tenure at the survey and the survival time need the survey
    date, so they are worked out after the join (`roi.inputs.timeline.place_survey`)."""

    frame: pd.DataFrame
    segments: tuple[str, ...]
    missing: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _rename(raw: pd.DataFrame, config: RoiConfig, source: str) -> pd.DataFrame:
    renamed = {}
    for canonical, theirs in config.columns.items():
        if theirs not in raw.columns:
            if canonical in raw.columns:
                continue  # the file already uses the canonical name
            raise OutcomeDataError(
                f"{source}: column {theirs!r} (mapped to {canonical} in the configuration) is not in the file;"
                f" its columns are {', '.join(map(repr, raw.columns[:30]))}"
            )
        renamed[theirs] = canonical
    frame = raw.rename(columns=renamed)
    frame.attrs.update(raw.attrs)
    return frame


def _shown(config: RoiConfig, canonical: str) -> str:
    theirs = config.columns.get(canonical)
    return f"{theirs} ({canonical})" if theirs and theirs != canonical else canonical


def _churned(frame: pd.DataFrame, shown: str) -> pd.Series:
    # numbers and booleans (Parquet, Excel, a notebook's DataFrame) are read as their text: 1, 1.0, True
    text = frame["churned"].map(lambda v: v if v is None or (isinstance(v, float) and v != v) else str(v).strip().lower())
    values = pd.Series(np.nan, index=frame.index)
    values[text.isin(TRUE_TEXT)] = 1.0
    values[text.isin(FALSE_TEXT)] = 0.0
    bad = np.flatnonzero(text.notna().to_numpy() & values.isna().to_numpy())
    if len(bad):
        sample = ", ".join(repr(frame["churned"].iloc[i]) for i in bad[:3])
        raise OutcomeDataError(f"{where(frame, bad, shown)}: churned must be 0 or 1 ({sample})")
    return values


CASE_CLOSED = {"open": 0.0, "contacted": 0.0, "resolved": 1.0, "won_back": 1.0, "lost": 1.0}
"""A case's status (the cases export's `status`) → closed (1) or not (0): closed as `closed_at` is set."""


def _case_columns(frame: pd.DataFrame, config: RoiConfig, out: pd.DataFrame, source: str) -> None:
    """`case_closed` (0/1, NaN without a case) from `case_status` or `case_closed`, and `case_risk` (a
    probability 0–1) into `out`; a status other than the five, both columns at once, or a risk outside 0–1 is an
    `OutcomeDataError` naming the rows."""
    if "case_status" in frame.columns and "case_closed" in frame.columns:
        raise OutcomeDataError(f"{source}: give case_status or case_closed, not both (they may disagree)")
    if "case_status" in frame.columns:
        text = as_text(frame["case_status"]).map(lambda v: v if v is None else v.lower().replace(" ", "_"))
        bad = np.flatnonzero(text.notna().to_numpy() & ~text.isin(list(CASE_CLOSED)).to_numpy())
        if len(bad):
            raise OutcomeDataError(f"{where(frame, bad, _shown(config, 'case_status'))}: a case status is one of "
                                   f"{', '.join(CASE_CLOSED)} ({frame['case_status'].iloc[bad[0]]!r})")
        out["case_status"] = text
        out["case_closed"] = text.map(lambda v: CASE_CLOSED.get(v, np.nan) if v is not None else np.nan).astype(float)
    elif "case_closed" in frame.columns:
        out["case_closed"] = to_flags(frame, "case_closed", shown_as=_shown(config, "case_closed"),
                                      error=OutcomeDataError)
    if "case_risk" in frame.columns:
        risk = to_numbers(frame, "case_risk", shown_as=_shown(config, "case_risk"), error=OutcomeDataError,
                          minimum=0)
        above = np.flatnonzero((risk > 1).to_numpy())
        if len(above):
            raise OutcomeDataError(f"{where(frame, above, _shown(config, 'case_risk'))}: the case's risk is a "
                                   f"probability between 0 and 1 (e.g. 0.38), not a percentage "
                                   f"({frame['case_risk'].iloc[above[0]]!r})")
        out["case_risk"] = risk


def build_outcomes(raw: pd.DataFrame, config: RoiConfig) -> OutcomeTable:
    """Check and convert a raw (text) outcomes table; see the module docstring for what is fatal."""
    source = str(raw.attrs.get("source", "<outcomes>"))
    frame = _rename(raw, config, source)
    if "customer_id" not in frame.columns:
        hint = "" if config.columns.get("customer_id") else " (map your id column with columns: {customer_id: ...})"
        raise OutcomeDataError(f"{source}: no customer_id column{hint}; its columns are "
                               f"{', '.join(map(repr, frame.columns[:30]))}")
    shown_id = _shown(config, "customer_id")
    blank = np.flatnonzero(frame["customer_id"].isna().to_numpy())
    if len(blank):
        raise OutcomeDataError(f"{where(frame, blank, shown_id)}: customer id is blank")
    ids = frame["customer_id"].astype(str)
    duplicated = ids.duplicated(keep=False).to_numpy()
    if duplicated.any():
        first = ids[duplicated].iloc[0]
        rows = np.flatnonzero(duplicated)
        raise OutcomeDataError(f"{where(frame, rows, shown_id)}: duplicate customer ids (e.g. {first!r}); "
                               "the outcomes need one row per customer")

    out = pd.DataFrame({"customer_id": ids})
    missing: dict[str, int] = {}
    if "churned" in frame.columns:
        out["churned"] = _churned(frame, _shown(config, "churned"))
    for name in ("tenure_months", "revenue", "revenue_prior"):
        if name in frame.columns:
            out[name] = to_numbers(frame, name, shown_as=_shown(config, name), error=OutcomeDataError, minimum=0)
    for name in ("start_date", "end_date"):
        if name in frame.columns:
            out[name] = to_dates(frame, name, shown_as=_shown(config, name), error=OutcomeDataError)
    if "start_date" in out and "end_date" in out:
        before = np.flatnonzero((out["end_date"] < out["start_date"]).to_numpy())
        if len(before):
            raise OutcomeDataError(f"{where(frame, before, _shown(config, 'end_date'))}: the end date is before "
                                   "the start date")
    if "account_id" in frame.columns:
        out["account_id"] = frame["account_id"]
    _case_columns(frame, config, out, source)
    notes: list[str] = []
    if "churned" not in out and "end_date" in out:
        out["churned"] = out["end_date"].notna().astype(float)
        notes.append("churned was derived from end_date (a customer with an end date has left)")

    segments = []
    for name in config.segments:
        if name not in frame.columns:
            raise OutcomeDataError(f"{source}: segment column {name!r} (listed under segments in the "
                                   "configuration) is not in the file")
        out[name] = frame[name]
        segments.append(name)
    for name in out.columns:
        if name not in ("customer_id", "duration_months", *CASE_COLUMNS):  # durations: via their sources;
            # a blank case column means the customer had no case, not a missing value
            count = int(out[name].isna().sum())
            if count and name != "end_date":  # a blank end date means still a customer
                missing[name] = count
    return OutcomeTable(out, tuple(segments), missing, tuple(notes))
