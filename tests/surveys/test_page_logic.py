"""Page logic (issue 13): arithmetic for calculated values, pages shown by a condition, screen-outs, and the
definition checks that name the path. Expected values are worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest

from surveys.definition import build_survey, to_data
from surveys.errors import InvalidDefinition
from surveys.expressions import ExpressionSyntaxError, parse_arithmetic
from surveys.model import Survey
from surveys.page_logic import (
    SCREENED_OUT_KEY,
    calculated,
    in_view,
    next_page,
    pipe_calculated,
    previous_page,
    screen_out_after,
    shown_pages,
)


@pytest.mark.parametrize(("source", "answers", "expected"), [
    ("(q1 + q2) / 2", {"q1": 4, "q2": 5}, 4.5),
    ("q1 + q2 / 2", {"q1": 4, "q2": 5}, 6.5),  # / before +
    ("10 - 4 - 3", {}, 3.0),  # left to right: (10 - 4) - 3
    ("12 / 3 / 2", {}, 2.0),
    ("-q1 * 2", {"q1": 3}, -6.0),
    ("2 * (3 + 4) - -1", {}, 15.0),
    ("q1 - 1", {"q1": 1.5}, 0.5),
    ("q_align.easy + q_align.partner", {"q_align": {"easy": 4, "partner": 2}}, 6.0),
    ("q_channels.phone + q_channels.chat", {"q_channels": ["phone"]}, 1.0),  # a picked code reads 1, else 0
    ("q_friction.billing * 10", {"q_friction": {"billing": {"hesitated": True}}}, 10.0),
])
def test_arithmetic_by_hand(source: str, answers: dict[str, Any], expected: float) -> None:
    assert parse_arithmetic(source).evaluate(answers) == pytest.approx(expected)


@pytest.mark.parametrize(("source", "answers"), [
    ("q1 / q2", {"q1": 4, "q2": 0}),  # division by zero
    ("q1 / (q2 - q2)", {"q1": 4, "q2": 3}),
    ("(q1 + q2) / 2", {"q1": 4}),  # q2 unanswered
    ("q1 + 1", {"q1": "yes"}),  # a choice code is not a number
    ("q1 + 1", {"q1": True}),
    ("q1 * q1", {"q1": 1e200}),  # too large to be a number
])
def test_no_value_instead_of_an_error(source: str, answers: dict[str, Any]) -> None:
    assert parse_arithmetic(source).evaluate(answers) is None


@pytest.mark.parametrize(("source", "position"), [
    ("q1 +", 5), ("(q1 + q2", 9), ("q1 ** 2", 5), ("__import__('os')", 12), ("q1 % 2", 4), ("", 1),
])
def test_syntax_errors_say_where(source: str, position: int) -> None:
    with pytest.raises(ExpressionSyntaxError, match=rf"at character {position}\)"):
        parse_arithmetic(source)


def test_references_are_listed() -> None:
    assert parse_arithmetic("(a + b.x) / c - 2").references() == [("a", None), ("b", "x"), ("c", None)]


def _survey(**top: Any) -> Survey:
    return build_survey({
        "id": "logic", "title": "Logic",
        "calculate": [{"id": "effort_index", "expression": "(q1 + q2) / 2"}],
        "screen_out": [{"id": "not_customer", "when": 'customer == "no"',
                        "text": {"en": "This survey is for customers only.", "fr": "Ce questionnaire est réservé."}}],
        "languages": ["en", "fr"],
        "sections": [
            {"id": "start", "title": "Start", "questions": [
                {"id": "customer", "type": "single_choice", "text": "A customer?", "required": True,
                 "choices": [{"code": "yes", "label": "Yes"}, {"code": "no", "label": "No"}]},
                {"id": "q1", "type": "rating", "text": "Q1"},
                {"id": "q2", "type": "rating", "text": "Q2"}]},
            {"id": "effort", "title": "Effort", "show_if": "effort_index < 3", "questions": [
                {"id": "why", "type": "text", "text": "What was hard?", "required": True}]},
            {"id": "support", "title": "Support", "show_if": "answered(why)", "questions": [
                {"id": "fixed", "type": "single_choice", "text": "Was it fixed?", "required": True,
                 "choices": [{"code": "yes", "label": "Yes"}, {"code": "no", "label": "No"}]}]},
            {"id": "end", "title": "End", "questions": [{"id": "more", "type": "text", "text": "More?"}]},
        ],
    } | top)


def test_pages_shown_in_order_with_calculated_values() -> None:
    survey = _survey()
    low = {"customer": "yes", "q1": 1, "q2": 2}  # effort_index 1.5 < 3: the effort page is shown
    assert shown_pages(survey, low) == [True, True, False, True]  # why unanswered yet: no support page
    assert next_page(survey, 0, low) == 1
    assert next_page(survey, 1, low | {"why": "slow"}) == 2
    high = {"customer": "yes", "q1": 4, "q2": 5}  # 4.5: skipped
    assert next_page(survey, 0, high) == 3
    assert previous_page(survey, 3, high) == 0  # Back goes over both hidden pages
    assert next_page(survey, 3, high) is None


def test_an_answer_left_on_a_hidden_page_shows_nothing() -> None:
    survey = _survey()
    # went back and raised q2: the effort page is hidden now, and `why` kept from before must not show support
    stale = {"customer": "yes", "q1": 4, "q2": 5, "why": "slow"}
    assert shown_pages(survey, stale) == [True, False, False, True]
    assert in_view(survey, stale, 3) == {"customer": "yes", "q1": 4, "q2": 5, "effort_index": 4.5}


def test_a_hidden_page_requires_and_stores_nothing() -> None:
    survey = _survey()
    answers, errors = survey.clean_section(survey.sections[1], {"why": "typed"}, {"customer": "yes", "q1": 5,
                                                                                  "q2": 5})
    assert (answers, errors) == ({}, {})
    answers, errors = survey.clean_section(survey.sections[1], {}, {"customer": "yes", "q1": 1, "q2": 1})
    assert list(errors) == ["why"]


def test_screen_out_and_calculated_values() -> None:
    survey = _survey()
    assert screen_out_after(survey, {"customer": "yes"}) is None
    rule = screen_out_after(survey, {"customer": "no"})
    assert rule is not None and rule.id == "not_customer"
    assert calculated(survey, {"q1": 3, "q2": 4}) == {"effort_index": 3.5}
    assert calculated(survey, {"q1": 3}) == {"effort_index": None}


def test_export_columns_and_row() -> None:
    survey = _survey()
    assert survey.question_columns()[-2:] == ["effort_index", "screened_out"]
    row = survey.to_row({"customer": "no", "q1": 2, "effort_index": 2.0, SCREENED_OUT_KEY: "not_customer"})
    assert row["effort_index"] == 2.0 and row["screened_out"] == "not_customer" and row["more"] is None
    answers, errors = survey.from_row(row)  # read back: calculated again, screen-out kept
    assert errors == {}
    assert answers == {"customer": "no", "q1": 2, SCREENED_OUT_KEY: "not_customer"}  # q2 blank: no value


def _problems(**top: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidDefinition) as caught:
        _survey(**top)
    return [(problem.path, problem.message) for problem in caught.value.problems]


def test_a_page_condition_reads_only_earlier_pages() -> None:
    sections = to_data(_survey())["sections"]
    sections[1]["show_if"] = "more == 'x'"  # `more` is on the last page
    [(path, message)] = _problems(sections=sections)
    assert path == "sections[1].show_if"
    assert "'more'" in message and "earlier page" in message
    sections = to_data(_survey())["sections"]
    sections[2]["show_if"] = "fixed == 'yes'"  # on its own page
    assert _problems(sections=sections)[0][0] == "sections[2].show_if"
    sections = to_data(_survey())["sections"]
    sections[0]["show_if"] = "true"
    assert _problems(sections=sections) == [("sections[0].show_if",
                                             "the first page is always shown: it cannot have a show_if")]


def test_calculation_and_screen_out_checks_name_the_path() -> None:
    problems = _problems(calculate=[{"id": "effort_index", "expression": "(q1 + q2) / 2"},
                                    {"id": "q1", "expression": "q2 * 2"},
                                    {"id": "score", "expression": "nothing + 1"},
                                    {"id": "later", "expression": "score.x"}])
    assert [path for path, _ in problems] == ["calculate[1].id", "calculate[2].expression", "calculate[3].expression"]
    assert _problems(calculate=[{"id": "effort_index", "expression": "q1 +"}])[0][0] == "calculate[0].expression"
    [(path, message)] = _problems(screen_out=[{"id": "x", "when": "unknown == 1"}])
    assert path == "screen_out[0].when" and "'unknown'" in message
    # a question reading a value calculated from the same page: not yet known there
    sections = to_data(_survey())["sections"]
    sections[0]["questions"].append({"id": "q3", "type": "text", "text": "Q3", "show_if": "effort_index < 2"})
    assert _problems(sections=sections)[0][0] == "sections[0].questions[3].show_if"


def test_a_calculated_value_is_piped_and_read_by_a_follow_up_rule() -> None:
    data = to_data(_survey())
    data["sections"][3]["questions"][0]["text"] = "Your effort index was {{ effort_index }}. Anything else?"
    data["follow_up"] = [{"id": "hard_call", "when": "effort_index <= 2", "team": "support"}]
    survey = build_survey(data)
    assert pipe_calculated(survey, {"q1": 1, "q2": 2}) == {"effort_index": "1.5"}
    assert pipe_calculated(survey, {"q1": 3, "q2": 5}) == {"effort_index": "4"}
    assert pipe_calculated(survey, {"q1": 3}) == {}  # no value yet: nothing to show
    assert [rule.id for rule in survey.matching_follow_ups({"q1": 1, "q2": 2, "effort_index": 1.5})] == ["hard_call"]
    assert survey.matching_follow_ups({"q1": 4, "q2": 2, "effort_index": 3.0}) == []
    # on the page of its own answers it is not known yet
    data["sections"][0]["questions"][2]["help"] = "So far: {{ effort_index }}"
    with pytest.raises(InvalidDefinition) as caught:
        build_survey(data)
    assert [p.path for p in caught.value.problems] == ["sections[0].questions[2].help"]
