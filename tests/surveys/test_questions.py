"""Every question type: answer validation, export columns, and page validation with required and show_if."""

from __future__ import annotations

from typing import Any

import pytest

from surveys import QUESTION_TYPES, AnswerError, build_survey

PROMISES = [{"id": "easy", "label": "We make things easy"}, {"id": "partner", "label": "We treat you as a partner"}]
TOUCHPOINTS = [{"id": "order", "label": "Ordering"}, {"id": "bill", "label": "Billing"}]
CHANNELS = [{"id": "phone", "label": "Phone"}, {"id": "chat", "label": "Chat"}]

# For each type: its definition, a raw answer (as a form would send it), the stored answer, its export
# columns for that answer, and raw answers that must be refused. Worked out by hand from the spec.
CASES: dict[str, dict[str, Any]] = {
    "text": dict(
        q={"text": "What one thing should we change?", "max_length": 10},
        raw="  faster  ", stored="faster", row={"q": "faster"},
        bad=[12, "x" * 11],
    ),
    "number": dict(
        q={"text": "How many times did you call?", "min": 0, "max": 50, "integer": True},
        raw="3", stored=3, row={"q": 3},
        bad=["three", "2.5", "-1", "51", True, "nan"],
    ),
    "single_choice": dict(
        q={"text": "Which plan?", "choices": [{"code": "gold", "label": "Gold"}, {"code": "basic", "label": "Basic"}]},
        raw="gold", stored="gold", row={"q": "gold"},
        bad=["platinum", 1, ["gold"]],
    ),
    "multi_choice": dict(
        q={"text": "Which did you use?", "max_selected": 2,
           "choices": [{"code": "a", "label": "A"}, {"code": "b", "label": "B"}, {"code": "c", "label": "C"}]},
        raw=["c", "a", "c"], stored=["a", "c"], row={"q.a": 1, "q.b": 0, "q.c": 1},
        bad=[["a", "z"], ["a", "b", "c"], 5],
    ),
    "rating": dict(
        q={"text": "How was your visit?", "scale": {"min": 1, "max": 10, "min_label": "Poor", "max_label": "Great"}},
        raw="10", stored=10, row={"q": 10},
        bad=["0", "11", "7.5", True, "ten"],
    ),
    "likert": dict(q={"text": "The bill was clear.", "points": 7}, raw="7", stored=7, row={"q": 7}, bad=["8", "0"]),
    "csat": dict(q={"text": "How satisfied were you?"}, raw=5, stored=5, row={"q": 5}, bad=[6, 0]),
    "ces": dict(q={"text": "Acme made it easy."}, raw="1", stored=1, row={"q": 1}, bad=["8", "0"]),
    "nps": dict(q={"text": "How likely to recommend?"}, raw="0", stored=0, row={"q": 0}, bad=["11", "-1"]),
    "alignment": dict(
        q={"text": "How well did we keep each promise?"},
        raw={"easy": "5", "partner": ""}, stored={"easy": 5}, row={"q.easy": 5, "q.partner": None},
        bad=[{"easy": "6"}, {"nope": "3"}, "5"],
    ),
    "friction": dict(
        q={"text": "Did anything make you hesitate?"},
        raw={"order": {"hesitated": "yes", "what": " the form "}, "bill": {"hesitated": "no", "what": "ignored"}},
        stored={"order": {"hesitated": True, "what": "the form"}, "bill": {"hesitated": False}},
        row={"q.order": 1, "q.order.what": "the form", "q.bill": 0, "q.bill.what": None},
        bad=[{"order": {"hesitated": "maybe"}}, {"shop": {"hesitated": "yes"}}, {"order": {"hesitated": "yes", "x": 1}}],
    ),
    "channel_rating": dict(
        q={"text": "How was each channel you used?"},
        raw={"phone": "4"}, stored={"phone": 4}, row={"q.phone": 4, "q.chat": None},
        bad=[{"phone": "9"}, {"fax": "3"}],
    ),
    "date": dict(
        q={"text": "When did you visit?", "min": "2025-01-01", "max": "2025-12-31"},
        raw=" 2025-06-30 ", stored="2025-06-30", row={"q": "2025-06-30"},
        bad=["30/06/2025", "2025-13-01", "2025-02-29", "2024-12-31", "2026-01-01", 20250630, ["2025-06-30"]],
    ),
    "ranking": dict(
        q={"text": "Order these by importance.", "top": 2, "choices": [
            {"code": "gold", "label": "Gold"}, {"code": "basic", "label": "Basic"}, {"code": "plus", "label": "Plus"}]},
        raw=["plus", "gold", ""], stored=["plus", "gold"], row={"q.gold": 2, "q.basic": None, "q.plus": 1},
        bad=[["gold", "gold"], ["", "gold"], ["gold", "basic", "plus"], ["nope"], 5, {"gold": 1, "basic": 1}],
    ),
    "note": dict(  # display-only: no answer is accepted, there are no columns (checked in test_date_note_ranking)
        q={"text": "Thanks: a few more about delivery."}, bad=["anything", ["a"]],
    ),
}
ANSWERED = sorted(tag for tag, question_type in QUESTION_TYPES.items() if question_type.answered)


