"""Translating a calculated value's arithmetic (`surveys.expressions`) to and from an XLSForm `calculation`.

The common subset: numbers, `${field}` references, `+ - *`, `div` (cxroi's `/`), unary minus and brackets.
Anything else in a calculation (functions such as `if()`, `coalesce()`, `mod`, text) raises `Untranslatable`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ...expressions import Negative, Number, Reference, Term, parse_arithmetic
from .fields import ExportField, FieldRef, Untranslatable, format_number

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
_XPATH_TOKEN = re.compile(r"\s+|\$\{(?P<field>[^}]+)\}|(?P<number>\d+(?:\.\d+)?)|(?P<op>[-+*()])|(?P<div>div\b)")


def to_calculation(expression: str, fields: Mapping[str, ExportField]) -> str:
    """The XLSForm `calculation` of a cxroi arithmetic expression; `fields` names what each reference is."""
    return _written(parse_arithmetic(expression).tree, fields)


def _written(term: Term, fields: Mapping[str, ExportField], parent: int = 0, right: bool = False) -> str:
    if isinstance(term, Number):
        return format_number(term.value)
    if isinstance(term, Reference):
        reference = term.question if term.row is None else f"{term.question}.{term.row}"
        field = fields.get(reference)
        if field is None or len(field.names) != 1 or field.kind in ("grid", "multi", "multi_row"):
            raise Untranslatable(f"{reference!r} cannot be read as a number in XLSForm")
        return f"${{{field.names[0]}}}"
    if isinstance(term, Negative):
        return f"-{_written(term.operand, fields, 3)}"
    own = _PRECEDENCE[term.op]
    text = (f"{_written(term.left, fields, own)} {'div' if term.op == '/' else term.op} "
            f"{_written(term.right, fields, own, right=True)}")
    return f"({text})" if own < parent or (right and own == parent) else text


def from_calculation(calculation: str, fields: Mapping[str, FieldRef]) -> str:
    """The cxroi arithmetic of an XLSForm `calculation`; `fields` maps XLSForm names to what they are in cxroi (a
    name it does not know is read as the id of that name)."""
    parts: list[str] = []
    position = 0
    source = calculation.strip()
    while position < len(source):
        match = _XPATH_TOKEN.match(source, position)
        if match is None:
            raise Untranslatable(f"only numbers, ${{field}}, + - * div and brackets can be read, not "
                                 f"{source[position:position + 20]!r}")
        position = match.end()
        if match.group("field"):
            name = match.group("field").strip()
            known = fields.get(name)
            parts.append(known.reference if known is not None else name)
        elif match.group("number"):
            parts.append(match.group("number"))
        elif match.group("op") == "-" and (not parts or parts[-1] in ("(", "+", "-", "*", "/", "-u")):
            parts.append("-u")  # unary minus: written against its operand
        elif match.group("op"):
            parts.append(match.group("op"))
        elif match.group("div"):
            parts.append("/")
    text = " ".join(parts).replace("( ", "(").replace(" )", ")").replace("-u ", "-")
    try:
        parse_arithmetic(text)
    except ValueError as error:
        raise Untranslatable(str(error)) from None
    return text
