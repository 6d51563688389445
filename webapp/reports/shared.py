"""The pages a shared report link opens, for anyone holding it, without an account (blueprint `shared` at
`/shared`, public in the page guard): the report as HTML, with a link to its PDF, and the PDF itself.

Unknown and revoked links answer 404, expired ones 410, each with a page saying so. Guessing is slowed: a
client whose tokens missed `SHARE_MISSES_PER_MINUTE` times (default 20) in the last minute gets 429 until the
window moves on, before anything is looked up. Misses are counted where the API's rate is counted (Redis when
`REDIS_URL` is set, so every app server sees the same count; this process's memory otherwise or while Redis
does not answer). The token itself is never logged or audited. docs/sharing.md.
"""

from __future__ import annotations

import io
import logging
import math
import time
from typing import Any

from flask import Blueprint, current_app, render_template, request, send_file
from flask.typing import ResponseReturnValue
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ..extensions import get_db
from ..services import sharing
from ..services.errors import HostingError
from .views import REPORT_CSP

bp = Blueprint("shared", __name__, url_prefix="/shared")
DEFAULT_MISSES_PER_MINUTE = 20
LIMITER_KEY = "cxroi_share_misses"
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}

log = logging.getLogger(__name__)


class TooManyMisses(HostingError):
    status = 429
    title = "Please wait a moment"


def _limiters() -> tuple[MovingWindowRateLimiter, MovingWindowRateLimiter]:
    made = current_app.extensions.get(LIMITER_KEY)
    if made is None:
        uri = current_app.config.get("REDIS_URL") or "memory://"
        options: dict[str, Any] = {"socket_connect_timeout": 1, "socket_timeout": 1} if uri.startswith("redis") else {}
        made = (MovingWindowRateLimiter(storage_from_string(uri, **options)), MovingWindowRateLimiter(MemoryStorage()))
        current_app.extensions[LIMITER_KEY] = made
    return made


def _rate() -> RateLimitItemPerMinute | None:
    value = current_app.config.get("SHARE_MISSES_PER_MINUTE")
    rate = DEFAULT_MISSES_PER_MINUTE if value in (None, "") else int(value)
    return RateLimitItemPerMinute(rate) if rate > 0 else None


def _identity() -> tuple[str, ...]:
    return (current_app.config.get("RATELIMIT_KEY_PREFIX") or "cxroi", "share-miss", request.remote_addr or "unknown")


def _count(check_only: bool) -> bool:
    """Whether the client may still try (`check_only`), or count one miss; on the shared storage, else in memory."""
    item = _rate()
    if item is None:
        return True
    shared, fallback = _limiters()
    for limiter in (shared, fallback):
        try:
            return limiter.test(item, *_identity()) if check_only else limiter.hit(item, *_identity())
        except Exception as error:  # the shared storage failed: count in this process
            log.warning("shared-link miss counting: the shared storage failed (%s); counting in this process", error)
    return True


def _wait_seconds() -> int:
    item = _rate()
    if item is None:
        return 1
    for limiter in _limiters():
        try:
            return max(1, math.ceil(limiter.get_window_stats(item, *_identity()).reset_time - time.time()))
        except Exception:
            continue
    return 60


def _open(token: str) -> sharing.ReportShare:
    if not _count(check_only=True):
        raise TooManyMisses("too many links that lead nowhere were opened from your connection; wait "
                            f"{_wait_seconds()} second(s) and open the link again, copied whole from its message")
    try:
        return sharing.open_share(get_db(), token)
    except (sharing.ShareNotFound, sharing.ShareExpired):
        _count(check_only=False)
        raise


def _problem(error: HostingError) -> ResponseReturnValue:
    headers = dict(PRIVATE)
    if isinstance(error, TooManyMisses):
        headers["Retry-After"] = str(_wait_seconds())
    page = render_template("respond/message.html", lang="en", title=error.title, message=str(error))
    return page, error.status, headers


@bp.get("/<token>")
def report(token: str) -> ResponseReturnValue:
    """The shared report as its HTML page, with a bar on top offering the PDF."""
    try:
        share = _open(token)
        page = sharing.shared_html(get_db(), share)
    except HostingError as error:  # not found, expired, too many misses, a report no longer finished
        return _problem(error)
    bar = render_template("reports/_shared_bar.html", share=share, token=token)
    page = page.replace("<body>", f"<body>\n{bar}", 1)
    return page, 200, PRIVATE | {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": REPORT_CSP}


@bp.get("/<token>/report.pdf")
def report_pdf(token: str) -> ResponseReturnValue:
    """The shared report as PDF."""
    try:
        name, content = sharing.shared_pdf(get_db(), _open(token))
    except HostingError as error:
        return _problem(error)
    response = send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True, download_name=name)
    response.headers.update(PRIVATE)
    return response
