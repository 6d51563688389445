"""The report's content, independent of the output format: sections of plain-text blocks, tables and figures.

Section builders turn results.json into these blocks; `pdf` and `html` render the same blocks, so both outputs
say the same thing. Text here is plain (never markup): each renderer escapes it, which is what keeps a
respondent's `<b>` or `<script>` printing as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from reportlab.graphics.shapes import Drawing

TextKind = Literal["body", "headline", "warning", "note", "small"]


@dataclass(frozen=True)
class Text:
    text: str
    kind: TextKind = "body"


@dataclass(frozen=True)
class Bullets:
    items: Sequence[str]


@dataclass(frozen=True)
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    numeric: tuple[int, ...] = ()
    """Indexes of right-aligned (number) columns."""
    widths: tuple[float, ...] | None = None
    """Relative column widths (summing to about 1), or None for equal shares."""
    caption: str | None = None
    split_rows: bool = False
    """Let a row continue on the next page (for cells that can be longer than a page, such as comments);
    otherwise a row moves whole to the next page, which reads better."""


@dataclass(frozen=True)
class Figure:
    drawing: Drawing
    caption: str
    """Says what the chart shows in words, for readers of the HTML with a screen reader and for print."""


@dataclass(frozen=True)
class Subheading:
    text: str


Block = Text | Bullets | Table | Figure | Subheading


@dataclass(frozen=True)
class Section:
    title: str
    blocks: Sequence[Block]
    new_page: bool = True


@dataclass(frozen=True)
class Report:
    title: str
    survey: str
    """Survey name and version, e.g. "How are we doing? (acme_relationship, version 3)"."""
    sources: Sequence[tuple[str, str]]
    """(file name, sha256) of every data source."""
    date: str
    sections: Sequence[Section] = field(default_factory=tuple)
