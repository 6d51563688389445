"""show_if → XLSForm: conditions into XPath `relevant`, number bounds into `constraint`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...logic import Answered, BoolOp, Compare, ListOf, Node, Not, Ref, parse_condition
from ...logic import Literal as Value
from .fields import ExportField, Measure, Untranslatable, format_number

_XPATH_OPS = {"==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def to_xpath(show_if: str, fields: Mapping[str, ExportField]) -> str:
    """The XLSForm `relevant` expression equivalent to a `show_if` condition.

    `fields` maps each cxroi reference of an earlier question (`q`, or `q.row` for a grid row) to its XLSForm field.
    """
    return _Writer(fields).condition(parse_condition(show_if).tree)


class _Writer:
    def __init__(self, fields: Mapping[str, ExportField]) -> None:
        self.fields = fields

    def field(self, ref: Ref) -> ExportField:
        key = ref.question if ref.row is None else f"{ref.question}.{ref.row}"
        found = self.fields.get(key)
        if found is None:
            raise Untranslatable(f"{key!r} is not an earlier question or grid row")
        return found

    def single(self, ref: Ref) -> ExportField:
        found = self.field(ref)
        if found.kind == "grid":
            raise Untranslatable(f"{ref.question!r} is a grid: compare one of its rows, e.g. {ref.question}.<row>")
        return found

    def condition(self, node: Node) -> str:
        if isinstance(node, BoolOp):
            parts = []
            for operand in node.operands:
                text = self.condition(operand)
                if isinstance(operand, BoolOp) and operand.op != node.op:
                    text = f"({text})"
                parts.append(text)
            return f" {node.op} ".join(parts)
        if isinstance(node, Not):
            return f"not({self.condition(node.operand)})"
        if isinstance(node, Answered):
            found = self.field(node.ref)
            names = found.names[:1] if found.kind == "multi_row" else found.names  # a choice row: its question
            tests = [f"string-length(${{{name}}}) > 0" for name in names]
            return tests[0] if len(tests) == 1 else "(" + " or ".join(tests) + ")"
        if isinstance(node, Compare):
            if node.op in ("in", "not in"):
                text = self.membership(node)
                if node.op == "in":
                    return " and ".join([*self.answered_tests(node, everyone=False), text])
                # `not in` is false for an unanswered question in show_if, while XPath's not() would be true
                return " and ".join([*self.answered_tests(node, everyone=True), f"not({text})"])
            text = f"{self.operand(node.left)} {_XPATH_OPS[node.op]} {self.operand(node.right)}"
            # in XPath an empty answer differs from everything, and a choice row of an empty answer reads 0;
            # in show_if an unanswered question compares false
            tests = self.answered_tests(node, everyone=node.op == "!=")
            return "(" + " and ".join([*tests, text]) + ")" if tests else text
        raise Untranslatable("a condition must be a comparison, answered(…), or such conditions joined by and/or/not")

    def answered_tests(self, node: Compare, *, everyone: bool) -> list[str]:
        """`string-length(${q}) > 0` for the questions of a comparison that XPath would not leave false unanswered."""
        tests = []
        for side in (node.left, node.right):
            if isinstance(side, Ref):
                found = self.single(side)
                if everyone or found.kind == "multi_row":
                    tests.append(f"string-length(${{{found.names[0]}}}) > 0")
        return tests

    def operand(self, node: Node) -> str:
        if isinstance(node, Ref):
            found = self.single(node)
            if found.kind == "multi":
                raise Untranslatable(f"{node.question!r} is a set of choices: test one with 'code' in "
                                     f"{node.question} or {node.question}.code == 1")
            if found.kind == "multi_row":  # 1 when that choice is picked, as in the export column
                return f"number(selected(${{{found.names[0]}}}, {_xpath_literal(found.names[1])}))"
            return f"${{{found.names[0]}}}"
        if isinstance(node, Value):
            return _xpath_literal(node.value)
        raise Untranslatable("only a question, a number or a text can be compared")

    def membership(self, node: Compare) -> str:
        if isinstance(node.left, Ref) and isinstance(node.right, ListOf):
            found = self.single(node.left)
            if not node.right.items:
                raise Untranslatable("'in' needs at least one value")
            if found.kind == "multi":
                tests = [f"selected(${{{found.names[0]}}}, {self.operand(item)})" for item in node.right.items]
            else:
                tests = [f"{self.operand(node.left)} = {self.operand(item)}" for item in node.right.items]
            return tests[0] if len(tests) == 1 else "(" + " or ".join(tests) + ")"
        if isinstance(node.left, Value) and isinstance(node.right, Ref):
            found = self.single(node.right)
            if found.kind == "multi":
                return f"selected(${{{found.names[0]}}}, {_xpath_literal(node.left.value)})"
        raise Untranslatable("'in' works on a question and a list of values, or a value and a multi_choice question")


def _xpath_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true()" if value else "false()"
    if isinstance(value, (int, float)):
        return format_number(value)
    text = str(value)
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise Untranslatable("XPath has no way to write a text containing both ' and \"")


def write_bounds(lower: float | None, upper: float | None, measure: Measure) -> str:
    """The constraint expression read back by `read_bounds`; empty when neither bound is set."""
    subject = {"value": ".", "length": "string-length(.)", "count": "count-selected(.)"}[measure]
    parts = []
    if lower is not None:
        parts.append(f"{subject} >= {format_number(lower)}")
    if upper is not None:
        parts.append(f"{subject} <= {format_number(upper)}")
    return " and ".join(parts)
