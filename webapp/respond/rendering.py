"""One question of a respondent page as HTML: its field template (`FieldFactory.template`) rendered, and a
blank question's HTML kept for the next respondent.

Most pages are shown empty: every respondent of a version reads the same HTML for a question with no answer in
it and no error. That HTML is kept per question object, page language and field names (a grid's rows follow
earlier answers), but only for a question object the process keeps (`QuestionFields.kept`: a published version's,
not piped, not shuffled for one respondent), so a kept text can never be another respondent's. A question with
an answer or an error in it is rendered every time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app
from flask_babel import get_locale
from markupsafe import Markup

from surveys.questions import AnswerError, QuestionBase

from .forms import Page, QuestionFields

KEPT_LIMIT = 2048
"""Blank questions kept at most; all are forgotten when it is reached (a long-running process with many versions)."""

_KEPT: dict[tuple[Any, ...], tuple[QuestionBase, Markup]] = {}


def question_html(page: Page, entry: QuestionFields, errors: Mapping[str, AnswerError]) -> Markup:
    """`entry` as the page shows it, with its error (`errors` by question id) when it has one."""
    question = entry.question
    error = errors.get(question.id)
    key = None
    if entry.kept and error is None and page.is_blank(entry):
        key = (id(question), str(get_locale()), tuple(entry.names))
        kept = _KEPT.get(key)
        if kept is not None and kept[0] is question:  # the same object, not a reused id
            return kept[1]
    described = " ".join([f"{question.id}-hint"] * (question.help is not None)
                         + [f"{question.id}-error"] * (error is not None))
    html = Markup(current_app.jinja_env.get_template(entry.factory.template).render(  # nosec B704 - autoescaped
        page=page, entry=entry, q=question, error=error, described=described,
        error_text=page.error_text(entry, error) if error else None))
    if key is not None:
        if len(_KEPT) >= KEPT_LIMIT:
            _KEPT.clear()
        _KEPT[key] = (question, html)
    return html
