"""Answering "Not applicable": a question offers it when it, or the survey, sets `not_applicable: true`.

Only one-choice questions offer it — single choice, the scales, and each row of a scale grid — because only there
a respondent otherwise has to pick a point that is not true of them. A page sends the raw value `NOT_APPLICABLE`
("n/a": no choice code or scale point can be written so). It is stored apart from the answers, in the answers
mapping under `STORED_KEY` (a key no question id can take: ids start with a letter), as the sorted names
`question_id` or `question_id.row_id`. So everything that reads answers by question id — export, scoring,
conditions, follow-up rules — sees a question answered "Not applicable" as unanswered (missing), while the
response still says the respondent chose it. A required question is answered by "Not applicable".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import Problem
from .questions import AnswerError, QuestionBase

if TYPE_CHECKING:
    from .model import Survey

NOT_APPLICABLE = "n/a"
"""The raw value of the "Not applicable" choice."""
STORED_KEY = "_not_applicable"
"""Key of the stored answers holding the names answered "Not applicable"."""
WIDGETS = frozenset({"radio", "row_radios"})
"""The widgets that can offer "Not applicable": one radio group, one radio group per grid row."""


def offers_not_applicable(survey: Survey, question: QuestionBase) -> bool:
    """Whether `question` shows a "Not applicable" choice: its own `not_applicable`, else the survey's."""
    if question.widget not in WIDGETS:
        return False
    own = question.not_applicable
    return survey.not_applicable if own is None else own


def take_not_applicable(survey: Survey, question: QuestionBase, raw: Any,
                        earlier: Mapping[str, Any]) -> tuple[Any, list[str]]:
    """Split a raw answer into the rest of the answer and the names answered "Not applicable". A grid row the
    respondent is not shown (`rows_for`) cannot be answered so: `AnswerError` naming it."""
    if not offers_not_applicable(survey, question):
        return raw, []
    if question.widget == "row_radios":
        if not isinstance(raw, Mapping):
            return raw, []
        shown = {row for row, _ in question.rows_for(survey, earlier)}
        skipped = [row for row, value in raw.items() if value == NOT_APPLICABLE]
        for row in skipped:
            if row not in shown:
                raise AnswerError(f"row {str(row)[:40]!r} is not asked here", str(row)[:40])
        rest = {row: value for row, value in raw.items() if value != NOT_APPLICABLE}
        return rest, [f"{question.id}.{row}" for row in skipped]
    if raw == NOT_APPLICABLE:
        return None, [question.id]
    return raw, []


def not_applicable_of(answers: Mapping[str, Any]) -> list[str]:
    """The names a response answered "Not applicable" (none when the key is absent or not a list of names)."""
    names = answers.get(STORED_KEY)
    return [name for name in names if isinstance(name, str)] if isinstance(names, list) else []


def merge_not_applicable(answers: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """`answers` with `names` added to its "Not applicable" list (sorted, no duplicates); the key is left out
    when the list is empty."""
    merged = sorted(set(not_applicable_of(answers)) | set(names))
    answers = {key: value for key, value in answers.items() if key != STORED_KEY}
    return answers | {STORED_KEY: merged} if merged else answers


def replace_page(stored: Mapping[str, Any], cleaned: Mapping[str, Any], question_ids: set[str]) -> dict[str, Any]:
    """The stored answers with one page's answers replaced by `cleaned` (as `Survey.clean_section` returns them):
    answers and "Not applicable" names of the page's questions are dropped, then the page's new ones added."""
    kept = {key: value for key, value in stored.items() if key not in question_ids and key != STORED_KEY}
    kept_names = [name for name in not_applicable_of(stored) if name.partition(".")[0] not in question_ids]
    return merge_not_applicable(kept | {key: value for key, value in cleaned.items() if key != STORED_KEY},
                                [*kept_names, *not_applicable_of(cleaned)])


def with_not_applicable(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Stored answers back as a page's raw answers, "Not applicable" in place (to check them again, or to show
    the choice ticked when the respondent comes back to the page)."""
    raw = {key: value for key, value in answers.items() if key != STORED_KEY}
    for name in not_applicable_of(answers):
        question_id, _, row = name.partition(".")
        if row:
            current = raw.get(question_id)
            raw[question_id] = (dict(current) if isinstance(current, Mapping) else {}) | {row: NOT_APPLICABLE}
        else:
            raw[question_id] = NOT_APPLICABLE
    return raw


def check_not_applicable(survey: Survey) -> list[Problem]:
    """`not_applicable: true` on a question that cannot offer it (open text, numbers, check boxes, yes/no grids)."""
    problems = []
    for s, section in enumerate(survey.sections):
        for q, question in enumerate(section.questions):
            if question.not_applicable and question.widget not in WIDGETS:
                problems.append(Problem(f"sections[{s}].questions[{q}].not_applicable",
                                        f"a {question.type} question cannot be answered 'Not applicable'; only "
                                        "single choice, scale and scale-grid questions can"))
    return problems
