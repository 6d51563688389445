"""What the two small languages of a definition share: `show_if` conditions (surveys/logic.py) and `calculate`
arithmetic (surveys/expressions.py).

* `tokenize`: the source as tokens, by the language's own pattern (its groups name the kinds; `ws` is dropped),
  names that are the language's keywords marked as such, and an `end` token;
* `Parser`: the recursive-descent parser's cursor over those tokens (peek, take, expect), its nesting limit and
  the messages both languages word alike; each language subclasses it with its grammar;
* `Reference`: what `q` and `q.row` name in either language, and the value they read in the answers.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

Tree = TypeVar("Tree")


@dataclass(frozen=True)
class Token:
    kind: str  # a group of the language's pattern (number, string, op, name …), keyword, or end
    text: str
    position: int  # 0-based character offset in the source


def tokenize(source: str, pattern: re.Pattern[str], error: type[ValueError],
             keywords: Collection[str] = ()) -> list[Token]:
    """The tokens of `source`; `error(message, position)` at the first character the pattern does not match."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        match = pattern.match(source, pos)
        if match is None:
            raise error(f"unexpected character {source[pos]!r}", pos)
        kind = match.lastgroup or ""
        text = match.group()
        if kind != "ws":
            tokens.append(Token("keyword" if kind == "name" and text in keywords else kind, text, pos))
        pos = match.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


class Parser(Generic[Tree]):
    """The cursor of a language's parser over the tokens of one source. A subclass names its token `pattern`,
    `keywords`, `error` class (built from a message and a 0-based position), the `noun` its messages use and its
    `max_nesting`, and writes its grammar from `expression`, its top rule, down."""

    pattern: ClassVar[re.Pattern[str]]
    keywords: ClassVar[Collection[str]] = ()
    error: ClassVar[type[ValueError]]
    noun: ClassVar[str]
    max_nesting: ClassVar[int]

    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source, self.pattern, self.error, self.keywords)
        self.index = 0
        self.depth = 0

    @classmethod
    def read(cls, source: str) -> Tree:
        """The syntax tree of `source`; the language's error when it is empty or does not parse."""
        if not source or not source.strip():
            raise cls.error(f"the {cls.noun} is empty", 0)
        return cls(source).parse()

    def parse(self) -> Tree:
        tree = self.expression()
        token = self.peek()
        if token.kind != "end":
            raise self.error(f"unexpected {token.text!r}", token.position)
        return tree

    def expression(self) -> Tree:
        raise NotImplementedError

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, text: str) -> Token:
        token = self.take()
        if token.text != text:
            raise self.error(f"expected {text!r}, found {found(token)!r}", token.position)
        return token

    @contextmanager
    def nested(self, token: Token) -> Iterator[None]:
        """One level deeper (a bracket, a `not`, a minus sign) from `token`, within `max_nesting`: deep nesting
        is bad input, not a RecursionError."""
        self.depth += 1
        if self.depth > self.max_nesting:
            raise self.error(f"the {self.noun} is nested more than {self.max_nesting} levels deep", token.position)
        yield
        self.depth -= 1


def found(token: Token) -> str:
    """The token as an error message names what was found instead."""
    return token.text or "end of expression"


@dataclass(frozen=True)
class Reference:
    """`q` or `q.row` in either language: an earlier question (or calculated value), or one row of it."""

    question: str
    row: str | None

    @classmethod
    def named(cls, text: str) -> Reference:
        question, _, row = text.partition(".")
        return cls(question, row or None)

    def read(self, answers: Mapping[str, Any]) -> Any:
        """The answer to the question, or its row as in the export columns — a grid row's answer, a multi-choice
        code 1/0, a friction row's hesitation 1/0 (None when there is none)."""
        value = answers.get(self.question)
        if self.row is None:
            return value
        if isinstance(value, (list, tuple)):
            return int(self.row in value)
        value = value.get(self.row) if isinstance(value, Mapping) else None
        if isinstance(value, Mapping) and "hesitated" in value:
            value = int(value["hesitated"])
        return value
