"""How a question type is written in an XLSForm workbook and read back: the `xlsform` declaration of each type
(`QuestionBase.xlsform`). Plain data; nothing here imports XLSForm (surveys/xlsform reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class XlsformBounds:
    """The XLSForm `constraint` of a question: its answer kept between two of its settings."""

    measure: Literal["value", "length", "count"]
    """What is bounded: the value itself, its length in characters, or the number of choices picked."""
    lower: str | None
    """The setting holding the lower bound; None when the type has none (a lower bound read back is reported)."""
    upper: str | None
    whole: bool = False
    """Bounds read back are whole numbers (a length, a count)."""


@dataclass(frozen=True)
class XlsformMapping:
    """How a question type is written in an XLSForm workbook and read back (surveys/xlsform, docs/xlsform.md).

    The XLSForm row follows from the type's other declarations: a grid (`is_grid`) is a group with one select_one
    per row; otherwise the widget decides: text, integer/decimal (number), select_one over the question's own
    `options()` or, for a scale (`value_kind`), over a shared list of its `scale_points()`, select_multiple
    (checkboxes). The settings named here are held by XLSForm's own columns; every other setting travels as JSON in
    the `cxroi_settings` column, so a setting added to a type round-trips by itself. Nothing here imports XLSForm.
    """

    untagged: bool = False
    """The type a row of its XLSForm kind becomes without a cxroi_type (workbooks from KoboToolbox or ODK)."""
    choices_field: str = "choices"
    """The setting holding a choice question's choices (its own XLSForm choice list)."""
    bounds: XlsformBounds | None = None
    appearance_flag: str | None = None
    """A yes/no setting named like the XLSForm appearance it turns on (text's `multiline`)."""
    integer_flag: str | None = None
    """A yes/no setting choosing an XLSForm `integer` row over a `decimal` one."""
    list_name: str = "{id}_scale"
    """The preferred name of the shared choice list of the scale's points (or of `row_choices`); `{setting}` is
    filled in from the question, and a name already taken by other choices gets a suffix."""
    grid_appearance: str = "table-list"
    """A grid's group appearance: table-list, which needs every row to select from one list, or field-list."""
    row_choices: tuple[tuple[str, str], ...] = ()
    """A grid's (name, label) choices for every row, when the rows are not answered on the scale's points."""
    rows_picked_in: str | None = None
    """A grid's setting naming an earlier multi-choice question: each row is asked when its id was picked there."""
    follow_up_flag: str | None = None
    """A grid's yes/no setting that adds, after each row, a text row asking the question's `follow_up_prompt()`,
    shown when the row's answer is the first of `row_choices` (yes)."""

    def __post_init__(self) -> None:
        if self.follow_up_flag and not self.row_choices:
            raise ValueError("a follow-up is asked after the first of row_choices: declare them")