def survey_with(type_name: str, **extra: Any) -> Any:
    question = {"id": "q", "type": type_name, **CASES[type_name]["q"], **extra}
    return build_survey({
        "id": "s", "title": "S", "brand_promises": PROMISES, "touchpoints": TOUCHPOINTS, "channels": CHANNELS,
        "sections": [{"id": "p1", "title": "Page", "questions": [question]}],
    })


def test_every_registered_type_has_a_case() -> None:
    assert set(CASES) == set(QUESTION_TYPES)


@pytest.mark.parametrize("type_name", ANSWERED)
def test_clean_answer_and_columns(type_name: str) -> None:
    case = CASES[type_name]
    survey = survey_with(type_name)
    question = survey.question("q")
    stored = question.clean_answer(case["raw"], survey)
    assert stored == case["stored"]
    assert question.to_columns(stored, survey) == case["row"]
    assert list(case["row"]) == question.columns(survey)
    assert set(question.to_columns(None, survey).values()) == {None}


@pytest.mark.parametrize(("type_name", "raw"), [(t, raw) for t in sorted(CASES) for raw in CASES[t]["bad"]])
def test_clean_answer_refuses(type_name: str, raw: Any) -> None:
    survey = survey_with(type_name)
    with pytest.raises(AnswerError):
        survey.question("q").clean_answer(raw, survey)


@pytest.mark.parametrize("type_name", ANSWERED)
def test_required_blank_is_an_error(type_name: str) -> None:
    survey = survey_with(type_name, required=True)
    answers, errors = survey.clean_section(survey.sections[0], {}, {})
    assert answers == {} and errors["q"].message == "this question needs an answer"


def test_required_grid_needs_every_row() -> None:
    survey = survey_with("alignment", required=True)
    answers, errors = survey.clean_section(survey.sections[0], {"q": {"easy": "4"}}, {})
    assert errors["q"].message == "answer every row: We treat you as a partner" and errors["q"].row == "partner"
    assert errors["q"].names_rows  # the page shows the message as it is, without the row's label before it


def test_several_missing_rows_are_all_named_and_the_first_is_the_anchor() -> None:
    survey = survey_with("friction", required=True)  # touchpoints Ordering, Billing
    _, errors = survey.clean_section(survey.sections[0], {"q": {"order": "", "bill": None}}, {})
    assert errors["q"].message == "this question needs an answer"  # nothing at all: the question, not rows
    survey = survey_with("channel_rating", required=True)  # channels Phone, Chat; a third row is added below
    data = survey.model_dump(mode="json")
    data["channels"].append({"id": "email", "label": "Email"})
    survey = build_survey(data)
    _, errors = survey.clean_section(survey.sections[0], {"q": {"chat": "4"}}, {})
    # Phone and Email are blank, in the survey's order of channels (phone, chat, email)
    assert errors["q"].message == "answer every row: Phone, Email" and errors["q"].row == "phone"
    _, errors = survey.clean_section(survey.sections[0], {"q": {"chat": "4", "phone": "1", "email": "2"}}, {})
    assert errors == {}  # the near miss: every row answered


