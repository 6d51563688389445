"""The Flask application factory.

`create_app(config=None)` reads settings from the environment and the instance folder (see `webapp.config`),
checks that they can serve (`check_startup`), registers the blueprints and the friendly error pages.
`config` overrides any Flask setting, plus `DATABASE_URL` and `INSTANCE_PATH`; tests pass their own.

Starting is refused (`StartupRefused`, one line: `cxroi serve` prints it and exits non-zero) when the database
is not SQLite and no `SECRET_KEY` is set — several app servers would each generate their own and refuse each
other's sessions — and when the schema is behind and the app is not to migrate it. SQLite migrates on start
(zero setup); other databases only with `AUTO_UPGRADE` (`CXROI_AUTO_UPGRADE=1`): in production the migration is
a deploy step, `cxroi db upgrade`, run once before the new release starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, render_template, request
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.engine import make_url
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from surveys.errors import CxroiError

from .accounts.guard import staff_page
from .accounts.setup import init_accounts
from .api import API_PREFIX, init_api
from .api.problems import problem
from .author import init_authoring
from .cases import init_cases
from .config import (
    TEXT_BODY_LIMIT,
    instance_path_from_environment,
    proxy_hops,
    secret_key_for,
    settings_from_environment,
)
from .extensions import csrf, init_db, limiter
from .privacy.views import init_privacy
from .reports import init_reports
from .respond import bp as respond_bp
from .results import init_results
from .security import init_security
from .services.errors import HostingError
from .storage.engine import schema_revisions, upgrade_database
from .themes import init_themes

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the cxroi web app; `config` overrides settings (e.g. `DATABASE_URL`, `SECRET_KEY`, `TESTING`)."""
    config = dict(config or {})
    instance_path = Path(config.pop("INSTANCE_PATH", None) or instance_path_from_environment())
    app = Flask("webapp", template_folder=str(TEMPLATES), instance_path=str(instance_path),
                static_folder=str(Path(__file__).parent / "static"))
    app.config.update(
        settings_from_environment(instance_path),
        MAX_CONTENT_LENGTH=TEXT_BODY_LIMIT,
        WTF_CSRF_TIME_LIMIT=None,  # a respondent may take a long break on a page; the token lives with the session
        SESSION_COOKIE_SAMESITE="Lax",
        # Only a respondent's session is permanent (kept 31 days from its last change): signing and sending its
        # cookie again on every page was a measurable share of each respondent request (profile_respondent.py)
        SESSION_REFRESH_EACH_REQUEST=False,
    )
    app.config.update(config)
    check_startup(app.config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key_for(instance_path)  # SQLite only (check_startup)
    hops = proxy_hops(app.config.get("PROXY_HOPS"))
    if hops:  # the client address and scheme as the trusted proxies saw them; their headers ignored otherwise
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    init_db(app)
    csrf.init_app(app)
    limiter.init_app(app)
    init_security(app)
    app.register_blueprint(respond_bp)
    init_accounts(app)
    init_results(app)
    init_reports(app)
    init_authoring(app)
    init_cases(app)
    init_themes(app)
    init_api(app)
    init_privacy(app)
    _register_error_pages(app)
    return app


class StartupRefused(CxroiError):
    """The settings cannot serve: no shared secret key beside a shared database, or a schema that is behind."""


def is_sqlite(url: str) -> bool:
    try:
        return make_url(url).get_backend_name() == "sqlite"
    except Exception:  # a malformed URL: the database check reports it
        return False


def check_startup(config: Mapping[str, Any]) -> None:
    """Refuse settings that cannot serve (see the module's docstring), and bring the schema up to date where
    the app may migrate it (`AUTO_UPGRADE`: True, False, or None for SQLite only). Raises `StartupRefused`."""
    url = config["DATABASE_URL"]
    sqlite = is_sqlite(url)
    if not sqlite and not config.get("SECRET_KEY"):
        raise StartupRefused(
            "CXROI_SECRET_KEY is not set: with a database other than SQLite, every app server must be given the "
            "same secret key (each would otherwise make its own and refuse the others' sessions and links); "
            "set CXROI_SECRET_KEY to a long random value, e.g. from `python -c 'import secrets; "
            "print(secrets.token_hex(32))'`")
    auto = config.get("AUTO_UPGRADE")
    if sqlite if auto is None else auto:
        upgrade_database(url)  # zero set-up: the first start creates the schema
        return
    current, head = schema_revisions(url)
    if current != head:
        at = ", ".join(sorted(current)) or "empty"
        raise StartupRefused(f"the database schema is not the one this release needs (it is at {at}, this "
                             f"release needs {', '.join(sorted(head))}): run `cxroi db upgrade` first")


def _register_error_pages(app: Flask) -> None:
    def message(title: Any, text: Any, status: int, *, translated: bool = True) -> tuple[str, int]:
        if staff_page():  # signed-in staff keep their navigation on an error page (in English, like their pages)
            with force_locale("en"):
                return render_template("staff/message.html", title=str(title), message=str(text),
                                       status=status), status
        if not translated:  # a message worded in English by the services: the whole page in English
            with force_locale("en"):
                return render_template("respond/message.html", title=title, message=text, lang="en"), status
        language = str(get_locale() or "en")  # the browser's language when a catalogue has it (translations/)
        return render_template("respond/message.html", title=str(title), message=str(text), lang=language), status

    @app.errorhandler(HostingError)
    def hosting_error(error: HostingError) -> tuple[str, int]:
        return message(error.title, str(error), error.status, translated=False)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return message(_("Please try again"),
                       _("This form could not be checked (its security token is missing, wrong or from an old "
                         "session). Go back, reload the page and send it again; your saved answers are kept."), 400)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        status = error.code or 500
        if request.path.startswith(API_PREFIX):  # an address no API route takes: a problem, as the API answers
            return problem(status, error.name, error.description or error.name)
        texts = {
            403: ("Not for your role", "Your role cannot use this page; the links above are the pages it can."),
            404: (_("Page not found"), _("There is no page at this address; check that the link was copied whole.")),
            405: (_("Not allowed"), _("This page cannot be used that way.")),
            413: (_("Too much text"), _("The answers sent were larger than %(size)s KB; please shorten the longest "
                                        "answer and send it again.", size=TEXT_BODY_LIMIT // 1024)),
        }
        title, text = texts.get(status, (error.name, error.description or ""))
        return message(title, text, status)
