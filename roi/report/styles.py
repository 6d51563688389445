"""Type, greys and table style of the PDF. Everything must read in greyscale print: meaning is carried by
labels, markers and line patterns, never by colour alone."""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import TableStyle

FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
FONT_ITALIC = "Helvetica-Oblique"

BLACK = colors.black
GREY_DARK = colors.Color(0.2, 0.2, 0.2)
GREY_MID = colors.Color(0.45, 0.45, 0.45)
GREY_LIGHT = colors.Color(0.75, 0.75, 0.75)
GREY_FILL = colors.Color(0.9, 0.9, 0.9)
GREY_RULE = colors.Color(0.6, 0.6, 0.6)
WHITE = colors.white

# Bars and series: greys far enough apart to tell apart when printed in black and white.
SERIES_FILLS = (colors.Color(0.3, 0.3, 0.3), colors.Color(0.6, 0.6, 0.6), colors.Color(0.82, 0.82, 0.82))
SERIES_DASHES: tuple[tuple[float, ...] | None, ...] = (None, (4, 2), (1, 2), (6, 2, 1, 2), (2, 1))
SERIES_MARKERS = ("circle", "square", "triangle", "diamond", "cross")

BODY = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13, spaceAfter=5, alignment=TA_LEFT)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10.5, textColor=GREY_DARK)
NOTE = ParagraphStyle("note", parent=SMALL, fontName=FONT_ITALIC)
HEADLINE = ParagraphStyle(
    "headline", parent=BODY, fontName=FONT_BOLD, fontSize=13, leading=17.5, spaceBefore=4, spaceAfter=10
)
WARNING = ParagraphStyle(
    "warning", parent=BODY, leftIndent=8, borderPadding=(3, 4, 3, 4), borderColor=GREY_MID, borderWidth=0.6,
    spaceBefore=3, spaceAfter=7,
)
TITLE = ParagraphStyle("title", parent=BODY, fontName=FONT_BOLD, fontSize=18, leading=22, spaceAfter=4)
SUBTITLE = ParagraphStyle("subtitle", parent=BODY, fontSize=10, leading=13, textColor=GREY_DARK, spaceAfter=10)
H1 = ParagraphStyle("h1", parent=BODY, fontName=FONT_BOLD, fontSize=14, leading=18, spaceBefore=6, spaceAfter=6)
H2 = ParagraphStyle("h2", parent=BODY, fontName=FONT_BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=8, leading=10, spaceAfter=0)
CELL_BOLD = ParagraphStyle("cell_bold", parent=CELL, fontName=FONT_BOLD)
BULLET = ParagraphStyle("bullet", parent=BODY, leftIndent=12, bulletIndent=2, spaceAfter=3)

PARAGRAPH_STYLES = {"body": BODY, "small": SMALL, "note": NOTE, "headline": HEADLINE, "warning": WARNING}


def table_style(numeric_columns: tuple[int, ...]) -> TableStyle:
    """Header row on a light grey with a rule below; numbers right-aligned; thin rules between rows."""
    commands: list[tuple[object, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, 8),
        ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8),
        ("BACKGROUND", (0, 0), (-1, 0), GREY_FILL),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, GREY_DARK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, GREY_LIGHT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    for column in numeric_columns:
        commands.append(("ALIGN", (column, 0), (column, -1), "RIGHT"))
    return TableStyle(commands)
