"""Anonymising a stored response (retention with `anonymise`): it loses its customer id, its links to an
invitation and to a public-link session, and every open-text answer (the respondent's own words may name them);
its scored answers, times, channel, wave and language stay, so the results page keeps its numbers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from surveys.model import Survey


def without_open_text(survey: Survey | None, answers: Mapping[str, Any]) -> dict[str, Any]:
    """`answers` with every open-text answer removed: a question whose columns are all open text loses its
    answer; one with open-text parts (a touchpoint's "what made you hesitate") loses those parts and keeps the
    rest as stored. Checked through the question's own export columns: when any text would be left, the whole
    answer to that question goes. Answers to a version today's rules cannot read (`survey` None) all go."""
    if survey is None:
        return {}
    kept = dict(answers)
    for question in survey.questions():
        texts = question.open_text_columns(survey)
        if not texts or question.id not in kept:
            continue
        if set(texts) >= set(question.columns(survey)):
            del kept[question.id]
            continue
        columns = question.to_columns(kept[question.id], survey)
        words = {value for column in texts if isinstance(value := columns.get(column), str) and value.strip()}
        if not words:
            continue
        stripped = _without_strings(kept[question.id], words)
        left = question.to_columns(stripped, survey)
        if stripped is None or any(isinstance(left.get(column), str) and left[column].strip() for column in texts):
            del kept[question.id]
        else:
            kept[question.id] = stripped
    return kept


def _without_strings(value: Any, words: set[str]) -> Any:
    """`value` (a stored answer: dicts, lists, scalars) without the strings in `words`."""
    if isinstance(value, dict):
        return {key: _without_strings(item, words) for key, item in value.items()
                if not (isinstance(item, str) and item in words)}
    if isinstance(value, list):
        return [_without_strings(item, words) for item in value if not (isinstance(item, str) and item in words)]
    return None if isinstance(value, str) and value in words else value
