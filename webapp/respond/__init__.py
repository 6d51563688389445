"""The respondent pages: personal links `/s/<token>` and public links `/p/<slug>?channel=…`.

One section per page, Next to save and go on, Back to save what was given and go back, progress shown; the page is built by the field
factory (`forms.py`) and validated by `Survey.clean_section` in the responding service. Each page is shown in the
respondent's language (`languages.py`), with earlier answers and customer fields piped into its texts.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from werkzeug.wrappers import Response as HttpResponse

from surveys.branding import LOGO_FILE
from surveys.model import Survey
from surveys.not_applicable import with_not_applicable
from surveys.page_logic import next_page, pipe_calculated, previous_page, screened_out_by, shown_pages
from surveys.questions import AnswerError
from surveys.texts import has_piping, localised, pipe_values, piped

from ..config import public_link_seconds
from ..extensions import get_db
from ..security import BASE_POLICY
from ..services import responding, survey_of
from ..services.errors import HostingError
from ..storage.models import Response
from .forms import Page, build_page, navigation, option_inputs, point_count
from .languages import (
    choose_language,
    init_languages,
    language_links,
    link_error_language,
    translate_fixed,
    translate_link_error,
    use_language,
)
from .rendering import question_html

bp = Blueprint("respond", __name__)
bp.add_app_template_global(option_inputs, "option_inputs")
bp.add_app_template_global(point_count, "point_count")
bp.add_app_template_global(question_html, "question_html")
bp.add_app_template_global(translate_fixed, "fixed_text")
bp.record_once(lambda state: init_languages(state.app))  # Flask-Babel: the respondent pages' catalogues

PUBLIC_KEYS = "public_responses"
PUBLIC_LINKS = "public_links"
"""Per survey slug, the query of the public link a respondent opened, kept until their first POST."""
LINK_VALUE_LIMIT = 400
BACK = "back"
"""The name of the Back button: the page's answers are saved without the required-question check (forms.META_FIELDS)."""


@bp.get("/branding/<path:name>")
def branding_file(name: str) -> ResponseReturnValue:
    """A logo kept in the instance folder's `branding/` directory (a definition's `branding.logo_url` naming a
    file): only image files, only from that directory. Public, like the pages that show it."""
    if not LOGO_FILE.match(name):
        abort(404)
    return send_from_directory(Path(current_app.instance_path) / "branding", name, max_age=3600)


@bp.after_request
def _allow_logo_origin(response: HttpResponse) -> HttpResponse:
    """A page showing an https logo lets the browser load images from that logo's origin (and no other): the
    site's policy is `img-src 'self' data:`. Set here, so the app-wide headers (webapp.security) keep it."""
    origin = g.get("logo_origin")
    if origin and "Content-Security-Policy" not in response.headers:
        embed = request.endpoint in set(current_app.config.get("EMBED_ENDPOINTS", ()))
        ancestors = (" ".join(current_app.config.get("EMBED_ORIGINS", ())) if embed else "") or "'none'"
        policy = BASE_POLICY.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")
        response.headers["Content-Security-Policy"] = f"{policy}; frame-ancestors {ancestors}"
    return response


def _note_logo(survey: Survey) -> None:
    """Remember the https logo's origin of the page being rendered (`_allow_logo_origin`)."""
    branding = survey.branding
    if branding is not None and branding.logo_url and not branding.logo_is_file:
        parts = urlsplit(branding.logo_url)
        g.logo_origin = f"https://{parts.netloc}"


@bp.errorhandler(HostingError)
def _link_error(error: HostingError) -> ResponseReturnValue:
    """A respondent link's error page (unknown, expired or closed link …) in the respondent's language
    (`languages.link_error_language`) when its message is in the catalogues (`LINK_ERRORS`), else all English."""
    language = link_error_language()
    with force_locale(language):
        texts = translate_link_error(error.title, str(error))
        if texts is not None:
            return render_template("respond/message.html", title=texts[0], message=texts[1],
                                   lang=language), error.status
    with force_locale("en"):
        return render_template("respond/message.html", title=error.title, message=str(error), lang="en"), error.status


@bp.route("/s/<token>", methods=["GET", "POST"])
def personal(token: str) -> ResponseReturnValue:
    """A personal single-use link."""
    if request.method == "POST":
        held = responding.hold_personal(get_db(), token)
        return _answer(held.response, url_for(".personal", token=token), url_for(".personal_thanks", token=token),
                       held)
    response = responding.start_personal(get_db(), token)
    return _answer(response, url_for(".personal", token=token), url_for(".personal_thanks", token=token))


