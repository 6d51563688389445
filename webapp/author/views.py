"""The survey list, creating a survey and the editor: every change is one pure edit applied to the draft."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from surveys.definition import InvalidDefinition, Problem, build_survey
from surveys.library import load_template, question_bank
from surveys.lint import lint_survey
from surveys.model import Section, Survey

from ..accounts.guard import current_user, requires_role
from ..audit.web import audit
from ..extensions import get_db
from ..services import authoring
from ..teams.scope import NoTeam, SurveyIdTaken
from ..teams.service import teams_for_new_surveys
from . import edits
from .forms import (
    AddQuestionForm,
    NewSectionForm,
    NewSurveyForm,
    RowsForm,
    SectionForm,
    SurveySettingsForm,
    UploadForm,
)

bp = Blueprint("author", __name__, url_prefix="/author")
QUESTION_FIELDS = ("text", "help", "show_if", "required")


def db() -> Session:
    return get_db()


def author_email() -> str | None:
    user = current_user()
    return user.email if user is not None else None


@bp.get("/")
@requires_role("author")
def surveys() -> ResponseReturnValue:
    return render_template("author/surveys.html", surveys=authoring.list_surveys(db()))


@bp.route("/new", methods=["GET", "POST"])
@requires_role("author")
def new() -> ResponseReturnValue:
    form = NewSurveyForm()
    problems: list[Problem] = []
    if form.validate_on_submit():
        survey_id, title, start = form.survey_id.data or "", form.title.data or "", form.start.data or "blank"
        try:
            if start == "blank":
                survey = build_survey(edits.blank_definition(survey_id, title))
            else:
                survey = load_template(start, survey_id=survey_id, title=title)
            authoring.create_survey(db(), survey, author=author_email())
        except InvalidDefinition as error:
            problems = error.problems
        except (authoring.AuthoringError, NoTeam, SurveyIdTaken) as error:
            form.survey_id.errors = [str(error)]
        else:
            flash(f"Created the survey {survey.id!r}; it is a draft until you publish it.")
            return redirect(url_for(".editor", slug=survey.id))
    status = 400 if form.is_submitted() else 200
    return render_template("author/new.html", form=form, problems=problems, chosen_team=request.form.get(
        "team", type=int), teams=teams_for_new_surveys(db(), current_user())), status


def editor_page(slug: str, *, problems: Sequence[Problem] = (), status: int = 200,
                **forms: Any) -> ResponseReturnValue:
    """The editor of the stored draft, with any problems of a refused change and the forms as submitted."""
    session = db()
    record, state, versions = authoring.survey_status(session, slug)
    data = authoring.draft_definition(session, slug)
    try:
        survey = build_survey(data, source=f"draft of {slug}")
    except InvalidDefinition as error:  # saved under older rules: offer to replace it rather than fail
        return render_template("author/unreadable.html", record=record, problems=[*problems, *error.problems],
                               upload_form=UploadForm(formdata=None)), 409
    findings = lint_survey(survey)
    by_question: dict[str, list[Any]] = {}
    for finding in findings:
        if finding.question_id:
            by_question.setdefault(finding.question_id, []).append(finding)
    add_form = AddQuestionForm(formdata=None)
    add_form.section.choices = [(s.id, s.title) for s in survey.sections]
    rows_form = forms.get("rows_form") or RowsForm(formdata=None, data={
        source: edits.row_lines(data.get(source, []), data) for source in edits.ROW_SOURCES})
    settings_form = forms.get("settings_form") or SurveySettingsForm(formdata=None, data={
        "title": survey.title, "intro": survey.intro or "", "language": survey.language,
        "customer_id_param": survey.customer_id_param or "", "time_budget_minutes": f"{survey.time_budget_minutes:g}"})
    return render_template(
        "author/editor.html", survey=survey, data=data, record=record, state=state, versions=versions,
        last_change=authoring.last_change(session, slug),
        survey_findings=[f for f in findings if not f.question_id], by_question=by_question,
        error_count=sum(f.severity == "error" for f in findings), bank=question_bank(), add_form=add_form,
        rows_form=rows_form, settings_form=settings_form,
        section_form=forms.get("section_form") or NewSectionForm(formdata=None, prefix="new_section", meta={"csrf": False}),
        upload_form=UploadForm(formdata=None), problems=problems,
        places=_places(None if request.endpoint == "author.upload" else data, problems),
        preview_page=min(max(request.args.get("page", 0, type=int) or 0, 0), len(survey.sections) - 1),
    ), status


_QUESTION_PATH = re.compile(r"^sections\[(\d+)\](?:\.questions\[(\d+)\])?")
SURVEY_FIELDS = ("title", "intro", "language", "customer_id_param", "time_budget_minutes")


def _places(data: dict[str, Any] | None, problems: Sequence[Problem]) -> list[tuple[str, str]]:
    """For each problem of the error summary: where its link jumps to (the question or page concerned — a page
    not in the stored draft is the one being added —, the field of a survey setting or of the rows, else the
    upload form), and its place in words, with the page's and question's titles instead of list indexes.
    Problems of an uploaded file (`data` None) keep their path in that file and lead to the upload form."""
    sections = data.get("sections", []) if data is not None else []
    places = []
    for problem in problems:
        if data is None or not problem.path:
            places.append(("draft", problem.path))
            continue
        head = re.split(r"[.\[]", problem.path, maxsplit=1)[0]
        match = _QUESTION_PATH.match(problem.path)
        rest = problem.path[match.end():].lstrip(".") if match is not None else ""
        if match is not None and int(match[1]) < len(sections):
            section = sections[int(match[1])]
            page = f"page {int(match[1]) + 1} “{_shown(section.get('title'))}”"
            questions = section.get("questions", [])
            if match[2] is not None and int(match[2]) < len(questions):
                question = questions[int(match[2])]
                places.append((f"q-{question.get('id')}", f"{page}, question {question.get('id')} "
                               f"“{_shown(question.get('text'))}”" + (f", {rest}" if rest else "")))
            else:
                places.append((f"page-{section.get('id')}-title", page + (f", {rest}" if rest else "")))
        elif match is not None:
            places.append(("new-page-title", "the new page" + (f", {rest}" if rest else "")))
        elif head in edits.ROW_SOURCES or head in SURVEY_FIELDS:
            places.append((head, problem.path))
        else:
            places.append(("draft", problem.path))
    return places


def _shown(text: Any, limit: int = 60) -> str:
    """A title or question text short enough for a place name (the default language's, when per language)."""
    if isinstance(text, dict):
        text = next(iter(text.values()), "")
    text = str(text or "")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _edit(slug: str, edit: Callable[[dict[str, Any]], dict[str, Any]], done: str, anchor: str | None = None,
          **forms: Any) -> ResponseReturnValue:
    """Apply one edit; on success redirect to the editor at `anchor` (the item just changed, so the author
    stays where they were on a long page), else show every problem (400), nothing stored."""
    try:
        authoring.apply_edit(db(), slug, edit, author=author_email())
    except InvalidDefinition as error:
        return editor_page(slug, problems=error.problems, status=400, **forms)
    except LookupError as error:  # an unknown question, page or library key (a stale page, or a made-up URL)
        abort(404, description=str(error))
    flash(done)
    return redirect(url_for(".editor", slug=slug, _anchor=anchor))


def _refused(slug: str, message: str) -> ResponseReturnValue:
    return editor_page(slug, problems=[Problem("", message)], status=400)


@bp.get("/<slug>")
@requires_role("author")
def editor(slug: str) -> ResponseReturnValue:
    return editor_page(slug)


@bp.post("/<slug>/settings")
@requires_role("author")
def settings(slug: str) -> ResponseReturnValue:
    form = SurveySettingsForm()
    if not form.validate_on_submit():
        return _refused(slug, _form_errors(form))
    return _edit(slug, lambda data: edits.update_settings(data, form.data), "Saved the survey settings.",
                 anchor="settings-title", settings_form=form)


@bp.post("/<slug>/rows")
@requires_role("author")
def rows(slug: str) -> ResponseReturnValue:
    form = RowsForm()
    if not form.validate_on_submit():
        return _refused(slug, _form_errors(form))
    lines = {source: form[source].data or "" for source in edits.ROW_SOURCES}
    return _edit(slug, lambda data: edits.set_rows(data, lines), "Saved the promises, touchpoints and channels.",
                 anchor="rows-title", rows_form=form)


@bp.post("/<slug>/questions")
@requires_role("author")
def add_question(slug: str) -> ResponseReturnValue:
    form = AddQuestionForm()
    form.section.choices = None  # checked by the edit: an unknown page is a 404 there
    form.section.validate_choice = False
    if not form.validate_on_submit():
        return _refused(slug, _form_errors(form))
    key, section = form.key.data or "", form.section.data or ""
    added: list[str] = []

    def add(data: dict[str, Any]) -> dict[str, Any]:
        result = edits.add_question(data, key, section)
        added[:] = [q for q in edits.question_ids(result) if q not in edits.question_ids(data)]
        return result

    response = _edit(slug, add, f"Added the question {key!r}.", anchor=f"s-{section}")
    if added and getattr(response, "status_code", 0) == 302:
        return redirect(url_for(".editor", slug=slug, _anchor=f"q-{added[0]}"))
    return response


@bp.route("/<slug>/questions/<question_id>/delete", methods=["GET", "POST"])
@requires_role("author")
def delete_question(slug: str, question_id: str) -> ResponseReturnValue:
    """GET asks for confirmation (a removal has no undo); POST removes."""
    if request.method == "GET":
        survey = authoring.read_draft(db(), slug)
        try:
            found = survey.question(question_id)
        except KeyError:
            abort(404, description=f"no question {question_id!r} in this survey")
        return render_template("author/confirm.html", survey=survey, what=f"question {question_id}",
                               detail=found.text, back=url_for(".editor", slug=slug, _anchor=f"q-{question_id}"))
    try:
        page = edits.section_of(authoring.draft_definition(db(), slug), question_id)
    except LookupError:
        abort(404, description=f"no question {question_id!r} in this survey")
    return _edit(slug, lambda data: edits.remove_question(data, question_id), f"Removed {question_id}.",
                 anchor=f"s-{page}")


@bp.post("/<slug>/sections")
@requires_role("author")
def add_section(slug: str) -> ResponseReturnValue:
    form = NewSectionForm(prefix="new_section", meta={"csrf": False})  # CSRFProtect checks the token
    if not form.validate_on_submit():
        return editor_page(slug, problems=[Problem("", _form_errors(form))], status=400, section_form=form)
    return _edit(slug, lambda data: edits.add_section(data, form.section_id.data or "", form.title.data or "",
                                                      form.first_key.data or ""),
                 "Added the page.", anchor=f"s-{form.section_id.data or ''}", section_form=form)


def _section_or_404(survey: Survey, section_id: str) -> Section:
    """The page `section_id` of the draft, or a 404 naming it."""
    found = next((item for item in survey.sections if item.id == section_id), None)
    if found is None:
        abort(404, description=f"no page {section_id!r} in this survey")
    return found


@bp.route("/<slug>/sections/<section_id>", methods=["GET", "POST"])
@requires_role("author")
def section(slug: str, section_id: str) -> ResponseReturnValue:
    survey = authoring.read_draft(db(), slug)
    found = _section_or_404(survey, section_id)
    form = SectionForm(data={"title": found.title, "intro": found.intro or ""})
    problems: list[Problem] = []
    if form.validate_on_submit():
        title, intro = form.title.data or "", form.intro.data or ""
        try:
            authoring.apply_edit(db(), slug, lambda d: edits.update_section(d, section_id, title, intro),
                                 author=author_email())
        except InvalidDefinition as error:
            problems = error.problems
        else:
            flash(f"Saved page {section_id}.")
            return redirect(url_for(".editor", slug=slug, _anchor=f"s-{section_id}"))
    status = 400 if form.is_submitted() else 200
    return render_template("author/section.html", survey=survey, section=found, form=form,
                           problems=problems), status


@bp.route("/<slug>/sections/<section_id>/delete", methods=["GET", "POST"])
@requires_role("author")
def delete_section(slug: str, section_id: str) -> ResponseReturnValue:
    """GET asks for confirmation; POST removes the page and its questions."""
    if request.method == "GET":
        survey = authoring.read_draft(db(), slug)
        found = _section_or_404(survey, section_id)
        count = len(found.questions)
        return render_template("author/confirm.html", survey=survey, what=f"page {section_id}",
                               detail=f"{found.title} — with its {count} question{'s' if count != 1 else ''}",
                               back=url_for(".editor", slug=slug))
    return _edit(slug, lambda data: edits.remove_section(data, section_id), f"Removed page {section_id}.",
                 anchor="pages-title")


@bp.route("/<slug>/publish", methods=["GET", "POST"])
@requires_role("author")
def publish(slug: str) -> ResponseReturnValue:
    """GET shows what publishing changes for respondents and asks for confirmation; POST publishes."""
    if request.method == "GET":
        return render_template("author/publish.html", survey=authoring.read_draft(db(), slug),
                               preview=authoring.publish_preview(db(), slug))
    try:
        version = authoring.publish_draft(db(), slug)
    except authoring.AuthoringError as error:
        return _refused(slug, str(error))
    audit("survey_published", slug, version=version.number)
    db().commit()
    closed = " The survey is still closed: reopen it to take answers." if version.survey.closed_at else ""
    flash(f"Published version {version.number}. Earlier responses keep the version they answered.{closed}")
    return redirect(url_for(".editor", slug=slug))


@bp.post("/<slug>/close")
@requires_role("author")
def close(slug: str) -> ResponseReturnValue:
    """The address names the wanted state: closing a closed survey (a double submit, a stale page) changes
    nothing and records no second event."""
    from ..services import close_survey

    if close_survey(db(), slug):
        audit("survey_closed", slug)
        db().commit()
    flash("Closed: the survey's links take no more answers.")
    return redirect(url_for(".editor", slug=slug))


@bp.post("/<slug>/reopen")
@requires_role("author")
def reopen(slug: str) -> ResponseReturnValue:
    """Idempotent like `close`: reopening an open survey changes nothing and records no event."""
    if authoring.reopen_survey(db(), slug):
        audit("survey_reopened", slug)
        db().commit()
    flash("Reopened: the survey's links take answers again.")
    return redirect(url_for(".editor", slug=slug))


def _form_errors(form: Any) -> str:
    return "; ".join(f"{form[name].label.text}: {' '.join(errors)}" for name, errors in form.errors.items())

