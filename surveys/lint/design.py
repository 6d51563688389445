"""Checks on the survey as a whole: what it measures, whether answers link to customers, follow-ups, size."""

from __future__ import annotations

from collections.abc import Iterator

from ..logic import parse_condition
from ..model import Survey
from ..questions import QuestionBase
from .findings import Finding, finding
from .walk import Placed, placed_questions

MAX_QUESTIONS = 25
MAX_GRID_ROWS = 10
MAX_RANKED = 7
"""More places than this to rank is hard on a phone: beyond the first few, the order is close to random."""


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
    asked = [item for item in placed if item.question.answered]  # a note is read, not answered
    if len(asked) > MAX_QUESTIONS:
        yield finding(
            "too_many_questions", "sections", None,
            f"{len(asked)} questions (more than {MAX_QUESTIONS}); completion and answer quality drop as surveys "
            "grow.",
            "Keep the questions whose answers you will act on; move the rest to a separate, targeted survey.",
        )
    for item in placed:
        question = item.question
        if question.is_grid and len(question.rows(survey)) > MAX_GRID_ROWS:
            yield finding(
                "long_grid", item.path, question.id,
                f"{len(question.rows(survey))} rows (more than {MAX_GRID_ROWS}); long grids invite the same answer "
                "down every row.",
                "Ask about the rows that matter most, or split the grid over two pages.",
            )
        places = getattr(question, "positions", 0) if question.widget == "ranking" else 0
        if places > MAX_RANKED:
            yield finding(
                "long_ranking", item.path, question.id,
                f"{places} places to rank (more than {MAX_RANKED}); on a phone that is a long scroll of lists, and "
                "beyond the first few places the order is close to random.",
                "Ask for the most important few (`top: 3`), or cut the list to the choices that matter.",
            )
        if question.open_ended and question.required:
            yield finding(
                "required_open_question", f"{item.path}.required", question.id,
                "a required open question makes respondents type something to continue; some give up, others "
                "type filler.",
                "Make it optional (`required: false`).",
            )


def _outcome_measures(survey: Survey, placed: list[Placed]) -> Iterator[Finding]:
    # a baseline that measures no experience of its own is likelihood to recommend (NPS)
    nps = [item for item in placed if item.question.baseline and not item.question.outcome]
    if nps and not any(item.question.outcome for item in placed):
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


def _needs_follow_up(question: QuestionBase, has_other_measures: bool) -> bool:
    if question.asks_why():
        return False  # e.g. the friction grid asks "what made you hesitate?" itself
    if question.baseline and has_other_measures:
        return False  # baselines are kept for comparison, not for diagnosis (DESIGN.md)
    return question.rated


def _low_score_follow_ups(survey: Survey, placed: list[Placed]) -> Iterator[Finding]:
    worst = {item.question.id: item.question.worst_answer(survey) for item in placed}
    worst = {question_id: answer for question_id, answer in worst.items() if answer is not None}
    has_other_measures = any(not survey.question(question_id).baseline for question_id in worst)
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
            f"better?\", show_if: \"{question.low_answer_condition(survey)}\"}}, or end with an open question for "
            "everyone.",
        )


def _asks_everyone(question: QuestionBase) -> bool:
    return question.open_ended and question.show_if is None


def _follows_up(later: QuestionBase, question_id: str, worst: dict[str, object]) -> bool:
    if not later.open_ended:
        return False
    if later.show_if is None:
        return True
    condition = parse_condition(later.show_if)
    if question_id not in {ref for ref, _ in condition.references()}:
        return False
    return condition.evaluate(worst)
