"""Preview as a respondent, definition upload/download (YAML, JSON, XLSForm) and distribution links."""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from surveys.definition import parse_survey_text, to_data, to_json, to_yaml
from surveys.errors import CxroiError, InvalidDefinition, Problem
from surveys.model import Survey
from surveys.questions import AnswerError
from surveys.xlsform import XlsformImport

from ..accounts.guard import ALLOWED, current_user, requires_role
from ..config import base_url_from_environment, public_link_seconds
from ..extensions import csrf
from ..privacy.retention import retention_of
from ..respond import bp as respond_bp
from ..respond.forms import build_page
from ..services import authoring, create_invitations, latest_version, mailing, survey_of, uploads
from ..services.errors import HostingError
from ..services.invitations import (
    CustomerList,
    CustomerRow,
    LinksCsvWriter,
    set_public_link,
    signed_public_link,
)
from ..services.publishing import find_survey
from ..services.responding import earlier_answers
from .forms import ConfirmLinksForm, ConfirmUploadForm, CustomersForm, UploadForm
from .views import author_email, bp, db, editor_page

LINK_DAYS = 30


PREVIEW_KEY = "author_preview"
PREVIEW_LIMIT = 1500
"""Most characters of preview answers kept in the signed session cookie (browsers drop cookies over 4 KB,
which would sign the author out); open-text answers are never kept."""


@bp.route("/<slug>/preview", methods=["GET", "POST"])
@requires_role("author")
def preview(slug: str) -> ResponseReturnValue:
    """The draft exactly as a respondent sees it, page by page; answers are checked, never stored in the
    database. The choices made on earlier pages ride in the session cookie so that conditions and channel
    grids on later pages behave as for a respondent; opening the preview without a page starts afresh."""
    survey = authoring.read_draft(db(), slug)
    self_url = url_for(".preview", slug=slug)
    kept = _preview_answers(slug)
    if request.method == "GET":
        if "page" not in request.args:
            _keep_preview_answers(survey, {})
        index = request.args.get("page", default=0, type=int)
        if not 0 <= index < len(survey.sections):
            return redirect(self_url)
        return _preview_page(survey, index, self_url, kept, formdata=None)
    try:
        index = int(request.form.get("page", ""))
    except ValueError:
        abort(400, description="the form did not say which page it is")
    if not 0 <= index < len(survey.sections):
        abort(400, description=f"this survey has no page {index + 1}")
    earlier = earlier_answers(survey, kept, index)
    page = build_page(survey, index, earlier, formdata=request.form)
    answers, errors = survey.clean_section(survey.sections[index], page.read_raw(request.form), earlier)
    if errors:
        return _preview_page(survey, index, self_url, kept, formdata=request.form, errors=errors, status=400)
    _keep_preview_answers(survey, earlier | answers)
    if index + 1 < len(survey.sections):
        return redirect(f"{self_url}?page={index + 1}", 303)
    flash("That was the last page of the preview; nothing you entered was stored.")
    return redirect(url_for(".editor", slug=slug), 303)


def _preview_answers(slug: str) -> dict[str, Any]:
    kept = session.get(PREVIEW_KEY)
    return dict(kept["answers"]) if isinstance(kept, dict) and kept.get("slug") == slug else {}


def _keep_preview_answers(survey: Survey, answers: Mapping[str, Any]) -> None:
    small = {key: value for key, value in answers.items()
             if not survey.question(key).open_ended}
    if len(json.dumps(small)) > PREVIEW_LIMIT:
        small = {}
    session[PREVIEW_KEY] = {"slug": survey.id, "answers": small}


