"""Admin pages: the users, adding one, and each user's lifecycle (role, deactivation, password reset)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, Length

from ..audit.web import actor_and_client
from ..extensions import get_db
from .guard import requires_role
from .lifecycle import reset_password, set_active, set_role
from .models import ROLES, User
from .service import AccountError, create_user

bp = Blueprint("admin", __name__, url_prefix="/admin")


class NewUserForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=320)])
    role = SelectField("Role", choices=list(ROLES))
    password = PasswordField("Initial password (at least 10 characters)", validators=[DataRequired(), Length(max=1000)])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=list(ROLES))


class PasswordForm(FlaskForm):
    password = PasswordField("New password (at least 10 characters)", validators=[DataRequired(), Length(max=1000)])


class ActiveForm(FlaskForm):
    """Deactivate or reactivate: the button says which; the form carries only the CSRF token."""


def _page(form: NewUserForm, status: int = 200, problem: str = "") -> tuple[str, int]:
    people = get_db().scalars(sa.select(User).order_by(User.email)).all()
    return render_template("accounts/users.html", form=form, users=people, roles=ROLES, problem=problem,
                           role_form=RoleForm(), password_form=PasswordForm(), active_form=ActiveForm()), status


@bp.route("/users", methods=["GET", "POST"])
@requires_role("admin")
def users() -> str | WerkzeugResponse | tuple[str, int]:
    form = NewUserForm()
    status = 200
    if form.validate_on_submit():
        actor, client = actor_and_client()
        try:
            created = create_user(get_db(), form.email.data or "", form.role.data or "", form.password.data or "",
                                  actor=actor, client=client)
        except AccountError as error:
            form.email.errors = [str(error)]
            status = 400
        else:
            flash(f"Added {created.email} as {created.role}.")
            return redirect(url_for("admin.users"))
    elif form.is_submitted():
        status = 400
    return _page(form, status)


def _user(user_id: int) -> User:
    user = get_db().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _changed(message: str) -> WerkzeugResponse:
    flash(message)
    return redirect(url_for("admin.users"))


@bp.post("/users/<int(max=2147483647):user_id>/role")
@requires_role("admin")
def change_role(user_id: int) -> WerkzeugResponse | tuple[str, int]:
    user, form = _user(user_id), RoleForm()
    if not form.validate_on_submit():
        return _page(NewUserForm(formdata=None), 400, f"The role of {user.email} was not changed: choose a role.")
    actor, client = actor_and_client()
    try:
        set_role(get_db(), user.email, form.role.data or "", actor=actor, client=client)
    except AccountError as error:
        return _page(NewUserForm(formdata=None), 400, str(error))
    return _changed(f"{user.email} is now {user.role}.")


@bp.post("/users/<int(max=2147483647):user_id>/active")
@requires_role("admin")
def change_active(user_id: int) -> WerkzeugResponse | tuple[str, int]:
    """Deactivate (`active=0`) or reactivate (`active=1`): the form names the state it wants, so a double
    submit is a no-op rather than undoing the first click."""
    user = _user(user_id)
    if not ActiveForm().validate_on_submit():
        return _page(NewUserForm(formdata=None), 400, "The form expired; send it again.")
    wanted = request.form.get("active")
    if wanted not in ("0", "1"):
        return _page(NewUserForm(formdata=None), 400, f"{user.email} was not changed: say whether to deactivate "
                     "(active=0) or reactivate (active=1).")
    actor, client = actor_and_client()
    try:
        set_active(get_db(), user.email, wanted == "1", actor=actor, client=client)
    except AccountError as error:
        return _page(NewUserForm(formdata=None), 400, str(error))
    state = "active" if user.active else "deactivated: every session of theirs has ended"
    return _changed(f"{user.email} is {state}.")


@bp.post("/users/<int(max=2147483647):user_id>/password")
@requires_role("admin")
def change_password(user_id: int) -> WerkzeugResponse | tuple[str, int]:
    user, form = _user(user_id), PasswordForm()
    if not form.validate_on_submit():
        return _page(NewUserForm(formdata=None), 400, f"The password of {user.email} was not reset: type one.")
    actor, client = actor_and_client()
    try:
        reset_password(get_db(), user.email, form.password.data or "", actor=actor, client=client)
    except AccountError as error:
        return _page(NewUserForm(formdata=None), 400, f"The password of {user.email} was not reset: {error}.")
    return _changed(f"The password of {user.email} is reset; every session of theirs has ended.")
