"""Admin pages: the list of users and adding one (admins only)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, Length

from ..extensions import get_db
from .guard import requires_role
from .models import ROLES, User
from .service import AccountError, create_user

bp = Blueprint("admin", __name__, url_prefix="/admin")


class NewUserForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=320)])
    role = SelectField("Role", choices=list(ROLES))
    password = PasswordField("Initial password (at least 10 characters)", validators=[DataRequired(), Length(max=1000)])


@bp.route("/users", methods=["GET", "POST"])
@requires_role("admin")
def users() -> str | WerkzeugResponse | tuple[str, int]:
    db = get_db()
    form = NewUserForm()
    status = 200
    if form.validate_on_submit():
        try:
            created = create_user(db, form.email.data or "", form.role.data or "", form.password.data or "")
        except AccountError as error:
            form.email.errors = [str(error)]
            status = 400
        else:
            flash(f"Added {created.email} as {created.role}.")
            return redirect(url_for("admin.users"))
    elif form.is_submitted():
        status = 400
    people = db.scalars(sa.select(User).order_by(User.email)).all()
    return render_template("accounts/users.html", form=form, users=people), status
