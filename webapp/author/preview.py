"""Preview as a respondent: the draft page by page, answers checked and never stored in the database."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from surveys.model import Survey
from surveys.page_logic import next_page, previous_page
from surveys.questions import AnswerError

from ..accounts.guard import requires_role
from ..respond import BACK
from ..respond.forms import build_page, navigation
from ..security import BASE_POLICY
from ..services import authoring
from ..services.responding import earlier_answers
from .views import bp, db

PREVIEW_KEY = "author_preview"
PREVIEW_LIMIT = 1500
"""Most characters of preview answers kept in the signed session cookie (browsers drop cookies over 4 KB,
which would sign the author out); open-text answers are never kept: `OPEN_TEXT_KEPT` stands for them."""
OPEN_TEXT_KEPT = "…"


@bp.route("/<slug>/preview", methods=["GET", "POST"])
@requires_role("author")
def preview(slug: str) -> ResponseReturnValue:
    """The draft exactly as a respondent sees it, page by page; answers are checked, never stored in the
    database. The choices made on earlier pages ride in the session cookie so that conditions and channel
    grids on later pages behave as for a respondent; opening the preview without a page starts afresh."""
    survey = authoring.read_draft(db(), slug)
    embed = request.args.get("embed") == "1"
    self_url = url_for(".preview", slug=slug, embed=1) if embed else url_for(".preview", slug=slug)
    kept = _preview_answers(slug)
    if request.method == "GET":
        if "page" not in request.args:
            _keep_preview_answers(survey, {})
        index = request.args.get("page", default=0, type=int)
        if not 0 <= index < len(survey.sections):
            return redirect(self_url)
        return _framed(_preview_page(survey, index, self_url, kept, formdata=None), embed)
    try:
        index = int(request.form.get("page", ""))
    except ValueError:
        abort(400, description="the form did not say which page it is")
    if not 0 <= index < len(survey.sections):
        abort(400, description=f"this survey has no page {index + 1}")
    if BACK in request.form:  # nothing is stored in a preview: Back just goes back, over pages page logic hides
        return redirect(_page_url(self_url, previous_page(survey, index, kept)), 303)
    earlier = earlier_answers(survey, kept, index)
    page = build_page(survey, index, earlier, formdata=request.form)
    answers, errors = survey.clean_section(survey.sections[index], page.read_raw(request.form), earlier)
    if errors:
        return _framed(_preview_page(survey, index, self_url, kept, formdata=request.form, errors=errors,
                                     status=400), embed)
    _keep_preview_answers(survey, earlier | answers)
    following = next_page(survey, index, earlier | answers)  # as a respondent goes: hidden pages passed over
    if following is not None:
        return redirect(_page_url(self_url, following), 303)
    if embed:  # the side preview stays in its frame: back to its first page
        return redirect(_page_url(self_url, 0), 303)
    flash("That was the last page of the preview; nothing you entered was stored.")
    return redirect(url_for(".editor", slug=slug), 303)


def _page_url(self_url: str, index: int) -> str:
    return f"{self_url}{'&' if '?' in self_url else '?'}page={index}"


def _framed(result: tuple[str, int], embed: bool) -> ResponseReturnValue:
    """The side preview (`embed=1`) may be framed by this site's own pages (the editor), and only by them;
    every other page keeps `frame-ancestors 'none'` (webapp/security.py adds the headers it does not find)."""
    body, status = result
    if not embed:
        return body, status
    return body, status, {"Content-Security-Policy": f"{BASE_POLICY}; frame-ancestors 'self'",
                          "X-Frame-Options": "SAMEORIGIN"}


def _preview_answers(slug: str) -> dict[str, Any]:
    kept = session.get(PREVIEW_KEY)
    return dict(kept["answers"]) if isinstance(kept, dict) and kept.get("slug") == slug else {}


def _keep_preview_answers(survey: Survey, answers: Mapping[str, Any]) -> None:
    # an open-text answer is kept as a stand-in, so `answered(q)` conditions and page logic still follow it
    questions = {question.id: question for question in survey.questions()}  # calculated values are worked out again
    small = {key: OPEN_TEXT_KEPT if questions[key].open_ended and value else value
             for key, value in answers.items() if key in questions}
    if len(json.dumps(small)) > PREVIEW_LIMIT:
        small = {}
    session[PREVIEW_KEY] = {"slug": survey.id, "answers": small}


def _preview_page(survey: Survey, index: int, self_url: str, kept: Mapping[str, Any], *,
                  formdata: MultiDict[str, str] | None, errors: Mapping[str, AnswerError] | None = None,
                  status: int = 200) -> tuple[str, int]:
    page = build_page(survey, index, earlier_answers(survey, kept, index), formdata=formdata,
                      answers=kept if formdata is None else None)
    return render_template(
        "author/preview.html", page=page, survey=survey, lang=survey.language, errors=errors or {},
        action=self_url, slug=survey.id, embed="embed=1" in self_url, page_index=index,
        **navigation(survey, index, kept),
    ), status
