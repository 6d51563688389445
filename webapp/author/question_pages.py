"""The question editor: its text, help, requirement and condition (the expert form, with the settings as
YAML), the settings form generated from the type's declaration (`question_settings`), and the condition
builder (`conditions`). Each POST saves one edit of the draft and comes back to the editor at the question
(`#q-<id>`); a refused one shows the page again (400) with a message at each field concerned, nothing stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from surveys.definition import InvalidDefinition, Problem, build_survey
from surveys.lint import lint_survey

from ..accounts.guard import requires_role
from ..services import authoring
from . import edits
from .conditions import COMBINE, OPERATORS, ConditionRefused, build_condition, combine, references
from .forms import QuestionForm
from .question_settings import SettingsErrors, field_of_path, read_settings, setting_fields
from .views import QUESTION_FIELDS, _form_errors, author_email, bp, db

CONDITION_FIELDS = ("question", "operator", "value", "combine")


def _located(data: Mapping[str, Any], question_id: str) -> tuple[int, int]:
    try:
        return next((s, q) for s, section in enumerate(data["sections"])
                    for q, item in enumerate(section["questions"]) if item["id"] == question_id)
    except StopIteration:
        abort(404, description=f"no question {question_id!r} in this survey")


def _stored_form(data: Mapping[str, Any], stored: Mapping[str, Any]) -> QuestionForm:
    return QuestionForm(formdata=None, data={
        "text": edits.shown_text(stored.get("text"), data), "help": edits.shown_text(stored.get("help"), data),
        "required": stored.get("required", False), "show_if": stored.get("show_if", ""),
        "settings": edits.settings_yaml(stored)})


def _page(slug: str, question_id: str, *, form: QuestionForm | None = None, problems: Sequence[Problem] = (),
          setting_errors: Mapping[str, str] | None = None, setting_values: Mapping[str, Any] | None = None,
          condition_errors: Mapping[str, str] | None = None, condition_values: Mapping[str, str] | None = None,
          status: int = 200) -> ResponseReturnValue:
    data = authoring.draft_definition(db(), slug)
    s, q = _located(data, question_id)
    stored = data["sections"][s]["questions"][q]
    survey = build_survey(data, source=f"draft of {slug}")
    question = survey.question(question_id)
    prefix = f"sections[{s}].questions[{q}]"
    specs = setting_fields(stored, data)
    if setting_values is not None:  # a refused settings form shows what was typed
        for spec in specs:
            spec.value = (spec.name in setting_values) if spec.kind == "check" else str(setting_values.get(spec.name, ""))
    settable = [name for name in type(question).model_fields if name not in edits.COMMON_FIELDS]
    return render_template(
        "author/question.html", survey=survey, question=question, form=form or _stored_form(data, stored),
        problems=problems, problem_fields=[_question_field(problem.path, prefix) for problem in problems],
        findings=[f for f in lint_survey(survey) if f.question_id == question_id], settable=settable, path=prefix,
        specs=specs, setting_errors=setting_errors or {}, references=references(survey, question_id),
        operators=OPERATORS, combine_choices=COMBINE, condition_errors=condition_errors or {},
        condition=condition_values or {}, page_index=s,
    ), status


def _question_field(path: str, prefix: str) -> str:
    """The form field a problem at `path` belongs to (the settings textarea for type-specific ones)."""
    rest = path.removeprefix(prefix).lstrip(".").split(".")[0].split("[")[0]
    return rest if rest in ("text", "help", "show_if", "required") else "settings"


@bp.route("/<slug>/questions/<question_id>", methods=["GET", "POST"])
@requires_role("author")
def question(slug: str, question_id: str) -> ResponseReturnValue:
    """GET shows the question's forms; POST saves the expert form (text, help, required, show_if, YAML)."""
    if request.method == "GET":
        return _page(slug, question_id)
    data = authoring.draft_definition(db(), slug)
    s, q = _located(data, question_id)
    form = QuestionForm()
    if not form.validate_on_submit():
        return _page(slug, question_id, form=form, status=400,
                     problems=[Problem(f"sections[{s}].questions[{q}]", _form_errors(form))])
    fields = {name: form[name].data for name in QUESTION_FIELDS}
    try:
        authoring.apply_edit(db(), slug, lambda d: edits.update_question(d, question_id, fields,
                                                                           form.settings.data or ""),
                             author=author_email())
    except InvalidDefinition as error:
        return _page(slug, question_id, form=form, problems=error.problems, status=400)
    flash(f"Saved question {question_id}.")
    return redirect(url_for(".editor", slug=slug, _anchor=f"q-{question_id}"))


@bp.post("/<slug>/questions/<question_id>/settings")
@requires_role("author")
def question_settings(slug: str, question_id: str) -> ResponseReturnValue:
    """The settings form: fields checked by kind, then the whole definition; each message at its field."""
    data = authoring.draft_definition(db(), slug)
    s, q = _located(data, question_id)
    stored = data["sections"][s]["questions"][q]
    submitted = {name: value for name, value in request.form.items() if name != "csrf_token"}
    checked = {spec.name for spec in setting_fields(stored, data) if spec.kind == "check" and spec.name in submitted}
    try:
        settings = read_settings(stored, data, submitted, checked)
        authoring.apply_edit(db(), slug, lambda d: edits.set_question_settings(d, question_id, settings),
                             author=author_email())
    except SettingsErrors as error:
        return _page(slug, question_id, setting_errors=error.errors, setting_values=submitted, status=400)
    except InvalidDefinition as error:
        prefix = f"sections[{s}].questions[{q}]"
        specs = setting_fields(stored, data)
        errors: dict[str, str] = {}
        others: list[Problem] = []
        for problem in error.problems:
            name = (field_of_path(problem.path.removeprefix(prefix).lstrip("."), specs)
                    if problem.path.startswith(prefix) else None)
            if name is None:
                others.append(problem)
            else:
                errors[name] = f"{errors[name]} {problem.message}" if name in errors else problem.message
        return _page(slug, question_id, setting_errors=errors, setting_values=submitted, problems=others,
                     status=400)
    flash(f"Saved the settings of question {question_id}.")
    return redirect(url_for(".editor", slug=slug, _anchor=f"q-{question_id}"))


@bp.post("/<slug>/questions/<question_id>/condition")
@requires_role("author")
def question_condition(slug: str, question_id: str) -> ResponseReturnValue:
    """The condition builder: question, operator and value become the show_if text (replacing the current
    condition, or joined to it with and / or)."""
    data = authoring.draft_definition(db(), slug)
    s, q = _located(data, question_id)
    values = {name: request.form.get(f"cond-{name}", "")[:1000] for name in CONDITION_FIELDS}
    survey = build_survey(data, source=f"draft of {slug}")
    current = data["sections"][s]["questions"][q].get("show_if")
    try:
        text = build_condition(survey, question_id, values["question"], values["operator"], values["value"])
        text = combine(current, text, values["combine"] or "replace")
        authoring.apply_edit(db(), slug, lambda d: edits.set_show_if(d, question_id, text), author=author_email())
    except ConditionRefused as refused:
        return _page(slug, question_id, condition_errors={refused.field: refused.message},
                     condition_values=values, status=400)
    except InvalidDefinition as error:
        message = " ".join(problem.message for problem in error.problems)
        return _page(slug, question_id, condition_errors={"question": message}, condition_values=values,
                     status=400)
    flash(f"Question {question_id} is now shown only if {text}.")
    return redirect(url_for(".editor", slug=slug, _anchor=f"q-{question_id}"))
