"""The vocabulary shared by both directions of the condition translation: what an XLSForm field is in cxroi."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

FieldKind = Literal["choice", "multi", "multi_row", "scale", "number", "text", "friction", "grid"]
"""How conditions read a field: a choice code, a set of codes, one code of a set (1/0), a number, text, a friction
row (1/0), or a whole grid (only `answered`)."""
Measure = Literal["value", "length", "count"]
"""What a constraint bounds: the value itself (`.`), `string-length(.)` or `count-selected(.)`."""


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


@dataclass(frozen=True)
class ExportField:
    """A cxroi reference (`q` or `q.row`) as the writer sees it: the XLSForm names it stands for and its kind.

    A whole grid stands for all its rows (for `answered(grid)`); one choice of a multi choice (`q.code`, kind
    multi_row) for (question name, choice name); anything else for one name.
    """

    names: tuple[str, ...]
    kind: FieldKind


def format_number(value: float) -> str:
    """A number as XPath and the show_if language both read it: 4, not 4.0; 2.5 as 2.5."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)
