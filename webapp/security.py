"""Security headers on every response, and a rate limit on respondents' submissions.

Headers (see docs/security.md): a Content-Security-Policy that allows only this site's own files (no inline
script at all; respondent pages need no JavaScript) and forbids framing (`frame-ancestors 'none'`), except on
the endpoints listed in the `EMBED_ENDPOINTS` setting, which may be framed by the origins in `EMBED_ORIGINS`;
`X-Content-Type-Options: nosniff`; `Referrer-Policy: no-referrer`, because a personal link carries its token in
the address and must not leak to other sites through the Referer header; `Cache-Control: no-store` on pages and
downloads (exports, link lists, reports, definitions), so a shared computer's cache keeps no one's answers;
`Strict-Transport-Security` when the site is served over https (`served_over_https`).

Rate limit: every POST to a respondent page (the `respond` blueprint) counts against its client's limit
(`webapp.extensions.limiter`, Flask-Limiter, moving windows): at most `SUBMIT_BURST` in any second and
`SUBMIT_RATE_PER_MINUTE` (or the burst, when larger) in any minute. Beyond it the answer is a 429 page with
`Retry-After`, before anything is read or stored. The counts live in Redis when `REDIS_URL` is set, so every app
server and worker process enforces one combined limit; without Redis, each process counts for itself (with N
processes a client gets at most N times the limit). The client is `request.remote_addr`: behind trusted proxies,
`PROXY_HOPS` (werkzeug's ProxyFix, set up by `create_app`) makes it the real client's address.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, render_template, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import RateLimitExceeded
from itsdangerous import URLSafeTimedSerializer
from werkzeug.wrappers import Response

from .extensions import limiter

HSTS_SECONDS = 365 * 24 * 3600
"""`Strict-Transport-Security` max-age when served over https: a year, without includeSubDomains (the other
sites of the domain are not ours to decide for)."""

BASE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
               # charts set their own max-width in a style attribute; attributes cannot run script
               "style-src-attr 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
               "form-action 'self'")


F = TypeVar("F", bound=Callable[..., Any])


def body_limit(size: int | Callable[[], int]) -> Callable[[F], F]:
    """Declare that a view takes a body of up to `size` bytes (an upload; a function giving it is asked on each
    request) instead of the app-wide limit made for answer pages. The limit is set before anything reads the
    body (the nameless-field check and the app-wide CSRF check both read the form), so the view's own form sees
    the whole file."""

    def mark(view: F) -> F:
        view.cxroi_body_limit = size  # type: ignore[attr-defined]
        return view

    return mark


class SignedSessions(SecureCookieSessionInterface):
    """Flask's signed session cookies, with the signing serializer made once per secret key: Flask makes it anew
    when it reads the cookie and again when it writes it, on every request (benchmarks/profile_respondent.py).
    The same keys, salt and digest: nothing about the cookie changes."""

    _kept: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))  # Flask 3.1+ has fallbacks
        kept = self._kept
        if kept is None or kept[0] != keys:
            kept = self._kept = (keys, super().get_signing_serializer(app))
        return kept[1]


def init_security(app: Flask) -> None:
    """Add the security headers and the respondent submit rate limit to `app`.

    Settings (see `webapp.config`; set from the environment with a `CXROI_` prefix): `SUBMIT_RATE_PER_MINUTE`
    (0 turns the limit off, e.g. for a load test from one address), `SUBMIT_BURST` and `REDIS_URL`, read by
    `webapp.extensions.limiter`; `EMBED_ENDPOINTS` and `EMBED_ORIGINS` (config only) for pages meant to be framed
    by named sites.
    """
    app.session_interface = SignedSessions()

    def _set_body_limit() -> None:
        limit = getattr(current_app.view_functions.get(request.endpoint or ""), "cxroi_body_limit", None)
        # An upload view (`body_limit`) gets its limit before the body is read, but only for a request that may
        # be allowed (a signed-in session or an API key): an anonymous one keeps the small limit, so nobody can
        # make the server read a large body before being turned away.
        if limit is not None and (session.get("user_id") is not None or "Authorization" in request.headers):
            request.max_content_length = limit() if callable(limit) else limit

    def _refuse_nameless_fields() -> None:
        # A multipart part whose name cannot be read ends up as a form key of None; Flask-WTF's CSRF check
        # then fails with an AttributeError (a 500). Such a request is malformed: refuse it first.
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and any(
                not isinstance(key, str) for key in (*request.form.keys(), *request.files.keys())):
            abort(400, "The form sent a field without a name; reload the page and send it again.")

    _refuse_nameless_fields.cxroi_reads_body = True  # type: ignore[attr-defined]
    app.before_request_funcs.setdefault(None, [])[:0] = [_set_body_limit, _refuse_nameless_fields]

    @app.errorhandler(RateLimitExceeded)
    def _too_many_submissions(_error: RateLimitExceeded) -> tuple[str, int, dict[str, str]]:
        seconds = max(1, math.ceil(limiter.seconds_to_wait()))
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
        if request.endpoint != "static":
            # also over send_file's `no-cache` (which lets a cache keep the file): exports, link lists, reports
            # and definitions are downloaded once and must not stay in a shared computer's cache
            response.headers["Cache-Control"] = "no-store"
        if served_over_https():
            response.headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_SECONDS}")
        return response


def served_over_https() -> bool:
    """Whether this site is served over https: its cookies are Secure (`SECURE_COOKIES`, set from
    `CXROI_SECURE_COOKIES` or an https `CXROI_BASE_URL`; see `webapp.config`), or this request came over https."""
    config = current_app.config
    return bool(config.get("SECURE_COOKIES") or config.get("SESSION_COOKIE_SECURE") or request.is_secure)
