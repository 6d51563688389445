"""App-wide objects, made once at import and bound to each app by `create_app` (as flaskr keeps `db.py`).

* `csrf`: Flask-WTF's CSRF protection of every form (a view that checks its token itself is marked
  `@csrf.exempt` where it is declared).
* the database: `init_db(app)` gives the app a lazy session factory over its `DATABASE_URL`; `get_db()` is the
  session of the current request, closed when the request ends.
* `limiter`: respondents' submit rate limit, per-client token buckets kept per app and per process (settings
  `SUBMIT_RATE_PER_MINUTE` and `SUBMIT_BURST`, see `webapp.config`; the hooks using it are in
  `webapp.security`).

Views and services import these at module top; this module imports nothing else of `webapp`, so it never closes
an import circle.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from flask import Flask, current_app, g
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session, sessionmaker

from .storage.engine import create_engine_for, session_factory

csrf = CSRFProtect()

SESSIONS_KEY = "cxroi_sessions"
SUBMIT_BUCKETS_KEY = "cxroi_submit_buckets"


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
MAX_CLIENTS = 50_000
"""Buckets kept per process; the least recently seen are forgotten first, so memory stays bounded."""


class TokenBuckets:
    """Per-client token buckets (thread-safe; `clock` is injectable so tests need no sleeping)."""

    def __init__(self, rate_per_minute: float, burst: float, *, clock: Callable[[], float] = time.monotonic,
                 max_clients: int = MAX_CLIENTS) -> None:
        self.rate = rate_per_minute / 60.0
        self.burst = burst
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, when)
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """Take one token for `client`: 0.0 when allowed, else the seconds until a token is available."""
        now = self.clock()
        with self._lock:
            tokens, when = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - when) * self.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[client] = (tokens, now)
                wait = (1.0 - tokens) / self.rate if self.rate > 0 else math.inf
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return wait


def _number(app: Flask, key: str, default: float) -> float:
    value = app.config.get(key)
    return default if value in (None, "") else float(value)


class SubmitLimiter:
    """The respondents' submit rate limit: one set of token buckets per app (none when the rate is 0)."""

    def init_app(self, app: Flask) -> None:
        rate = _number(app, "SUBMIT_RATE_PER_MINUTE", DEFAULT_RATE_PER_MINUTE)
        burst = _number(app, "SUBMIT_BURST", DEFAULT_BURST)
        app.extensions[SUBMIT_BUCKETS_KEY] = TokenBuckets(rate, burst) if rate > 0 else None

    def take(self, client: str) -> float:
        """Take a token for `client` from the current app's buckets: 0.0 when allowed (or unlimited), else the
        seconds to wait."""
        buckets: TokenBuckets | None = current_app.extensions.get(SUBMIT_BUCKETS_KEY)
        return 0.0 if buckets is None else buckets.take(client)


limiter = SubmitLimiter()
