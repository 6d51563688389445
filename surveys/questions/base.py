"""What every question type shares: ids, the answer error, scales, blank answers, and the two base classes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

if TYPE_CHECKING:
    from ..model import Survey

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)]
Polarity = Literal["higher_is_better", "lower_is_better"]

TEXT_LIMIT = 5000
"""Longest open-text answer accepted, in characters (documented in docs/definition-format.md)."""

AGREEMENT_5 = ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree")
AGREEMENT_7 = (
    "Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree",
    "Somewhat agree", "Agree", "Strongly agree",
)
SATISFACTION_5 = ("Very dissatisfied", "Dissatisfied", "Neither satisfied nor dissatisfied", "Satisfied", "Very satisfied")


class AnswerError(ValueError):
    """An answer that the question's rules reject; `row` names the grid row when there is one."""

    def __init__(self, message: str, row: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(Strict):
    code: Identifier
    label: str = Field(min_length=1)


class Scale(Strict):
    """An n-point numeric scale; labels of the two ends, and optionally of every point."""

    min: int = 1
    max: int = 5
    min_label: str | None = None
    max_label: str | None = None
    labels: tuple[str, ...] | None = None

    @field_validator("max")
    @classmethod
    def _max_above_min(cls, value: int, info: Any) -> int:
        low = info.data.get("min")
        if low is not None and value <= low:
            raise ValueError(f"the scale's max ({value}) must be greater than its min ({low})")
        if low is not None and value - low > 20:
            raise ValueError("a scale may have at most 21 points")
        return value

    @field_validator("labels")
    @classmethod
    def _one_label_per_point(cls, value: tuple[str, ...] | None, info: Any) -> tuple[str, ...] | None:
        low, high = info.data.get("min"), info.data.get("max")
        if value is not None and low is not None and high is not None and len(value) != high - low + 1:
            raise ValueError(f"labels must name every point: {high - low + 1} labels for {low}..{high}, got {len(value)}")
        return value

    @property
    def points(self) -> int:
        return self.max - self.min + 1

    def label_of(self, value: int) -> str:
        if self.labels:
            return self.labels[value - self.min]
        if value == self.min and self.min_label:
            return f"{value} – {self.min_label}"
        if value == self.max and self.max_label:
            return f"{value} – {self.max_label}"
        return str(value)


def _agreement(points: int) -> Scale:
    labels = AGREEMENT_5 if points == 5 else AGREEMENT_7
    return Scale(min=1, max=points, min_label=labels[0], max_label=labels[-1], labels=labels)


def _as_int(raw: Any, scale: Scale, row: str | None = None) -> int:
    if isinstance(raw, bool):
        raise AnswerError("expected a whole number on the scale", row)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, str):
        raw = raw.strip()
        try:
            raw = int(raw)
        except ValueError:
            raise AnswerError(f"expected a whole number from {scale.min} to {scale.max}", row) from None
    if not isinstance(raw, int):
        raise AnswerError(f"expected a whole number from {scale.min} to {scale.max}", row)
    if not scale.min <= raw <= scale.max:
        raise AnswerError(f"{raw} is outside the scale {scale.min}..{scale.max}", row)
    return raw


def _cell(row: Mapping[str, Any], column: str) -> Any:
    """A cell of a responses-table row; NaN (pandas' empty cell) and empty text read as None."""
    value = row.get(column)
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def is_blank(raw: Any) -> bool:
    """No answer: None, an empty or whitespace string, an empty list or a grid with no answered row."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, (list, tuple)):
        return len(raw) == 0
    if isinstance(raw, Mapping):
        return all(is_blank(v) for v in raw.values())
    return False


class QuestionBase(Strict):
    id: Identifier
    text: str = Field(min_length=1, max_length=1000)
    help: str | None = None
    required: bool = False
    show_if: str | None = None
    rationale: str | None = None
    """Why this question is worth asking; shown to CX leads, never to respondents."""

    kind: ClassVar[str] = "plain"
    polarity: ClassVar[Polarity] = "higher_is_better"

    @field_validator("show_if")
    @classmethod
    def _condition_parses(cls, value: str | None) -> str | None:
        if value is not None:
            from ..logic import parse_condition

            parse_condition(value)  # ConditionSyntaxError is a ValueError: pydantic reports it at .show_if
        return value

    def rows(self, survey: Survey) -> list[tuple[str, str]]:
        return []

    def columns(self, survey: Survey) -> list[str]:
        return [self.id]

    def scale_range(self) -> tuple[int, int] | None:
        return None

    def clean_answer(self, raw: Any, survey: Survey) -> Any:
        raise NotImplementedError

    def to_columns(self, answer: Any, survey: Survey) -> dict[str, Any]:
        return {self.id: answer}

    def from_columns(self, row: Mapping[str, Any], survey: Survey) -> Any:
        """The raw answer held in this question's columns of a responses-table row (the inverse of
        `to_columns`), to be checked with `clean_answer`; None when the respondent gave none."""
        return _cell(row, self.id)


class ScaleQuestion(QuestionBase):
    """A question answered with one point on a numeric scale."""

    kind: ClassVar[str] = "scale"

    @property
    def effective_scale(self) -> Scale:
        raise NotImplementedError

    def scale_range(self) -> tuple[int, int]:
        return (self.effective_scale.min, self.effective_scale.max)

    def clean_answer(self, raw: Any, survey: Survey) -> int:
        return _as_int(raw, self.effective_scale)
