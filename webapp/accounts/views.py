"""Sign-in and sign-out pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from ..audit.web import audit
from ..extensions import get_db
from . import devices
from .guard import current_user, requires_role
from .lifecycle import end_sessions
from .models import User
from .service import TooManyAttempts, authenticate

bp = Blueprint("accounts", __name__)


class SignInForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


HOME_BY_ROLE = {"author": "author.surveys", "admin": "author.surveys", "analyst": "results.index",
                "agent": "cases.index"}


def home_url(role: str) -> str | None:
    """The address of the home page of `role`, or None when this app has no such page."""
    home = HOME_BY_ROLE.get(role, "")
    return url_for(home) if home in current_app.view_functions else None


def safe_next(target: str | None, role: str) -> str:
    """Only a path on this site (never an absolute or scheme-relative URL: no open redirect); by default the
    home page of the user's role. A target holding a control character (CR/LF would split the Location header;
    NUL, tab) or a backslash (browsers read `/\\host` as `//host`) is refused, not repaired."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in target)
            or urlsplit(target).scheme or urlsplit(target).netloc):
        return home_url(role) or "/"
    return target


def start_session(user: User) -> None:
    """Sign `user` in on this browser, the same way whatever proved who they are (password or single sign-on):
    a fresh session (no fixation) holding the user and their session version (webapp.accounts.guard)."""
    session.clear()
    session["user_id"], session["session_version"] = user.id, user.session_version


@bp.get("/")
@requires_role("staff")
def home() -> WerkzeugResponse:
    """The front page: signed-in staff go to the home page of their role (a visitor is sent to sign in first by
    the guard, and comes back here after)."""
    user = current_user()
    target = home_url(user.role) if user is not None else None
    if target is None:
        abort(404)
    return redirect(target)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | WerkzeugResponse | tuple[str, int]:
    form = SignInForm()
    error = None
    status = 200
    if form.validate_on_submit():
        client = request.remote_addr or "unknown"
        try:
            user = authenticate(get_db(), form.email.data or "", form.password.data or "", client=client,
                                known_device=devices.is_known(form.email.data or ""))
        except TooManyAttempts as too_many:
            error, status = str(too_many), 429
        else:
            if user is not None:
                start_session(user)
                response = redirect(safe_next(request.args.get("next"), user.role))
                devices.remember(response, user.email)
                return response
            error, status = "The e-mail address or password is not right.", 401
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout() -> WerkzeugResponse:
    """Sign out everywhere: every session of this user ends, including a copy of this cookie."""
    user = current_user()
    if user is not None:
        end_sessions(user)
        audit("sign_out", user.email)
        get_db().commit()
    session.clear()
    return redirect(url_for("accounts.login"))
