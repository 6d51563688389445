"""The condition builder of the question editor: an earlier question (or one row of a rated grid), an
operator and a value become the text of a `show_if` (the condition language of surveys/logic.py), so an
author need not type it. What may be combined follows the question's declared `value_kind` and its
`options()`; a combination that cannot work is refused with a message naming the field.

The text box of the question form stays for anything the builder does not offer (several clauses, lists).
"""

from __future__ import annotations

from dataclasses import dataclass

from surveys.model import Survey
from surveys.questions import QuestionBase

OPERATORS = {
    "==": "is", "!=": "is not", "<": "is below", "<=": "is at most", ">": "is above", ">=": "is at least",
    "in": "includes", "not in": "does not include", "answered": "is answered", "not answered": "is not answered",
}
"""Every operator the builder offers, with its words."""
BY_KIND = {
    "scale": ("==", "!=", "<", "<=", ">", ">="), "number": ("==", "!=", "<", "<=", ">", ">="),
    "choice": ("==", "!="), "text": ("==", "!="), "multi": ("in", "not in"),
}
"""Operators comparing a value, by what a condition reads in the question (`value_kind`); every answered
question also takes `answered` and `not answered`."""
COMBINE = {"replace": "Replace the condition", "and": "Also require the current condition (and)",
           "or": "Either this or the current condition (or)"}


@dataclass(frozen=True)
class Reference:
    """An answer a condition can read: `ref` is `question` or `question.row`."""

    ref: str
    label: str
    kind: str
    values: tuple[tuple[str, str], ...]
    """(value, label) of the answers it can have; empty when any text or number goes."""

    @property
    def operators(self) -> tuple[str, ...]:
        return (*BY_KIND.get(self.kind, ()), "answered", "not answered")


def references(survey: Survey, question_id: str) -> list[Reference]:
    """The answers of the questions before `question_id` that a condition may read, in survey order."""
    found: list[Reference] = []
    for question in survey.questions():
        if question.id == question_id:
            break
        if not question.answered:
            continue
        short = " ".join(str(question.text).split())[:60]
        if question.is_grid:
            found.append(Reference(question.id, f"{question.id}: {short} (any row)", "grid", ()))
            points = tuple((str(value), label) for value, label in question.scale_points())
            if points:
                found += [Reference(f"{question.id}.{row}", f"{question.id}.{row}: {short} – {label}", "scale", points)
                          for row, label in question.rows(survey)]
            continue
        found.append(Reference(question.id, f"{question.id}: {short}", question.value_kind,
                               tuple((value, str(label)) for value, label in _values(question))))
    return found


def _values(question: QuestionBase) -> list[tuple[str, str]]:
    try:
        return question.options()
    except NotImplementedError:
        return []


class ConditionRefused(ValueError):
    """A combination that cannot work; `field` is the builder's field concerned (question, operator, value)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def build_condition(survey: Survey, question_id: str, ref: str, operator: str, value: str) -> str:
    """The `show_if` text for "`ref` `operator` `value`"; `ConditionRefused` naming the field when the
    question is not an earlier one, the operator does not suit its answers, or the value is not one of them."""
    known = {item.ref: item for item in references(survey, question_id)}
    if ref not in known:
        raise ConditionRefused("question", f"choose one of the questions before {question_id}"
                               if known else f"no question comes before {question_id}: it is always shown")
    item = known[ref]
    if operator not in OPERATORS:
        raise ConditionRefused("operator", "choose one of the operators")
    if operator not in item.operators:
        allowed = ", ".join(f"“{OPERATORS[op]}”" for op in item.operators)
        raise ConditionRefused("operator", f"“{OPERATORS[operator]}” does not suit the answers of {ref}; "
                                           f"choose {allowed}")
    if operator in ("answered", "not answered"):
        return f"answered({ref})" if operator == "answered" else f"not answered({ref})"
    value = value.strip()
    if not value:
        raise ConditionRefused("value", f"enter the answer of {ref} to compare with")
    if item.values and value not in {code for code, _ in item.values}:
        choices = ", ".join(code for code, _ in item.values[:25])
        raise ConditionRefused("value", f"{value[:40]!r} is not an answer of {ref}; it can be {choices}")
    if item.kind in ("scale", "number"):
        try:
            number = float(value)
        except ValueError:
            raise ConditionRefused("value", f"{ref} is answered with a number: enter one, not {value[:40]!r}") from None
        if number != number or abs(number) == float("inf"):
            raise ConditionRefused("value", "enter a finite number")
        shown = str(int(number)) if number.is_integer() else repr(number)
        return f"{ref} {operator} {shown}"
    if item.kind == "multi":
        return f"{_quoted(value)} {operator} {ref}"
    return f"{ref} {operator} {_quoted(value)}"


def combine(current: str | None, new: str, how: str) -> str:
    """The new condition alone (`replace`), or joined to the current one with `and` / `or`."""
    if how not in COMBINE:
        raise ConditionRefused("combine", "choose how to combine it with the current condition")
    if how == "replace" or not (current or "").strip():
        return new
    return f"({current}) {how} {new}"
