"""One question of a respondent page as HTML: its field template (`FieldFactory.template`) rendered, and a
blank question's HTML kept for the next respondent.

Most pages are shown empty: every respondent of a version reads the same HTML for a question with no answer in
it and no error. That HTML is kept per question object and field names (a grid's rows can follow earlier
answers), but only for a question object the process keeps (`QuestionFields.kept`: a published version's, not
piped, not shuffled for one respondent), so a kept text can never be another respondent's. The object also
stands for the page's language: each language has its own view of the survey (`surveys.texts.localised`), and
the chrome's language follows the page's (`languages.use_language`). A question with an answer or an error in
it is rendered every time.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app
from markupsafe import Markup

from surveys.questions import AnswerError

from ..services.kept import Kept
from .forms import Page, QuestionFields

_BLANK = Kept()


def question_html(page: Page, entry: QuestionFields, errors: Mapping[str, AnswerError]) -> Markup:
    """`entry` as the page shows it, with its error (`errors` by question id) when it has one."""
    question = entry.question
    error = errors.get(question.id)
    blank = entry.kept and error is None and page.is_blank(entry)
    if blank:
        kept = _BLANK.get((question,), tuple(entry.names))
        if kept is not None:
            return kept
    described = " ".join([f"{question.id}-hint"] * (question.help is not None)
                         + [f"{question.id}-error"] * (error is not None))
    html = Markup(current_app.jinja_env.get_template(entry.factory.template).render(  # nosec B704 - autoescaped
        page=page, entry=entry, q=question, error=error, described=described,
        error_text=page.error_text(entry, error) if error else None))
    return _BLANK.put((question,), tuple(entry.names), html) if blank else html
