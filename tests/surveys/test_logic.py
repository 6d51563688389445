"""The show_if language: parsing, evaluation and references, without eval."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveys.logic import MAX_NESTING, ConditionSyntaxError, parse_condition


@pytest.mark.parametrize(
    ("source", "answers", "expected"),
    [
        ("q_ces <= 4", {"q_ces": 4}, True),
        ("q_ces <= 4", {"q_ces": 5}, False),
        ("q_ces <= 4", {}, False),  # unanswered compares false
        ("not (q_ces <= 4)", {}, True),
        ("q_ces < 3 or q_nps <= 6", {"q_ces": 6, "q_nps": 2}, True),
        ("q_ces < 3 and q_nps <= 6", {"q_ces": 6, "q_nps": 2}, False),
        ("q_plan == 'gold'", {"q_plan": "gold"}, True),
        ('q_plan != "gold"', {"q_plan": "silver"}, True),
        ("q_plan in ['gold', 'silver']", {"q_plan": "silver"}, True),
        ("q_plan not in ['gold', 'silver']", {"q_plan": "bronze"}, True),
        ("q_plan not in ['gold', 'silver']", {}, False),
        ("'email' in q_used", {"q_used": ["phone", "email"]}, True),  # membership in a multi-choice answer
        ("'chat' in q_used", {"q_used": ["phone", "email"]}, False),
        ("q_used in ['email']", {"q_used": ["phone", "email"]}, True),  # any overlap with a multi-choice
        ("answered(q_why)", {"q_why": "slow"}, True),
        ("answered(q_why)", {"q_why": "  "}, False),
        ("answered(q_align)", {"q_align": {"easy": None}}, False),
        ("q_align.easy >= 4", {"q_align": {"easy": 5, "partner": 1}}, True),
        ("q_align.partner >= 4", {"q_align": {"easy": 5, "partner": 1}}, False),
        ("q_num > 2.5", {"q_num": 3}, True),
        ("q_num > -1", {"q_num": 0}, True),
        ("q_flag == true", {"q_flag": True}, True),
        ("q_ces > 'x'", {"q_ces": 3}, False),  # mixed types are never true, never an error
        ("not not q_ces == 2", {"q_ces": 2}, True),
        ("(q_a == 1 or q_b == 1) and q_c == 1", {"q_a": 0, "q_b": 1, "q_c": 1}, True),
        ("q_a == 1 or q_b == 1 and q_c == 1", {"q_a": 1, "q_b": 0, "q_c": 0}, True),  # and binds tighter
    ],
)
def test_evaluates(source: str, answers: dict, expected: bool) -> None:
    assert parse_condition(source).evaluate(answers) is expected


def test_references_in_order() -> None:
    condition = parse_condition("answered(q_a) and q_b.row1 > 2 or q_c in [q_d]")
    assert condition.references() == [("q_a", None), ("q_b", "row1"), ("q_c", None), ("q_d", None)]


@pytest.mark.parametrize(
    ("source", "position"),
    [
        ("q_ces <=", 8),
        ("q_ces <= 4 and", 14),
        ("(q_ces <= 4", 11),
        ("q_ces === 4", 8),
        ("__import__('os').system('x')", 16),
        ("q_ces <= 4; drop", 10),
        ("answered(4)", 9),
        ("q_a not q_b", 8),
        ("", 0),
    ],
)
def test_rejects_bad_syntax_with_position(source: str, position: int) -> None:
    with pytest.raises(ConditionSyntaxError) as raised:
        parse_condition(source)
    assert raised.value.position == position


@given(st.text(max_size=40))
def test_any_text_parses_or_raises_syntax_error(source: str) -> None:
    try:
        condition = parse_condition(source)
    except ConditionSyntaxError:
        return
    condition.evaluate({})  # a parsed condition always evaluates without raising


# Deep nesting is bad input, not a RecursionError: up to MAX_NESTING levels parse, deeper is a syntax error.
def test_nesting_up_to_the_limit_parses_and_evaluates() -> None:
    condition = parse_condition("(" * MAX_NESTING + "q > 1" + ")" * MAX_NESTING)
    assert condition.evaluate({"q": 2}) is True and condition.evaluate({"q": 1}) is False
    # an even number of `not`s is the plain condition
    assert parse_condition("not " * MAX_NESTING + "answered(q)").evaluate({"q": 3}) is True


@pytest.mark.parametrize("source", [
    "(" * (MAX_NESTING + 1) + "q > 1" + ")" * (MAX_NESTING + 1),
    "(" * 5000 + "q > 1" + ")" * 5000,
    "not " * 5000 + "answered(q)",
    "q in " + "[" * 5000 + "1" + "]" * 5000,
])
def test_deeper_nesting_is_a_syntax_error(source: str) -> None:
    with pytest.raises(ConditionSyntaxError, match=f"nested more than {MAX_NESTING} levels deep"):
        parse_condition(source)
