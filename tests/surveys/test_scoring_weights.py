"""Frequency weights in `score_survey`: a table of distinct answers with their counts scores exactly as the table
with every response written out (the results page scores its tallies this way). The expanded table is scored by
the unweighted code path, which the rest of tests/surveys/test_scoring.py pins to hand-worked values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveys.files import read_survey
from surveys.scoring import score_survey

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "relationship.yaml"


def test_weighted_distinct_rows_score_as_the_expanded_table() -> None:
    survey = read_survey(EXAMPLE)
    rng = np.random.default_rng(7)
    distinct = pd.DataFrame({
        "status": ["complete"] * 6,
        "q_ces": [7, 6, 2, None, 5, 1],
        "q_nps": [10, 9, 3, 8, None, 0],
        "q_align.easy": [5, 4, 1, 3, None, 2],
        "q_align.partner": [4, None, 2, 3, 5, 1],
        "q_friction.ordering": [0, 1, 1, None, 0, 1],
        "q_friction.billing": [0, 0, 1, 1, None, 1],
        "q_channel.phone": [5, 4, None, 2, 3, 1],
        "q_channel.email": [4, None, 2, 2, 3, 5],
        "q_channel.chat": [None, 3, 1, 5, 4, 2],
        "q_channels.phone": [1, 1, 0, 1, 0, 1],
        "q_channels.email": [0, 1, 1, 0, 1, 0],
        "q_channels.chat": [1, 0, 1, 0, 0, 1],
    }, index=[10, 11, 12, 13, 14, 15])
    counts = pd.Series(rng.integers(1, 40, size=len(distinct)), index=distinct.index)
    expanded = distinct.loc[distinct.index.repeat(counts.to_numpy())].reset_index(drop=True)
    for column in survey.columns():
        for table in (distinct, expanded):
            if column not in table.columns:
                table[column] = None
    weighted = score_survey(distinct, survey, weights=counts)
    plain = score_survey(expanded, survey)
    assert weighted.responses_total == plain.responses_total == int(counts.sum())
    assert weighted.responses_scored == plain.responses_scored
    pairs = list(zip(weighted.metrics(), plain.metrics(), strict=True))
    assert len(pairs) >= 18  # every metric of the example: BAS, CES, NPS, friction, channels, choices
    for (group, mine), (plain_group, theirs) in pairs:
        assert (group, mine.name, mine.n, mine.note, mine.method) == (
            plain_group, theirs.name, theirs.n, theirs.note, theirs.method)
        for field in ("estimate", "ci_low", "ci_high"):
            assert getattr(mine, field) == pytest.approx(getattr(theirs, field), rel=1e-12, abs=1e-12), (mine.name, field)


def test_a_single_weighted_row_is_one_answer_or_many() -> None:
    survey = read_survey(EXAMPLE)
    frame = pd.DataFrame({"status": ["complete"], "q_ces": [6]}, index=[3])
    for column in survey.columns():
        if column not in frame.columns:
            frame[column] = None
    once = score_survey(frame, survey, weights=pd.Series([1], index=[3])).get("q_ces:mean")
    assert (once.estimate, once.n, once.ci_low, once.note) == (6.0, 1, None, "one answer only: no interval")
    many = score_survey(frame, survey, weights=pd.Series([12], index=[3])).get("q_ces:mean")
    # Twelve answers of 6: mean 6, sd 0, so the interval has no width (the unweighted rule for identical answers).
    assert (many.estimate, many.n, many.ci_low, many.ci_high) == (6.0, 12, 6.0, 6.0)
    assert many.note == "every answer was the same, so the interval has no width"
