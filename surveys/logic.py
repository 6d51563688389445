"""The `show_if` condition language: a small, safe expression language parsed without `eval`.

Grammar (keywords are lower case)::

    expr       := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := operand [ ("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") operand ]
    operand    := NUMBER | STRING | "true" | "false" | REF | "answered" "(" REF ")"
                | "[" [operand ("," operand)*] "]" | "(" expr ")"
    REF        := question_id ["." row_id]

A REF names an earlier question (or one row of a grid question). An unanswered question
compares false with everything, so `not (ces >= 5)` is true for a respondent who skipped `ces`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .syntax import Parser, Reference, found

__all__ = ["Condition", "ConditionSyntaxError", "parse_condition"]


class ConditionSyntaxError(ValueError):
    """A `show_if` expression that does not parse; `position` is the 0-based character offset."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.position = position


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)?)
    """,
    re.VERBOSE,
)
_KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "answered"})
_COMPARATORS = {"==", "!=", "<", "<=", ">", ">=", "in", "not in"}


# --- syntax tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: Any


Ref = Reference
"""A question id, or one row of a grid question (`q.row`): the reference both languages share."""


@dataclass(frozen=True)
class Answered:
    ref: Ref


@dataclass(frozen=True)
class ListOf:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Compare:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Node, ...]


Node = Literal | Ref | Answered | ListOf | Compare | Not | BoolOp


MAX_NESTING = 50
"""Deepest nesting of brackets and `not`s: far beyond any real condition, well within Python's recursion limit."""


class _Parser(Parser[Node]):
    pattern = _TOKEN
    keywords = _KEYWORDS
    error = ConditionSyntaxError
    noun = "condition"
    max_nesting = MAX_NESTING

    def expression(self) -> Node:
        return self.or_expr()

    def or_expr(self) -> Node:
        operands = [self.and_expr()]
        while self.peek().text == "or" and self.peek().kind == "keyword":
            self.take()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def and_expr(self) -> Node:
        operands = [self.not_expr()]
        while self.peek().text == "and" and self.peek().kind == "keyword":
            self.take()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def not_expr(self) -> Node:
        if self.peek().kind == "keyword" and self.peek().text == "not":
            with self.nested(self.take()):
                return Not(self.not_expr())
        return self.comparison()

    def comparison(self) -> Node:
        left = self.operand()
        token = self.peek()
        op = token.text
        if token.kind == "keyword" and op == "not":
            self.take()
            if self.peek().text != "in":
                raise ConditionSyntaxError("expected 'in' after 'not'", self.peek().position)
            op = "not in"
        elif not (op in _COMPARATORS and token.kind in ("op", "keyword")):
            return left
        self.take()
        return Compare(op, left, self.operand())

    def operand(self) -> Node:
        token = self.take()
        if token.kind == "number":
            return Literal(float(token.text) if "." in token.text else int(token.text))
        if token.kind == "string":
            # latin-1 with backslashreplace: escapes are decoded while non-ASCII letters stay as written
            return Literal(token.text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape"))
        if token.kind == "keyword" and token.text in ("true", "false"):
            return Literal(token.text == "true")
        if token.kind == "keyword" and token.text == "answered":
            self.expect("(")
            ref = self.take()
            if ref.kind != "name":
                raise ConditionSyntaxError("answered() takes a question id", ref.position)
            self.expect(")")
            return Answered(Ref.named(ref.text))
        if token.kind == "name":
            return Ref.named(token.text)
        if token.text == "(":
            with self.nested(token):
                node = self.or_expr()
                self.expect(")")
            return node
        if token.text == "[":
            with self.nested(token):
                items: list[Node] = []
                if self.peek().text != "]":
                    items.append(self.operand())
                    while self.peek().text == ",":
                        self.take()
                        items.append(self.operand())
                self.expect("]")
            return ListOf(tuple(items))
        raise ConditionSyntaxError(f"expected a value or question id, found {found(token)!r}", token.position)


# --- evaluation --------------------------------------------------------------------------------


def _value(node: Node, answers: Mapping[str, Any]) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Ref):
        return node.read(answers)
    if isinstance(node, ListOf):
        return [_value(item, answers) for item in node.items]
    return _truth(node, answers)


def _is_answered(value: Any) -> bool:
    if value is None or value == []:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, Mapping):
        return any(_is_answered(v) for v in value.values())
    return True


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    if op in ("in", "not in"):
        if not isinstance(right, (list, tuple)):
            return False
        # a multi-choice answer on the left matches when any of its choices is in the list
        found = any(item in right for item in left) if isinstance(left, (list, tuple)) else left in right
        return found if op == "in" else not found
    try:
        if op == "==":
            return bool(left == right)
        if op == "!=":
            return bool(left != right)
        if op == "<":
            return bool(left < right)
        if op == "<=":
            return bool(left <= right)
        if op == ">":
            return bool(left > right)
        return bool(left >= right)
    except TypeError:  # e.g. a number compared with a string: not true, never an error
        return False


def _truth(node: Node, answers: Mapping[str, Any]) -> bool:
    if isinstance(node, BoolOp):
        results = (_truth(operand, answers) for operand in node.operands)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, Not):
        return not _truth(node.operand, answers)
    if isinstance(node, Compare):
        return _compare(node.op, _value(node.left, answers), _value(node.right, answers))
    if isinstance(node, Answered):
        return _is_answered(_value(node.ref, answers))
    return bool(_value(node, answers))


def _refs(node: Node) -> Iterator[Ref]:
    if isinstance(node, Ref):
        yield node
    elif isinstance(node, Answered):
        yield node.ref
    elif isinstance(node, ListOf):
        for item in node.items:
            yield from _refs(item)
    elif isinstance(node, Compare):
        yield from _refs(node.left)
        yield from _refs(node.right)
    elif isinstance(node, Not):
        yield from _refs(node.operand)
    elif isinstance(node, BoolOp):
        for operand in node.operands:
            yield from _refs(operand)


@dataclass(frozen=True)
class Condition:
    """A parsed `show_if` expression."""

    source: str
    tree: Node

    def references(self) -> list[tuple[str, str | None]]:
        """(question id, row id or None) for every question the condition reads, in order."""
        return [(ref.question, ref.row) for ref in _refs(self.tree)]

    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        """True when the question should be shown, given the answers so far."""
        return _truth(self.tree, answers)


@lru_cache(maxsize=4096)
def parse_condition(source: str) -> Condition:
    """Parse a `show_if` expression; raises ConditionSyntaxError with the offending position. Kept per source
    text (a condition is immutable): every respondent's page asks for the same few conditions again."""
    return Condition(source, _Parser.read(source))
