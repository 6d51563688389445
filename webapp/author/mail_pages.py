"""E-mail distribution on the authoring pages: send by e-mail (the links page's last step), the templates
editor with its preview, and the unsubscribe page every e-mail links to."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..accounts.guard import requires_role
from ..extensions import csrf
from ..respond import bp as respond_bp
from ..services import authoring, mailing, uploads
from ..services.errors import HostingError
from ..services.publishing import find_survey
from .forms import CustomersForm
from .links import LINK_DAYS, MAIL_FIELDS, SendMailForm, links_page
from .views import author_email, bp, db


class MailTemplatesForm(FlaskForm):
    subject = StringField("Subject", validators=[DataRequired(), Length(max=mailing.SUBJECT_LIMIT)])
    text_body = TextAreaField("Plain-text body", validators=[DataRequired(), Length(max=mailing.TEMPLATE_LIMIT)])
    html_body = TextAreaField("HTML body", validators=[DataRequired(), Length(max=mailing.TEMPLATE_LIMIT)])
    reminder_after_days = IntegerField("Remind non-responders after this many days (empty: no automatic reminder)",
                                       validators=[Optional(), NumberRange(min=1, max=365)])
    action = HiddenField()


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
    return authoring.read_customer_list(out.getvalue().encode("utf-8"), name="the customer list",
                                        max_rows=uploads.CUSTOMER_ROWS)


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
        return links_page(slug, CustomersForm(formdata=None),
                          problems=["The confirmation did not carry the customer list; upload it again."],
                          status=400)
    try:
        queued = mailing.queue_invitations(db(), slug, customers, form.channel.data or None,
                                           current_app.config["SECRET_KEY"], expires=timedelta(days=LINK_DAYS))
    except HostingError as error:
        return links_page(slug, CustomersForm(formdata=None), problems=[str(error)], status=error.status)
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
