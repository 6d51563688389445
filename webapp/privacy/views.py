"""The admin page /admin/privacy: erase one customer, after a confirmation that shows what will go (counts per
kind). Both steps are POSTs with a CSRF token (a customer id in a URL would land in access logs)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from ..accounts.guard import requires_role
from ..audit.web import actor_and_client
from ..extensions import get_db
from .erasure import CUSTOMER_ID_LIMIT, KINDS, ErasureError, erase_customer, plan_erasure
from .retention import ACTIONS, MONTHS_LIMIT, set_retention

bp = Blueprint("privacy", __name__, url_prefix="/admin/privacy")
retention_bp = Blueprint("retention", __name__, url_prefix="/author")
"""The retention form of a survey's links page (the page itself is `author.links`)."""


class LookUpForm(FlaskForm):
    customer_id = StringField("Customer id", validators=[DataRequired(), Length(max=CUSTOMER_ID_LIMIT)])


class EraseForm(FlaskForm):
    customer_id = HiddenField(validators=[DataRequired(), Length(max=CUSTOMER_ID_LIMIT)])


def init_privacy(app: Flask) -> None:
    """Register the privacy admin page and the links page's retention form."""
    app.register_blueprint(bp)
    app.register_blueprint(retention_bp)


def _page(form: LookUpForm, status: int = 200, **values: object) -> tuple[str, int]:
    return render_template("privacy/erase.html", form=form, kinds=KINDS, **values), status


@bp.get("/")
@requires_role("admin")
def index() -> tuple[str, int]:
    return _page(LookUpForm())


@bp.post("/")
@requires_role("admin")
def preview() -> tuple[str, int]:
    """What erasing the customer would delete, with the button that does it."""
    form = LookUpForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    try:
        plan = plan_erasure(get_db(), form.customer_id.data or "")
    except ErasureError as error:
        form.customer_id.errors = [str(error)]
        return _page(form, 404)
    finally:
        get_db().rollback()  # read only: end the transaction
    return _page(form, plan=plan, confirm=EraseForm(customer_id=plan.customer_id))


@bp.post("/erase")
@requires_role("admin")
def erase() -> WerkzeugResponse | tuple[str, int]:
    confirm = EraseForm()
    if not confirm.validate_on_submit():
        return _page(LookUpForm(formdata=None), 400, problem="The form expired or was altered; look the customer "
                                                                "up again.")
    actor, client = actor_and_client()
    try:
        plan = erase_customer(get_db(), confirm.customer_id.data or "", actor=actor, client=client,
                              secret_key=current_app.config["SECRET_KEY"])
    except ErasureError as error:
        return _page(LookUpForm(formdata=None), 404, problem=str(error))
    flash("Erased: " + ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in plan.counts.items())
          + ". The audit log records the erasure without the customer's id.")
    return redirect(url_for("privacy.index"))


@retention_bp.post("/<slug>/retention", endpoint="set_retention")
@requires_role("author")
def set_retention_view(slug: str) -> WerkzeugResponse:
    """Store the survey's retention (CSRF-checked like every POST), then back to its links page."""
    months_text = (request.form.get("months") or "").strip()
    action = request.form.get("action") or "delete"
    if not months_text.isdigit() or int(months_text) > MONTHS_LIMIT:
        abort(400, description=f"Keep responses for: a whole number of months from 0 to {MONTHS_LIMIT}")
    if action not in ACTIONS:
        abort(400, description=f"Then: choose {' or '.join(ACTIONS)}")
    actor, client = actor_and_client()
    kept = set_retention(get_db(), slug, int(months_text), action, actor=actor, client=client)
    flash(f"Responses started more than {kept.months} months ago will be {kept.action}d every day."
          if kept.months else "Responses are kept: no retention.")
    return redirect(url_for("author.links", slug=slug), 303)
