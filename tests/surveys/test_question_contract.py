"""The contract every registered question type keeps, checked generically from what the type declares (no table
of types here, so a new type is checked the moment it registers): the JSON Schema names it; a valid answer built
from its options and rows survives cleaning, export to its columns, read-back and cleaning again; its column
kinds cover its columns; it scores one answered response; its ROI metrics and open-text columns are columns of
its own; its XLSForm round trip keeps it whole; and a blank required question is missing, not invalid."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from surveys.definition import build_survey, json_schema
from surveys.files import read_survey, write_survey
from surveys.model import Survey
from surveys.questions import QUESTION_TYPES, MissingAnswer, QuestionBase


def _minimal_settings(tag: str) -> dict[str, Any]:
    fields = QUESTION_TYPES[tag].model_fields
    settings: dict[str, Any] = {}
    if "choices" in fields and fields["choices"].is_required():
        settings["choices"] = [{"code": "first", "label": "First"}, {"code": "second", "label": "Second"}]
    return settings


def survey_with(tag: str) -> Survey:
    return build_survey({
        "id": "contract", "title": "Contract",
        "brand_promises": [{"id": "easy", "label": "Easy"}, {"id": "partner", "label": "Partner"}],
        "touchpoints": [{"id": "ordering", "label": "Ordering"}, {"id": "billing", "label": "Billing"}],
        "channels": [{"id": "phone", "label": "Phone"}, {"id": "email", "label": "Email"}],
        "sections": [{"id": "page", "title": "Page", "questions": [
            {"id": "q", "type": tag, "text": "What do you think of it?", "required": QUESTION_TYPES[tag].answered}
            | _minimal_settings(tag),
        ]}],
    })


def valid_answer(question: QuestionBase, survey: Survey) -> Any:
    """A raw answer a respondent could give, built from the widget the type declares."""
    options = [value for value, _ in question.options()]
    rows = [row for row, _ in question.rows(survey)]
    answers = {
        "text": lambda: "A clear answer",
        "number": lambda: "7",
        "radio": lambda: options[-1],
        "checkboxes": lambda: options[:1],
        "row_radios": lambda: {row: options[0] for row in rows},
        "row_yes_no": lambda: {row: {"hesitated": "yes", "what": "It took long"} for row in rows},
        "date": lambda: "2026-03-31",
        "ranking": lambda: options[::-1],
        "note": lambda: None,  # nothing to answer
    }
    return answers[question.widget]()


TYPES = list(QUESTION_TYPES)


def test_the_schema_names_every_type() -> None:
    schema = str(json_schema())
    assert all(f"'{tag}'" in schema for tag in TYPES)


@pytest.mark.parametrize("tag", TYPES)
def test_answer_survives_export_and_read_back(tag: str) -> None:
    survey = survey_with(tag)
    question = survey.question("q")
    answers, errors = survey.clean_section(survey.sections[0], {"q": valid_answer(question, survey)}, {})
    assert errors == {}
    row = survey.to_row(answers)
    assert list(row) == question.columns(survey)
    assert set(question.column_kinds(survey)) == set(question.columns(survey))
    read, read_errors = survey.from_row(row)
    assert read_errors == {} and read == answers


@pytest.mark.parametrize("tag", TYPES)
def test_a_blank_required_question_is_missing(tag: str) -> None:
    survey = survey_with(tag)
    _, errors = survey.clean_section(survey.sections[0], {"q": None}, {})
    if not QUESTION_TYPES[tag].answered:  # a note cannot be required: nothing is missing
        assert errors == {}
    else:
        assert isinstance(errors["q"], MissingAnswer)
    # a response read back from a table may stop part-way: blank is not an error there
    assert survey.from_row({}) == ({}, {})


@pytest.mark.parametrize("tag", TYPES)
def test_scores_metrics_and_texts_are_its_own_columns(tag: str) -> None:
    survey = survey_with(tag)
    question = survey.question("q")
    answers, _ = survey.clean_section(survey.sections[0], {"q": valid_answer(question, survey)}, {})
    frame = pd.DataFrame([survey.to_row(answers) | {"status": "complete"}])
    for group, metric in question.score(frame, survey):
        assert metric.n == 1 and metric.question_id == "q", (group, metric)
    columns = set(question.columns(survey))
    assert {m.column for m in question.metric_columns(survey)} <= columns
    assert set(question.open_text_columns(survey)) <= columns
    if question.respondent_score is not None:
        values = question.respondent_values(frame, survey)
        assert len(values) == 1 and values.notna().all()


@pytest.mark.parametrize("tag", TYPES)
def test_xlsform_round_trip(tag: str, tmp_path: Path) -> None:
    survey = survey_with(tag)
    write_survey(survey, tmp_path / "form.xlsx")
    assert read_survey(tmp_path / "form.xlsx").question("q").model_dump() == survey.question("q").model_dump()


def test_the_built_in_types_register_in_the_documented_order() -> None:
    assert TYPES[:12] == ["text", "number", "single_choice", "multi_choice", "rating", "likert", "csat", "ces", "nps",
                          "alignment", "friction", "channel_rating"]
