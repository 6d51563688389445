"""The one object that owns the PDF: page template, story of flowables, page furniture, "Page x of y".

"Page x of y" needs the page count before the first page is drawn, so the document is built twice: a first
pass into memory counts the pages, the second draws the furniture with the total. The story is rebuilt for
each pass because platypus consumes (splits) flowables while laying them out.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from .styles import FONT, FONT_BOLD, GREY_DARK, GREY_RULE

MARGIN = 18 * mm
HEADER_GAP = 10 * mm


@dataclass(frozen=True)
class Furniture:
    """What every page carries: the title and survey at the top, the data sources, date and page number below."""

    title: str
    survey: str = ""
    sources: Sequence[str] = field(default_factory=tuple)
    """Short source entries for the footer, e.g. "responses.csv sha256 1a2b3c4d5e6f7a8b"; they are joined and
    wrapped at spaces."""
    date: str = ""


class ReportDocument:
    """A PDF report: give it the furniture and a function that makes the story; `build` writes the file."""

    def __init__(self, furniture: Furniture, *, author: str = "cxroi", subject: str = "") -> None:
        self.furniture = furniture
        self.author = author
        self.subject = subject
        self.page_count = 0

    def build(self, make_story: Callable[[], list[Flowable]], out: IO[bytes]) -> int:
        """Lay out the story twice (count, then draw "Page x of y") and write the PDF to `out`; returns pages."""
        first = io.BytesIO()
        counted = self._build_once(make_story(), first, total=None)
        final = io.BytesIO()
        pages = self._build_once(make_story(), final, total=counted)
        if pages != counted:  # layout is deterministic; a difference would mean a wrong "of y"
            raise RuntimeError(f"page count changed between passes ({counted} then {pages})")
        out.write(final.getvalue())
        self.page_count = pages
        return pages

    def _build_once(self, story: list[Flowable], out: IO[bytes], *, total: int | None) -> int:
        doc = BaseDocTemplate(
            out,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN + HEADER_GAP,
            bottomMargin=MARGIN + HEADER_GAP,
            title=self.furniture.title,
            author=self.author,
            subject=self.subject,
            creator="cxroi",
            invariant=True,  # same inputs, same bytes: no creation timestamp or random document id
        )
        frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")

        formatter = _analysis_date(self.furniture.date)

        def furnish(canvas: Canvas, template: BaseDocTemplate) -> None:
            if formatter is not None:
                canvas.setDateFormatter(formatter)
            self._draw_furniture(canvas, template, total)

        doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=furnish)])
        doc.build(story)
        return int(doc.page)

    def _draw_furniture(self, canvas: Canvas, doc: BaseDocTemplate, total: int | None) -> None:
        width, height = doc.pagesize
        left, right = doc.leftMargin, width - doc.rightMargin
        top = height - MARGIN
        canvas.saveState()
        canvas.setFillColor(GREY_DARK)
        canvas.setStrokeColor(GREY_RULE)
        canvas.setLineWidth(0.5)
        canvas.setFont(FONT_BOLD, 8.5)
        canvas.drawString(left, top, _fit(canvas, self.furniture.title, FONT_BOLD, 8.5, (right - left) * 0.55))
        canvas.setFont(FONT, 8.5)
        canvas.drawRightString(right, top, _fit(canvas, self.furniture.survey, FONT, 8.5, (right - left) * 0.43))
        canvas.line(left, top - 3 * mm, right, top - 3 * mm)

        bottom = MARGIN
        canvas.line(left, bottom + 7 * mm, right, bottom + 7 * mm)
        canvas.setFont(FONT, 7)
        footer_width = (right - left) * 0.8
        # the sources wrap at their separators (never mid-phrase) onto at most FOOTER_SOURCE_LINES lines
        lines = _wrap(canvas, ["Data:", *[f"{s};" for s in self.furniture.sources[:-1]],
                               *self.furniture.sources[-1:]], FONT, 7, footer_width, FOOTER_SOURCE_LINES,
                      more=" … (all on page 1)") if self.furniture.sources else []
        if self.furniture.date:
            lines.append(f"Generated {self.furniture.date}")
        y = bottom + 4 * mm
        for line in lines:
            canvas.drawString(left, y, _fit(canvas, line, FONT, 7, footer_width))
            y -= 3 * mm
        canvas.setFont(FONT, 8.5)
        of = "?" if total is None else str(total)
        canvas.drawRightString(right, bottom + 3 * mm, f"Page {doc.page} of {of}")
        canvas.restoreState()


FOOTER_SOURCE_LINES = 3


def _wrap(canvas: Canvas, pieces: Sequence[str], font: str, size: float, width: float, limit: int, *,
          more: str) -> list[str]:
    """Pieces (e.g. one per data source) joined by spaces into lines that fit the width, a line breaking only
    between pieces (within a piece, at a space, when the piece alone is too wide); at most `limit` lines, the
    last ending with `more` when some did not fit."""
    words: list[str] = []
    for piece in pieces:
        if canvas.stringWidth(piece, font, size) <= width:
            words.append(piece)
        else:
            words += piece.split(" ")
    lines: list[str] = []
    for word in words:
        if lines and canvas.stringWidth(f"{lines[-1]} {word}", font, size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) <= limit:
        return lines
    kept = lines[:limit]
    words = kept[-1].split(" ")
    while len(words) > 1 and canvas.stringWidth(" ".join(words) + more, font, size) > width:
        words.pop()
    kept[-1] = " ".join(words) + more
    return kept


def _analysis_date(date: str) -> Callable[..., str] | None:
    """A PDF date formatter giving the analysis' own time (`inputs.generated_at`, `YYYY-MM-DDTHH:MM:SSZ`)
    as CreationDate and ModDate, so the same results.json still gives the same bytes; None when the date
    cannot be read (the invariant 2000-01-01 then stays)."""
    try:
        moment = datetime.strptime(date, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None
    stamp = f"D:{moment:%Y%m%d%H%M%S}+00'00'"
    return lambda *_: stamp


def _fit(canvas: Canvas, text: str, font: str, size: float, width: float) -> str:
    """Shorten text with an ellipsis so it fits the width (furniture must never overlap)."""
    if canvas.stringWidth(text, font, size) <= width:
        return text
    while text and canvas.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"
