"""Arithmetic over answers, for `calculate` values (derived values stored with a response): parsed without `eval`.

Grammar::

    expr   := term (("+" | "-") term)*
    term   := factor (("*" | "/") factor)*
    factor := "-" factor | NUMBER | REF | "(" expr ")"
    REF    := question_or_calculation_id ["." row_id]

A REF reads an answer as a condition does (`surveys.logic`): a scale point or a number as it is, a grid row or a
multi-choice code (`q.row`, 1/0) as in the export columns. An answer that is not a number (text, a choice code,
no answer at all), a division by zero or a result too large to be a number give no value (None), never an error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .logic import ConditionSyntaxError
from .syntax import Parser, Reference, found

__all__ = ["Arithmetic", "ExpressionSyntaxError", "parse_arithmetic"]


class ExpressionSyntaxError(ConditionSyntaxError):
    """An arithmetic expression that does not parse; a ValueError, so pydantic reports it at its field."""


_TOKEN = re.compile(r"(?P<ws>\s+)|(?P<number>\d+(?:\.\d+)?)|(?P<op>[-+*/()])"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)?)")
MAX_NESTING = 50
MAX_LENGTH = 2000
MAX_TOKENS = 400


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Negative:
    operand: Term


@dataclass(frozen=True)
class Operation:
    op: str  # + - * /
    left: Term
    right: Term


Term = Number | Reference | Negative | Operation


class _Parser(Parser[Term]):
    pattern = _TOKEN
    error = ExpressionSyntaxError
    noun = "expression"
    max_nesting = MAX_NESTING

    def __init__(self, source: str) -> None:
        if len(source) > MAX_LENGTH:
            raise ExpressionSyntaxError(f"the expression is longer than {MAX_LENGTH} characters", MAX_LENGTH)
        super().__init__(source)
        if len(self.tokens) > MAX_TOKENS:  # evaluation recurses once per operation
            raise ExpressionSyntaxError(f"the expression has more than {MAX_TOKENS} parts", 0)

    def expression(self) -> Term:
        term = self.term()
        while self.peek().text in ("+", "-") and self.peek().kind == "op":
            op = self.take().text
            term = Operation(op, term, self.term())
        return term

    def term(self) -> Term:
        term = self.factor()
        while self.peek().text in ("*", "/") and self.peek().kind == "op":
            op = self.take().text
            term = Operation(op, term, self.factor())
        return term

    def factor(self) -> Term:
        token = self.take()
        if token.kind == "number":
            return Number(float(token.text))
        if token.kind == "name":
            return Reference.named(token.text)
        if token.text == "-":
            with self.nested(token):
                return Negative(self.factor())
        if token.text == "(":
            with self.nested(token):
                term = self.expression()
                self.expect(")")
            return term
        raise ExpressionSyntaxError(f"expected a number, a question id or '(', found {found(token)!r}",
                                    token.position)


def _read(reference: Reference, answers: Mapping[str, Any]) -> float | None:
    value = reference.read(answers)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _evaluate(term: Term, answers: Mapping[str, Any]) -> float | None:
    if isinstance(term, Number):
        return term.value
    if isinstance(term, Reference):
        return _read(term, answers)
    if isinstance(term, Negative):
        value = _evaluate(term.operand, answers)
        return None if value is None else -value
    left, right = _evaluate(term.left, answers), _evaluate(term.right, answers)
    if left is None or right is None:
        return None
    if term.op == "+":
        result = left + right
    elif term.op == "-":
        result = left - right
    elif term.op == "*":
        result = left * right
    elif right == 0:
        return None
    else:
        result = left / right
    return result if math.isfinite(result) else None


def _references(term: Term) -> Iterator[Reference]:
    if isinstance(term, Reference):
        yield term
    elif isinstance(term, Negative):
        yield from _references(term.operand)
    elif isinstance(term, Operation):
        yield from _references(term.left)
        yield from _references(term.right)


@dataclass(frozen=True)
class Arithmetic:
    """A parsed arithmetic expression."""

    source: str
    tree: Term

    def references(self) -> list[tuple[str, str | None]]:
        """(question or calculation id, row id or None) for every value the expression reads, in order."""
        return [(ref.question, ref.row) for ref in _references(self.tree)]

    def evaluate(self, answers: Mapping[str, Any]) -> float | None:
        """The value over `answers`, or None when a value it reads is missing or not a number, or it divides
        by zero."""
        return _evaluate(self.tree, answers)


def parse_arithmetic(source: str) -> Arithmetic:
    """Parse an arithmetic expression; raises ExpressionSyntaxError with the offending position."""
    return Arithmetic(source, _Parser.read(source))