@bp.get("/s/<token>/thanks")
def personal_thanks(token: str) -> ResponseReturnValue:
    response = responding.start_personal(get_db(), token)
    return _thanks(response, url_for(".personal", token=token))


@bp.route("/p/<slug>", methods=["GET", "POST"])
def public(slug: str) -> ResponseReturnValue:
    """A public link; the respondent is known by a random key in their signed session cookie.

    Opening the link stores nothing: the first page is shown, the key and the link's query (channel, signed
    customer id) wait in the session cookie, and the respondent's first POST creates the response (once, even
    when sent twice) and saves that page, in one transaction."""
    db = get_db()
    keys = dict(session.get(PUBLIC_KEYS, {}))
    key = keys.get(slug)
    links = dict(session.get(PUBLIC_LINKS, {}))
    self_url, thanks_url = url_for(".public", slug=slug), url_for(".public_thanks", slug=slug)
    if request.method == "POST":
        if key is None:
            raise HostingError(SESSION_ENDED)
        if slug in links:  # not started, as far as this browser knows: the response is made as page 1 is saved
            held: responding.Held | None = responding.start_public(db, slug, key, links[slug], **_signing())
            session[PUBLIC_LINKS] = {name: query for name, query in links.items() if name != slug}
        else:
            held = responding.hold_public(db, slug, key)
            if held is None:
                raise HostingError(SESSION_ENDED)
        return _answer(held.response, self_url, thanks_url, held)
    response = responding.find_public(db, slug, key)
    if response is None:
        return _first_page(slug, keys, key, links)
    return _answer(response, self_url, thanks_url)


SESSION_ENDED = "your session has ended (cookies may be blocked); open the survey link again"


def _signing() -> dict[str, Any]:
    """How public links' customer ids are signed (`invitations.sign_customer_id`)."""
    return {"secret_key": current_app.config["SECRET_KEY"],
            "max_age": public_link_seconds(current_app.config.get("PUBLIC_LINK_DAYS"))}


def _first_page(slug: str, keys: dict[str, str], key: str | None, links: dict[str, Any]) -> ResponseReturnValue:
    """A public link opened before any POST: the link checked, the first page shown, nothing stored."""
    db = get_db()
    self_url = url_for(".public", slug=slug)
    # A reload without the link's query (e.g. `?page=0`) keeps the query the link was opened with.
    query = _link_query() or links.get(slug) or {}
    start = responding.check_public(db, slug, query, **_signing())
    key = key or secrets.token_urlsafe(24)
    session[PUBLIC_KEYS] = keys | {slug: key}
    session[PUBLIC_LINKS] = links | {slug: query}
    session.permanent = True
    survey = survey_of(start.version)
    language = _language(survey)
    shown = piped(localised(survey, language), {})  # nothing answered yet, no customer record: nothing to pipe
    return _render_page(build_page(shown, 0, {}, answers={}, seed=key, reused=not has_piping(survey)), self_url, {},
                        language, {})


def _link_query() -> dict[str, str]:
    """The public link's own query parameters (all but `page`), bounded: they ride in the session cookie."""
    query = {name: value for name, value in request.args.items()
             if name not in ("page", "lang") and len(name) <= 64 and len(value) <= LINK_VALUE_LIMIT}
    return dict(list(query.items())[:8])


@bp.get("/p/<slug>/thanks")
def public_thanks(slug: str) -> ResponseReturnValue:
    response = responding.find_public(get_db(), slug, session.get(PUBLIC_KEYS, {}).get(slug))
    if response is None:
        return redirect(url_for(".public", slug=slug))
    return _thanks(response, url_for(".public", slug=slug))


def _thanks(response: Response, start_url: str) -> ResponseReturnValue:
    if response.status != "complete":
        return redirect(start_url)
    return _thank_you(response, already=False)


def _thank_you(response: Response, *, already: bool) -> str:
    survey = responding.survey_for(response)
    language = _language(survey, response)
    shown = _shown(survey, language, response, response.answers or {})
    _note_logo(shown)
    screened_out = screened_out_by(shown, response.answers or {})  # its own closing text (page logic)
    return render_template("respond/thanks.html", survey=shown, lang=language, already=already,
                           closing=screened_out.text if screened_out else None)


def _language(survey: Survey, response: Response | None = None) -> str:
    """The language this request shows `survey` in (see `languages.py`); the chrome follows it."""
    asked = request.args.get("lang") or (request.form.get("lang") if request.method == "POST" else None)
    language = choose_language(survey, asked=asked, answered=response.language if response else None)
    use_language(language)
    return language


