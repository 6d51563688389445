"""The error messages of the two small languages — `show_if` conditions (surveys/logic.py) and `calculate`
arithmetic (surveys/expressions.py) — word for word, with the 1-based character each names (counted here by
hand), so that the tokenizer and parser helpers they share keep every message as it was."""

from __future__ import annotations

import re

import pytest

from surveys.expressions import ExpressionSyntaxError, parse_arithmetic
from surveys.logic import ConditionSyntaxError, parse_condition


@pytest.mark.parametrize(("source", "message"), [
    ("q $ 1", "unexpected character '$' (at character 3)"),
    ("q > 1 )", "unexpected ')' (at character 7)"),
    ("answered q", "expected '(', found 'q' (at character 10)"),
    ("answered(q", "expected ')', found 'end of expression' (at character 11)"),
    ("q in [1, 2", "expected ']', found 'end of expression' (at character 11)"),
    ("(q > 1", "expected ')', found 'end of expression' (at character 7)"),
    ("q not 3", "expected 'in' after 'not' (at character 7)"),
    ("answered(4)", "answered() takes a question id (at character 10)"),
    ("q >", "expected a value or question id, found 'end of expression' (at character 4)"),
    ("q > and", "expected a value or question id, found 'and' (at character 5)"),
    ("", "the condition is empty (at character 1)"),
    ("   ", "the condition is empty (at character 1)"),
    ("(" * 51 + "q" + ")" * 51, "the condition is nested more than 50 levels deep (at character 51)"),
    ("not " * 51 + "q", "the condition is nested more than 50 levels deep (at character 201)"),
])
def test_condition_errors_word_for_word(source: str, message: str) -> None:
    with pytest.raises(ConditionSyntaxError, match=f"^{re.escape(message)}$") as raised:
        parse_condition(source)
    assert not isinstance(raised.value, ExpressionSyntaxError)


@pytest.mark.parametrize(("source", "message"), [
    ("q1 % 2", "unexpected character '%' (at character 4)"),
    ("q1 == 2", "unexpected character '=' (at character 4)"),
    ("q1 q2", "unexpected 'q2' (at character 4)"),
    ("(q1 + q2", "expected ')', found 'end of expression' (at character 9)"),
    ("(q1 q2)", "expected ')', found 'q2' (at character 5)"),
    ("q1 +", "expected a number, a question id or '(', found 'end of expression' (at character 5)"),
    ("* 2", "expected a number, a question id or '(', found '*' (at character 1)"),
    ("", "the expression is empty (at character 1)"),
    (" ", "the expression is empty (at character 1)"),
    ("1" * 2001, "the expression is longer than 2000 characters (at character 2001)"),
    ("-" * 51 + "1", "the expression is nested more than 50 levels deep (at character 51)"),
    ("(" * 51 + "1" + ")" * 51, "the expression is nested more than 50 levels deep (at character 51)"),
    # 400 parts: "-(", the 1, 198 times "+1", ")"; with the end of the expression that is more than 400
    ("-(1" + "+1" * 198 + ")", "the expression has more than 400 parts (at character 1)"),
])
def test_arithmetic_errors_word_for_word(source: str, message: str) -> None:
    with pytest.raises(ExpressionSyntaxError, match=f"^{re.escape(message)}$") as raised:
        parse_arithmetic(source)
    assert isinstance(raised.value, ConditionSyntaxError) and isinstance(raised.value, ValueError)


def test_the_longest_arithmetic_parses() -> None:
    # 399 parts: "(", the 1, 198 times "+1", ")": 199 ones
    assert parse_arithmetic("(1" + "+1" * 198 + ")").evaluate({}) == 199
    assert parse_arithmetic("q" * 2000).references() == [("q" * 2000, None)]  # 2000 characters: the longest


def test_what_each_language_reads_as_a_number_or_a_name() -> None:
    # a condition's number may carry its minus sign; arithmetic reads a minus as an operation
    assert parse_condition("q > -1").evaluate({"q": 0}) is True
    assert parse_condition("q > -1").evaluate({"q": -1}) is False
    assert parse_arithmetic("2--1").evaluate({}) == 3
    assert parse_arithmetic("- -2").evaluate({}) == 2
    # the condition's keywords are plain ids in arithmetic
    assert parse_arithmetic("and + not").references() == [("and", None), ("not", None)]
    assert parse_arithmetic("and + not").evaluate({"and": 1, "not": 2}) == 3
    # a row reads the same in both: a grid row's value, a multi-choice code 1/0, a friction row's hesitation
    answers = {"g": {"r1": 4}, "m": ["a"], "f": {"ordering": {"hesitated": True}}}
    assert parse_arithmetic("g.r1 + m.a + m.b + f.ordering").evaluate(answers) == 4 + 1 + 0 + 1
    assert parse_condition("g.r1 == 4 and m.a == 1 and m.b == 0 and f.ordering == 1").evaluate(answers) is True
