"""Question types answered with one value: open text, numbers, choices and the scale metrics (rating, Likert,
CSAT, CES, NPS). Each class is the whole declaration of its type (see docs/question-types.md)."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pandas as pd
from pydantic import Field, field_validator, model_validator

from ..scoring.answers import InvalidValue, read_numbers, require_columns
from ..scoring.intervals import Label, score_mean, score_nps, score_share
from .base import (
    NPS_ENDS,
    SATISFACTION_5,
    TEXT_LIMIT,
    AnswerError,
    Choice,
    ColumnKind,
    Identifier,
    MetricColumn,
    QuestionBase,
    RespondentScore,
    Scale,
    ScaleQuestion,
    Scored,
    ValueKind,
    Widget,
    _agreement,
    _cell,
    title,
)
from .registry import register
from .xlsform_mapping import XlsformBounds, XlsformMapping

if TYPE_CHECKING:
    from ..model import Survey

CES_EASY = (5, 6, 7)
CSAT_TOP_2 = (4, 5)


@register
class TextQuestion(QuestionBase):
    type: Literal["text"] = "text"
    multiline: bool = True
    max_length: int = Field(default=2000, ge=1, le=TEXT_LIMIT)
    open_ended: ClassVar[bool] = True
    answer_seconds: ClassVar[float] = 30.0  # typing a sentence or two on a phone; single-line text counts half
    xlsform: ClassVar[XlsformMapping] = XlsformMapping(
        untagged=True, appearance_flag="multiline", bounds=XlsformBounds("length", None, "max_length", whole=True))

    def clean_answer(self, raw: Any, survey: Survey) -> str:
        if not isinstance(raw, str):
            raise AnswerError("expected text")
        text = raw.strip()
        if len(text) > self.max_length:
            raise AnswerError(f"the answer is {len(text)} characters long; the limit is {self.max_length}")
        return text

    def column_kinds(self, survey: Survey) -> dict[str, ColumnKind]:
        return {self.id: "text"}

    def open_text_columns(self, survey: Survey) -> dict[str, str]:
        return {self.id: self.text}

    def answering_seconds(self, survey: Survey) -> float:
        return self.answer_seconds if self.multiline else self.answer_seconds / 2


INT64_MAX = 2**63 - 1
"""Largest whole-number answer: a signed 64-bit integer, what the exports' integer columns (Parquet) hold."""
INTEGER_RANGE_MESSAGE = f"must be a whole number between -{INT64_MAX:,} and {INT64_MAX:,}"
INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")


@register
class NumberQuestion(QuestionBase):
    type: Literal["number"] = "number"
    min: float | None = Field(default=None, allow_inf_nan=False)
    max: float | None = Field(default=None, allow_inf_nan=False)
    integer: bool = False
    unit: str | None = None
    widget: ClassVar[Widget] = "number"
    value_kind: ClassVar[ValueKind] = "number"
    answer_seconds: ClassVar[float] = 8.0
    xlsform: ClassVar[XlsformMapping] = XlsformMapping(
        untagged=True, integer_flag="integer", bounds=XlsformBounds("value", "min", "max"))

    @model_validator(mode="after")
    def _range(self) -> NumberQuestion:
        if self.min is not None and self.max is not None and self.max <= self.min:
            raise ValueError(f"max ({self.max}) must be greater than min ({self.min})")
        return self

    def clean_answer(self, raw: Any, survey: Survey) -> float | int:
        if isinstance(raw, bool):
            raise AnswerError("expected a number")
        text = raw.strip().replace(",", "") if isinstance(raw, str) else None
        if self.integer and (isinstance(raw, int) or (text is not None and INTEGER_TEXT.fullmatch(text))):
            # exact, not through a float (which rounds beyond 2**53); the length is checked first
            if text is not None and len(text.lstrip("+-").lstrip("0")) > 19:
                raise AnswerError(INTEGER_RANGE_MESSAGE)
            whole = int(text) if text is not None else int(raw)
            if not -INT64_MAX <= whole <= INT64_MAX:
                raise AnswerError(INTEGER_RANGE_MESSAGE)
            value: float | int = whole
        else:
            try:
                value = float(text) if text is not None else float(raw)
            except (TypeError, ValueError, OverflowError):
                raise AnswerError("expected a number") from None
            if value != value or value in (float("inf"), float("-inf")):
                raise AnswerError("expected a finite number")
            if self.integer:
                if not value.is_integer():
                    raise AnswerError("expected a whole number")
                if not -INT64_MAX <= value <= INT64_MAX:  # e.g. 1e300: whole, but no export column holds it
                    raise AnswerError(INTEGER_RANGE_MESSAGE)
                value = int(value)
        if self.min is not None and value < self.min:
            raise AnswerError(f"must be at least {self.min:g}")
        if self.max is not None and value > self.max:
            raise AnswerError(f"must be at most {self.max:g}")
        return value

    def column_kinds(self, survey: Survey) -> dict[str, ColumnKind]:
        return {self.id: "integer" if self.integer else "number"}

    def score(self, responses: pd.DataFrame, survey: Survey) -> Scored:
        values = read_numbers(responses, self.id, low=self.min, high=self.max, whole=self.integer)
        label = Label(f"{self.id}:mean", f"{title(self)} ({self.id})", "item", self.unit or "", self.id)
        return [("items", score_mean(label, values))]