def _preview_page(survey: Survey, index: int, self_url: str, kept: Mapping[str, Any], *,
                  formdata: MultiDict[str, str] | None, errors: Mapping[str, AnswerError] | None = None,
                  status: int = 200) -> ResponseReturnValue:
    page = build_page(survey, index, earlier_answers(survey, kept, index), formdata=formdata,
                      answers=kept if formdata is None else None)
    return render_template(
        "author/preview.html", page=page, survey=survey, lang=survey.language, errors=errors or {},
        action=self_url, pages=len(survey.sections), slug=survey.id,
        back_url=f"{self_url}?page={index - 1}" if index > 0 else None,
    ), status


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    """An upload over the request limit: said on the editor in the authors' terms, nothing changed."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    message = (f"the upload is larger than {limit // 1024} KB; split a long customer list into several files, "
               "or use the command line (cxroi survey publish, cxroi invite) for very large files")
    slug = (request.view_args or {}).get("slug")
    user = current_user()
    # The body is read (for the CSRF check) before the sign-in guard runs: only an author may see the editor.
    if slug and user is not None and user.role in ALLOWED["author"]:
        try:
            return editor_page(slug, problems=[Problem("", message)], status=413)
        except HostingError:  # an unknown survey: the plain page below
            pass
    return render_template("respond/message.html", title="Too much data", lang="en",
                           message=f"The request was larger than {limit // 1024} KB; nothing was changed."), 413


@bp.errorhandler(InvalidDefinition)
def stored_draft_invalid(error: InvalidDefinition) -> ResponseReturnValue:
    """A page that needs the draft as a survey, when the stored draft no longer validates: the editor explains."""
    slug = (request.view_args or {}).get("slug")
    if not slug:
        abort(400, description=str(error))
    return redirect(url_for(".editor", slug=slug))


@bp.get("/<slug>/definition.<fmt>")
@requires_role("author")
def download(slug: str, fmt: str) -> ResponseReturnValue:
    """The draft as YAML, JSON or XLSForm (.xlsx), as a file download."""
    survey = authoring.read_draft(db(), slug)
    if fmt == "yaml":
        body, mimetype = to_yaml(survey).encode("utf-8"), "application/yaml"
    elif fmt == "json":
        body, mimetype = (to_json(survey) + "\n").encode("utf-8"), "application/json"
    elif fmt == "xlsx":
        from surveys.xlsform import write_xlsform

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{slug}.xlsx"
            write_xlsform(survey, path)
            body = path.read_bytes()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{slug}.{fmt}"'})


@bp.get("/<slug>/stored-draft.json")
@requires_role("author")
def download_stored(slug: str) -> ResponseReturnValue:
    """The draft's data exactly as stored, even when it no longer passes validation (to correct it offline)."""
    body = json.dumps(authoring.draft_definition(db(), slug), indent=2, ensure_ascii=False) + "\n"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{slug}-draft.json"'})


@bp.post("/<slug>/upload")
@requires_role("author")
def upload(slug: str) -> ResponseReturnValue:
    """Replace the draft with an uploaded definition; an invalid file shows every problem and changes nothing."""
    form = UploadForm()
    if not form.validate_on_submit():
        return editor_page(slug, problems=[Problem("", "choose a definition file to upload")], status=400)
    file: FileStorage = form.definition.data
    name = Path(file.filename or "upload").name
    try:
        if form.skip_unsupported.data and Path(name).suffix.lower() == ".xlsx":
            imported = uploads.import_xlsform_upload(file.read(), name, limits=uploads.limits_from(current_app.config))
            if imported.survey.id != slug:  # as save_draft says, but before the author reviews the list
                return editor_page(slug, problems=[Problem("settings sheet, form_id", f"{imported.survey.id!r}: must "
                                                           f"be {slug!r}, the id of this survey")], status=400)
            if imported.dropped or imported.notes:  # shown, and saved only when the author confirms
                return _upload_preview(slug, name, imported)
            survey = imported.survey
        else:
            survey = read_uploaded_definition(file, name)
        authoring.save_draft(db(), slug, to_data(survey), author=author_email())
    except InvalidDefinition as error:
        return editor_page(slug, problems=[Problem(p.path, p.message) for p in error.problems], status=400)
    except CxroiError as error:
        return editor_page(slug, problems=[Problem("", f"{name}: {error}")], status=getattr(error, "status", 400))
    flash(f"Replaced the draft with {name}.")
    return redirect(url_for(".editor", slug=slug))


def _upload_preview(slug: str, name: str, imported: XlsformImport) -> ResponseReturnValue:
    """What an XLSForm upload left out (sheet, row, name, why) and decided, with a button to save the rest."""
    record, _, _ = authoring.survey_status(db(), slug)
    confirm = ConfirmUploadForm(formdata=None, data={"definition": to_json(imported.survey), "name": name})
    return render_template("author/upload_preview.html", record=record, name=uploads.safe_name(name),
                           imported=imported, form=confirm)


