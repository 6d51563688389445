"""The note: text a respondent reads and does not answer (a statement, an instruction, a thank-you for an
answer); it may be conditional (`show_if`) and pipe earlier answers like any text. No answer, no export column.
The whole declaration of the type (docs/question-types.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import field_validator

from .base import AnswerError, ColumnKind, QuestionBase, Widget
from .registry import register
from .xlsform_mapping import XlsformMapping

if TYPE_CHECKING:
    from ..model import Survey


@register
class NoteQuestion(QuestionBase):
    """Display-only text; `text` is what the respondent reads, `help` a smaller line under it."""

    type: Literal["note"] = "note"
    widget: ClassVar[Widget] = "note"
    answered: ClassVar[bool] = False
    answer_seconds: ClassVar[float] = 0.0
    xlsform: ClassVar[XlsformMapping] = XlsformMapping(untagged=True)

    @field_validator("required")
    @classmethod
    def _never_required(cls, value: bool) -> bool:
        if value:
            raise ValueError("a note takes no answer, so it cannot be required")
        return value

    def clean_answer(self, raw: Any, survey: Survey) -> Any:
        raise AnswerError("a note takes no answer")

    def expects_answer(self, survey: Survey, earlier: Mapping[str, Any]) -> bool:
        return False

    def columns(self, survey: Survey) -> list[str]:
        return []

    def column_kinds(self, survey: Survey) -> dict[str, ColumnKind]:
        return {}

    def to_columns(self, answer: Any, survey: Survey) -> dict[str, Any]:
        return {}

    def from_columns(self, row: Mapping[str, Any], survey: Survey) -> Any:
        return None

    def possible_values(self, row: str | None) -> list[Any] | None:
        return [None]  # a condition reading a note is never true of an answer: the linter can say so
