"""The links page: public links per channel (switched on or off), and personal links made from an uploaded
customer list in two steps (preview every row, then create the links, whose CSV is the response), or sent by
e-mail (`mail_pages`)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms import HiddenField
from wtforms.validators import DataRequired

from surveys.errors import CxroiError

from ..accounts.guard import requires_role
from ..config import base_url_from_environment, public_link_seconds
from ..privacy.retention import retention_of
from ..services import authoring, create_invitations, latest_version, mailing, survey_of, uploads
from ..services.customer_lists import CustomerList, CustomerRow
from ..services.errors import HostingError
from ..services.invitations import LinksCsvWriter, set_public_link, signed_public_link
from .forms import ConfirmLinksForm, CustomersForm
from .views import bp, db

LINK_DAYS = 30
MAIL_FIELDS = ("customer_id", "email", "name", "language", "phone")


class SendMailForm(FlaskForm):
    """The links page's "send by e-mail" step: the previewed rows travel back (checked again on arrival)."""

    customers = HiddenField(validators=[DataRequired()])
    channel = HiddenField()


def mail_rows_json(customers: authoring.CustomerList) -> str:
    return json.dumps([{key: getattr(row, key) or "" for key in MAIL_FIELDS} for row in customers.rows])


@bp.get("/<slug>/links")
@requires_role("author")
def links(slug: str) -> ResponseReturnValue:
    """Public links per channel and the form to create personal links from a customer list."""
    return links_page(slug, CustomersForm(formdata=None))


def links_page(slug: str, form: CustomersForm, *, customers: authoring.CustomerList | None = None,
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
        return links_page(slug, form, problems=["Choose a customer list (CSV) to upload."], status=400)
    file: FileStorage = form.customers.data
    name = Path(file.filename or "customers.csv").name
    try:  # read in a child process under the upload limits: a file built to exhaust the reader costs the child
        customers = uploads.read_customers(file.read(), name, limits=uploads.limits_from(current_app.config))
    except CxroiError as error:  # UploadTooDemanding (413), or a reader that failed (400)
        return links_page(slug, form, problems=[str(error)], status=getattr(error, "status", 400))
    return links_page(slug, form, customers=customers, status=200 if customers.ok else 400)


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
        return links_page(slug, CustomersForm(formdata=None),
                          problems=["The confirmation did not carry the customer list; upload it again."],
                          status=400)
    try:
        issued = create_invitations(db(), slug, ids, form.channel.data or None, timedelta(days=LINK_DAYS))
    except HostingError as error:
        return links_page(slug, CustomersForm(formdata=None), problems=[str(error)], status=error.status)
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
