"""Sign-in and roles for every page that is not a respondent page — closed by default.

A view declares who may use it with `@requires_role("author")` (author or admin), `"analyst"` (analyst,
author or admin), `"agent"` (agent, author or admin: the follow-up cases) or `"admin"`. Before each request the
guard looks the endpoint up: respondent pages and the sign-in page are public; any other endpoint needs a
signed-in user whose role is allowed — and an endpoint that declares no role is refused to everyone, so a page
added later without a declaration cannot leak.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from ..extensions import get_db
from .models import User

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC_BLUEPRINTS = frozenset({"respond", "api", "shared"})  # shared: a report link needs no account
"""Blueprints the session guard leaves alone: respondent pages (anyone holding a link) and the REST API, whose
every request is authorised by its own bearer API key instead (`webapp.api.auth`)."""
PUBLIC_ENDPOINTS = frozenset({"static", "accounts.login", "accounts.logout", "oidc.start", "oidc.callback"})
"""Open to visitors: signing in (with a password or through the single sign-on provider) and out."""
ALLOWED = {
    "analyst": frozenset({"analyst", "author", "admin"}),
    "author": frozenset({"author", "admin"}),
    "admin": frozenset({"admin"}),
    "agent": frozenset({"agent", "author", "admin"}),
    "staff": frozenset({"analyst", "author", "admin", "agent"}),
}


def requires_role(role: str) -> Callable[[F], F]:
    """Declare the least role a view needs: analyst < author < admin, and agent < author (agents work cases
    only); "staff" is any signed-in role (the front page)."""
    if role not in ALLOWED:
        raise ValueError(f"unknown role {role!r}")

    def mark(view: F) -> F:
        view.cxroi_role = role  # type: ignore[attr-defined]
        return view

    return mark


def is_public(endpoint: str | None) -> bool:
    if endpoint is None:
        return True  # no route matched: Flask answers 404 itself
    blueprint = endpoint.rpartition(".")[0]
    return endpoint in PUBLIC_ENDPOINTS or blueprint in PUBLIC_BLUEPRINTS


def current_user() -> User | None:
    """The signed-in, active user of this request, or None. A session made before the user signed out, was
    deactivated or had the password changed carries an older `session_version` and counts as signed out."""
    if "user" not in g:
        user_id = session.get("user_id")
        user = get_db().get(User, user_id) if isinstance(user_id, int) else None
        valid = user is not None and user.active and session.get("session_version") == user.session_version
        g.user = user if valid else None
    found: User | None = g.user
    return found


def _guard() -> WerkzeugResponse | None:
    endpoint = request.endpoint
    if is_public(endpoint):
        return None
    user = current_user()
    if user is None:
        if request.method == "GET":
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        abort(401)
    view = current_app.view_functions.get(endpoint or "")
    role = getattr(view, "cxroi_role", None)
    if role is None or user.role not in ALLOWED[role]:
        abort(403)
    if not limit_to_own_teams(user):
        abort(404)  # another team's survey, report, case or response: as if it did not exist
    return None


def limit_to_own_teams(user: User) -> bool:
    """Limit everything this request reads or changes to the user's teams (admins: every team); a new survey
    goes into the team the form names (`team`) when the user sits in it, else their first team. False when the
    address names a survey, report, case or response outside those teams."""
    # late: the teams' services import the services, which import the pages' helpers
    from ..storage.teams import Team
    from ..teams.scope import hidden_argument, limit_to_teams, set_home_team
    from ..teams.service import teams_of

    db = get_db()
    try:
        chosen = request.form.get("team", type=int) if request.method == "POST" else None
    except HTTPException:  # a body over the limit (its own error page asks who may see what)
        chosen = None
    if user.role == "admin":
        if chosen is not None and db.get(Team, chosen) is not None:
            set_home_team(db, chosen)
        return True
    teams = [team.id for team in teams_of(db, user.id)]
    limit_to_teams(db, teams, home=chosen if chosen in teams else (teams[0] if teams else None))
    return hidden_argument(db, request.view_args) is None


RESPONDENT_PATHS = ("/s/", "/p/")
"""Where respondent links live (a mistyped one matches no route, so no blueprint tells)."""


def staff_page() -> bool:
    """Whether this request is a signed-in staff member's outside the respondent pages (error pages then keep
    the staff navigation)."""
    if request.blueprint in PUBLIC_BLUEPRINTS or request.path.startswith(RESPONDENT_PATHS):
        return False
    return current_user() is not None


def may_open(endpoint: str) -> bool:
    """Whether the signed-in user's role may use `endpoint` (the navigation shows only such links)."""
    user = current_user()
    view = current_app.view_functions.get(endpoint)
    role = getattr(view, "cxroi_role", None)
    return user is not None and role in ALLOWED and user.role in ALLOWED[role]


def install_guard(app: Flask) -> None:
    """Protect every non-respondent page of `app`; also exposes `current_user` and `may_open` to templates."""
    # The guard runs before anything reads the body (the nameless-field and CSRF checks): a body over the limit
    # or malformed must not reach a blueprint's error page (which may list surveys) before the guard has turned
    # a visitor away and limited a signed-in user's session to their teams.
    hooks = app.before_request_funcs.setdefault(None, [])
    first_reader = next((i for i, hook in enumerate(hooks) if getattr(hook, "cxroi_reads_body", False)), len(hooks))
    hooks.insert(first_reader, _guard)
    app.context_processor(lambda: {"current_user": current_user(), "may_open": may_open})
