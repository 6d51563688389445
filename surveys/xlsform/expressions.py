"""Translating conditions between cxroi's `show_if` language and XLSForm's XPath `relevant`/`constraint` columns.

Both directions cover a common subset: comparisons, `and`/`or`/`not`, `selected()` ↔ `in` for choices,
`string-length(${q}) > 0` ↔ `answered(q)`. What falls outside raises `Untranslatable`, which the reader and
writer report with the sheet, row and column it comes from; nothing is dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..logic import Answered, BoolOp, Compare, ListOf, Node, Not, Ref, parse_condition
from ..logic import Literal as Value

FieldKind = Literal["choice", "multi", "scale", "number", "text", "friction", "grid"]


class Untranslatable(ValueError):
    """An expression that has no equivalent on the other side; the message says which part."""


@dataclass(frozen=True)
class FieldRef:
    """What one XLSForm field is in cxroi terms: a question, or one row of a grid question."""

    question: str
    row: str | None
    kind: FieldKind
    codes: Mapping[str, str] = field(default_factory=dict)
    """XLSForm choice name → cxroi choice code, where the two differ (`1` → `c1`)."""

    @property
    def reference(self) -> str:
        return self.question if self.row is None else f"{self.question}.{self.row}"


# --- cxroi → XLSForm -------------------------------------------------------------------------------------------

_XPATH_OPS = {"==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass(frozen=True)
class ExportField:
    """A cxroi reference (`q` or `q.row`) as the writer sees it: the XLSForm names it stands for and its kind.

    A whole grid stands for all its rows (for `answered(grid)`); anything else for one name.
    """

    names: tuple[str, ...]
    kind: FieldKind


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

    def single(self, ref: Ref) -> tuple[str, FieldKind]:
        found = self.field(ref)
        if found.kind == "grid":
            raise Untranslatable(f"{ref.question!r} is a grid: compare one of its rows, e.g. {ref.question}.<row>")
        if found.kind == "friction":
            raise Untranslatable(f"a friction row ({ref.question}.{ref.row}) can only be tested with answered()")
        return found.names[0], found.kind

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
            names = self.field(node.ref).names
            tests = [f"string-length(${{{name}}}) > 0" for name in names]
            return tests[0] if len(tests) == 1 else "(" + " or ".join(tests) + ")"
        if isinstance(node, Compare):
            if node.op in ("in", "not in"):
                text = self.membership(node)
                if node.op == "in":
                    return text
                # `not in` is false for an unanswered question in show_if, while XPath's not() would be true
                return " and ".join([*self.answered_tests(node.left, node.right), f"not({text})"])
            text = f"{self.operand(node.left)} {_XPATH_OPS[node.op]} {self.operand(node.right)}"
            if node.op == "!=":  # in XPath an empty answer differs from everything; in show_if it compares false
                return "(" + " and ".join([text, *self.answered_tests(node.left, node.right)]) + ")"
            return text
        raise Untranslatable("a condition must be a comparison, answered(…), or such conditions joined by and/or/not")

    def answered_tests(self, *nodes: Node) -> list[str]:
        return [f"string-length(${{{self.single(node)[0]}}}) > 0" for node in nodes if isinstance(node, Ref)]

    def operand(self, node: Node) -> str:
        if isinstance(node, Ref):
            return f"${{{self.single(node)[0]}}}"
        if isinstance(node, Value):
            return _xpath_literal(node.value)
        raise Untranslatable("only a question, a number or a text can be compared")

    def membership(self, node: Compare) -> str:
        if isinstance(node.left, Ref) and isinstance(node.right, ListOf):
            name, kind = self.single(node.left)
            if not node.right.items:
                raise Untranslatable("'in' needs at least one value")
            if kind == "multi":
                tests = [f"selected(${{{name}}}, {self.operand(item)})" for item in node.right.items]
            else:
                tests = [f"${{{name}}} = {self.operand(item)}" for item in node.right.items]
            return tests[0] if len(tests) == 1 else "(" + " or ".join(tests) + ")"
        if isinstance(node.left, Value) and isinstance(node.right, Ref):
            name, kind = self.single(node.right)
            if kind == "multi":
                return f"selected(${{{name}}}, {_xpath_literal(node.left.value)})"
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


def format_number(value: float) -> str:
    """A number as XPath and the show_if language both read it: 4, not 4.0; 2.5 as 2.5."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


