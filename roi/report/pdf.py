"""Render the report's content blocks as a PDF through `ReportDocument`.

All text passes through `xml.sax.saxutils.escape` before it becomes a reportlab Paragraph, because Paragraph
parses markup: a respondent's `<b>` must print as the four characters, not turn the text bold.
"""

from __future__ import annotations

import io
from typing import IO
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
)
from reportlab.platypus import Table as PdfTable
from reportlab.platypus.doctemplate import LayoutError

from .content import Block, Bullets, Figure, Report, Section, Subheading, Table, Text
from .document import HEADER_GAP, MARGIN, Furniture, ReportDocument
from .styles import BULLET, CELL, CELL_BOLD, H1, H2, PARAGRAPH_STYLES, SMALL, SUBTITLE, TITLE, table_style

FRAME_WIDTH = A4[0] - 2 * MARGIN
FRAME_HEIGHT = A4[1] - 2 * (MARGIN + HEADER_GAP)


def markup(text: str) -> str:
    """Plain text as Paragraph markup: escaped, with line breaks kept."""
    return escape(str(text)).replace("\n", "<br/>")


def _cell(text: str, *, header: bool, numeric: bool) -> Paragraph:
    style = CELL_BOLD if header else CELL
    if numeric:
        style = style.clone(style.name + "_right", alignment=2)
    return Paragraph(markup(text), style)


CELL_PADDING = 12.0
"""Left plus right padding of a table cell (reportlab's default 6 + 6 points)."""


def _longest_word(texts: list[str], font: str, *, whole: bool = False) -> float:
    """The widest word of the texts (or the widest text, `whole`) in the cell font, in points."""
    pieces = (piece for text in texts for piece in ([str(text)] if whole else str(text).split()))
    return max((stringWidth(piece, font, CELL.fontSize) for piece in pieces), default=0.0)


def fitted_widths(block: Table) -> list[float]:
    """Column widths in points: the block's shares of the frame, widened where a column's longest word (a
    header such as "Hazard") or a number column's longest cell ("<0.001", "-0.031 to -0.022": numbers are not
    wrapped) would otherwise be broken, the room taken from columns with more than they need. A word or
    number longer than a third of the frame may still break."""
    columns = len(block.header)
    shares = block.widths or tuple(1 / columns for _ in range(columns))
    widths = [share * FRAME_WIDTH for share in shares]
    needs = [min(FRAME_WIDTH / 3, CELL_PADDING + 1 + max(
        _longest_word([block.header[i]], CELL_BOLD.fontName),
        _longest_word([row[i] for row in block.rows if i < len(row)], CELL.fontName, whole=i in block.numeric)))
        for i in range(columns)]
    deficit = sum(max(0.0, need - width) for need, width in zip(needs, widths, strict=True))
    slack = [max(0.0, width - need) for need, width in zip(needs, widths, strict=True)]
    if deficit <= 0 or sum(slack) <= 0:
        return widths
    taken, given = min(1.0, deficit / sum(slack)), min(1.0, sum(slack) / deficit)  # the total stays the same
    return [width + (need - width) * given if need > width else width - spare * taken
            for need, width, spare in zip(needs, widths, slack, strict=True)]


def _table(block: Table, *, split_rows: bool = False) -> list[Flowable]:
    data = [[_cell(h, header=True, numeric=i in block.numeric) for i, h in enumerate(block.header)]]
    for row in block.rows:
        data.append([_cell(value, header=False, numeric=i in block.numeric) for i, value in enumerate(row)])
    table = PdfTable(data, colWidths=fitted_widths(block), repeatRows=1, hAlign="LEFT",
                     splitInRow=1 if block.split_rows or split_rows else 0)
    table.setStyle(table_style(block.numeric))
    parts: list[Flowable] = [table]
    if block.caption:
        parts.append(Paragraph(markup(block.caption), SMALL))
    parts.append(Spacer(1, 6))
    _, tall = table.wrapOn(_MEASURE, FRAME_WIDTH, FRAME_HEIGHT)
    if tall <= FRAME_HEIGHT * SHORT_TABLE:  # a short table is not split, so no page ends on a header and a row
        return [CondPageBreak(tall + 1), *parts]
    return parts


SHORT_TABLE = 0.35
"""A table at most this share of the frame tall moves whole to the next page rather than split."""


def _figure(block: Figure) -> Flowable:
    # Charts are built narrower than the frame (460 pt of 493), so they are placed as they are.
    return KeepTogether([block.drawing, Paragraph(markup(block.caption), SMALL), Spacer(1, 6)])


