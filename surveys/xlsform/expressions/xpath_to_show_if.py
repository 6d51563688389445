"""XLSForm → show_if: XPath `relevant` into conditions, `constraint` into number bounds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...logic import ConditionSyntaxError, parse_condition
from .fields import FieldRef, Measure, Untranslatable, format_number
from .xpath_parser import XNode, parse_xpath


class _Reader:
    def __init__(self, fields: Mapping[str, FieldRef]) -> None:
        self.fields = fields

    def field(self, node: XNode) -> FieldRef:
        if node.kind != "field":
            raise Untranslatable("expected a question reference ${…}")
        found = self.fields.get(node.value)
        if found is None:
            raise Untranslatable(f"${{{node.value}}} is not an earlier question cxroi knows")
        return found

    def condition(self, node: XNode, *, top: bool = True) -> str:
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

    def selected(self, node: XNode) -> str:
        if len(node.args) != 2 or node.args[1].kind not in ("string", "number"):
            raise Untranslatable("selected() takes a question and a choice name")
        ref = self.field(node.args[0])
        code = self.value(ref, node.args[1])
        if ref.kind == "multi":
            return f"{code} in {ref.reference}"
        if ref.kind in ("choice", "scale", "friction"):
            return f"{ref.reference} == {code}"
        raise Untranslatable(f"selected() on {ref.reference!r}, which is not a choice question")

    def comparison(self, node: XNode) -> str:
        op = node.value
        left, right = node.args
        if left.kind == "call" and left.value == "string-length" and right.kind == "number":
            return self.length_test(left, op, right.value)
        if left.kind == "field" and right.kind == "string" and right.value == "" and op in ("=", "!="):
            ref = self.field(left)
            return f"answered({ref.reference})" if op == "!=" else f"not answered({ref.reference})"
        if op == "!=":  # XPath: an empty answer differs from everything, which is show_if's not (… == …)
            return f"not ({self.comparison(XNode('cmp', '=', node.args))})"
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

    def length_test(self, call: XNode, op: str, number: Any) -> str:
        if len(call.args) != 1:
            raise Untranslatable("string-length() takes one question")
        ref = self.field(call.args[0])
        if (op, number) in ((">", 0), (">=", 1), ("!=", 0)):
            return f"answered({ref.reference})"
        if (op, number) in (("=", 0), ("<", 1), ("<=", 0)):
            return f"not answered({ref.reference})"
        raise Untranslatable("string-length() is only translated when it tests for an answer (> 0 or = 0)")

    def ref_text(self, node: XNode) -> str:
        ref = self.field(node)
        if ref.kind in ("multi", "grid"):
            raise Untranslatable(f"${{{node.value}}} cannot be compared directly; use selected() or string-length()")
        return ref.reference

    def value(self, ref: FieldRef, node: XNode) -> str:
        if node.kind not in ("string", "number", "bool"):
            raise Untranslatable("expected a number or a quoted value")
        if node.kind == "bool":
            return "true" if node.value else "false"
        if ref.kind in ("choice", "multi"):
            name = node.value if node.kind == "string" else format_number(node.value)
            return _cxroi_string(ref.codes.get(name, name))
        if ref.kind in ("scale", "number", "friction"):  # a friction row reads 1 (hesitated) or 0
            name = node.value if node.kind == "string" else format_number(node.value)
            if name in ref.codes:  # a choice list read as a scale: the choice's point
                return ref.codes[name]
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
    try:
        parse_condition(text)  # what we produce must be valid show_if
    except ConditionSyntaxError as error:  # e.g. a reference that is not a cxroi id: say so, never a traceback
        raise Untranslatable(f"gives {text!r}, which is not a valid show_if: {error}") from None
    return text




def read_bounds(constraint: str, measure: Measure) -> tuple[float | None, float | None]:
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


def _is_measure(node: XNode, measure: str) -> bool:
    if measure == "value":
        return node.kind == "dot"
    function = "string-length" if measure == "length" else "count-selected"
    return node.kind == "call" and node.value == function and len(node.args) == 1 and node.args[0].kind == "dot"