def _shown(survey: Survey, language: str, response: Response, answers: Mapping[str, Any]) -> Survey:
    """The survey as this respondent reads it: in their language, with their answers and customer fields piped in."""
    shown = localised(survey, language)
    if not has_piping(survey):
        return shown
    return piped(shown, pipe_values(shown, answers, responding.customer_fields(get_db(), response))
                 | pipe_calculated(shown, answers))  # calculated values (page logic)


def _answer(response: Response, self_url: str, thanks_url: str,
            held: responding.Held | None = None) -> ResponseReturnValue:
    """Show (GET) or take (POST, with the response `held` in the request's write transaction) one page of a
    response."""
    survey = responding.survey_for(response)
    if response.status == "complete":
        if request.method == "POST":  # a double click or a retry of the last page: the same thank-you page
            get_db().rollback()
            return redirect(thanks_url, 303)
        return _thank_you(response, already=True), 410
    try:
        return _take_page(response, survey, self_url, thanks_url, held) if held else _show_page(response, survey,
                                                                                               self_url)
    finally:
        if held:  # never left holding the write lock while a page renders (the answer has committed by then)
            get_db().rollback()


def _show_page(response: Response, survey: Survey, self_url: str) -> ResponseReturnValue:
    language = _language(survey, response)
    answers = response.answers or {}
    index = request.args.get("page", default=response.current_page, type=int)
    if not 0 <= index <= response.current_page or index >= len(survey.sections):
        return redirect(f"{self_url}?page={response.current_page}")
    shown = shown_pages(survey, answers)
    if not shown[index]:  # a page that page logic hides now: the nearest one shown
        following = next_page(survey, index, answers)
        if following is None or following > response.current_page:
            following = previous_page(survey, index, answers)
        return redirect(f"{self_url}?page={following}")
    page = build_page(_shown(survey, language, response, answers), index,
                      responding.earlier_answers(survey, answers, index), answers=with_not_applicable(answers),
                      seed=_seed(response), reused=not has_piping(survey))
    return _render_page(page, self_url, {}, language, answers, shown=shown)


def _take_page(response: Response, survey: Survey, self_url: str, thanks_url: str,
               held: responding.Held) -> ResponseReturnValue:
    language = _language(survey, response)
    answers = response.answers or {}
    index = _posted_page(len(survey.sections))
    page = build_page(_shown(survey, language, response, answers), index,
                      responding.earlier_answers(survey, answers, index), formdata=request.form, seed=_seed(response))
    unexpected = page.unexpected_fields(request.form)
    if unexpected:
        raise HostingError(
            f"the form sent a field this page does not have or sent it twice: {unexpected[0][:60]!r}; "
            "reload the page and answer again"
        )
    outcome = responding.answer_page(get_db(), response.id, index, page.read_raw(request.form), language=language,
                                     back=BACK in request.form, held=held)
    if outcome.kind in ("complete", "already_complete"):
        return redirect(thanks_url, 303)
    if outcome.kind == "saved":
        return redirect(f"{self_url}?page={outcome.page}", 303)
    if outcome.page != index:  # the final check found a problem on an earlier page: show it
        stored = outcome.answers
        page = build_page(_shown(survey, language, response, stored), outcome.page,
                          responding.earlier_answers(survey, stored, outcome.page), answers=with_not_applicable(stored),
                          seed=_seed(response), reused=not has_piping(survey))
    return _render_page(page, self_url, outcome.errors, language, outcome.answers or answers, status=400)


def _seed(response: Response) -> str:
    """What names the respondent for the order of shuffled choices (`randomize`): the public link's session key
    (the first page, shown before the response exists, used it too), else the invitation."""
    return response.session_key or f"invitation-{response.invitation_id}"


def _posted_page(pages: int) -> int:
    try:
        index = int(request.form.get("page", ""))
    except ValueError:
        raise HostingError("the form did not say which page it is; reload the page and answer again") from None
    if not 0 <= index < pages:
        raise HostingError(f"this survey has no page {index + 1}")
    return index


def _render_page(page: Page, self_url: str, errors: Mapping[str, AnswerError], language: str,
                 answers: Mapping[str, Any], status: int = 200, shown: list[bool] | None = None
                 ) -> ResponseReturnValue:
    """`answers`: the respondent's answers so far, which decide the pages page logic shows (the progress shown
    and where Back goes; `shown`: those pages, when worked out already)."""
    survey = page.survey
    _note_logo(survey)
    return render_template(
        "respond/page.html", page=page, survey=survey, lang=language, errors=errors, action=self_url,
        languages=language_links(survey, language, f"{self_url}?page={page.index}"),
        **navigation(survey, page.index, answers, shown),
    ), status
