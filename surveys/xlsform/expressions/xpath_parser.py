"""The subset of XPath that cxroi translates, parsed into a small tree; anything else is Untranslatable."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .fields import Untranslatable

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
class XNode:
    """A node of the parsed XPath subset: kind is field | dot | number | string | bool | call | cmp | and | or."""

    kind: str
    value: Any = None
    args: tuple[XNode, ...] = ()


class XNodePathParser:
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

    def parse(self) -> XNode:
        node = self.boolean("or")
        if self.peek()[0] != "end":
            raise Untranslatable(f"{self.peek()[1]!r} is not part of what cxroi can translate")
        return node

    def boolean(self, op: str) -> XNode:
        operands = [self.boolean("and") if op == "or" else self.comparison()]
        while self.peek() == ("name", op):
            self.take()
            operands.append(self.boolean("and") if op == "or" else self.comparison())
        return operands[0] if len(operands) == 1 else XNode(op, args=tuple(operands))

    def comparison(self) -> XNode:
        left = self.primary()
        kind, text = self.peek()
        if kind == "op" and text in ("=", "!=", "<", "<=", ">", ">="):
            self.take()
            return XNode("cmp", text, (left, self.primary()))
        return left

    def primary(self) -> XNode:
        kind, text = self.take()
        if kind == "field":
            return XNode("field", text[2:-1])
        if kind == "number":
            return XNode("number", float(text) if "." in text else int(text))
        if kind == "string":
            return XNode("string", text[1:-1])
        if (kind, text) == ("name", "."):
            return XNode("dot")
        if (kind, text) == ("op", "("):
            node = self.boolean("or")
            self.expect(")")
            return node
        if kind == "name" and self.peek() == ("op", "("):
            if text not in _FUNCTIONS:
                raise Untranslatable(f"the function {text}() has no cxroi equivalent")
            self.take()
            args: list[XNode] = []
            if self.peek() != ("op", ")"):
                args.append(self.boolean("or"))
                while self.peek() == ("op", ","):
                    self.take()
                    args.append(self.boolean("or"))
            self.expect(")")
            if text in ("true", "false"):
                if args:
                    raise Untranslatable(f"{text}() takes no arguments")
                return XNode("bool", text == "true")
            return XNode("call", text, tuple(args))
        raise Untranslatable(f"{text or 'the end'!r} is not part of what cxroi can translate")


def parse_xpath(source: str) -> XNode:
    """Parse the XPath subset cxroi understands; raises Untranslatable for anything else."""
    if not source.strip():
        raise Untranslatable("the expression is empty")
    try:
        return XNodePathParser(source).parse()
    except RecursionError:
        raise Untranslatable("the expression is nested too deeply") from None
