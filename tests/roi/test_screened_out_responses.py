"""Screened-out responses (a `screen_out` rule ended them early: docs/definition-format.md, "Page logic") are not
respondents of the ROI analysis: they are set aside before each customer's latest response is picked, and counted
in `data_quality.dropped` (docs/methods.md, "Inputs")."""

from __future__ import annotations

import pandas as pd

from roi.config import RoiConfig
from roi.inputs.responses import SCREENED_OUT_REASON, build_responses
from surveys.definition import build_survey
from surveys.model import Survey


def _survey(screen_out: bool = True) -> Survey:
    return build_survey({
        "id": "logic", "title": "Logic",
        **({"screen_out": [{"id": "not_customer", "when": 'customer == "no"'}]} if screen_out else {}),
        "sections": [{"id": "start", "title": "Start", "questions": [
            {"id": "customer", "type": "single_choice", "text": "A customer?",
             "choices": [{"code": "yes", "label": "Yes"}, {"code": "no", "label": "No"}]},
            {"id": "q1", "type": "rating", "text": "Q1"}]}],
    })


def _table() -> pd.DataFrame:
    # C1 answered fully; C2 was screened out; C3 answered fully, then was screened out in a later response;
    # C4's screen-out cell is blank text (a CSV read as text): not screened out.
    frame = pd.DataFrame({
        "response_id": [1, 2, 3, 4, 5],
        "customer_id": ["C1", "C2", "C3", "C3", "C4"],
        "status": ["complete"] * 5,
        "submitted_at": ["2026-01-01T10:00:00", "2026-01-02T10:00:00", "2026-01-03T10:00:00",
                         "2026-01-04T10:00:00", "2026-01-05T10:00:00"],
        "customer": ["yes", "no", "yes", "no", "yes"],
        "q1": [4, 1, 5, None, 3],
        "screened_out": [None, "not_customer", None, "not_customer", " "],
    })
    frame.attrs["source"] = "responses.csv"
    return frame


def test_screened_out_responses_are_set_aside_and_counted() -> None:
    table = build_responses(_table(), RoiConfig(), _survey())
    assert table.frame["customer_id"].tolist() == ["C1", "C3", "C4"]  # C3's earlier full response is kept
    assert table.frame["q1"].tolist() == [4.0, 5.0, 3.0]
    assert table.dropped[SCREENED_OUT_REASON] == 2
    assert any("2 screened-out responses" in note for note in table.notes)


def test_without_a_definition_the_export_column_is_read_and_is_no_comment() -> None:
    table = build_responses(_table(), RoiConfig())
    assert table.frame["customer_id"].tolist() == ["C1", "C3", "C4"]
    assert table.dropped[SCREENED_OUT_REASON] == 2
    assert "screened_out" not in table.text_columns and "screened_out" not in table.frame.columns


def test_a_survey_without_screen_out_rules_drops_nothing() -> None:
    # a survey without screen-out rules has no such export column (one of its questions may take the name)
    table = build_responses(_table(), RoiConfig(), _survey(screen_out=False))
    assert SCREENED_OUT_REASON not in table.dropped
    assert table.frame["customer_id"].tolist() == ["C1", "C2", "C3", "C4"]
