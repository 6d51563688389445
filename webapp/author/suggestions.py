""""Apply suggestion": a lint finding that carries a rewrite (`Finding.rewrites`, surveys/lint) can be applied
from the editor with one button. The form names the finding (code, path, question); the view runs the linter
on the stored draft again and applies that finding's own rewrite — never a text sent by the browser — so a
stale page (the text changed meanwhile) is refused with a message instead of writing an old suggestion.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from surveys.definition import InvalidDefinition, Problem
from surveys.lint import lint_survey

from ..accounts.guard import requires_role
from ..services import authoring
from . import edits
from .views import author_email, bp, db, editor_page


@bp.post("/<slug>/findings/apply")
@requires_role("author")
def apply_suggestion(slug: str) -> ResponseReturnValue:
    code, path, question_id = (request.form.get(name, "")[:300] for name in ("code", "path", "question_id"))
    findings = lint_survey(authoring.read_draft(db(), slug))
    found = next((item for item in findings if (item.code, item.path, item.question_id or "") == (
        code, path, question_id) and item.rewrites), None)
    if found is None or not found.question_id:
        return editor_page(slug, status=409, problems=[Problem(
            path, "this suggestion no longer applies (the text changed since the page was shown, or the linter "
                  "offers no rewrite for it); see the findings as they are now")])
    rewrites = found.rewrites
    try:
        authoring.apply_edit(db(), slug, lambda data: edits.apply_rewrite(data, question_id, rewrites),
                             author=author_email())
    except InvalidDefinition as error:
        return editor_page(slug, problems=error.problems, status=400)
    if len(rewrites) == 2:
        flash(f"Split {question_id} in two: “{rewrites[0]}” and “{rewrites[1]}”.")
    else:
        flash(f"Applied the suggestion to {question_id}: “{rewrites[0]}”.")
    return redirect(url_for(".editor", slug=slug, _anchor=f"q-{question_id}"))