class ChoiceQuestionBase(QuestionBase):
    choices: list[Choice] = Field(min_length=1)
    randomize: bool = False
    """Show the choices in an order of their own to each respondent (the same order on every visit)."""
    pin_last: list[Identifier] = Field(default_factory=list)
    """With `randomize`: choices kept at the end, in this order ("Other", "None of these", "Don't know")."""
    widget: ClassVar[Widget] = "radio"
    value_kind: ClassVar[ValueKind] = "choice"

    @model_validator(mode="after")
    def _pinned_choices(self) -> ChoiceQuestionBase:
        if self.pin_last and not self.randomize:
            raise ValueError("pin_last keeps choices last when the others are shuffled: add randomize: true")
        codes = {choice.code for choice in self.choices}
        unknown = [code for code in self.pin_last if code not in codes]
        if unknown:
            raise ValueError(f"pin_last names {', '.join(map(repr, unknown))}, not among the choices")
        if len(set(self.pin_last)) != len(self.pin_last):
            raise ValueError("pin_last names a choice twice")
        return self

    def for_respondent(self, seed: str) -> ChoiceQuestionBase:
        """With `randomize`, the question with its choices shuffled for the respondent `seed` names (the same seed,
        the same order: a reload or Back shows what was shown before), pinned choices last."""
        if not self.randomize or not seed:
            return self
        pinned = [choice for code in self.pin_last for choice in self.choices if choice.code == code]
        loose = [choice for choice in self.choices if choice.code not in self.pin_last]
        random.Random(f"{seed}/{self.id}").shuffle(loose)  # nosec B311 - an order to show, not a secret
        return self.model_copy(update={"choices": loose + pinned})

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

    def options(self) -> list[tuple[str, str]]:
        return [(c.code, c.label) for c in self.choices]

    def own_choices(self) -> list[Choice]:
        return self.choices

    def reading_texts(self, survey: Survey) -> list[str]:
        return [*super().reading_texts(survey), *(c.label for c in self.choices)]


