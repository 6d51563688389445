"""Grid question types, asked once per row: brand promises (alignment), touchpoints (friction), channels.
Each class is the whole declaration of its type (see docs/question-types.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pandas as pd

from ..errors import Problem
from ..scoring.answers import read_numbers, require_columns
from ..scoring.intervals import Label, score_mean, score_share
from ..texts import LabelText
from .base import (
    CHANNEL_ENDS,
    HESITATION_PROMPT,
    TEXT_LIMIT,
    AnswerError,
    ColumnKind,
    Identifier,
    MetricColumn,
    Polarity,
    QuestionBase,
    RespondentScore,
    Scale,
    Scored,
    ValueKind,
    Widget,
    _agreement,
    _as_int,
    _cell,
    is_blank,
)
from .registry import register
from .xlsform_mapping import XlsformMapping

if TYPE_CHECKING:
    from ..model import Survey


class GridQuestion(QuestionBase):
    """A question asked once per row; the answer is a mapping row id → value."""

    widget: ClassVar[Widget] = "row_radios"
    value_kind: ClassVar[ValueKind] = "scale"
    is_grid: ClassVar[bool] = True
    row_references: ClassVar[bool] = True
    rated: ClassVar[bool] = True
    single_judgement: ClassVar[bool] = True
    item_family: ClassVar[str] = ""
    """The ROI analysis's family name for the grid's rows as items (e.g. alignment_item)."""

    def _row_subset(self) -> list[str] | None:
        subset: list[str] | None = getattr(self, self.row_subset_field)
        return subset

    def rows(self, survey: Survey) -> list[tuple[str, str]]:
        available = survey.grid_rows(self.row_source)
        subset = self._row_subset()
        if subset is None:
            return available
        labels = dict(available)
        return [(row, labels[row]) for row in subset if row in labels]

    def columns(self, survey: Survey) -> list[str]:
        return [f"{self.id}.{row}" for row, _ in self.rows(survey)]

    def check(self, survey: Survey, path: str, earlier: Mapping[str, QuestionBase]) -> list[Problem]:
        problems = []
        source, field = self.row_source, self.row_subset_field
        available = {row for row, _ in survey.grid_rows(source)}
        for index, row in enumerate(self._row_subset() or []):
            if row not in available:
                problems.append(Problem(f"{path}.{field}[{index}]", f"{row!r} is not one of the survey's {source}"))
        if not self.rows(survey) and not problems:
            problems.append(Problem(path, f"this grid needs at least one of the survey's {source} as rows"))
        return problems

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

    def missing_rows(self, answer: Any, survey: Survey, earlier: Mapping[str, Any]) -> list[str]:
        return [row for row, _ in self.rows_for(survey, earlier) if row not in answer]

    def to_columns(self, answer: Any, survey: Survey) -> dict[str, Any]:
        answer = answer or {}
        return {f"{self.id}.{row}": answer.get(row) for row, _ in self.rows(survey)}

    def from_columns(self, row: Mapping[str, Any], survey: Survey) -> Any:
        cells = {r: _cell(row, f"{self.id}.{r}") for r, _ in self.rows(survey)}
        return {r: v for r, v in cells.items() if v is not None} or None

    def reading_texts(self, survey: Survey) -> list[str]:
        return [*super().reading_texts(survey), *(label for _, label in self.rows(survey))]

    def answering_seconds(self, survey: Survey) -> float:
        return self.answer_seconds * len(self.rows(survey))

    def metric_columns(self, survey: Survey) -> list[MetricColumn]:
        low, high = self.scale_range() or (0, 1)
        return [MetricColumn(f"{self.id}.{row}", label, self.item_family, (float(low), float(high)), self.polarity,
                             "item") for row, label in self.rows(survey)]

    def ratings(self, responses: pd.DataFrame, survey: Survey) -> pd.DataFrame:
        """Each row's answers as floats on the question's scale (NaN when unanswered), one column per row id."""
        columns = [f"{self.id}.{row}" for row, _ in self.rows(survey)]
        require_columns(responses, columns)
        low, high = self.scale_range() or (0, 1)
        return pd.DataFrame({row: read_numbers(responses, f"{self.id}.{row}", low=low, high=high)
                             for row, _ in self.rows(survey)}, index=responses.index)


class _ScaleGrid(GridQuestion):
    """A grid answered on a scale in every row (alignment, channel ratings)."""

    @property
    def row_scale(self) -> Scale:
        raise NotImplementedError

    def scale_points(self) -> list[tuple[int, str]]:
        scale = self.row_scale
        return [(value, scale.label_of(value)) for value in range(scale.min, scale.max + 1)]

    def scale_range(self) -> tuple[int, int]:
        return (self.row_scale.min, self.row_scale.max)

    def clean_row(self, raw: Any, row: str) -> int:
        return _as_int(raw, self.row_scale, row)

    def reading_texts(self, survey: Survey) -> list[str]:
        # an agreement scale's labels are read once, not once per row
        return [self.text, self.help or "", *(label for _, label in self.scale_points() if not label.isdigit()),
                *(label for _, label in self.rows(survey))]

    def possible_values(self, row: str | None) -> list[Any] | None:
        if row is None:
            return None
        low, high = self.scale_range()
        return [None, *range(low, high + 1)]

    def worst_answer(self, survey: Survey) -> Any:
        low, _ = self.scale_range()
        return {row: low for row, _ in self.rows(survey)}

    def low_answer_condition(self, survey: Survey) -> str:
        low, high = self.scale_range()
        rows = self.rows(survey)
        return f"{self.id}.{rows[0][0] if rows else 'row'} <= {(low + high) // 2}"


@register
class AlignmentQuestion(_ScaleGrid):
    """How well the experience matched each brand promise (agreement scale); scored as the Brand Alignment Score."""

    type: Literal["alignment"] = "alignment"
    points: Literal[5, 7] = 5
    promises: list[Identifier] | None = None
    """Which of the survey's brand promises to ask about; all of them when omitted."""
    row_source: ClassVar[str] = "brand_promises"
    row_subset_field: ClassVar[str] = "promises"
    item_family: ClassVar[str] = "alignment_item"
    xlsform: ClassVar[XlsformMapping] = XlsformMapping(list_name="likert{points}")
    agreement: ClassVar[bool] = True
    outcome: ClassVar[bool] = True
    respondent_score: ClassVar[RespondentScore | None] = RespondentScore(
        "bas", "Brand Alignment Score", (0.0, 100.0), "higher_is_better", 0)

    @property
    def row_scale(self) -> Scale:
        return _agreement(self.points)

    def points_0_100(self, responses: pd.DataFrame, survey: Survey) -> pd.DataFrame:
        """Each promise's answers rescaled to 0–100 as (x − 1)/(points − 1) × 100, one column per promise id."""
        return (self.ratings(responses, survey) - 1) / (self.points - 1) * 100

    def respondent_values(self, responses: pd.DataFrame, survey: Survey) -> pd.Series:
        return self.points_0_100(responses, survey).mean(axis=1)

    def score(self, responses: pd.DataFrame, survey: Survey) -> Scored:
        points = self.points_0_100(responses, survey)
        labels = dict(self.rows(survey))
        q = self.id
        scored: Scored = [
            ("overall", score_mean(Label(f"{q}:bas", f"Brand Alignment Score ({q})", "bas", "0–100", q),
                                   points.mean(axis=1), bounds=(0, 100))),
        ]
        for row in points.columns:
            label = Label(f"{q}.{row}", f"Brand alignment: {labels[row]}", "bas", "0–100", q, row)
            scored.append(("promises", score_mean(label, points[row], bounds=(0, 100))))
        return scored


