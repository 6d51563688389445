"""Where the survey sits on each customer's timeline: tenure at the survey (the baseline control) and the time
from the survey to churn or censoring (the survival time).

Why: the answers are given on the survey date, so a model of what follows them must start there. Using one
tenure column both as a control and as the time to churn conditions on the outcome (a churner's tenure ends
at churn), so cxroi keeps the two apart:

* `tenure_months` — months as a customer **at the survey**. From the outcomes' `tenure_months` column (a CRM
  snapshot taken when the survey ran), else the months from `start_date` to the survey date (the response's
  `submitted_at`).
* `duration_months` — months **from the survey** to churn (`end_date` of a churner) or to censoring (the
  `end_date` of a customer who did not churn, else the as-of date of the outcomes: `roi.yaml` `as_of`, else
  the latest date in the outcomes and survey dates, which a note names). Everyone is at risk from the survey
  on, so the Cox model needs no delayed entry, and tenure at the survey enters it as a control.

Refused (`TimelineError`, naming file, rows and columns) rather than guessed: a churner whose `end_date` is
before the survey (they had left when they answered), and a `tenure_months` that contradicts `start_date`
and the survey date by more than a month (it then measures something else — typically the tenure up to
churn, which must not be a control).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from .outcomes import DAYS_PER_MONTH, OutcomeDataError

TENURE_TOLERANCE_MONTHS = 1.0
"""`tenure_months` may differ from start_date → survey by rounding, not by more than this."""


class TimelineError(OutcomeDataError):
    """The outcome dates and the survey dates contradict each other; the message names the rows and columns."""


def survey_dates(frame: pd.DataFrame) -> pd.Series:
    """Each row's survey date (from `submitted_at`) as a naive timestamp, NaT when unknown."""
    if "submitted_at" not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    stamps = pd.to_datetime(frame["submitted_at"], errors="coerce", format="mixed", utc=True)
    # the day of the answer: outcome dates have no time of day, so a churn later that day is not "before"
    return stamps.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")


def _customers(frame: pd.DataFrame, positions: np.ndarray, column: str, source: str) -> str:
    """'outcomes.csv, customers C1, C7 (3 in all), column 'end_date'' for error messages (after the join the
    file's row numbers are gone; the customer ids name the rows)."""
    ids = ", ".join(str(v) for v in frame["customer_id"].iloc[positions[:5]])
    more = f" ({len(positions)} in all)" if len(positions) > 5 else ""
    return f"{source}, customers {ids}{more}, column {column!r}"


def _months(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later - earlier).dt.total_seconds() / 86400 / DAYS_PER_MONTH


def place_survey(frame: pd.DataFrame, *, as_of: date | None, source: str) -> tuple[pd.DataFrame, list[str]]:
    """`frame` (one row per matched respondent) with `tenure_months` (at the survey) and `duration_months`
    (survey → churn or censoring) worked out as the module docstring says; notes for `data_quality.notes`."""
    out = frame.copy()
    out.attrs.update(frame.attrs)
    notes: list[str] = []
    surveyed = survey_dates(out)
    start = out.get("start_date")
    if start is not None and surveyed.notna().any():
        derived = _months(surveyed, start)
        before = np.flatnonzero((derived < 0).to_numpy())
        if len(before):
            raise TimelineError(f"{_customers(out, before, 'start_date', source)}: the customer started after answering the "
                                "survey (submitted_at)")
        if "tenure_months" in out:
            gap = (out["tenure_months"] - derived).abs()
            off = np.flatnonzero((gap > TENURE_TOLERANCE_MONTHS).to_numpy())
            if len(off):
                raise TimelineError(
                    f"{source}: tenure_months differs from the months between start_date and the survey date "
                    f"(submitted_at) by more than {TENURE_TOLERANCE_MONTHS:g} month for {len(off)} customers "
                    f"(e.g. customer {out['customer_id'].iloc[off[0]]}): tenure_months must be the tenure AT "
                    "THE SURVEY. If it is the tenure up to churn or to today, leave it out (map no column to "
                    "tenure_months) and cxroi works tenure at the survey out from start_date.")
        else:
            out["tenure_months"] = derived
            notes.append("tenure_months is the tenure at the survey: the months from start_date to submitted_at")
    elif "tenure_months" in out:
        notes.append("tenure_months is read as the tenure at the survey (the control); it is never the survival time")
    has_end = "end_date" in out
    if surveyed.isna().all() or not (has_end or as_of is not None or start is not None):
        if "churned" in out:
            notes.append("no survival model: the survival time runs from the survey date (submitted_at) to the "
                         "churn date (end_date) or the as-of date (roi.yaml as_of), and these are not all known")
        return out, notes
    dates = [surveyed.max()]
    for column in ("start_date", "end_date"):
        if column in out:
            dates.append(out[column].max())
    cutoff = pd.Timestamp(as_of) if as_of is not None else max(d for d in dates if pd.notna(d))
    if as_of is None:
        notes.append(f"customers still active are censored at {cutoff:%Y-%m-%d}, the latest date in the outcomes "
                     "and survey dates (set roi.yaml as_of to the date the outcomes were taken)")
    churned = out["churned"] if "churned" in out else pd.Series(np.nan, index=out.index)
    end = out["end_date"] if has_end else pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    exit_date = end.where(end.notna() | (churned == 1), cutoff)  # a churner without an end date: unknown
    duration = _months(exit_date, surveyed)
    early = np.flatnonzero(((duration < 0) & (churned == 1)).to_numpy())
    if len(early):
        raise TimelineError(f"{_customers(out, early, 'end_date', source)}: the customer churned before answering the survey "
                            "(end_date before submitted_at); their answers cannot predict their churn")
    out["duration_months"] = duration.clip(lower=0)
    unknown = int((churned == 1).sum() - ((churned == 1) & end.notna()).sum()) if has_end else int((churned == 1).sum())
    if unknown:
        notes.append(f"{unknown} churners have no end_date: their time to churn is unknown, so the survival "
                     "models leave them out")
    return out, notes
