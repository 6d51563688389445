"""Sign-in and sign-out pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from .service import TooManyAttempts, authenticate

bp = Blueprint("accounts", __name__)


class SignInForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


HOME_BY_ROLE = {"author": "author.surveys", "admin": "author.surveys", "analyst": "results.index"}


def _safe_next(target: str | None, role: str) -> str:
    """Only a path on this site (never an absolute or scheme-relative URL: no open redirect); by default the
    home page of the user's role."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        from flask import current_app

        home = HOME_BY_ROLE.get(role, "")
        return url_for(home) if home in current_app.view_functions else "/"
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | WerkzeugResponse | tuple[str, int]:
    from webapp.app import get_db

    form = SignInForm()
    error = None
    status = 200
    if form.validate_on_submit():
        client = request.remote_addr or "unknown"
        try:
            user = authenticate(get_db(), form.email.data or "", form.password.data or "", client=client)
        except TooManyAttempts as too_many:
            error, status = str(too_many), 429
        else:
            if user is not None:
                session.clear()  # a fresh session on sign-in: no fixation
                session["user_id"] = user.id
                return redirect(_safe_next(request.args.get("next"), user.role))
            error, status = "The e-mail address or password is not right.", 401
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout() -> WerkzeugResponse:
    session.clear()
    return redirect(url_for("accounts.login"))
