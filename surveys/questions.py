"""Question types: each one declared once, with its settings, its answer validation and its export columns.

Every type is a pydantic model with a literal `type` tag; `Question` is their discriminated union.
A type knows:

* `rows(survey)` — the rows of a grid (brand promises, touchpoints, channels), empty for plain questions;
* `columns(survey)` — its columns in the wide responses table (`question_id` or `question_id.row_id`);
* `clean_answer(raw, survey)` — the stored answer for a raw value from a form, JSON or a file, or
  `AnswerError` naming what is wrong;
* `to_columns(answer, survey)` — the stored answer spread over its export columns;
* `scale_range()` and `polarity` — what scoring and the ROI analysis need to read a number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

if TYPE_CHECKING:
    from .model import Survey

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
            from .logic import parse_condition

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


class GridQuestion(QuestionBase):
    """A question asked once per row; the answer is a mapping row id → value."""

    kind: ClassVar[str] = "grid"
    row_source: ClassVar[str] = ""

    def _row_subset(self) -> list[str] | None:
        return None

    def rows(self, survey: Survey) -> list[tuple[str, str]]:
        available = survey.grid_rows(self.row_source)
        subset = self._row_subset()
        if subset is None:
            return available
        labels = dict(available)
        return [(row, labels[row]) for row in subset if row in labels]

    def columns(self, survey: Survey) -> list[str]:
        return [f"{self.id}.{row}" for row, _ in self.rows(survey)]

    def clean_row(self, raw: Any, row: str) -> Any:
        raise NotImplementedError

    def clean_answer(self, raw: Any, survey: Survey) -> dict[str, Any]:
        if not isinstance(raw, Mapping):
            raise AnswerError("expected one answer per row")
        known = {row for row, _ in self.rows(survey)}
        cleaned: dict[str, Any] = {}
        for row, value in raw.items():
            if row not in known:
                raise AnswerError(f"unknown row {str(row)[:40]!r}", str(row)[:40])
            if not is_blank(value):
                cleaned[row] = self.clean_row(value, row)
        return cleaned

    def to_columns(self, answer: Any, survey: Survey) -> dict[str, Any]:
        answer = answer or {}
        return {f"{self.id}.{row}": answer.get(row) for row, _ in self.rows(survey)}

    def from_columns(self, row: Mapping[str, Any], survey: Survey) -> Any:
        cells = {r: _cell(row, f"{self.id}.{r}") for r, _ in self.rows(survey)}
        return {r: v for r, v in cells.items() if v is not None} or None


class AlignmentQuestion(GridQuestion):
    """How well the experience matched each brand promise (agreement scale); scored as the Brand Alignment Score."""

    type: Literal["alignment"] = "alignment"
    points: Literal[5, 7] = 5
    promises: list[Identifier] | None = None
    """Which of the survey's brand promises to ask about; all of them when omitted."""
    row_source: ClassVar[str] = "brand_promises"

    def _row_subset(self) -> list[str] | None:
        return self.promises

    def scale_range(self) -> tuple[int, int]:
        return (1, self.points)

    def clean_row(self, raw: Any, row: str) -> int:
        return _as_int(raw, _agreement(self.points), row)


