"""Grid question types, asked once per row: brand promises (alignment), touchpoints (friction), channels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from .base import (
    TEXT_LIMIT,
    AnswerError,
    Identifier,
    Polarity,
    QuestionBase,
    Scale,
    _agreement,
    _as_int,
    _cell,
    is_blank,
)

if TYPE_CHECKING:
    from ..model import Survey

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