@register
class SingleChoiceQuestion(ChoiceQuestionBase):
    type: Literal["single_choice"] = "single_choice"
    single_judgement: ClassVar[bool] = True
    answer_seconds: ClassVar[float] = 4.0
    xlsform: ClassVar[XlsformMapping] = XlsformMapping(untagged=True)

    def clean_answer(self, raw: Any, survey: Survey) -> str:
        return self._code(raw)

    def column_kinds(self, survey: Survey) -> dict[str, ColumnKind]:
        return {self.id: "text"}

    def possible_values(self, row: str | None) -> list[Any] | None:
        return [None, *(choice.code for choice in self.choices)] if row is None else None

    def score(self, responses: pd.DataFrame, survey: Survey) -> Scored:
        require_columns(responses, [self.id])
        answers = responses[self.id].map(lambda v: v.strip() if isinstance(v, str) else v)
        answers = answers.where(answers.map(lambda v: isinstance(v, str) and v != ""))
        codes = [c.code for c in self.choices]
        unknown = answers.notna() & ~answers.isin(codes)
        if unknown.any():
            at = int(unknown.to_numpy().nonzero()[0][0])
            problem = f"{str(answers.iloc[at])[:40]!r} is not one of the choice codes ({', '.join(codes)})"
            raise InvalidValue(self.id, answers.index[at], problem)
        answered = answers.dropna()
        return [("items", score_share(Label(f"{self.id}.{c.code}", f"{title(self, 40)}: {c.label}", "choice", "%",
                                            self.id, c.code), (answered == c.code).astype(float)))
                for c in self.choices]


@register
class MultiChoiceQuestion(ChoiceQuestionBase):
    """Several choices; exported as one 0/1 column per choice, `question_id.choice_code`."""

    type: Literal["multi_choice"] = "multi_choice"
    min_selected: int | None = Field(default=None, ge=0)
    max_selected: int | None = Field(default=None, ge=1)
    widget: ClassVar[Widget] = "checkboxes"
    value_kind: ClassVar[ValueKind] = "multi"
    row_references: ClassVar[bool] = True
    answer_seconds: ClassVar[float] = 6.0
    xlsform: ClassVar[XlsformMapping] = XlsformMapping(
        untagged=True, bounds=XlsformBounds("count", "min_selected", "max_selected", whole=True))

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

    def possible_values(self, row: str | None) -> list[Any] | None:
        # one list of codes, whichever code a condition reads; too many subsets to list beyond 8 choices
        if len(self.choices) > 8:
            return None
        codes = [choice.code for choice in self.choices]
        subsets = [list(combo) for size in range(1, len(codes) + 1) for combo in itertools.combinations(codes, size)]
        return [None, *subsets]

    def score(self, responses: pd.DataFrame, survey: Survey) -> Scored:
        require_columns(responses, self.columns(survey))
        return [("items", score_share(Label(f"{self.id}.{c.code}", f"{title(self, 40)}: {c.label}", "choice", "%",
                                            self.id, c.code), read_numbers(responses, f"{self.id}.{c.code}", low=0,
                                                                           high=1)))
                for c in self.choices]


@register
class RatingQuestion(ScaleQuestion):
    """An n-point rating with labelled ends, e.g. 1 = Very poor … 5 = Excellent."""

    type: Literal["rating"] = "rating"
    scale: Scale = Scale()
    outcome: ClassVar[bool] = True

    @property
    def effective_scale(self) -> Scale:
        return self.scale

    def own_scale(self) -> Scale | None:
        return self.scale

    def reading_texts(self, survey: Survey) -> list[str]:
        if self.scale.labels is None:
            return [self.text, self.help or "", self.scale.min_label or "", self.scale.max_label or ""]
        return super().reading_texts(survey)

    def score(self, responses: pd.DataFrame, survey: Survey) -> Scored:
        return self.score_mean_item(responses)

    def metric_columns(self, survey: Survey) -> list[MetricColumn]:
        return [self.metric("item")]


@register
class LikertQuestion(ScaleQuestion):
    """Agreement with a statement, on a 5- or 7-point agreement scale."""

    type: Literal["likert"] = "likert"
    points: Literal[5, 7] = 5
    xlsform: ClassVar[XlsformMapping] = XlsformMapping(list_name="likert{points}")
    agreement: ClassVar[bool] = True
    outcome: ClassVar[bool] = True

    @property
    def effective_scale(self) -> Scale:
        return _agreement(self.points)

    def score(self, responses: pd.DataFrame, survey: Survey) -> Scored:
        return self.score_mean_item(responses)

    def metric_columns(self, survey: Survey) -> list[MetricColumn]:
        return [self.metric("item")]


