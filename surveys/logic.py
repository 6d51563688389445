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
from typing import Any

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
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "answered"}
_COMPARATORS = {"==", "!=", "<", "<=", ">", ">=", "in", "not in"}


@dataclass(frozen=True)
class _Token:
    kind: str  # number | string | op | name | keyword | end
    text: str
    position: int


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            raise ConditionSyntaxError(f"unexpected character {source[pos]!r}", pos)
        kind = match.lastgroup or ""
        text = match.group()
        if kind != "ws":
            if kind == "name" and text in _KEYWORDS:
                kind = "keyword"
            tokens.append(_Token(kind, text, pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(source)))
    return tokens


# --- syntax tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Ref:
    question: str
    row: str | None


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


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokenize(source)
        self.index = 0
        self.depth = 0

    def deeper(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ConditionSyntaxError(f"the condition is nested more than {MAX_NESTING} levels deep", token.position)

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, text: str) -> _Token:
        token = self.take()
        if token.text != text:
            raise ConditionSyntaxError(f"expected {text!r}, found {token.text or 'end of expression'!r}", token.position)
        return token

    def parse(self) -> Node:
        node = self.or_expr()
        token = self.peek()
        if token.kind != "end":
            raise ConditionSyntaxError(f"unexpected {token.text!r}", token.position)
        return node

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
            self.deeper(self.take())
            node = Not(self.not_expr())
            self.depth -= 1
            return node
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
            return Answered(_ref(ref.text))
        if token.kind == "name":
            return _ref(token.text)
        if token.text == "(":
            self.deeper(token)
            node = self.or_expr()
            self.expect(")")
            self.depth -= 1
            return node
        if token.text == "[":
            self.deeper(token)
            items: list[Node] = []
            if self.peek().text != "]":
                items.append(self.operand())
                while self.peek().text == ",":
                    self.take()
                    items.append(self.operand())
            self.expect("]")
            self.depth -= 1
            return ListOf(tuple(items))
        found = token.text or "end of expression"
        raise ConditionSyntaxError(f"expected a value or question id, found {found!r}", token.position)


def _ref(text: str) -> Ref:
    question, _, row = text.partition(".")
    return Ref(question, row or None)


# --- evaluation --------------------------------------------------------------------------------


def _value(node: Node, answers: Mapping[str, Any]) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Ref):
        value = answers.get(node.question)
        if node.row is not None:
            # rows read as in the export columns: a multi-choice code and a friction row are 1/0
            if isinstance(value, (list, tuple)):
                value = int(node.row in value)
            else:
                value = value.get(node.row) if isinstance(value, Mapping) else None
                if isinstance(value, Mapping) and "hesitated" in value:
                    value = int(value["hesitated"])
        return value
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


def parse_condition(source: str) -> Condition:
    """Parse a `show_if` expression; raises ConditionSyntaxError with the offending position."""
    if not source or not source.strip():
        raise ConditionSyntaxError("the condition is empty", 0)
    return Condition(source, _Parser(source).parse())
