"""Question types answered with one value: open text, numbers, choices and the scale metrics (rating, Likert,
CSAT, CES, NPS)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from .base import (
    SATISFACTION_5,
    TEXT_LIMIT,
    AnswerError,
    Choice,
    QuestionBase,
    Scale,
    ScaleQuestion,
    _agreement,
    _cell,
)

if TYPE_CHECKING:
    from ..model import Survey

class TextQuestion(QuestionBase):
    type: Literal["text"] = "text"
    multiline: bool = True
    max_length: int = Field(default=2000, ge=1, le=TEXT_LIMIT)
    kind: ClassVar[str] = "open"

    def clean_answer(self, raw: Any, survey: Survey) -> str:
        if not isinstance(raw, str):
            raise AnswerError("expected text")
        text = raw.strip()
        if len(text) > self.max_length:
            raise AnswerError(f"the answer is {len(text)} characters long; the limit is {self.max_length}")
        return text


class NumberQuestion(QuestionBase):
    type: Literal["number"] = "number"
    min: float | None = None
    max: float | None = None
    integer: bool = False
    unit: str | None = None

    @model_validator(mode="after")
    def _range(self) -> NumberQuestion:
        if self.min is not None and self.max is not None and self.max <= self.min:
            raise ValueError(f"max ({self.max}) must be greater than min ({self.min})")
        return self

    def clean_answer(self, raw: Any, survey: Survey) -> float | int:
        if isinstance(raw, bool):
            raise AnswerError("expected a number")
        try:
            value = float(raw.strip().replace(",", "")) if isinstance(raw, str) else float(raw)
        except (TypeError, ValueError):
            raise AnswerError("expected a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise AnswerError("expected a finite number")
        if self.integer:
            if not value.is_integer():
                raise AnswerError("expected a whole number")
            value = int(value)
        if self.min is not None and value < self.min:
            raise AnswerError(f"must be at least {self.min:g}")
        if self.max is not None and value > self.max:
            raise AnswerError(f"must be at most {self.max:g}")
        return value


class ChoiceQuestionBase(QuestionBase):
    choices: list[Choice] = Field(min_length=1)

    @field_validator("choices")
    @classmethod
    def _unique_codes(cls, value: list[Choice]) -> list[Choice]:
        seen: set[str] = set()
        for choice in value:
            if choice.code in seen:
                raise ValueError(f"choice code {choice.code!r} is used twice")
            seen.add(choice.code)
        return value

    def _code(self, raw: Any) -> str:
        codes = {c.code for c in self.choices}
        if not isinstance(raw, str) or raw not in codes:
            raise AnswerError(f"{str(raw)[:40]!r} is not one of the choices ({', '.join(sorted(codes))})")
        return raw


class SingleChoiceQuestion(ChoiceQuestionBase):
    type: Literal["single_choice"] = "single_choice"
    kind: ClassVar[str] = "choice"

    def clean_answer(self, raw: Any, survey: Survey) -> str:
        return self._code(raw)


class MultiChoiceQuestion(ChoiceQuestionBase):
    """Several choices; exported as one 0/1 column per choice, `question_id.choice_code`."""

    type: Literal["multi_choice"] = "multi_choice"
    min_selected: int | None = Field(default=None, ge=0)
    max_selected: int | None = Field(default=None, ge=1)
    kind: ClassVar[str] = "choice"

    def rows(self, survey: Survey) -> list[tuple[str, str]]:
        return [(c.code, c.label) for c in self.choices]

    def columns(self, survey: Survey) -> list[str]:
        return [f"{self.id}.{c.code}" for c in self.choices]

    def clean_answer(self, raw: Any, survey: Survey) -> list[str]:
        items = raw.split() if isinstance(raw, str) else raw
        if not isinstance(items, (list, tuple)):
            raise AnswerError("expected a list of choices")
        picked = {self._code(item) for item in items}
        ordered = [c.code for c in self.choices if c.code in picked]  # definition order, no duplicates
        if self.min_selected is not None and len(ordered) < self.min_selected:
            raise AnswerError(f"choose at least {self.min_selected}")
        if self.max_selected is not None and len(ordered) > self.max_selected:
            raise AnswerError(f"choose at most {self.max_selected}")
        return ordered

    def to_columns(self, answer: Any, survey: Survey) -> dict[str, Any]:
        if answer is None:
            return {column: None for column in self.columns(survey)}
        return {f"{self.id}.{c.code}": int(c.code in answer) for c in self.choices}

    def from_columns(self, row: Mapping[str, Any], survey: Survey) -> Any:
        cells = {c.code: _cell(row, f"{self.id}.{c.code}") for c in self.choices}
        if all(v is None for v in cells.values()):
            return None
        return [code for code, v in cells.items() if v is not None and str(v).strip() in ("1", "1.0", "True", "true")]


class RatingQuestion(ScaleQuestion):
    """An n-point rating with labelled ends, e.g. 1 = Very poor … 5 = Excellent."""

    type: Literal["rating"] = "rating"
    scale: Scale = Scale()

    @property
    def effective_scale(self) -> Scale:
        return self.scale


class LikertQuestion(ScaleQuestion):
    """Agreement with a statement, on a 5- or 7-point agreement scale."""

    type: Literal["likert"] = "likert"
    points: Literal[5, 7] = 5

    @property
    def effective_scale(self) -> Scale:
        return _agreement(self.points)


class CsatQuestion(ScaleQuestion):
    """Customer satisfaction, 1–5 from very dissatisfied to very satisfied; a baseline metric."""

    type: Literal["csat"] = "csat"

    @property
    def effective_scale(self) -> Scale:
        return Scale(min=1, max=5, min_label=SATISFACTION_5[0], max_label=SATISFACTION_5[-1], labels=SATISFACTION_5)


class CesQuestion(ScaleQuestion):
    """Customer Effort Score: agreement, 1–7, with "<company> made it easy to <task>"."""

    type: Literal["ces"] = "ces"

    @property
    def effective_scale(self) -> Scale:
        return _agreement(7)


class NpsQuestion(ScaleQuestion):
    """Likelihood to recommend, 0–10. Kept as a baseline to compare better questions against."""

    type: Literal["nps"] = "nps"

    @property
    def effective_scale(self) -> Scale:
        return Scale(min=0, max=10, min_label="Not at all likely", max_label="Extremely likely")