class _HeadlineQuestion(ScaleQuestion):
    """A scale question that is a metric of its own (CSAT, CES, NPS): one summary score per respondent."""

    def metric_columns(self, survey: Survey) -> list[MetricColumn]:
        return [self.metric("metric")]

    def respondent_values(self, responses: pd.DataFrame, survey: Survey) -> pd.Series:
        return self.answers(responses)


@register
class CsatQuestion(_HeadlineQuestion):
    """Customer satisfaction, 1–5 from very dissatisfied to very satisfied; a baseline metric."""

    type: Literal["csat"] = "csat"
    xlsform: ClassVar[XlsformMapping] = XlsformMapping(list_name="csat5")
    baseline: ClassVar[bool] = True
    outcome: ClassVar[bool] = True
    respondent_score: ClassVar[RespondentScore | None] = RespondentScore(
        "csat", "Customer satisfaction", (1.0, 5.0), "higher_is_better", 2)

    @property
    def effective_scale(self) -> Scale:
        return Scale(min=1, max=5, min_label=SATISFACTION_5[0], max_label=SATISFACTION_5[-1], labels=SATISFACTION_5)

    def score(self, responses: pd.DataFrame, survey: Survey) -> Scored:
        answers = self.answers(responses).dropna()
        q = self.id
        return [
            ("overall", score_share(Label(f"{q}:top2", f"CSAT top-2-box, 4–5 ({q})", "csat", "%", q),
                                    answers.isin(CSAT_TOP_2).astype(float))),
            ("overall", score_mean(Label(f"{q}:mean", f"CSAT mean ({q})", "csat", "1–5", q), answers,
                                   bounds=(1, 5))),
        ]


@register
class CesQuestion(_HeadlineQuestion):
    """Customer Effort Score: agreement, 1–7, with "<company> made it easy to <task>"."""

    type: Literal["ces"] = "ces"
    xlsform: ClassVar[XlsformMapping] = XlsformMapping(list_name="ces7")
    agreement: ClassVar[bool] = True
    outcome: ClassVar[bool] = True
    respondent_score: ClassVar[RespondentScore | None] = RespondentScore(
        "ces", "Customer Effort Score", (1.0, 7.0), "higher_is_better", 1)

    @property
    def effective_scale(self) -> Scale:
        return _agreement(7)

    def score(self, responses: pd.DataFrame, survey: Survey) -> Scored:
        answers = self.answers(responses).dropna()
        q = self.id
        return [
            ("overall", score_mean(Label(f"{q}:mean", f"Customer Effort Score, mean ({q})", "ces", "1–7", q),
                                   answers, bounds=(1, 7))),
            ("overall", score_share(Label(f"{q}:easy", f"Found it easy, 5–7 ({q})", "ces", "%", q),
                                    answers.isin(CES_EASY).astype(float))),
        ]


@register
class NpsQuestion(_HeadlineQuestion):
    """Likelihood to recommend, 0–10. Kept as a baseline to compare better questions against."""

    type: Literal["nps"] = "nps"
    xlsform: ClassVar[XlsformMapping] = XlsformMapping(list_name="nps11")
    baseline: ClassVar[bool] = True
    respondent_score: ClassVar[RespondentScore | None] = RespondentScore(
        "nps", "Likelihood to recommend (NPS)", (0.0, 10.0), "higher_is_better", 3)

    @property
    def effective_scale(self) -> Scale:
        return Scale(min=0, max=10, min_label=NPS_ENDS[0], max_label=NPS_ENDS[1])

    def score(self, responses: pd.DataFrame, survey: Survey) -> Scored:
        answers = self.answers(responses)
        answered = answers.dropna()
        q = self.id
        return [
            ("overall", score_nps(Label(f"{q}:nps", f"Net Promoter Score ({q})", "nps", "NPS", q), answers)),
            ("overall", score_share(Label(f"{q}:promoters", f"Promoters, 9–10 ({q})", "nps", "%", q),
                                    (answered >= 9).astype(float))),
            ("overall", score_share(Label(f"{q}:detractors", f"Detractors, 0–6 ({q})", "nps", "%", q),
                                    (answered <= 6).astype(float))),
        ]
