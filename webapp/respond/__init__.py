"""The respondent pages: personal links `/s/<token>` and public links `/p/<slug>?channel=…`.

One section per page, Next to save and go on, a Back link, progress shown; the page is built by the field
factory (`forms.py`) and validated by `Survey.clean_section` in the responding service.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from surveys.questions import AnswerError

from ..extensions import get_db
from ..services import responding
from ..services.errors import HostingError
from ..storage.models import Response
from .forms import Page, build_page

bp = Blueprint("respond", __name__)

PUBLIC_KEYS = "public_responses"


@bp.route("/s/<token>", methods=["GET", "POST"])
def personal(token: str) -> ResponseReturnValue:
    """A personal single-use link."""
    response = responding.start_personal(get_db(), token)
    return _answer(response, url_for(".personal", token=token), url_for(".personal_thanks", token=token))


@bp.get("/s/<token>/thanks")
def personal_thanks(token: str) -> ResponseReturnValue:
    response = responding.start_personal(get_db(), token)
    return _thanks(response, url_for(".personal", token=token))


@bp.route("/p/<slug>", methods=["GET", "POST"])
def public(slug: str) -> ResponseReturnValue:
    """A public link; the respondent is known by a random key in their signed session cookie."""
    db = get_db()
    keys = dict(session.get(PUBLIC_KEYS, {}))
    response = responding.find_public(db, slug, keys.get(slug))
    if response is None:
        if request.method == "POST":
            raise HostingError("your session has ended (cookies may be blocked); open the survey link again")
        key = secrets.token_urlsafe(24)
        response = responding.start_public(db, slug, key, request.args)
        session[PUBLIC_KEYS] = keys | {slug: key}
        session.permanent = True
    return _answer(response, url_for(".public", slug=slug), url_for(".public_thanks", slug=slug))


@bp.get("/p/<slug>/thanks")
def public_thanks(slug: str) -> ResponseReturnValue:
    response = responding.find_public(get_db(), slug, session.get(PUBLIC_KEYS, {}).get(slug))
    if response is None:
        return redirect(url_for(".public", slug=slug))
    return _thanks(response, url_for(".public", slug=slug))


def _thanks(response: Response, start_url: str) -> ResponseReturnValue:
    if response.status != "complete":
        return redirect(start_url)
    survey = responding.survey_for(response)
    return render_template("respond/thanks.html", survey=survey, lang=survey.language, already=False)


def _answer(response: Response, self_url: str, thanks_url: str) -> ResponseReturnValue:
    """Show or take one page of a response."""
    survey = responding.survey_for(response)
    if response.status == "complete":
        if request.method == "POST":  # a double click or a retry of the last page: the same thank-you page
            return redirect(thanks_url, 303)
        return render_template("respond/thanks.html", survey=survey, lang=survey.language, already=True), 410
    answers = response.answers or {}
    if request.method == "GET":
        index = request.args.get("page", default=response.current_page, type=int)
        if not 0 <= index <= response.current_page or index >= len(survey.sections):
            return redirect(f"{self_url}?page={response.current_page}")
        page = build_page(survey, index, responding.earlier_answers(survey, answers, index), answers=answers)
        return _render_page(page, self_url, {})

    index = _posted_page(len(survey.sections))
    page = build_page(survey, index, responding.earlier_answers(survey, answers, index), formdata=request.form)
    unexpected = page.unexpected_fields(request.form)
    if unexpected:
        raise HostingError(
            f"the form sent a field this page does not have or sent it twice: {unexpected[0][:60]!r}; "
            "reload the page and answer again"
        )
    outcome = responding.answer_page(get_db(), response.id, index, page.read_raw(request.form))
    if outcome.kind in ("complete", "already_complete"):
        return redirect(thanks_url, 303)
    if outcome.kind == "saved":
        return redirect(f"{self_url}?page={outcome.page}", 303)
    if outcome.page != index:  # the final check found a problem on an earlier page: show it
        stored = outcome.answers
        page = build_page(survey, outcome.page, responding.earlier_answers(survey, stored, outcome.page),
                          answers=stored)
    return _render_page(page, self_url, outcome.errors, status=400)


def _posted_page(pages: int) -> int:
    try:
        index = int(request.form.get("page", ""))
    except ValueError:
        raise HostingError("the form did not say which page it is; reload the page and answer again") from None
    if not 0 <= index < pages:
        raise HostingError(f"this survey has no page {index + 1}")
    return index


def _render_page(page: Page, self_url: str, errors: Mapping[str, AnswerError],
                 status: int = 200) -> ResponseReturnValue:
    survey = page.survey
    return render_template(
        "respond/page.html", page=page, survey=survey, lang=survey.language, errors=errors,
        action=self_url, pages=len(survey.sections),
        back_url=f"{self_url}?page={page.index - 1}" if page.index > 0 else None,
    ), status