class FrictionQuestion(GridQuestion):
    """Per touchpoint: did anything make you hesitate? 1 = yes, 0 = no; optional follow-up asks what.

    Exported as `question_id.touchpoint` (0/1) and, with `follow_up`, `question_id.touchpoint.what` (text).
    """

    type: Literal["friction"] = "friction"
    touchpoints: list[Identifier] | None = None
    follow_up: bool = True
    follow_up_text: str = "What made you hesitate?"
    row_source: ClassVar[str] = "touchpoints"
    polarity: ClassVar[Polarity] = "lower_is_better"

    def _row_subset(self) -> list[str] | None:
        return self.touchpoints

    def columns(self, survey: Survey) -> list[str]:
        columns = []
        for row, _ in self.rows(survey):
            columns.append(f"{self.id}.{row}")
            if self.follow_up:
                columns.append(f"{self.id}.{row}.what")
        return columns

    def scale_range(self) -> tuple[int, int]:
        return (0, 1)

    def clean_row(self, raw: Any, row: str) -> dict[str, Any]:
        if not isinstance(raw, Mapping):
            raw = {"hesitated": raw}
        unknown = set(raw) - {"hesitated", "what"}
        if unknown:
            raise AnswerError(f"unknown part {sorted(unknown)[0]!r}", row)
        hesitated = raw.get("hesitated")
        if isinstance(hesitated, str):
            hesitated = {"yes": True, "1": True, "true": True, "no": False, "0": False, "false": False}.get(
                hesitated.strip().lower(), hesitated
            )
        if isinstance(hesitated, int) and not isinstance(hesitated, bool) and hesitated in (0, 1):
            hesitated = bool(hesitated)
        if not isinstance(hesitated, bool):
            raise AnswerError("answer yes or no", row)
        what = raw.get("what")
        if is_blank(what) or not hesitated:
            return {"hesitated": hesitated}
        if not self.follow_up:
            raise AnswerError("this question has no follow-up", row)
        if not isinstance(what, str):
            raise AnswerError("expected text", row)
        if len(what.strip()) > TEXT_LIMIT:
            raise AnswerError(f"the answer is longer than {TEXT_LIMIT} characters", row)
        return {"hesitated": hesitated, "what": what.strip()}

    def to_columns(self, answer: Any, survey: Survey) -> dict[str, Any]:
        answer = answer or {}
        out: dict[str, Any] = {}
        for row, _ in self.rows(survey):
            cell = answer.get(row)
            out[f"{self.id}.{row}"] = None if cell is None else int(cell["hesitated"])
            if self.follow_up:
                out[f"{self.id}.{row}.what"] = None if cell is None else cell.get("what")
        return out

    def from_columns(self, row: Mapping[str, Any], survey: Survey) -> Any:
        answer: dict[str, Any] = {}
        for touchpoint, _ in self.rows(survey):
            hesitated = _cell(row, f"{self.id}.{touchpoint}")
            if hesitated is None:
                continue
            if isinstance(hesitated, float) and hesitated.is_integer():
                hesitated = int(hesitated)
            cell: dict[str, Any] = {"hesitated": hesitated}
            what = _cell(row, f"{self.id}.{touchpoint}.what") if self.follow_up else None
            if what is not None:
                cell["what"] = str(what)
            answer[touchpoint] = cell
        return answer or None


class ChannelRatingQuestion(GridQuestion):
    """One rating per contact channel the respondent used; channels not used are left blank.

    With `used_channels_from`, only the channels picked in that earlier multi-choice question
    (whose choice codes are channel ids) are shown and accepted.
    """

    type: Literal["channel_rating"] = "channel_rating"
    scale: Scale = Scale(min=1, max=5, min_label="Very poor", max_label="Excellent")
    channels: list[Identifier] | None = None
    used_channels_from: Identifier | None = None
    row_source: ClassVar[str] = "channels"

    def _row_subset(self) -> list[str] | None:
        return self.channels

    def scale_range(self) -> tuple[int, int]:
        return (self.scale.min, self.scale.max)

    def clean_row(self, raw: Any, row: str) -> int:
        return _as_int(raw, self.scale, row)

    def rows_for(self, survey: Survey, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The rows a respondent sees, given their earlier answers."""
        rows = self.rows(survey)
        if self.used_channels_from is None:
            return rows
        used = answers.get(self.used_channels_from) or []
        return [(row, label) for row, label in rows if row in used]


Question = Annotated[
    TextQuestion
    | NumberQuestion
    | SingleChoiceQuestion
    | MultiChoiceQuestion
    | RatingQuestion
    | LikertQuestion
    | CsatQuestion
    | CesQuestion
    | NpsQuestion
    | AlignmentQuestion
    | FrictionQuestion
    | ChannelRatingQuestion,
    Field(discriminator="type"),
]

QUESTION_TYPES: dict[str, type[QuestionBase]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        TextQuestion, NumberQuestion, SingleChoiceQuestion, MultiChoiceQuestion, RatingQuestion, LikertQuestion,
        CsatQuestion, CesQuestion, NpsQuestion, AlignmentQuestion, FrictionQuestion, ChannelRatingQuestion,
    )
}
"""Every registered question type by its `type` tag; contract tests iterate over this."""


def scale_labels(question: QuestionBase) -> Sequence[tuple[int, str]]:
    """(value, label) for every point of a scale question's scale, for forms and reports."""
    if isinstance(question, ScaleQuestion):
        scale = question.effective_scale
    elif isinstance(question, ChannelRatingQuestion):
        scale = question.scale
    elif isinstance(question, AlignmentQuestion):
        scale = _agreement(question.points)
    else:
        return []
    return [(value, scale.label_of(value)) for value in range(scale.min, scale.max + 1)]
