"""Who is calling the API: a bearer API key (never the session cookie, so CSRF does not apply), its scope, and
its rate limit — counted per key in the same storage as the respondents' limit (Redis when `REDIS_URL` is set,
shared by every app server; memory otherwise; memory too while Redis is down)."""

from __future__ import annotations

import math
import time
from typing import Any

from flask import current_app, g, request
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from webapp.extensions import get_db

from .keys import ApiKey, key_for
from .problems import ApiProblem

DEFAULT_RATE_PER_MINUTE = 600
LIMITER_KEY = "cxroi_api_limiter"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _limiters() -> tuple[MovingWindowRateLimiter, MovingWindowRateLimiter]:
    """(shared, fallback) limiters of this app, made on first use."""
    made = current_app.extensions.get(LIMITER_KEY)
    if made is None:
        uri = current_app.config.get("REDIS_URL") or "memory://"
        options: dict[str, Any] = {"socket_connect_timeout": 1, "socket_timeout": 1} if uri.startswith("redis") else {}
        made = (MovingWindowRateLimiter(storage_from_string(uri, **options)), MovingWindowRateLimiter(MemoryStorage()))
        current_app.extensions[LIMITER_KEY] = made
    return made


def _rate() -> int:
    value = current_app.config.get("API_RATE_PER_MINUTE")
    return DEFAULT_RATE_PER_MINUTE if value in (None, "") else int(value)


def _check_rate(key: ApiKey) -> None:
    rate = _rate()
    if rate <= 0:
        return
    item = RateLimitItemPerMinute(rate)
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or "cxroi"
    shared, fallback = _limiters()
    try:
        allowed = shared.hit(item, prefix, "api", key.prefix)
        limiter = shared
    except Exception:  # Redis down: count in this process until it answers (as the respondents' limit does)
        allowed, limiter = fallback.hit(item, prefix, "api", key.prefix), fallback
    if not allowed:
        reset = limiter.get_window_stats(item, prefix, "api", key.prefix).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        raise ApiProblem(429, "Too many requests", f"this key may make {rate} requests a minute; wait {wait} "
                         "seconds", kind="rate-limited", retry_after=wait)


def authenticate() -> None:
    """Before every API request: a live key in `Authorization: Bearer …`, with the scope the method needs."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(401, "API key needed", "send an API key as 'Authorization: Bearer <key>' (an admin "
                         "creates keys on the API keys page or with `cxroi api-key create`)", kind="unauthorized")
    key = key_for(get_db(), token.strip())
    if key is None:
        raise ApiProblem(401, "API key not valid", "this API key is unknown, mistyped or revoked",
                         kind="unauthorized")
    if request.method not in READ_METHODS and key.scope != "write":
        raise ApiProblem(403, "Read-only key", "this key has the read scope; changes need a key with the write "
                         "scope", kind="forbidden")
    _check_rate(key)
    g.api_key = key


def calling_key() -> ApiKey:
    key: ApiKey = g.api_key
    return key