# --- XLSForm → cxroi -------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<field>\$\{[A-Za-z_][A-Za-z0-9_.\-]*\})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<op>!=|<=|>=|=|<|>|\(|\)|,)
  | (?P<name>[A-Za-z_][A-Za-z0-9_\-:]*|\.)
    """,
    re.VERBOSE,
)
_FUNCTIONS = {"not", "selected", "string-length", "count-selected", "true", "false"}


@dataclass(frozen=True)
class _X:
    """A node of the parsed XPath subset: kind is field | dot | number | string | bool | call | cmp | and | or."""

    kind: str
    value: Any = None
    args: tuple[_X, ...] = ()


class _XPathParser:
    def __init__(self, source: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(source):
            match = _TOKEN.match(source, pos)
            if match is None:
                raise Untranslatable(f"{source[pos:pos + 12]!r} is not part of what cxroi can translate")
            if match.lastgroup != "ws":
                self.tokens.append((match.lastgroup or "", match.group()))
            pos = match.end()
        self.tokens.append(("end", ""))
        self.index = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.index]

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        kind, found = self.take()
        if found != text:
            raise Untranslatable(f"expected {text!r}, found {found or 'the end'!r}")

    def parse(self) -> _X:
        node = self.boolean("or")
        if self.peek()[0] != "end":
            raise Untranslatable(f"{self.peek()[1]!r} is not part of what cxroi can translate")
        return node

    def boolean(self, op: str) -> _X:
        operands = [self.boolean("and") if op == "or" else self.comparison()]
        while self.peek() == ("name", op):
            self.take()
            operands.append(self.boolean("and") if op == "or" else self.comparison())
        return operands[0] if len(operands) == 1 else _X(op, args=tuple(operands))

    def comparison(self) -> _X:
        left = self.primary()
        kind, text = self.peek()
        if kind == "op" and text in ("=", "!=", "<", "<=", ">", ">="):
            self.take()
            return _X("cmp", text, (left, self.primary()))
        return left

    def primary(self) -> _X:
        kind, text = self.take()
        if kind == "field":
            return _X("field", text[2:-1])
        if kind == "number":
            return _X("number", float(text) if "." in text else int(text))
        if kind == "string":
            return _X("string", text[1:-1])
        if (kind, text) == ("name", "."):
            return _X("dot")
        if (kind, text) == ("op", "("):
            node = self.boolean("or")
            self.expect(")")
            return node
        if kind == "name" and self.peek() == ("op", "("):
            if text not in _FUNCTIONS:
                raise Untranslatable(f"the function {text}() has no cxroi equivalent")
            self.take()
            args: list[_X] = []
            if self.peek() != ("op", ")"):
                args.append(self.boolean("or"))
                while self.peek() == ("op", ","):
                    self.take()
                    args.append(self.boolean("or"))
            self.expect(")")
            if text in ("true", "false"):
                if args:
                    raise Untranslatable(f"{text}() takes no arguments")
                return _X("bool", text == "true")
            return _X("call", text, tuple(args))
        raise Untranslatable(f"{text or 'the end'!r} is not part of what cxroi can translate")


def parse_xpath(source: str) -> _X:
    """Parse the XPath subset cxroi understands; raises Untranslatable for anything else."""
    if not source.strip():
        raise Untranslatable("the expression is empty")
    return _XPathParser(source).parse()


class _Reader:
    def __init__(self, fields: Mapping[str, FieldRef]) -> None:
        self.fields = fields

    def field(self, node: _X) -> FieldRef:
        if node.kind != "field":
            raise Untranslatable("expected a question reference ${…}")
        found = self.fields.get(node.value)
        if found is None:
            raise Untranslatable(f"${{{node.value}}} is not an earlier question cxroi knows")
        return found

    def condition(self, node: _X, *, top: bool = True) -> str:
        if node.kind in ("and", "or"):
            parts = []
            for operand in node.args:
                text = self.condition(operand, top=False)
                if operand.kind in ("and", "or") and operand.kind != node.kind:
                    text = f"({text})"
                parts.append(text)
            return f" {node.kind} ".join(parts)
        if node.kind == "call" and node.value == "not":
            if len(node.args) != 1:
                raise Untranslatable("not() takes one condition")
            inner = self.condition(node.args[0], top=False)
            return f"not ({inner})" if node.args[0].kind in ("and", "or") or " " in inner else f"not {inner}"
        if node.kind == "call" and node.value == "selected":
            return self.selected(node)
        if node.kind == "cmp":
            return self.comparison(node)
        raise Untranslatable("a condition must be a comparison, selected(…), string-length(…) > 0 or not(…)")

    def selected(self, node: _X) -> str:
        if len(node.args) != 2 or node.args[1].kind not in ("string", "number"):
            raise Untranslatable("selected() takes a question and a choice name")
        ref = self.field(node.args[0])
        code = self.value(ref, node.args[1])
        if ref.kind == "multi":
            return f"{code} in {ref.reference}"
        if ref.kind in ("choice", "scale"):
            return f"{ref.reference} == {code}"
        raise Untranslatable(f"selected() on {ref.reference!r}, which is not a choice question")

    def comparison(self, node: _X) -> str:
        op = node.value
        left, right = node.args
        if left.kind == "call" and left.value == "string-length" and right.kind == "number":
            return self.length_test(left, op, right.value)
        if left.kind == "field" and right.kind == "string" and right.value == "" and op in ("=", "!="):
            ref = self.field(left)
            return f"answered({ref.reference})" if op == "!=" else f"not answered({ref.reference})"
        if op == "!=":  # XPath: an empty answer differs from everything, which is show_if's not (… == …)
            return f"not ({self.comparison(_X('cmp', '=', node.args))})"
        if left.kind == "field" and right.kind == "field":
            return f"{self.ref_text(left)} {_CXROI_OPS[op]} {self.ref_text(right)}"
        if left.kind == "field":
            ref = self.field(left)
            return f"{self.ref_text(left)} {_CXROI_OPS[op]} {self.value(ref, right)}"
        if right.kind == "field":
            ref = self.field(right)
            return f"{self.value(ref, left)} {_CXROI_OPS[op]} {self.ref_text(right)}"
        for side in (left, right):
            if side.kind == "call":
                raise Untranslatable(f"{side.value}() has no show_if equivalent in a comparison")
        raise Untranslatable("a comparison needs a question ${…} on one side")

    def length_test(self, call: _X, op: str, number: Any) -> str:
        if len(call.args) != 1:
            raise Untranslatable("string-length() takes one question")
        ref = self.field(call.args[0])
        if (op, number) in ((">", 0), (">=", 1), ("!=", 0)):
            return f"answered({ref.reference})"
        if (op, number) in (("=", 0), ("<", 1), ("<=", 0)):
            return f"not answered({ref.reference})"
        raise Untranslatable("string-length() is only translated when it tests for an answer (> 0 or = 0)")

    def ref_text(self, node: _X) -> str:
        ref = self.field(node)
        if ref.kind in ("multi", "grid", "friction"):
            raise Untranslatable(f"${{{node.value}}} cannot be compared directly; use selected() or string-length()")
        return ref.reference

    def value(self, ref: FieldRef, node: _X) -> str:
        if node.kind not in ("string", "number", "bool"):
            raise Untranslatable("expected a number or a quoted value")
        if node.kind == "bool":
            return "true" if node.value else "false"
        if ref.kind in ("choice", "multi"):
            name = node.value if node.kind == "string" else format_number(node.value)
            return _cxroi_string(ref.codes.get(name, name))
        if ref.kind in ("scale", "number"):
            if node.kind == "number":
                return format_number(node.value)
            try:
                return format_number(float(node.value))
            except ValueError:
                raise Untranslatable(f"{ref.reference!r} is a number, compared with the text {node.value!r}") from None
        return _cxroi_string(str(node.value))


_CXROI_OPS = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _cxroi_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def to_show_if(relevant: str, fields: Mapping[str, FieldRef]) -> str:
    """The `show_if` condition equivalent to an XLSForm `relevant` expression.

    `fields` maps XLSForm names of earlier questions (and grid rows) to what they are in cxroi.
    """
    text = _Reader(fields).condition(parse_xpath(relevant))
    parse_condition(text)  # what we produce must be valid show_if; a failure here is a bug, not bad input
    return text


# --- constraints -------------------------------------------------------------------------------------------------


def read_bounds(constraint: str, measure: Literal["value", "length", "count"]) -> tuple[float | None, float | None]:
    """(lower, upper) from a constraint of the form `. >= a and . <= b` (either part optional).

    `measure` says what is bounded: the value itself (`.`), `string-length(.)` or `count-selected(.)`.
    """
    node = parse_xpath(constraint)
    parts = node.args if node.kind == "and" else (node,)
    lower: float | None = None
    upper: float | None = None
    for part in parts:
        if part.kind != "cmp" or part.value not in (">=", "<=") or part.args[1].kind != "number":
            raise Untranslatable("only bounds of the form . >= a and . <= b are translated")
        if not _is_measure(part.args[0], measure):
            raise Untranslatable("only bounds of the form . >= a and . <= b are translated")
        if part.value == ">=":
            if lower is not None:
                raise Untranslatable("the lower bound is given twice")
            lower = part.args[1].value
        else:
            if upper is not None:
                raise Untranslatable("the upper bound is given twice")
            upper = part.args[1].value
    return lower, upper


def _is_measure(node: _X, measure: str) -> bool:
    if measure == "value":
        return node.kind == "dot"
    function = "string-length" if measure == "length" else "count-selected"
    return node.kind == "call" and node.value == function and len(node.args) == 1 and node.args[0].kind == "dot"


def write_bounds(lower: float | None, upper: float | None, measure: Literal["value", "length", "count"]) -> str:
    """The constraint expression read back by `read_bounds`; empty when neither bound is set."""
    subject = {"value": ".", "length": "string-length(.)", "count": "count-selected(.)"}[measure]
    parts = []
    if lower is not None:
        parts.append(f"{subject} >= {format_number(lower)}")
    if upper is not None:
        parts.append(f"{subject} <= {format_number(upper)}")
    return " and ".join(parts)
