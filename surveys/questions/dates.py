"""The date question: a day of the calendar (when the visit, the delivery, the call was), answered as an ISO date.
The whole declaration of the type (docs/question-types.md); its page field is a browser date box
(`<input type="date">`, a plain text box where the browser has none) and the server reads YYYY-MM-DD only."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import field_validator, model_validator

from .base import AnswerError, ColumnKind, QuestionBase, ValueKind, Widget
from .registry import register
from .xlsform_mapping import XlsformMapping

if TYPE_CHECKING:
    from ..model import Survey

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TODAY = "today"
"""A bound written `today`: the day the respondent answers (UTC), e.g. `max: today` for a date in the past."""
DATE_FORMAT_MESSAGE = "enter the date as YYYY-MM-DD, for example 2026-03-31"


def parse_date(raw: Any) -> date:
    """An ISO date (YYYY-MM-DD) from text, or a date (a datetime read back from a table keeps its day); AnswerError
    for anything else, saying the format expected."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str) or not ISO_DATE.fullmatch(raw.strip()):
        raise AnswerError(DATE_FORMAT_MESSAGE)
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise AnswerError(f"{raw.strip()} is not a day of the calendar; {DATE_FORMAT_MESSAGE}") from None


def today() -> date:
    return datetime.now(UTC).date()


@register
class DateQuestion(QuestionBase):
    """A date, e.g. "When did you visit us?"; `min` and `max` (a date or `today`) bound it."""

    type: Literal["date"] = "date"
    min: str | None = None
    max: str | None = None
    widget: ClassVar[Widget] = "date"
    value_kind: ClassVar[ValueKind] = "text"
    answer_seconds: ClassVar[float] = 8.0
    xlsform: ClassVar[XlsformMapping] = XlsformMapping(untagged=True)
    """`min` and `max` travel in cxroi_settings (an XLSForm date constraint is not read back)."""

    @field_validator("min", "max")
    @classmethod
    def _a_date_or_today(cls, value: str | None) -> str | None:
        if value is None or value == TODAY:
            return value
        if not ISO_DATE.fullmatch(value):
            raise ValueError(f"{value[:40]!r} is not a date: write YYYY-MM-DD (e.g. 2026-03-31) or today")
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a day of the calendar") from None
        return value

    @model_validator(mode="after")
    def _range(self) -> DateQuestion:
        if self.min is not None and self.max is not None and TODAY not in (self.min, self.max) \
                and self.max < self.min:
            raise ValueError(f"max ({self.max}) must not be before min ({self.min})")
        if self.min == TODAY and self.max == TODAY:
            raise ValueError("min and max are both today: there is nothing to ask")
        return self

    def bound(self, which: Literal["min", "max"]) -> date | None:
        """The bound as a day (today's date for `today`); None without one."""
        value = self.min if which == "min" else self.max
        if value is None:
            return None
        return today() if value == TODAY else date.fromisoformat(value)

    def clean_answer(self, raw: Any, survey: Survey) -> str:
        day = parse_date(raw)
        low, high = self.bound("min"), self.bound("max")
        if low is not None and day < low:
            raise AnswerError("must be today or later" if self.min == TODAY else f"must be {low.isoformat()} or later")
        if high is not None and day > high:
            raise AnswerError("must be today or earlier" if self.max == TODAY
                              else f"must be {high.isoformat()} or earlier")
        return day.isoformat()

    def column_kinds(self, survey: Survey) -> dict[str, ColumnKind]:
        return {self.id: "date"}
