"""Estimated completion time: reading time from word counts plus an answering time per question type.

The model (documented in docs/linter.md) estimates the longest path through the survey, the respondent who
sees every conditional question and every channel row, because `time_budget_minutes` is the longest acceptable
completion time:

* reading at READING_WPM words per minute (adults read 200–240 wpm on screen) over the survey title and intro,
  each page's title and intro, each question's text and help, its choice and scale labels and grid row labels;
* answering: each type's `answering_seconds` (its `answer_seconds`, per row for a grid; a friction grid's
  follow-up counts once);
* PAGE_SECONDS per page for loading and pressing Next.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..model import Survey
from ..questions import QuestionBase
from .findings import Finding, finding
from .walk import placed_questions, words

READING_WPM = 220
PAGE_SECONDS = 3.0


@dataclass(frozen=True)
class QuestionTime:
    """Seconds a question takes: reading its words, then answering."""

    question_id: str
    path: str
    reading_words: int
    answering_seconds: float

    @property
    def seconds(self) -> float:
        return self.reading_words * 60.0 / READING_WPM + self.answering_seconds


def _reading_words(question: QuestionBase, survey: Survey) -> int:
    """Words of every text a respondent reads to answer (an agreement scale's labels once, not once per row)."""
    return sum(len(words(text)) for text in question.reading_texts(survey))


def estimate_question_times(survey: Survey) -> list[QuestionTime]:
    """The estimated time of each question, in survey order."""
    return [
        QuestionTime(p.question.id, p.path, _reading_words(p.question, survey), p.question.answering_seconds(survey))
        for p in placed_questions(survey)
    ]


def estimate_completion_seconds(survey: Survey) -> float:
    """Estimated seconds for the longest path through the survey (every question shown)."""
    page_words = len(words(survey.title)) + len(words(survey.intro or ""))
    page_words += sum(len(words(s.title)) + len(words(s.intro or "")) for s in survey.sections)
    return (
        page_words * 60.0 / READING_WPM
        + PAGE_SECONDS * len(survey.sections)
        + sum(item.seconds for item in estimate_question_times(survey))
    )


def check_timing(survey: Survey) -> Iterator[Finding]:
    """over_time_budget when the estimate exceeds `time_budget_minutes`."""
    seconds = estimate_completion_seconds(survey)
    budget = survey.time_budget_minutes * 60
    if seconds <= budget:
        return
    longest = sorted(estimate_question_times(survey), key=lambda item: item.seconds, reverse=True)[:3]
    named = ", ".join(f"{item.question_id} (~{item.seconds:.0f} s)" for item in longest)
    yield finding(
        "over_time_budget", "time_budget_minutes", None,
        f"estimated completion time {seconds / 60:.1f} min is over the budget of {survey.time_budget_minutes:g} min "
        f"(reading at {READING_WPM} words per minute plus answering time per question); longest: {named}.",
        "Cut or shorten questions, starting with the longest, or raise `time_budget_minutes` if respondents "
        "really will give that long.",
    )