def two_page_survey() -> Any:
    return build_survey({
        "id": "s", "title": "S", "channels": CHANNELS,
        "sections": [
            {"id": "p1", "title": "One", "questions": [
                {"id": "q_ces", "type": "ces", "text": "Acme made it easy.", "required": True},
                {"id": "q_used", "type": "multi_choice", "text": "Which did you use?",
                 "choices": [{"code": "phone", "label": "Phone"}, {"code": "chat", "label": "Chat"}]},
            ]},
            {"id": "p2", "title": "Two", "questions": [
                {"id": "q_why", "type": "text", "text": "What went wrong?", "required": True, "show_if": "q_ces <= 4"},
                {"id": "q_chan", "type": "channel_rating", "text": "How was each?", "used_channels_from": "q_used",
                 "required": True},
            ]},
        ],
    })


def test_hidden_question_is_neither_required_nor_stored() -> None:
    survey = two_page_survey()
    earlier = {"q_ces": 6, "q_used": ["chat"]}
    answers, errors = survey.clean_section(survey.sections[1], {"q_why": "sneaky", "q_chan": {"chat": "5"}}, earlier)
    assert errors == {}
    assert answers == {"q_chan": {"chat": 5}}


def test_shown_question_is_required() -> None:
    survey = two_page_survey()
    answers, errors = survey.clean_section(survey.sections[1], {"q_chan": {"chat": "5"}}, {"q_ces": 3, "q_used": ["chat"]})
    assert set(errors) == {"q_why"}


def test_channel_grid_accepts_only_channels_used() -> None:
    survey = two_page_survey()
    earlier = {"q_ces": 6, "q_used": ["chat"]}
    _, errors = survey.clean_section(survey.sections[1], {"q_chan": {"chat": "5", "phone": "1"}}, earlier)
    assert errors["q_chan"].row == "phone"
    # required means every channel the respondent used, not every channel there is
    answers, errors = survey.clean_section(survey.sections[1], {"q_chan": {"chat": "2"}}, earlier)
    assert errors == {} and answers == {"q_chan": {"chat": 2}}


def test_to_row_spreads_answers_over_columns() -> None:
    survey = two_page_survey()
    row = survey.to_row({"q_ces": 5, "q_used": ["phone"], "q_chan": {"phone": 3}})
    assert row == {"q_ces": 5, "q_used.phone": 1, "q_used.chat": 0, "q_why": None, "q_chan.phone": 3, "q_chan.chat": None}


@pytest.mark.parametrize("type_name", ANSWERED)
def test_from_columns_reads_back_what_to_columns_wrote(type_name: str) -> None:
    case = CASES[type_name]
    survey = survey_with(type_name)
    question = survey.question("q")
    raw = question.from_columns(case["row"], survey)
    assert question.clean_answer(raw, survey) == case["stored"]
    assert question.from_columns({}, survey) is None


def test_from_row_reads_file_cells_and_applies_the_rules() -> None:
    survey = two_page_survey()
    nan = float("nan")
    # as pandas reads a CSV: floats for numbers, NaN for empty cells
    row = {"q_ces": 3.0, "q_used.phone": 1.0, "q_used.chat": 0.0, "q_why": "hold music", "q_chan.phone": 2.0,
           "q_chan.chat": nan}
    answers, errors = survey.from_row(row)
    assert errors == {}
    assert answers == {"q_ces": 3, "q_used": ["phone"], "q_why": "hold music", "q_chan": {"phone": 2}}
    # a hidden question's answer is not imported; an off-scale value is an error named by question
    answers, errors = survey.from_row({**row, "q_ces": 6.0})
    assert "q_why" not in answers
    _, errors = survey.from_row({**row, "q_ces": 9.0})
    assert set(errors) == {"q_ces"}
