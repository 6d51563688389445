"""The ranking question: the respondent puts choices in order ("order these touchpoints by importance to you"),
all of them or only the `top` N. The whole declaration of the type (docs/question-types.md).

The answer is the list of choice codes in rank order (first = most important); a table holds one column per choice,
`question_id.choice_code`, with the choice's rank (1 = first), blank when it was not ranked (outside the top N)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, model_validator

from .base import AnswerError, ColumnKind, ValueKind, Widget, _cell, is_blank
from .plain import ChoiceQuestionBase
from .registry import register
from .xlsform_mapping import XlsformMapping

if TYPE_CHECKING:
    from ..model import Survey


def ordinal(number: int) -> str:
    """1 → '1st', 2 → '2nd', 11 → '11th', 23 → '23rd'."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


@register
class RankingQuestion(ChoiceQuestionBase):
    """Order the choices; with `top`, rank only the N most important (the others stay unranked)."""

    type: Literal["ranking"] = "ranking"
    top: int | None = Field(default=None, ge=1)
    widget: ClassVar[Widget] = "ranking"
    value_kind: ClassVar[ValueKind] = "multi"
    """A condition reads the ranked codes as a list (`'price' in q_rank`), in rank order."""
    answer_seconds: ClassVar[float] = 4.0
    """Per rank position: reading the remaining choices again and picking one."""
    xlsform: ClassVar[XlsformMapping] = XlsformMapping(untagged=True)

    @model_validator(mode="after")
    def _enough_choices(self) -> RankingQuestion:
        if len(self.choices) < 2:
            raise ValueError("a ranking needs at least two choices to put in order")
        if self.top is not None and self.top > len(self.choices):
            raise ValueError(f"top ({self.top}) is more than the {len(self.choices)} choices")
        return self

    @property
    def positions(self) -> int:
        """How many rank positions the respondent fills: `top`, or every choice."""
        return self.top if self.top is not None else len(self.choices)

    def clean_answer(self, raw: Any, survey: Survey) -> list[str]:
        """The codes in rank order, from a list in rank order (a blank for an empty position), the XLSForm form
        (codes separated by spaces) or a mapping of code to rank (a table row's columns)."""
        if isinstance(raw, str):
            raw = raw.split()
        if isinstance(raw, Mapping):
            raw = self._by_rank(raw)
        if not isinstance(raw, (list, tuple)):
            raise AnswerError("expected the choices in rank order")
        slots = [None if is_blank(item) else str(item).strip() for item in raw]
        while slots and slots[-1] is None:
            slots.pop()
        if len(slots) > self.positions:
            raise AnswerError(f"rank at most {self.positions} choices")
        labels = dict(self.options())
        seen: dict[str, int] = {}
        for position, code in enumerate(slots, 1):
            if code is None:
                later = next(p for p, c in enumerate(slots, 1) if p > position and c is not None)
                raise AnswerError(f"{ordinal(position)} is empty but {ordinal(later)} is chosen: rank in order, "
                                  "leaving no gap", str(position), names_rows=True)
            if code not in labels:
                raise AnswerError(f"{ordinal(position)}: {code[:40]!r} is not one of the choices", str(position),
                                  names_rows=True)
            if code in seen:
                raise AnswerError(f"{labels[code]} is chosen at both {ordinal(seen[code])} and {ordinal(position)}; "
                                  "choose each once", str(position), names_rows=True)
            seen[code] = position
        if self.required and len(slots) < self.positions:
            empty = ", ".join(ordinal(p) for p in range(len(slots) + 1, self.positions + 1))
            raise AnswerError(f"rank {self.positions} choices; still empty: {empty}", str(len(slots) + 1),
                              names_rows=True)
        return [code for code in slots if code is not None]

    def _by_rank(self, ranks: Mapping[str, Any]) -> list[str | None]:
        """A mapping of code → rank as positions; two codes of one rank or a rank that is not a whole number
        from 1 to the number of positions is an error naming the choice."""
        slots: list[str | None] = [None] * self.positions
        labels = dict(self.options())
        for code, rank in ranks.items():
            if is_blank(rank):
                continue
            try:
                number = float(rank)
            except (TypeError, ValueError):
                number = 0.5
            if not number.is_integer() or not 1 <= number <= self.positions:
                raise AnswerError(f"{labels.get(code, code)}: the rank must be a whole number from 1 to "
                                  f"{self.positions}")
            if slots[int(number) - 1] is not None:
                raise AnswerError(f"{labels.get(code, code)} and {labels.get(str(slots[int(number) - 1]))} are "
                                  f"both ranked {int(number)}")
            slots[int(number) - 1] = code
        return slots

    def rows(self, survey: Survey) -> list[tuple[str, str]]:
        """The choices, each a column of its own (as a multi choice's): labels for the exports' variables."""
        return [(c.code, c.label) for c in self.choices]

    def columns(self, survey: Survey) -> list[str]:
        return [f"{self.id}.{c.code}" for c in self.choices]

    def column_kinds(self, survey: Survey) -> dict[str, ColumnKind]:
        return dict.fromkeys(self.columns(survey), "integer")

    def to_columns(self, answer: Any, survey: Survey) -> dict[str, Any]:
        ranks = {code: rank for rank, code in enumerate(answer or [], 1)}
        return {f"{self.id}.{c.code}": ranks.get(c.code) for c in self.choices}

    def from_columns(self, row: Mapping[str, Any], survey: Survey) -> Any:
        cells = {c.code: _cell(row, f"{self.id}.{c.code}") for c in self.choices}
        return None if all(v is None for v in cells.values()) else cells

    def answering_seconds(self, survey: Survey) -> float:
        return self.answer_seconds * self.positions
