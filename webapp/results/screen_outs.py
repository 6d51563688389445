"""The screened-out responses of the results pages: complete responses a `screen_out` rule ended early.

A screened-out response is stored with the status `complete` (the status column allows partial and complete
only) and told apart by its answers: the rule's id under `_screened_out` (`surveys.page_logic.SCREENED_OUT_KEY`,
docs/definition-format.md, "Page logic"). The results pages show such responses apart from the complete ones
that went to the end: they are neither a completion nor a drop-off, so the completion rate leaves them out
(`ResponseCounts`).

They are counted with the other figures, in the tallies (`webapp.services.tallies.SCREENED_OUT`, the rule's id
as the answer): the submit counts them, a filtered view counts them in SQL with the rest (`counting.py`), and
migration 0022 counted those stored before. A page view reads no response for them. No status of its own: the
respondent path stays as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..services import tallies
from ..services.export_rows import reading
from ..storage.models import SurveyRecord, SurveyVersion
from ..storage.tallies import AnswerTally

NO_CHANNEL = "(no channel)"


@dataclass(frozen=True)
class ScreenOuts:
    """The screened-out responses of one survey (those matching the page's filters)."""

    total: int = 0
    by_channel: Mapping[str, int] = field(default_factory=dict)
    """Channel (`NO_CHANNEL` when none) → screened-out responses."""
    by_rule: Mapping[str, int] = field(default_factory=dict)
    """The screen-out rule's id → responses it ended."""


@dataclass(frozen=True)
class ResponseCounts:
    """The response counts of a results page, with the screened-out responses apart from the complete ones."""

    started: int
    complete: int
    """Complete responses that went to the end (not screened out)."""
    screened_out: int
    partial: int

    @classmethod
    def of(cls, complete: int, partial: int, screened_out: int) -> ResponseCounts:
        """From the summary's counts: `complete` holds the screened-out responses too."""
        return cls(complete + partial, complete - screened_out, screened_out, partial)

    @property
    def completion_rate(self) -> float | None:
        """Share of the eligible started responses that went to the end (0–1): complete / (complete + partial).
        A screened-out respondent was stopped as outside the survey's population, neither a completion nor a
        drop-off, so is outside both; None when no eligible response started."""
        eligible = self.complete + self.partial
        return self.complete / eligible if eligible else None


def screen_outs_of(counted: Iterable[tallies.Tally]) -> ScreenOuts:
    """The screened-out responses the tallies count (the stored ones, or a filtered view's), by channel and by
    rule."""
    by_channel: dict[str, int] = {}
    by_rule: dict[str, int] = {}
    for tally in counted:
        if tally.question_id == tallies.SCREENED_OUT:
            by_channel[tally.channel or NO_CHANNEL] = by_channel.get(tally.channel or NO_CHANNEL, 0) + tally.count
            by_rule[tally.answer] = by_rule.get(tally.answer, 0) + tally.count
    return ScreenOuts(sum(by_channel.values()), dict(sorted(by_channel.items())), dict(sorted(by_rule.items())))


def screen_outs_by_survey(session: Session) -> dict[str, int]:
    """Survey slug → its screened-out responses, for the list of results (from the tallies: one indexed read)."""
    query = (sa.select(SurveyRecord.slug, sa.func.sum(AnswerTally.count))
             .join(SurveyVersion, SurveyVersion.survey_id == SurveyRecord.id)
             .join(AnswerTally, AnswerTally.version_id == SurveyVersion.id)
             .where(AnswerTally.question_id == tallies.SCREENED_OUT)
             .group_by(SurveyRecord.slug))
    with reading(session) as reader:
        return {slug: int(count) for slug, count in reader.execute(query)}