def _block(block: Block, *, split_rows: bool = False) -> list[Flowable]:
    if isinstance(block, Text):
        return [Paragraph(markup(block.text), PARAGRAPH_STYLES[block.kind])]
    if isinstance(block, Bullets):
        return [Paragraph(markup(item), BULLET, bulletText="•") for item in block.items]
    if isinstance(block, Table):
        return _table(block, split_rows=split_rows)
    if isinstance(block, Figure):
        return [_figure(block)]
    return [CondPageBreak(60), Paragraph(markup(block.text), H2)]


KEEP_WITH_HEADING = 160.0
"""A heading moves to the next page unless this much of what follows it fits below it (points)."""

SECTION_ROOM = 0.4
"""A section starts on the page in progress when at least this share of the frame is left, else on a new
page: no page ends with a few lines followed by white space, and none is left blank."""


_MEASURE = Canvas(io.BytesIO())
"""A scratch canvas to measure flowables on before layout (nothing is drawn on it)."""


def _with_next(heading: list[Flowable], following: list[Flowable]) -> list[Flowable]:
    """A heading kept with the start of what follows it: the whole of a short block (a figure, a small
    table), else the heading needs KEEP_WITH_HEADING points below it, so it never ends a page alone."""
    kept: list[Flowable] = []
    height = 0.0
    for flowable in following:
        _, tall = flowable.wrapOn(_MEASURE, FRAME_WIDTH, FRAME_HEIGHT)
        if height + tall > FRAME_HEIGHT * 0.6:
            break
        kept.append(flowable)
        height += tall
        if height >= KEEP_WITH_HEADING:
            break
    if not kept and following:  # what follows is too tall to keep whole: the heading needs room below it
        return [CondPageBreak(KEEP_WITH_HEADING), *heading, *following]
    return [KeepTogether([*heading, *kept]), *following[len(kept):]]


def _section(section: Section, *, split_rows: bool) -> list[Flowable]:
    """A section's flowables, each heading (its title, its subheadings) kept with what follows it."""
    parts: list[list[Flowable]] = [[Paragraph(markup(section.title), H1)]]
    for block in section.blocks:
        if isinstance(block, Subheading):
            parts.append([Paragraph(markup(block.text), H2)])
        else:
            parts[-1].extend(_block(block, split_rows=split_rows))
    story: list[Flowable] = []
    for part in parts:
        story += _with_next(part[:1], part[1:])
    return story


def _is_short(section: Section) -> bool:
    """A section of a few lines of text (typically "not available") shares the page with the one before."""
    return all(isinstance(b, Text) for b in section.blocks) and sum(len(b.text) for b in section.blocks
                                                                     if isinstance(b, Text)) < 600


def build_story(report: Report, *, split_rows: bool = False) -> list[Flowable]:
    """The flowables of the whole report: title block, then each section (most on a page of their own)."""
    story: list[Flowable] = [Paragraph(markup(report.title), TITLE)]
    subtitle = " · ".join(part for part in (report.survey, report.date) if part)
    if subtitle:
        story.append(Paragraph(markup(subtitle), SUBTITLE))
    for index, section in enumerate(report.sections):
        if index and section.new_page and not _is_short(section):
            story.append(CondPageBreak(FRAME_HEIGHT * SECTION_ROOM))
        elif index:
            story.append(CondPageBreak(120))
        story.extend(_section(section, split_rows=split_rows))
    return story


def _footer_source(name: str, digest: str) -> str:
    """One data source for the page footer: the file and the first 16 hex digits of its SHA-256, or that it
    was not read from a file (a database source has no hash)."""
    if len(digest) == 64 and all(c in "0123456789abcdef" for c in digest.lower()):
        return f"{name}, sha256 {digest[:16]}"
    return f"{name}, no file hash"


def write_pdf(report: Report, out: IO[bytes]) -> int:
    """Write the report as PDF to a binary file object; returns the number of pages."""
    furniture = Furniture(
        title=report.title,
        survey=report.survey,
        sources=tuple(_footer_source(name, digest) for name, digest in report.sources),
        date=report.date,
    )
    document = ReportDocument(furniture, subject="Return on customer experience")
    try:
        return document.build(lambda: build_story(report), out)
    except LayoutError:
        # a table cell taller than a page (an extraordinarily long message): let every row split instead
        return document.build(lambda: build_story(report, split_rows=True), out)
