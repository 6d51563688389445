"""Page logic: pages shown only when a condition holds (`Section.show_if`), screen-outs that end the survey early
with their own closing text (`Survey.screen_out`), and calculated values stored with a response
(`Survey.calculate`). docs/definition-format.md, "Page logic".

Which pages a respondent sees is worked out page by page, in order: a page's condition reads the answers of the
pages shown before it (and the calculated values over them), so answers left on a page that was later hidden
never show or hide anything.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping, MutableMapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from pydantic import Field, field_validator

from .expressions import parse_arithmetic
from .logic import parse_condition
from .questions import ColumnKind, Identifier, Strict
from .texts import Prose

if TYPE_CHECKING:
    from .model import Survey

SCREENED_OUT_KEY = "_screened_out"
"""Key of the stored answers naming the screen-out rule that ended the response (no question id can take it: ids
start with a letter). The response is stored complete; the export shows the rule's id in `SCREENED_OUT_COLUMN`."""
SCREENED_OUT_COLUMN = "screened_out"
"""The export column of a survey with screen-out rules: the id of the rule that ended the response, else blank."""
MAX_CALCULATIONS = 200
MAX_SCREEN_OUTS = 50
_arithmetic = lru_cache(maxsize=4096)(parse_arithmetic)
"""Parsed once per expression: every page a respondent sends works out which pages are shown (parsed trees are
frozen, so sharing them is safe)."""


class Calculation(Strict):
    """A value derived from the answers (`(q1 + q2) / 2`), computed when the response is submitted, stored in
    its answers under `id` and exported as a column; conditions on later pages can read it."""

    id: Identifier
    expression: str = Field(min_length=1, max_length=2000,
                            description="Arithmetic over answers: + - * /, brackets, numbers, question ids.")

    @field_validator("expression")
    @classmethod
    def _parses(cls, value: str) -> str:
        parse_arithmetic(value)  # ExpressionSyntaxError is a ValueError: pydantic reports it at .expression
        return value


class ScreenOut(Strict):
    """End the survey after the page where `when` becomes true: the response is stored complete, marked as
    screened out, and the respondent reads `text` instead of the survey's thank-you."""

    id: Identifier
    when: str = Field(min_length=1, max_length=2000)
    text: Prose | None = Field(default=None, description="The closing text (none: the survey's thank_you).")

    @field_validator("when")
    @classmethod
    def _condition_parses(cls, value: str) -> str:
        parse_condition(value)
        return value


def calculated(survey: Survey, answers: Mapping[str, Any]) -> dict[str, float | None]:
    """Every calculated value over `answers`, in the definition's order (a calculation may read earlier ones);
    None where a value it reads is missing or not a number, or it divides by zero."""
    values: dict[str, Any] = {}
    # no copy of the answers (this runs for every page sent); a ChainMap only writes to its first mapping
    context = ChainMap(values, cast("MutableMapping[str, Any]", answers))
    for calculation in survey.calculate:
        values[calculation.id] = _arithmetic(calculation.expression).evaluate(context)
    return values


def with_calculated(survey: Survey, answers: Mapping[str, Any]) -> dict[str, Any]:
    """`answers` with their calculated values added (those with no value left out), as stored on submit."""
    if not survey.calculate:
        return dict(answers)
    return dict(answers) | {key: value for key, value in calculated(survey, answers).items() if value is not None}


@lru_cache(maxsize=4096)
def _reads(condition: str) -> frozenset[str]:
    return frozenset(name for name, _ in parse_condition(condition).references())


def shown_pages(survey: Survey, answers: Mapping[str, Any], until: int | None = None) -> list[bool]:
    """For every page (up to page `until`), whether the respondent sees it given `answers` (see the module's
    docstring)."""
    shown: list[bool] = []
    seen: dict[str, Any] = {}
    calculations = {calculation.id for calculation in survey.calculate}
    for section in survey.sections[:None if until is None else until + 1]:
        visible = True
        if section.show_if is not None:
            values: dict[str, Any] = {}
            if calculations & _reads(section.show_if):
                values = {key: value for key, value in calculated(survey, seen).items() if value is not None}
            visible = parse_condition(section.show_if).evaluate(ChainMap(values, seen) if values else seen)
        shown.append(visible)
        if visible:
            seen |= {q.id: answers[q.id] for q in section.questions if q.id in answers}
    return shown


