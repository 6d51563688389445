"""Wiring accounts into the app: the sign-in blueprint, the guard, and session-cookie settings."""

from __future__ import annotations

from flask import Flask

from ..audit import views as audit_views
from ..teams import views as team_views
from . import admin
from .guard import install_guard
from .oidc import init_oidc
from .views import bp


def init_accounts(app: Flask) -> None:
    """Register sign-in/out (and single sign-on when configured, `webapp.accounts.oidc`), protect every
    non-respondent page, and harden the session cookie.

    The cookie is HttpOnly and SameSite=Lax always, and Secure whenever the site is served over https
    (`CXROI_BASE_URL`), or when `CXROI_SECURE_COOKIES=1`: the `SECURE_COOKIES` setting (`webapp.config`);
    a plain-http local demo keeps working.
    """
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    if not app.config.get("SESSION_COOKIE_SECURE"):
        app.config["SESSION_COOKIE_SECURE"] = bool(app.config.get("SECURE_COOKIES"))
    app.register_blueprint(bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(audit_views.bp)
    app.register_blueprint(team_views.bp)
    app.config.setdefault("CXROI_NAV_ENDPOINTS", set()).add("admin.users")
    init_oidc(app)
    install_guard(app)
