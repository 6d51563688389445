"""App-wide objects, made once at import and bound to each app by `create_app` (as flaskr keeps `db.py`).

* `csrf`: Flask-WTF's CSRF protection of every form (a view that checks its token itself is marked
  `@csrf.exempt` where it is declared).
* the database: `init_db(app)` gives the app a lazy session factory over its `DATABASE_URL`; `get_db()` is the
  session of the current request, closed when the request ends.
* `limiter`: respondents' submit rate limit per client, a Flask-Limiter of each app whose counts live in Redis
  when `REDIS_URL` is set (one limit for every app server and worker process), else in the process's memory
  (settings `SUBMIT_RATE_PER_MINUTE`, `SUBMIT_BURST`, `REDIS_URL`, `RATELIMIT_KEY_PREFIX`, see `webapp.config`;
  the 429 page is made in `webapp.security`). With Redis down, each process counts in its own memory until Redis
  answers again (a warning on the `cxroi.limits` logger).

Views and services import these at module top; of `webapp` this module imports only `webapp.config` and
`webapp.storage`, which never import it back, so it never closes an import circle.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session, sessionmaker

from .config import REDIS_SCHEMES
from .storage.engine import create_engine_for, session_factory

csrf = CSRFProtect()

SESSIONS_KEY = "cxroi_sessions"


class LazySessions:
    """The engine is made on first use in each process, so a gunicorn master that preloads the app never
    shares database connections with its forked workers."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._factory: sessionmaker[Session] | None = None

    def __call__(self) -> Session:
        if self._factory is None:
            self._factory = session_factory(create_engine_for(self.url))
        return self._factory()


def init_db(app: Flask) -> None:
    """Give `app` its session factory (over `DATABASE_URL`) and close each request's session at its end."""
    app.extensions[SESSIONS_KEY] = LazySessions(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_db)


def get_db() -> Session:
    """The database session of the current request (closed when the request ends)."""
    if "db" not in g:
        g.db = current_app.extensions[SESSIONS_KEY]()
    session: Session = g.db
    return session


def _close_db(_error: BaseException | None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


DEFAULT_RATE_PER_MINUTE = 60.0
"""A person answers a page in seconds at best; 60 pages a minute from one address is far beyond that."""
DEFAULT_BURST = 30.0
"""Enough for a household or an office behind one address submitting at the same moment."""
DEFAULT_KEY_PREFIX = "cxroi"
"""Prefix of the limit's keys in Redis (`RATELIMIT_KEY_PREFIX` changes it: deployments sharing one Redis)."""
SUBMIT_LIMIT_KEY = "cxroi_submit_limit"
REDIS_TIMEOUT_SECONDS = 1
"""How long a submission waits for the limit's Redis to connect or answer before it is counted in memory."""

log = logging.getLogger("cxroi.limits")


class _StorageReports(logging.Handler):
    """Flask-Limiter warns that its storage went away on its own logger, which has only a NullHandler (so nothing
    is shown): this passes the warning on to `cxroi.limits`, which the deployment's logging shows (without any,
    Python's last-resort handler writes it to stderr: the server's log)."""

    def emit(self, record: logging.LogRecord) -> None:
        if "storage unreachable" in record.getMessage():
            log.warning("the submit limit's Redis (REDIS_URL) cannot be reached: this process counts submissions "
                        "in its own memory until it answers again, so each app process limits on its own")


def _number(app: Flask, key: str, default: float) -> float:
    value = app.config.get(key)
    return default if value in (None, "") else float(value)


@dataclass(frozen=True)
class SubmitLimit:
    """The submit limit of one app: `per_minute` submissions in any minute (at least `burst`), at most `burst`
    of them in any one second, per client address; counted in `storage_uri` (moving windows)."""

    per_minute: float
    burst: float
    storage_uri: str

    @property
    def limits(self) -> str:
        """The limit as Flask-Limiter writes it (whole numbers, rounded up)."""
        burst = max(1, math.ceil(self.burst))
        return f"{max(burst, math.ceil(self.per_minute))} per minute; {burst} per second"


def _client() -> str:
    """The client a submission counts against: its address (the real one behind trusted proxies, see
    `webapp.config` PROXY_HOPS)."""
    return request.remote_addr or "unknown"


def _not_a_submission() -> bool:
    return request.method != "POST" or request.blueprint != "respond"


class SubmitLimiter:
    """The respondents' submit rate limit: one Flask-Limiter per app (none when the rate is 0).

    A Flask-Limiter keeps its storage on itself, so each app gets its own (a test may build two apps in one
    process, each with its own storage). Every POST to a respondent page (the `respond` blueprint) counts
    against the client's limit; pages are read freely. When the limit is reached, Flask-Limiter raises
    `RateLimitExceeded` (a 429) before the view reads or stores anything; `webapp.security` renders it.

    If Redis cannot be reached (down, or no answer within `REDIS_TIMEOUT_SECONDS`), the process falls back to
    counting in its own memory (Flask-Limiter's in-memory fallback, the same limits) with a warning, and goes
    back to Redis once it answers (Flask-Limiter checks it again now and then): a limit per process instead of
    one for all, never submissions refused or let through unlimited because of the outage.
    """

    def init_app(self, app: Flask) -> None:
        rate = _number(app, "SUBMIT_RATE_PER_MINUTE", DEFAULT_RATE_PER_MINUTE)
        burst = _number(app, "SUBMIT_BURST", DEFAULT_BURST)
        if rate <= 0:
            app.extensions[SUBMIT_LIMIT_KEY] = None
            return
        setting = SubmitLimit(rate, burst, app.config.get("REDIS_URL") or "memory://")
        extension = Limiter(
            key_func=_client, storage_uri=setting.storage_uri, strategy="moving-window",
            application_limits=[setting.limits], application_limits_exempt_when=_not_a_submission,
            key_prefix=app.config.get("RATELIMIT_KEY_PREFIX") or DEFAULT_KEY_PREFIX,
            fail_on_first_breach=False,  # count every window, so the 429 names the longest wait
            in_memory_fallback_enabled=True,
            storage_options={"socket_connect_timeout": REDIS_TIMEOUT_SECONDS, "socket_timeout": REDIS_TIMEOUT_SECONDS}
            if setting.storage_uri.startswith(REDIS_SCHEMES) else {},
            swallow_errors=True, headers_enabled=False)
        extension.init_app(app)
        if not any(isinstance(handler, _StorageReports) for handler in extension.logger.handlers):
            extension.logger.addHandler(_StorageReports())
        app.extensions[SUBMIT_LIMIT_KEY] = (setting, extension)

    def setting(self, app: Flask) -> SubmitLimit | None:
        """The submit limit of `app`, None when there is none."""
        entry = app.extensions.get(SUBMIT_LIMIT_KEY)
        return None if entry is None else entry[0]

    def seconds_to_wait(self) -> float:
        """For a request just refused: the seconds until every limit it broke lets the client in again."""
        entry = current_app.extensions.get(SUBMIT_LIMIT_KEY)
        if entry is None:
            return 0.0
        now = time.time()
        return max([limit.window[0] - now for limit in entry[1].current_limits if limit.breached], default=0.0)


limiter = SubmitLimiter()
