"""What every question type shares: ids, the answer error, scales, blank answers, and the base classes.

`QuestionBase` lists everything a question type declares, each with a default: the generic code of the
package (page validation, definition checks, scoring, the ROI metrics, export, the linter, XLSForm) asks a
question through these and never asks which class it is; what only the linter reads is declared in
lint_traits.py, which `QuestionBase` inherits. docs/question-types.md is the recipe for a new type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, field_validator

from ..errors import Problem
from ..logic import parse_condition
from ..scoring.answers import read_numbers
from ..scoring.intervals import Label, score_mean
from ..scoring.scorecard import Group, MetricScore
from ..texts import LabelText, Prose, Text
from .lint_traits import LintTraits
from .xlsform_mapping import XlsformMapping

if TYPE_CHECKING:
    from ..model import Survey

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)]


def _parses_as_condition(value: str) -> str:
    parse_condition(value)  # ConditionSyntaxError is a ValueError: pydantic reports it at the field (.show_if)
    return value


ShowIf = Annotated[str, AfterValidator(_parses_as_condition)]
"""A `show_if` condition (surveys/logic.py) of a question or a page, refused where it is written when it does not
parse."""
Polarity = Literal["higher_is_better", "lower_is_better"]
Widget = Literal["text", "number", "radio", "checkboxes", "row_radios", "row_yes_no", "date", "ranking", "note"]
"""How a respondent answers, which the web layer renders: a text box, a number box, one radio group (choices or
scale points), check boxes, one radio group per grid row, a yes/no per row with an optional follow-up box, a date
box, one choice list per rank position, or nothing at all (a note, read only)."""
ValueKind = Literal["text", "number", "choice", "multi", "scale", "friction"]
"""What a condition reads in a question's value (or, for a grid, in each row's value)."""
ColumnKind = Literal["text", "integer", "number", "date"]
"""The kind of value an export column holds (a date: ISO text, YYYY-MM-DD, in the answers and CSV)."""
Scored = list[tuple[Group, MetricScore]]

TEXT_LIMIT = 5000
"""Longest open-text answer accepted, in characters (documented in docs/definition-format.md)."""

AGREEMENT_5 = ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree")
AGREEMENT_7 = (
    "Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree",
    "Somewhat agree", "Agree", "Strongly agree",
)
SATISFACTION_5 = ("Very dissatisfied", "Dissatisfied", "Neither satisfied nor dissatisfied", "Satisfied", "Very satisfied")
NPS_ENDS = ("Not at all likely", "Extremely likely")
CHANNEL_ENDS = ("Very poor", "Excellent")
HESITATION_PROMPT = "What made you hesitate?"
FIXED_TEXTS = tuple(dict.fromkeys((*AGREEMENT_7, *AGREEMENT_5, *SATISFACTION_5, *NPS_ENDS, *CHANNEL_ENDS,
                                   HESITATION_PROMPT)))
"""The English texts the question types write themselves (fixed scales' labels, default labels and prompts): not
part of a definition, so the respondent pages translate them through their catalogues (webapp/respond)."""


class AnswerError(ValueError):
    """An answer that the question's rules reject; `row` names the grid row when there is one (the first, when
    several are concerned); `names_rows` says the message already names its rows by their labels, so a page
    shows it as it is rather than after the row's label."""

    def __init__(self, message: str, row: str | None = None, *, names_rows: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.row = row
        self.names_rows = names_rows


class MissingAnswer(AnswerError):
    """A required question left blank (not an error when importing a response that stopped part-way)."""


class MissingRows(AnswerError):
    """Rows of a required grid left blank (the rows given are kept): like a blank question, something a
    respondent going Back may leave for later."""


@dataclass(frozen=True)
class MetricColumn:
    """A column of the responses table that the ROI analysis can test as a predictor of churn and revenue.

    `role` is "metric" for a headline measure of its own (CES, CSAT, NPS) and "item" for a question or grid row
    that can drive one; `family` groups like columns (e.g. `alignment_item`)."""

    column: str
    label: str
    family: str
    scale: tuple[float, float] | None
    polarity: Polarity
    role: Literal["metric", "item"]


@dataclass(frozen=True)
class RespondentScore:
    """One summary score per respondent that a type contributes to `respondent_scores` (e.g. `bas`)."""

    base: str
    label: str
    scale: tuple[float, float] | None
    polarity: Polarity
    order: int
    """Position of the column among the summary scores (bas, ces, csat, nps, friction_count)."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(Strict):
    code: Identifier
    label: LabelText


class Scale(Strict):
    """An n-point numeric scale; labels of the two ends, and optionally of every point."""

    min: int = 1
    max: int = 5
    min_label: LabelText | None = None
    max_label: LabelText | None = None
    labels: tuple[LabelText, ...] | None = None

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


class QuestionBase(Strict, LintTraits):
    if TYPE_CHECKING:
        type: str  # each registered type declares its own Literal tag as a pydantic field

    id: Identifier
    text: Text
    help: Prose | None = None
    required: bool = False
    show_if: ShowIf | None = None
    rationale: str | None = None
    """Why this question is worth asking; shown to CX leads, never to respondents."""
    not_applicable: bool | None = None
    """Offer a "Not applicable" choice (surveys/not_applicable.py); None: as the survey's `not_applicable` says."""

    # --- what the type declares (class-level), with the defaults of a plain question -------------------------
    widget: ClassVar[Widget] = "text"
    value_kind: ClassVar[ValueKind] = "text"
    polarity: ClassVar[Polarity] = "higher_is_better"
    is_grid: ClassVar[bool] = False
    """Asked once per row of the survey's brand promises, touchpoints or channels."""
    row_source: ClassVar[str] = ""
    """The survey's list a grid's rows come from (brand_promises, touchpoints or channels); empty without rows."""
    row_subset_field: ClassVar[str] = ""
    """The field of a grid naming a subset of those rows (all of them when it is omitted)."""
    row_references: ClassVar[bool] = False
    """Conditions may read one row (`q.row`): grid rows, or a multi-choice question's choice codes."""
    open_ended: ClassVar[bool] = False
    """Answered in the respondent's own words."""
    answered: ClassVar[bool] = True
    """Takes an answer; a note (display-only text) does not: it has no columns and cannot be required."""
    respondent_score: ClassVar[RespondentScore | None] = None
    """The per-respondent summary score this type contributes to the ROI analysis, if any."""
    xlsform: ClassVar[XlsformMapping] = XlsformMapping()
    """How the type is written in an XLSForm workbook and read back; the defaults suit a scale question."""

    # --- shape of the answer ------------------------------------------------------------------------------

    def rows(self, survey: Survey) -> list[tuple[str, str]]:
        return []

    def rows_for(self, survey: Survey, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The rows a respondent sees, given their answers to earlier questions."""
        return self.rows(survey)

    def row_dependencies(self) -> set[str]:
        """Ids of the earlier questions whose answers decide which rows are shown."""
        return set()

    def options(self) -> list[tuple[str, str]]:
        """(value, label) of every option of a radio group or check box list: choices or scale points."""
        return [(str(value), label) for value, label in self.scale_points()]

    def scale_points(self) -> list[tuple[int, str]]:
        """(value, label) for every point of the question's scale; empty when it has none."""
        return []

    def for_respondent(self, seed: str) -> QuestionBase:
        """The question as one respondent sees it (`seed` names them): itself, or with its choices in that
        respondent's order when it shuffles them (`randomize`)."""
        return self

    def scale_range(self) -> tuple[int, int] | None:
        return None

    # --- checking a definition and an answer ----------------------------------------------------------------

    def check(self, survey: Survey, path: str, earlier: Mapping[str, QuestionBase]) -> list[Problem]:
        """Problems of this question that depend on the rest of the survey (rows, references to `earlier`)."""
        return []

    def clean_answer(self, raw: Any, survey: Survey) -> Any:
        raise NotImplementedError

    def clean_on_page(self, raw: Any, survey: Survey, earlier: Mapping[str, Any]) -> Any:
        """`clean_answer`, knowing the respondent's earlier answers (which may limit the rows shown)."""
        return self.clean_answer(raw, survey)

    def expects_answer(self, survey: Survey, earlier: Mapping[str, Any]) -> bool:
        """Whether a required question has anything to answer (a grid of the channels used may have none)."""
        return True

    def missing_rows(self, answer: Any, survey: Survey, earlier: Mapping[str, Any]) -> list[str]:
        """Rows of a required grid left blank in `answer`."""
        return []

    # --- the responses table ----------------------------------------------------------------------------------

    def columns(self, survey: Survey) -> list[str]:
        return [self.id]

    def column_kinds(self, survey: Survey) -> dict[str, ColumnKind]:
        """The kind of value each export column holds."""
        return {column: "integer" for column in self.columns(survey)}

    def open_text_columns(self, survey: Survey) -> dict[str, str]:
        """Columns holding respondents' own words, each with what it answers (for comments and sentiment)."""
        return {}

    def to_columns(self, answer: Any, survey: Survey) -> dict[str, Any]:
        return {self.id: answer}

    def from_columns(self, row: Mapping[str, Any], survey: Survey) -> Any:
        """The raw answer held in this question's columns of a responses-table row (the inverse of
        `to_columns`), to be checked with `clean_answer`; None when the respondent gave none."""
        return _cell(row, self.id)

    # --- scores and metrics -----------------------------------------------------------------------------------

    def score(self, responses: pd.DataFrame, survey: Survey) -> Scored:
        """(group, metric) pairs over the responses; none for a type that is not scored (open text)."""
        return []

    def respondent_values(self, responses: pd.DataFrame, survey: Survey) -> pd.Series:
        """This question's `respondent_score` for every response (NaN when unanswered)."""
        raise NotImplementedError

    def metric_columns(self, survey: Survey) -> list[MetricColumn]:
        """The columns the ROI analysis may test as metrics or drivers."""
        return []

    # --- what the library's documentation, XLSForm and the linter read -------------------------------------

    def follow_up_prompt(self) -> str | None:
        """The text of the question's own follow-up box (friction's "What made you hesitate?"); None without one."""
        return None

    def own_choices(self) -> list[Choice]:
        """The choices written in the definition's `choices` field (single and multi choice); empty without one."""
        return []


class ScaleQuestion(QuestionBase):
    """A question answered with one point on a numeric scale."""

    widget: ClassVar[Widget] = "radio"
    value_kind: ClassVar[ValueKind] = "scale"
    rated: ClassVar[bool] = True
    single_judgement: ClassVar[bool] = True

    @property
    def effective_scale(self) -> Scale:
        raise NotImplementedError

    def scale_points(self) -> list[tuple[int, str]]:
        scale = self.effective_scale
        return [(value, scale.label_of(value)) for value in range(scale.min, scale.max + 1)]

    def scale_range(self) -> tuple[int, int]:
        return (self.effective_scale.min, self.effective_scale.max)

    def clean_answer(self, raw: Any, survey: Survey) -> int:
        return _as_int(raw, self.effective_scale)

    def possible_values(self, row: str | None) -> list[Any] | None:
        if row is not None:
            return None
        low, high = self.scale_range()
        return [None, *range(low, high + 1)]

    def worst_answer(self, survey: Survey) -> Any:
        low, high = self.scale_range()
        return low if self.polarity == "higher_is_better" else high

    def reading_texts(self, survey: Survey) -> list[str]:
        # an agreement scale's labels are read once
        return [*super().reading_texts(survey), *(label for _, label in self.scale_points() if not label.isdigit())]

    def score_mean_item(self, responses: pd.DataFrame) -> Scored:
        """The mean answer with its interval, in the "items" group (ratings, Likert items)."""
        low, high = self.scale_range()
        label = Label(f"{self.id}:mean", f"{title(self)} ({self.id})", "item", f"{low}–{high}", self.id)
        return [("items", score_mean(label, self.answers(responses), bounds=(low, high)))]

    def answers(self, responses: pd.DataFrame) -> pd.Series:
        """The answers as floats (NaN when unanswered); `InvalidValue` for one off the scale."""
        low, high = self.scale_range()
        return read_numbers(responses, self.id, low=low, high=high)

    def metric(self, role: Literal["metric", "item"], family: str | None = None) -> MetricColumn:
        low, high = self.scale_range()
        return MetricColumn(self.id, self.text[:80], family or str(type(self).model_fields["type"].default),
                            (low, high), self.polarity, role)


def title(question: QuestionBase, limit: int = 60) -> str:
    """The question's text on one line, shortened to `limit` characters."""
    text = " ".join(question.text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