@bp.post("/<slug>/upload/confirm")
@requires_role("author")
def confirm_upload(slug: str) -> ResponseReturnValue:
    """Save the definition an XLSForm upload gave once the author has seen what was left out; checked again."""
    form = ConfirmUploadForm()
    if not form.validate_on_submit():
        return editor_page(slug, problems=[Problem("", "nothing to save: upload the file again")], status=400)
    name = uploads.safe_name(form.name.data or "upload")
    try:
        survey = parse_survey_text(form.definition.data, fmt="json", source=name)
        authoring.save_draft(db(), slug, to_data(survey), author=author_email())
    except InvalidDefinition as error:
        return editor_page(slug, problems=[Problem(p.path, p.message) for p in error.problems], status=400)
    flash(f"Replaced the draft with {name}, without what cxroi cannot represent.")
    return redirect(url_for(".editor", slug=slug))


def read_uploaded_definition(file: FileStorage, name: str) -> Survey:
    """A checked Survey from an uploaded .yaml/.yml/.json/.xlsx file, read in a child process under the upload
    limits; `InvalidDefinition`, `UploadTooDemanding` or another `CxroiError` otherwise."""
    return uploads.read_definition(file.read(), name, limits=uploads.limits_from(current_app.config))


@bp.get("/<slug>/links")
@requires_role("author")
def links(slug: str) -> ResponseReturnValue:
    """Public links per channel and the form to create personal links from a customer list."""
    return _links_page(slug, CustomersForm(formdata=None))


def _links_page(slug: str, form: CustomersForm, *, customers: authoring.CustomerList | None = None,
                problems: list[str] | None = None, status: int = 200) -> ResponseReturnValue:
    record, state, versions = authoring.survey_status(db(), slug)
    survey = survey_of(latest_version(db(), slug)) if versions else None
    channels = [(c.id, c.label) for c in survey.channels] if survey else []
    form.channel.choices = [("", "No particular channel")] + channels
    base = base_url_from_environment()  # the public address, as in personal links (not this request's host)
    # A survey that links answers to customers needs each customer's signed id in its public link: those links
    # come in the `public_link` column of the personal-links CSV, not from this table.
    public = [] if survey is not None and survey.customer_id_param else (
        [(label, base + url_for("respond.public", slug=slug, channel=channel_id)) for channel_id, label in channels]
        or ([("Any channel", base + url_for("respond.public", slug=slug))] if survey else []))
    confirm = send = None
    if customers is not None and customers.ok:
        confirm = ConfirmLinksForm(formdata=None, data={"customer_ids": json.dumps(_confirmed(customers)),
                                                        "channel": form.channel.data or ""})
        if mailing.mail_rows_problem(customers) is None:  # every row has an address: it can be sent by e-mail
            send = SendMailForm(formdata=None, data={"customers": mail_rows_json(customers),
                                                     "channel": form.channel.data or ""})
    return render_template("author/links.html", record=record, state=state, versions=versions, survey=survey,
                           public=public, form=form, customers=customers, confirm=confirm, send=send,
                           mail_states=mailing.state_counts(db(), slug) if versions else {},
                           problems=problems or [], link_days=LINK_DAYS,
                           public_days=public_link_seconds(current_app.config.get("PUBLIC_LINK_DAYS")) / 86400,
                           public_on=record.public_link,
                           retention=retention_of(db(), slug) if versions else None), status


@bp.post("/<slug>/links/public")
@requires_role("author")
def public_link_switch(slug: str) -> ResponseReturnValue:
    """Switch the survey's public link `/p/<slug>` on or off (CSRF-checked like every POST); personal links
    are not affected."""
    wanted = request.form.get("public_link")
    if wanted not in ("on", "off"):
        abort(400, description="say whether the public link should be on or off")
    set_public_link(db(), slug, wanted == "on")
    flash("The public link is on: anyone with it can answer." if wanted == "on" else
          "The public link is off: it shows a \"not in use\" page; personal links keep working.")
    return redirect(url_for(".links", slug=slug), 303)


@bp.post("/<slug>/links/preview")
@requires_role("author")
def links_preview(slug: str) -> ResponseReturnValue:
    """Step 1: read the uploaded customer list and show every row, flagging empty and repeated ids."""
    form = CustomersForm()
    if not form.validate_on_submit():
        return _links_page(slug, form, problems=["Choose a customer list (CSV) to upload."], status=400)
    file: FileStorage = form.customers.data
    name = Path(file.filename or "customers.csv").name
    customers = authoring.read_customer_list(file.read(), name=name)
    return _links_page(slug, form, customers=customers, status=200 if customers.ok else 400)


