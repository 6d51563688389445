"""Loading, validating and joining the inputs into one `AnalysisData` — the single place the data contract is
checked, so the models can trust their input.

`read_analysis_data(responses, outcomes, ...)` reads files; `build_analysis_data(...)` does the same from
DataFrames of text cells (for the web app, which holds responses in its database).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from surveys.model import Survey

from .config import RoiConfig
from .inputs.outcomes import OutcomeDataError, build_outcomes
from .inputs.programme import build_programme_table
from .inputs.responses import ResponseDataError, build_responses
from .inputs.tables import TableError, read_table
from .inputs.timeline import place_survey
from .types import AnalysisData, JoinReport, RoiWarning

__all__ = [
    "LOW_MATCH_RATE",
    "OutcomeDataError",
    "ResponseDataError",
    "TableError",
    "build_analysis_data",
    "read_analysis_data",
    "read_outcomes_table",
    "read_responses_table",
]

LOW_MATCH_RATE = 0.5
"""Below this share of respondents found in the outcomes, the `low_match` warning fires."""
UNMATCHED_SAMPLE = 20


def read_responses_table(path: str | Path) -> pd.DataFrame:
    """The responses file as text cells, through `surveys.tables` when that reader is installed."""
    try:
        from surveys.tables import read_responses_table as read_surveys_table
    except ImportError:
        return read_table(path, error=ResponseDataError)
    frame = read_surveys_table(path)
    if frame.attrs.get("source") is None:
        # re-read as text so row-naming errors and numeric detection behave the same for every reader
        return read_table(path, error=ResponseDataError)
    return frame


def read_outcomes_table(path: str | Path) -> pd.DataFrame:
    """The outcomes file (CSV/XLSX/Parquet) as text cells."""
    return read_table(path, error=OutcomeDataError)


def read_analysis_data(responses: str | Path, outcomes: str | Path, *, config: RoiConfig,
                       survey: Survey | None = None) -> AnalysisData:
    """Read, check and join a responses file and an outcomes file."""
    return build_analysis_data(read_responses_table(responses), read_outcomes_table(outcomes),
                               config=config, survey=survey)


def build_analysis_data(responses: pd.DataFrame, outcomes: pd.DataFrame, *, config: RoiConfig,
                        survey: Survey | None = None) -> AnalysisData:
    """Validate both tables and join them on customer_id (each customer's latest response).

    Raises `OutcomeDataError` / `ResponseDataError` (both `CxroiError`) naming file, rows and column.
    """
    answers = build_responses(responses, config, survey)
    table = build_outcomes(outcomes, config)
    customers = table.frame.copy()
    respondent_ids = set(answers.frame["customer_id"])
    customers["responded"] = customers["customer_id"].isin(respondent_ids)
    clashes = {c: f"response_{c}" for c in answers.frame.columns if c != "customer_id" and c in table.frame.columns}
    frame = table.frame.merge(answers.frame.rename(columns=clashes), on="customer_id", how="inner",
                              validate="one_to_one")
    metrics = tuple(replace(m, column=clashes.get(m.column, m.column)) for m in answers.metrics)
    items = tuple(replace(m, column=clashes.get(m.column, m.column)) for m in answers.items)
    outcome_ids = set(customers["customer_id"])
    unmatched = [cid for cid in answers.frame["customer_id"] if cid not in outcome_ids]
    join = JoinReport(
        respondents=len(answers.frame),
        customers=len(customers),
        matched=len(frame),
        unmatched_respondent_ids=tuple(unmatched[:UNMATCHED_SAMPLE]),
    )
    dropped = dict(answers.dropped)
    if unmatched:
        dropped["respondents not found in the outcomes"] = len(unmatched)
    frame, time_notes = place_survey(frame, as_of=config.as_of, source=str(outcomes.attrs.get("source", "<outcomes>")))
    for column, count in table.missing.items():
        dropped[f"customers with no {column} (left out of the models that use it)"] = count
    controls = tuple(c for c in config.controls if c in frame.columns and frame[c].notna().any())
    warnings: list[RoiWarning] = []
    if join.respondents and join.match_rate < LOW_MATCH_RATE:
        warnings.append(RoiWarning(
            "low_match", "customer_id",
            f"Only {join.matched} of {join.respondents} respondents ({join.match_rate:.0%}) were found in the "
            "outcomes; the results describe that subset, which may not represent your respondents. Check that "
            "both files use the same customer ids.",
        ))
    frame.attrs["notes"] = [*answers.notes, *table.notes, *time_notes]
    frame.attrs["responses_read"] = len(responses)
    return AnalysisData(
        frame=frame.reset_index(drop=True),
        customers=customers.reset_index(drop=True),
        metrics=metrics,
        items=items,
        controls=controls,
        join=join,
        text_columns=answers.text_columns,
        segments=table.segments,
        revenue_period=config.revenue_period,
        dropped=dropped,
        warnings=tuple(warnings),
        history=responses,
        survey=survey,
        programme=build_programme_table(outcomes, config),
    )
