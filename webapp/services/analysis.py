"""The ROI analysis of a published survey: its stored responses joined with an outcomes file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from roi.analysis import analyze, file_facts
from roi.config import read_config
from roi.data import build_analysis_data, read_outcomes_table
from roi.results import Results
from roi.themes.codebook import Codebook
from surveys.model import Survey

from ..themes.service import current_codebook
from .export import response_frame
from .publishing import latest_version, survey_of


def responses_for_analysis(session: Session, slug: str) -> tuple[pd.DataFrame, Survey]:
    """(responses as text cells — as if read from the exported CSV —, latest definition) of survey `slug`."""
    version = latest_version(session, slug)
    survey = survey_of(version)
    frame = response_frame(session, slug)
    frame = frame.astype(object).where(frame.notna(), None)
    frame = frame.map(lambda v: None if v is None or (isinstance(v, str) and not v.strip()) else str(v))
    frame.attrs["source"] = f"survey {slug!r} (database)"
    frame.attrs["first_row"] = 1
    frame.attrs["survey"] = {"id": survey.id, "title": survey.title, "version": version.number}
    return frame, survey


def analyze_published_survey(session: Session, slug: str, *, outcomes: str | Path, config: str | Path | None = None,
                             seed: int = 0, codebook: Codebook | None = None) -> Results:
    """Run the ROI analysis (`roi.analysis.analyze`) on the stored responses of `slug` and an outcomes file;
    comments are coded with `codebook`, else the survey's own codebook when it has one."""
    settings = read_config(config)
    frame, survey = responses_for_analysis(session, slug)
    data = build_analysis_data(frame, read_outcomes_table(outcomes), config=settings, survey=survey)
    files: dict[str, Any] = {"responses": {"name": f"survey:{slug}", "bytes": None, "sha256": None},
                             "outcomes": file_facts(outcomes)}
    if config is not None:
        files["config"] = file_facts(config)
    return analyze(data, settings, seed=seed, inputs={"files": files, "survey": frame.attrs["survey"]},
                   codebook=codebook or current_codebook(session, slug))  # themes (docs/themes.md)
