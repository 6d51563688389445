"""Checks on `show_if` conditions: questions on the same page as the answer they depend on, and questions that
no answer can ever show (each question lists the values a condition can read in it: `possible_values`)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from ..logic import Condition, parse_condition
from ..model import Survey
from ..questions import QuestionBase
from .findings import Finding, finding
from .walk import placed_questions

MAX_COMBINATIONS = 4096
"""Conditions whose referenced answers have more combinations than this are not enumerated."""


def check_conditions(survey: Survey) -> Iterator[Finding]:
    """same_page_condition and never_shown over every question with a `show_if`."""
    by_id = {question.id: question for question in survey.questions()}
    for placed in placed_questions(survey):
        question = placed.question
        if question.show_if is None:
            continue
        condition = parse_condition(question.show_if)
        references = condition.references()
        same_page = {q.id for q in placed.section.questions}
        for question_id in dict.fromkeys(ref for ref, _ in references):
            if question_id in same_page:
                yield finding(
                    "same_page_condition", f"{placed.path}.show_if", question.id,
                    f"the condition reads {question_id!r}, which is on the same page; respondent pages run no "
                    "JavaScript, so this question is always displayed and its answer is discarded when the "
                    "condition turns out false.",
                    f"Move {question.id!r} to a later page than {question_id!r} (e.g. the start of the next section).",
                )
        if not _can_be_true(condition, by_id):
            yield finding(
                "never_shown", f"{placed.path}.show_if", question.id,
                f"no possible answer makes “{question.show_if}” true, so no respondent will ever see this question.",
                "Check the values against the referenced question's scale or choice codes.",
            )


def _can_be_true(condition: Condition, by_id: dict[str, QuestionBase]) -> bool:
    """Whether some combination of answers to the referenced questions makes the condition true."""
    references = condition.references()
    # a multi-choice answer is one list whichever of its codes the condition reads
    keys = list(dict.fromkeys((question_id, None if _one_list(by_id.get(question_id)) else row)
                              for question_id, row in references))
    domains: list[list[Any]] = []
    for question_id, row in keys:
        question = by_id.get(question_id)
        values = None if question is None else question.possible_values(row)
        if values is None:
            return True  # cannot enumerate (numbers, free text): give it the benefit of the doubt
        domains.append(values)
    total = 1
    for domain in domains:
        total *= len(domain)
    if total > MAX_COMBINATIONS:
        return True
    for combination in itertools.product(*domains):
        answers: dict[str, Any] = {}
        for (question_id, row), value in zip(keys, combination, strict=True):
            if value is None:
                continue
            if row is None:
                answers[question_id] = value
            else:
                answers.setdefault(question_id, {})[row] = value
        if condition.evaluate(answers):
            return True
    return False


def _one_list(question: QuestionBase | None) -> bool:
    """A multi-choice question: `q.code` reads one list of codes, not a value per row."""
    return question is not None and question.value_kind == "multi"
