"""Security headers on every response, and a rate limit on respondents' submissions.

Headers (see docs/security.md): a Content-Security-Policy that allows only this site's own files (no inline
script at all; respondent pages need no JavaScript) and forbids framing (`frame-ancestors 'none'`), except on
the endpoints listed in the `EMBED_ENDPOINTS` setting, which may be framed by the origins in `EMBED_ORIGINS`;
`X-Content-Type-Options: nosniff`; `Referrer-Policy: no-referrer`, because a personal link carries its token in
the address and must not leak to other sites through the Referer header; `Cache-Control: no-store` on pages,
so a shared computer's cache keeps no one's answers.

Rate limit: every POST to a respondent page (the `respond` blueprint) takes a token from its client's bucket;
the bucket holds `SUBMIT_BURST` tokens and refills at `SUBMIT_RATE_PER_MINUTE` per minute. An empty bucket
answers 429 with `Retry-After`, before anything is read or stored. The client is `request.remote_addr`: behind a
reverse proxy, wrap the app in werkzeug's `ProxyFix` so that it is the real client address. The buckets live
in each worker process (no database write per request): with N gunicorn workers a client can get at most N
times the limit, which still bounds a flood; the numbers are per process by design and documented as such.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from flask import Flask, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

DEFAULT_RATE_PER_MINUTE = 60.0
"""A person answers a page in seconds at best; 60 pages a minute from one address is far beyond that."""
DEFAULT_BURST = 30.0
"""Enough for a household or an office behind one address submitting at the same moment."""
MAX_CLIENTS = 50_000
"""Buckets kept per process; the least recently seen are forgotten first, so memory stays bounded."""

BASE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
               # charts set their own max-width in a style attribute; attributes cannot run script
               "style-src-attr 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
               "form-action 'self'")


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


def _setting(app: Flask, key: str, default: float) -> float:
    value = app.config.get(key, os.environ.get(f"CXROI_{key}"))
    return default if value in (None, "") else float(value)


def init_security(app: Flask) -> None:
    """Add the security headers and the respondent submit rate limit to `app`.

    Settings (Flask config, or the environment with a `CXROI_` prefix): `SUBMIT_RATE_PER_MINUTE` (0 turns the
    limit off, e.g. for a load test from one address), `SUBMIT_BURST`; `EMBED_ENDPOINTS` and `EMBED_ORIGINS`
    (config only) for pages meant to be framed by named sites.
    """
    rate = _setting(app, "SUBMIT_RATE_PER_MINUTE", DEFAULT_RATE_PER_MINUTE)
    burst = _setting(app, "SUBMIT_BURST", DEFAULT_BURST)
    buckets = TokenBuckets(rate, burst) if rate > 0 else None
    app.extensions["cxroi_submit_buckets"] = buckets

    def _refuse_nameless_fields() -> None:
        # A multipart part whose name cannot be read ends up as a form key of None; Flask-WTF's CSRF check
        # then fails with an AttributeError (a 500). Such a request is malformed: refuse it first.
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and any(
                not isinstance(key, str) for key in (*request.form.keys(), *request.files.keys())):
            abort(400, "The form sent a field without a name; reload the page and send it again.")

    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_nameless_fields)

    @app.before_request
    def _limit_submissions() -> ResponseReturnValue | None:
        limiter: TokenBuckets | None = current_app.extensions.get("cxroi_submit_buckets")
        if limiter is None or request.method != "POST" or request.blueprint != "respond":
            return None
        wait = limiter.take(request.remote_addr or "unknown")
        if wait == 0.0:
            return None
        seconds = max(1, math.ceil(wait)) if math.isfinite(wait) else 3600
        body = render_template(
            "respond/message.html", lang="en", title="Please wait a moment",
            message=f"Too many answers were sent from your connection in a short time. Wait {seconds} "
                    "second(s), then send this page again; the answers you saved before are kept.")
        return body, 429, {"Retry-After": str(seconds)}

    @app.after_request
    def _headers(response: Response) -> Response:
        embed = request.endpoint in set(current_app.config.get("EMBED_ENDPOINTS", ()))
        origins = " ".join(current_app.config.get("EMBED_ORIGINS", ())) if embed else ""
        ancestors = origins or "'none'"
        response.headers.setdefault("Content-Security-Policy", f"{BASE_POLICY}; frame-ancestors {ancestors}")
        if not embed:
            response.headers.setdefault("X-Frame-Options", "DENY")  # for browsers without frame-ancestors
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.endpoint != "static" and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response