def _confirmed(customers: CustomerList) -> list[Any]:
    """The previewed customers for the confirmation form: each id, with its language and name when the list has
    them (the personal link opens in that language and texts may show the name)."""
    return [[row.customer_id, row.language, row.name] if row.language or row.name else row.customer_id
            for row in customers.rows if row.problem is None]


def _customers_confirmed(value: str | None) -> list[str | CustomerRow] | None:
    """The confirmation form's customers back (see `_confirmed`); None when it is not that shape."""
    try:
        items = json.loads(value or "")
    except ValueError:
        return None
    if not isinstance(items, list):
        return None
    out: list[str | CustomerRow] = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)
              and all(part is None or isinstance(part, str) for part in item[1:])):
            out.append(CustomerRow(0, item[0], None, language=item[1], name=item[2]))
        else:
            return None
    return out


@bp.post("/<slug>/links/create")
@requires_role("author")
def links_create(slug: str) -> ResponseReturnValue:
    """Step 2: create one personal link per previewed id; the CSV of links is this POST's response, because
    the database keeps only the tokens' hashes."""
    form = ConfirmLinksForm()
    ids = _customers_confirmed(form.customer_ids.data) if form.validate_on_submit() else None
    if ids is None:
        return _links_page(slug, CustomersForm(formdata=None),
                           problems=["The confirmation did not carry the customer list; upload it again."],
                           status=400)
    try:
        issued = create_invitations(db(), slug, ids, form.channel.data or None, timedelta(days=LINK_DAYS))
    except HostingError as error:
        return _links_page(slug, CustomersForm(formdata=None), problems=[str(error)], status=error.status)
    out = io.StringIO()
    writer = LinksCsvWriter(out)  # the exports' formula guard on every cell
    # A survey with `customer_id_param` also gets each customer's signed public link (valid PUBLIC_LINK_DAYS).
    param = survey_of(latest_version(db(), slug)).customer_id_param
    writer.writerow(["customer_id", "channel", "link", "expires_at"] + (["public_link"] if param else []))
    base = base_url_from_environment()
    secret = current_app.config["SECRET_KEY"]
    for link in issued:
        public = [signed_public_link(secret, base, slug, param, link.customer_id, link.channel)] if param else []
        writer.writerow([link.customer_id, link.channel or "", link.url(base),
                         link.expires_at.isoformat(timespec="seconds") if link.expires_at else ""] + public)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{slug}-links.csv"'})


# --- e-mail distribution: send by e-mail, the templates editor and preview, unsubscribe ----------------------

MAIL_FIELDS = ("customer_id", "email", "name", "language", "phone")


class SendMailForm(FlaskForm):
    """The links page's "send by e-mail" step: the previewed rows travel back (checked again on arrival)."""

    customers = HiddenField(validators=[DataRequired()])
    channel = HiddenField()


class MailTemplatesForm(FlaskForm):
    subject = StringField("Subject", validators=[DataRequired(), Length(max=mailing.SUBJECT_LIMIT)])
    text_body = TextAreaField("Plain-text body", validators=[DataRequired(), Length(max=mailing.TEMPLATE_LIMIT)])
    html_body = TextAreaField("HTML body", validators=[DataRequired(), Length(max=mailing.TEMPLATE_LIMIT)])
    reminder_after_days = IntegerField("Remind non-responders after this many days (empty: no automatic reminder)",
                                       validators=[Optional(), NumberRange(min=1, max=365)])
    action = HiddenField()


def mail_rows_json(customers: authoring.CustomerList) -> str:
    return json.dumps([{key: getattr(row, key) or "" for key in MAIL_FIELDS} for row in customers.rows])


def customers_from_json(text: str) -> authoring.CustomerList | None:
    """The rows sent back by the confirming form, read again as a CSV (so every row is checked again)."""
    try:
        rows = json.loads(text)
    except ValueError:
        return None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        return None
    out = io.StringIO()
    import csv

    writer = csv.writer(out)
    writer.writerow(MAIL_FIELDS)
    for row in rows:
        values = [row.get(key, "") for key in MAIL_FIELDS]
        if not all(isinstance(value, str) for value in values):
            return None
        writer.writerow(values)
    return authoring.read_customer_list(out.getvalue().encode("utf-8"), name="the customer list")


