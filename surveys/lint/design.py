"""Checks on the survey as a whole: what it measures, whether answers link to customers, follow-ups, size."""

from __future__ import annotations

from collections.abc import Iterator

from ..logic import parse_condition
from ..model import Survey
from ..questions import QuestionBase, ScaleQuestion
from ..questions.grids import AlignmentQuestion, ChannelRatingQuestion, FrictionQuestion, GridQuestion
from ..questions.plain import NpsQuestion, TextQuestion
from .conditions import worst_answer
from .findings import Finding, finding
from .walk import Placed, placed_questions, type_tag

OUTCOME_TYPES = frozenset({"ces", "csat", "alignment", "likert", "rating", "channel_rating"})
"""Question types that measure the experience itself, beyond likelihood to recommend (a channel rating is a
rating grid)."""

MAX_QUESTIONS = 25
MAX_GRID_ROWS = 10


def check_design(survey: Survey) -> Iterator[Finding]:
    """Survey-level checks."""
    placed = list(placed_questions(survey))
    yield from _outcome_measures(survey, placed)
    if survey.customer_id_param is None:
        yield finding(
            "no_customer_link", "customer_id_param", None,
            "the public link carries no customer id, so only personal links will be linkable: answers from the "
            "public link cannot be joined to churn and revenue, and the ROI analysis loses them.",
            "Set `customer_id_param` (e.g. `customer_id_param: cid`) so links like …?cid=C123 are linkable, or "
            "send the survey only through personal invitations (`cxroi invite`).",
        )
    yield from _low_score_follow_ups(survey, placed)
    if len(placed) > MAX_QUESTIONS:
        yield finding(
            "too_many_questions", "sections", None,
            f"{len(placed)} questions (more than {MAX_QUESTIONS}); completion and answer quality drop as surveys "
            "grow.",
            "Keep the questions whose answers you will act on; move the rest to a separate, targeted survey.",
        )
    for item in placed:
        question = item.question
        if isinstance(question, GridQuestion) and len(question.rows(survey)) > MAX_GRID_ROWS:
            yield finding(
                "long_grid", item.path, question.id,
                f"{len(question.rows(survey))} rows (more than {MAX_GRID_ROWS}); long grids invite the same answer "
                "down every row.",
                "Ask about the rows that matter most, or split the grid over two pages.",
            )
        if isinstance(question, TextQuestion) and question.required:
            yield finding(
                "required_open_question", f"{item.path}.required", question.id,
                "a required open question makes respondents type something to continue; some give up, others "
                "type filler.",
                "Make it optional (`required: false`).",
            )


def _outcome_measures(survey: Survey, placed: list[Placed]) -> Iterator[Finding]:
    types = {type_tag(item.question) for item in placed}
    nps = [item for item in placed if isinstance(item.question, NpsQuestion)]
    if nps and not types & OUTCOME_TYPES:
        first = nps[0]
        yield finding(
            "nps_only_outcome", first.path, first.question.id,
            "likelihood to recommend is the only outcome measure: it says little about what to fix, and the "
            "analysis cannot compare it with a better metric to see which one predicts retention and revenue.",
            "Add at least one measure of the experience itself: a `ces` (\"<Company> made it easy to …\"), an "
            "`alignment` grid over your brand promises, or a `csat`; keep the nps question as the baseline.",
        )
    elif not any(item.question.scale_range() is not None for item in placed):
        yield finding(
            "no_outcome_measure", "sections", None,
            "no question gives a number (scale, rating or grid), so there is nothing to relate to retention and "
            "revenue.",
            "Add an outcome measure such as a `ces` or an `alignment` grid.",
        )


BASELINE_TYPES = frozenset({"nps", "csat"})
"""Baseline metrics: kept for comparison, not for diagnosis (DESIGN.md), so they need no follow-up of their own
when the survey has other rated questions."""


def _needs_follow_up(question: QuestionBase, has_other_measures: bool) -> bool:
    if isinstance(question, FrictionQuestion):
        return not question.follow_up  # the friction grid asks "what made you hesitate?" itself
    if type_tag(question) in BASELINE_TYPES and has_other_measures:
        return False
    return isinstance(question, (ScaleQuestion, AlignmentQuestion, ChannelRatingQuestion))


def _low_score_follow_ups(survey: Survey, placed: list[Placed]) -> Iterator[Finding]:
    worst = {item.question.id: worst_answer(item.question, survey) for item in placed}
    worst = {question_id: answer for question_id, answer in worst.items() if answer is not None}
    has_other_measures = any(
        question_id for question_id in worst if type_tag(survey.question(question_id)) not in BASELINE_TYPES
    )
    for position, item in enumerate(placed):
        question = item.question
        if not _needs_follow_up(question, has_other_measures):
            continue
        # an open box on the same page is seen together with the scale, so it collects the "why" too
        same_page = [other for other in placed if other.section_index == item.section_index and other is not item]
        if any(_asks_everyone(other.question) for other in same_page) or any(
            _follows_up(later.question, question.id, worst) for later in placed[position + 1:]
        ):
            continue
        yield finding(
            "no_low_score_follow_up", item.path, question.id,
            f"no open question follows a low answer to {question.id!r}: you will see the score drop but not why.",
            f"On a later page add e.g. {{id: {question.id}_why, type: text, text: \"What could we have done "
            f"better?\", show_if: \"{_low_condition(question, survey)}\"}}, or end with an open question for "
            "everyone.",
        )


def _asks_everyone(question: QuestionBase) -> bool:
    return isinstance(question, TextQuestion) and question.show_if is None


def _follows_up(later: QuestionBase, question_id: str, worst: dict[str, object]) -> bool:
    if not isinstance(later, TextQuestion):
        return False
    if later.show_if is None:
        return True
    condition = parse_condition(later.show_if)
    if question_id not in {ref for ref, _ in condition.references()}:
        return False
    return condition.evaluate(worst)


def _low_condition(question: QuestionBase, survey: Survey) -> str:
    range_ = question.scale_range()
    low, high = range_ if range_ is not None else (1, 5)
    middle = (low + high) // 2
    if isinstance(question, GridQuestion):
        rows = question.rows(survey)
        row = rows[0][0] if rows else "row"
        if isinstance(question, FrictionQuestion):
            return f"{question.id}.{row} == 1"
        return f"{question.id}.{row} <= {middle}"
    return f"{question.id} <= {middle}"