@register
class FrictionQuestion(GridQuestion):
    """Per touchpoint: did anything make you hesitate? 1 = yes, 0 = no; optional follow-up asks what.

    Exported as `question_id.touchpoint` (0/1) and, with `follow_up`, `question_id.touchpoint.what` (text).
    """

    type: Literal["friction"] = "friction"
    touchpoints: list[Identifier] | None = None
    follow_up: bool = True
    follow_up_text: LabelText = HESITATION_PROMPT
    widget: ClassVar[Widget] = "row_yes_no"
    value_kind: ClassVar[ValueKind] = "friction"
    row_source: ClassVar[str] = "touchpoints"
    row_subset_field: ClassVar[str] = "touchpoints"
    item_family: ClassVar[str] = "friction_item"
    xlsform: ClassVar[XlsformMapping] = XlsformMapping(  # field-list: the text follow-ups do not fit a table
        list_name="hesitated", row_choices=(("1", "Yes"), ("0", "No")), grid_appearance="field-list",
        follow_up_flag="follow_up")
    polarity: ClassVar[Polarity] = "lower_is_better"
    answer_seconds: ClassVar[float] = 4.0
    follow_up_seconds: ClassVar[float] = 20.0
    """The follow-up box counts once, however many touchpoints there are."""
    respondent_score: ClassVar[RespondentScore | None] = RespondentScore(
        "friction_count", "Touchpoints with friction", None, "lower_is_better", 4)

    def asks_why(self) -> bool:
        return self.follow_up  # the grid asks "what made you hesitate?" itself

    def follow_up_prompt(self) -> str | None:
        return self.follow_up_text if self.follow_up else None

    def own_texts(self) -> list[tuple[str, str]]:
        return [*super().own_texts(), *([("follow_up_text", self.follow_up_text)] if self.follow_up else [])]

    def columns(self, survey: Survey) -> list[str]:
        columns = []
        for row, _ in self.rows(survey):
            columns.append(f"{self.id}.{row}")
            if self.follow_up:
                columns.append(f"{self.id}.{row}.what")
        return columns

    def column_kinds(self, survey: Survey) -> dict[str, ColumnKind]:
        return {column: "text" if column.endswith(".what") else "integer" for column in self.columns(survey)}

    def open_text_columns(self, survey: Survey) -> dict[str, str]:
        if not self.follow_up:
            return {}
        return {f"{self.id}.{row}.what": f"{self.text} ({label})" for row, label in self.rows(survey)}

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

    def reading_texts(self, survey: Survey) -> list[str]:
        return [*super().reading_texts(survey), *([self.follow_up_text] if self.follow_up else [])]

    def answering_seconds(self, survey: Survey) -> float:
        return super().answering_seconds(survey) + (self.follow_up_seconds if self.follow_up else 0.0)

    def possible_values(self, row: str | None) -> list[Any] | None:
        return None if row is None else [None, {"hesitated": True}, {"hesitated": False}]

    def worst_answer(self, survey: Survey) -> Any:
        return {row: {"hesitated": True} for row, _ in self.rows(survey)}

    def low_answer_condition(self, survey: Survey) -> str:
        rows = self.rows(survey)
        return f"{self.id}.{rows[0][0] if rows else 'row'} == 1"

    def respondent_values(self, responses: pd.DataFrame, survey: Survey) -> pd.Series:
        """Touchpoints with friction per respondent; NaN for a respondent who answered no touchpoint."""
        return self.ratings(responses, survey).sum(axis=1, min_count=1)

    def score(self, responses: pd.DataFrame, survey: Survey) -> Scored:
        flags = self.ratings(responses, survey)
        labels = dict(self.rows(survey))
        q = self.id
        per_respondent = Label(f"{q}:count", f"Touchpoints with friction per respondent ({q})", "friction",
                               "touchpoints", q)
        scored: Scored = [("overall", score_mean(per_respondent, self.respondent_values(responses, survey),
                                                 bounds=(0, len(labels))))]
        for row in flags.columns:
            label = Label(f"{q}.{row}", f"Friction: {labels[row]}", "friction", "%", q, row)
            scored.append(("touchpoints", score_share(label, flags[row])))
        return scored