def enqueue_mail(message_ids: list[int]) -> None:
    """Queue one send task per message (the worker sends them)."""
    from ..services.mail_tasks import enqueue

    enqueue(message_ids)


@bp.post("/<slug>/links/send")
@requires_role("author")
def links_send(slug: str) -> ResponseReturnValue:
    """Create a personal link for every previewed customer and queue one invitation e-mail each (CSRF-checked);
    addresses that opted out get nothing. The worker sends them (`cxroi worker`)."""
    form = SendMailForm()
    customers = customers_from_json(form.customers.data or "") if form.validate_on_submit() else None
    if customers is None:
        return _links_page(slug, CustomersForm(formdata=None),
                           problems=["The confirmation did not carry the customer list; upload it again."],
                           status=400)
    try:
        queued = mailing.queue_invitations(db(), slug, customers, form.channel.data or None,
                                           current_app.config["SECRET_KEY"], expires=timedelta(days=LINK_DAYS))
    except HostingError as error:
        return _links_page(slug, CustomersForm(formdata=None), problems=[str(error)], status=error.status)
    enqueue_mail(queued.message_ids)
    count = len(queued.message_ids)
    message = f"Queued {count} invitation e-mail{'' if count == 1 else 's'}; the worker sends them."
    if queued.opted_out:
        message += (f" {len(queued.opted_out)} customer(s) opted out of survey e-mails and were left out: "
                    + ", ".join(queued.opted_out[:20]) + ("…" if len(queued.opted_out) > 20 else ""))
    flash(message)
    return redirect(url_for(".links", slug=slug), 303)


@bp.route("/<slug>/mail", methods=["GET", "POST"])
@requires_role("author")
def mail_templates(slug: str) -> ResponseReturnValue:
    """The survey's e-mail templates (subject, plain text, HTML) and reminder schedule, with a preview for a
    sample customer; "Preview" renders what is in the form, "Save" checks and stores it."""
    record = find_survey(db(), slug)
    stored = mailing.templates_for(db(), record)
    form = MailTemplatesForm(data={"subject": stored.subject, "text_body": stored.text_body,
                                   "html_body": stored.html_body,
                                   "reminder_after_days": stored.reminder_after_days})
    problems: list[str] = []
    status = 200
    templates = stored
    if request.method == "POST":
        if not form.validate_on_submit():
            problems = [f"{form[name].label.text}: {' '.join(errors)}" for name, errors in form.errors.items()
                        if name in form._fields]
        else:
            templates = mailing.MailTemplates(form.subject.data or "", form.text_body.data or "",
                                              form.html_body.data or "", form.reminder_after_days.data)
            problems = mailing.template_problems(templates)
            if not problems and form.action.data == "save":
                mailing.save_templates(db(), slug, templates, author=author_email())
                flash("Saved the e-mail templates.")
                return redirect(url_for(".mail_templates", slug=slug), 303)
        status = 400 if problems else 200
    preview = None
    if not problems:
        sample = mailing.SAMPLE | {"survey_title": record.title}
        preview = {kind: mailing.render_mail(templates, sample | {"reminder": kind == "reminder"})
                   for kind in ("invitation", "reminder")}
    return render_template("author/mail.html", record=record, form=form, problems=problems, preview=preview,
                           variables=mailing.TEMPLATE_VARIABLES,
                           states=mailing.state_counts(db(), slug)), status


def unsubscribe(token: str) -> ResponseReturnValue:
    """The unsubscribe link of every e-mail: GET asks for confirmation (link scanners only GET), POST records
    the opt-out — from the page's button or a mail client's one-click POST (RFC 8058), which carries no CSRF
    token: the signed token is the authority, so this view is exempt from the CSRF check."""
    address, slug = mailing.read_unsubscribe_token(current_app.config["SECRET_KEY"], token)
    done = False
    if request.method == "POST":
        mailing.opt_out(db(), address, slug)
        done = True
    return render_template("mail/unsubscribe.html", address=address, done=done,
                           action=url_for("respond.unsubscribe", token=token))


csrf.exempt(unsubscribe)
# A respondent's page: on the respond blueprint (public, no sign-in; its POSTs share the respondents' rate limit),
# added here at import, before any app registers that blueprint.
respond_bp.add_url_rule("/unsubscribe/<token>", endpoint="unsubscribe", view_func=unsubscribe,
                        methods=["GET", "POST"])