def in_view(survey: Survey, answers: Mapping[str, Any], page: int, shown: list[bool] | None = None) -> dict[str, Any]:
    """What the conditions on `page` read: the answers to the pages shown before it (`shown`, when the caller has
    worked it out), with the values calculated over them."""
    if any(section.show_if is not None for section in survey.sections):
        shown = shown if shown is not None else shown_pages(survey, answers, until=page - 1)
        ids = {q.id for index, section in enumerate(survey.sections[:page]) if shown[index] for q in section.questions}
    else:
        ids = {q.id for section in survey.sections[:page] for q in section.questions}
    return with_calculated(survey, {key: value for key, value in answers.items() if key in ids})


def next_page(survey: Survey, page: int, answers: Mapping[str, Any]) -> int | None:
    """The page after `page` the respondent sees, or None when `page` is the last one they see."""
    shown = shown_pages(survey, answers)
    return next((index for index in range(page + 1, len(shown)) if shown[index]), None)


def progress(survey: Survey, page: int, answers: Mapping[str, Any],
             shown: list[bool] | None = None) -> tuple[int, int]:
    """(the place of `page` among the pages the respondent sees, how many pages they see), given the answers so
    far (or `shown`, when the caller has worked it out): pages that page logic hides are not counted ("Page 2 of
    3" on a four-page survey with one page skipped). Later answers may show or hide later pages, so the count can
    change as the respondent goes on; `page` itself always counts."""
    seen = list(shown if shown is not None else shown_pages(survey, answers))
    seen[page] = True
    return sum(seen[:page + 1]), sum(seen)


def previous_page(survey: Survey, page: int, answers: Mapping[str, Any], shown: list[bool] | None = None) -> int:
    """The page before `page` the respondent sees (the first page is always shown)."""
    shown = shown if shown is not None else shown_pages(survey, answers)
    return next((index for index in range(page - 1, 0, -1) if shown[index]), 0)


def screen_out_after(survey: Survey, answers: Mapping[str, Any]) -> ScreenOut | None:
    """The first screen-out rule that `answers` (with their calculated values) make true, if any."""
    if not survey.screen_out:
        return None
    context = with_calculated(survey, answers)
    return next((rule for rule in survey.screen_out if parse_condition(rule.when).evaluate(context)), None)


def screened_out_by(survey: Survey, answers: Mapping[str, Any]) -> ScreenOut | None:
    """The screen-out rule that ended a stored response, if one did."""
    rule_id = answers.get(SCREENED_OUT_KEY)
    return next((rule for rule in survey.screen_out if rule.id == rule_id), None)


def logic_columns(survey: Survey) -> list[str]:
    """The export columns page logic adds after the questions': one per calculation, then `screened_out` when
    the survey has screen-out rules."""
    return [*(calculation.id for calculation in survey.calculate),
            *([SCREENED_OUT_COLUMN] if survey.screen_out else [])]


def logic_cells(survey: Survey, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The cells of `logic_columns` for one response's stored answers."""
    cells: dict[str, Any] = {calculation.id: answers.get(calculation.id) for calculation in survey.calculate}
    if survey.screen_out:
        cells[SCREENED_OUT_COLUMN] = answers.get(SCREENED_OUT_KEY)
    return cells


def logic_column_kinds(survey: Survey) -> dict[str, ColumnKind]:
    """The kind of value each of `logic_columns` holds: a calculated value is a number, a screen-out a rule id."""
    kinds: dict[str, ColumnKind] = dict.fromkeys((calculation.id for calculation in survey.calculate), "number")
    return kinds | ({SCREENED_OUT_COLUMN: "text"} if survey.screen_out else {})


def pipe_calculated(survey: Survey, answers: Mapping[str, Any]) -> dict[str, str]:
    """What `{{ calculation_id }}` shows in a text, over the answers so far: the number as written (4.5, 3), nothing
    while it has no value."""
    return {name: str(int(value)) if value.is_integer() else f"{value:g}"
            for name, value in calculated(survey, answers).items() if value is not None}