@register
class ChannelRatingQuestion(_ScaleGrid):
    """One rating per contact channel the respondent used; channels not used are left blank.

    With `used_channels_from`, only the channels picked in that earlier multi-choice question
    (whose choice codes are channel ids) are shown and accepted.
    """

    type: Literal["channel_rating"] = "channel_rating"
    scale: Scale = Scale(min=1, max=5, min_label=CHANNEL_ENDS[0], max_label=CHANNEL_ENDS[1])
    channels: list[Identifier] | None = None
    used_channels_from: Identifier | None = None
    row_source: ClassVar[str] = "channels"
    row_subset_field: ClassVar[str] = "channels"
    item_family: ClassVar[str] = "channel_item"
    xlsform: ClassVar[XlsformMapping] = XlsformMapping(rows_picked_in="used_channels_from")
    outcome: ClassVar[bool] = True

    @property
    def row_scale(self) -> Scale:
        return self.scale

    def own_scale(self) -> Scale | None:
        return self.scale

    def rows_for(self, survey: Survey, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
        rows = self.rows(survey)
        if self.used_channels_from is None:
            return rows
        used = answers.get(self.used_channels_from) or []
        return [(row, label) for row, label in rows if row in used]

    def row_dependencies(self) -> set[str]:
        return {self.used_channels_from} if self.used_channels_from else set()

    def check(self, survey: Survey, path: str, earlier: Mapping[str, QuestionBase]) -> list[Problem]:
        problems = super().check(survey, path, earlier)
        if self.used_channels_from:
            source = earlier.get(self.used_channels_from)
            if source is None or source.widget != "checkboxes":
                problems.append(Problem(f"{path}.used_channels_from",
                                        f"{self.used_channels_from!r} is not an earlier multi_choice question"))
            else:
                available = {row for row, _ in survey.grid_rows(self.row_source)}
                unknown = [code for code, _ in source.options() if code not in available]
                if unknown:
                    problems.append(Problem(f"{path}.used_channels_from",
                                            f"choice {unknown[0]!r} of {source.id!r} is not a channel id"))
        return problems

    def clean_on_page(self, raw: Any, survey: Survey, earlier: Mapping[str, Any]) -> Any:
        if isinstance(raw, Mapping):
            allowed = {row for row, _ in self.rows_for(survey, earlier)}
            extra = [row for row, v in raw.items() if row not in allowed and not is_blank(v)]
            if extra:
                raise AnswerError(f"channel {extra[0]!r} was not among those you used", extra[0])
        return self.clean_answer(raw, survey)

    def expects_answer(self, survey: Survey, earlier: Mapping[str, Any]) -> bool:
        return bool(self.rows_for(survey, earlier))  # no channel used: nothing to rate, even when required

    def score(self, responses: pd.DataFrame, survey: Survey) -> Scored:
        ratings = self.ratings(responses, survey)
        labels = dict(self.rows(survey))
        low, high = self.scale_range()
        unit = f"{low}–{high}"
        q = self.id
        # Consistency: for each respondent who rated two or more channels, best minus worst rating; 0 = consistent.
        rated_two = ratings.notna().sum(axis=1) >= 2
        spread = (ratings.max(axis=1) - ratings.min(axis=1))[rated_two]
        consistency = Label(f"{q}:consistency", f"Gap between best and worst channel ({q})", "channel", "points", q)
        scored: Scored = [("overall", score_mean(consistency, spread, bounds=(0, high - low)))]
        for row in ratings.columns:
            label = Label(f"{q}.{row}", f"{labels[row]} rating", "channel", unit, q, row)
            scored.append(("channels", score_mean(label, ratings[row], bounds=(low, high))))
        return scored
