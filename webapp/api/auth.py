"""Who is calling the API: a bearer API key (never the session cookie, so CSRF does not apply), its scope, and
its rate limit — counted per key in the same storage as the respondents' limit (Redis when `REDIS_URL` is set,
shared by every app server; memory otherwise; memory too while Redis is down, behind a circuit breaker)."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, request
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from webapp.extensions import get_db
from webapp.teams.scope import hidden_argument, limit_to_teams

from .keys import ApiKey, key_for
from .problems import ApiProblem

DEFAULT_RATE_PER_MINUTE = 600
DEFAULT_REDIS_RETRY_SECONDS = 30.0
"""While the shared rate-limit storage is down, how long each process counts in memory before trying it again
(`API_REDIS_RETRY_SECONDS`; 0 tries it on every request)."""
LIMITER_KEY = "cxroi_api_limiter"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

log = logging.getLogger(__name__)


@dataclass
class RateCounter:
    """The API's rate counting in this process: the shared limiter (Redis when `REDIS_URL` is set), a fallback in
    memory, and a circuit breaker between them. After the shared storage fails once, requests skip it for
    `retry_seconds` and count in memory, so an outage does not cost every API call a connection timeout; then one
    request tries it again (and stays in memory for another spell if it fails). The outage is logged once, when
    it starts, and once more when the storage answers again."""

    shared: MovingWindowRateLimiter
    fallback: MovingWindowRateLimiter
    retry_seconds: float
    skip_until: float = 0.0
    """`time.monotonic()` until which the shared storage is not tried."""
    down: bool = False
    attempts: int = 0
    """Requests that tried the shared storage (what the breaker saves is visible here and in the logs)."""

    def hit(self, item: RateLimitItemPerMinute, *identity: str) -> tuple[bool, MovingWindowRateLimiter]:
        if time.monotonic() >= self.skip_until:
            self.attempts += 1
            try:
                allowed = self.shared.hit(item, *identity)
            except Exception as error:  # any failure of the storage: count here until it answers
                self.skip_until = time.monotonic() + self.retry_seconds
                if not self.down:
                    self.down = True
                    log.warning("API rate limit: the shared storage failed (%s); counting in this process, "
                                "trying it again every %g s", error, self.retry_seconds)
            else:
                if self.down:
                    self.down = False
                    log.warning("API rate limit: the shared storage answers again; counting there")
                return allowed, self.shared
        return self.fallback.hit(item, *identity), self.fallback


def _retry_seconds() -> float:
    value = current_app.config.get("API_REDIS_RETRY_SECONDS")
    try:
        return DEFAULT_REDIS_RETRY_SECONDS if value in (None, "") else max(0.0, float(value))
    except ValueError:
        log.warning("API_REDIS_RETRY_SECONDS is %r, not a number of seconds; using %g", value,
                    DEFAULT_REDIS_RETRY_SECONDS)
        return DEFAULT_REDIS_RETRY_SECONDS


def _counter() -> RateCounter:
    """This app's rate counter, made on first use."""
    made: RateCounter | None = current_app.extensions.get(LIMITER_KEY)
    if made is None:
        uri = current_app.config.get("REDIS_URL") or "memory://"
        options: dict[str, Any] = {"socket_connect_timeout": 1, "socket_timeout": 1} if uri.startswith("redis") else {}
        made = RateCounter(MovingWindowRateLimiter(storage_from_string(uri, **options)),
                           MovingWindowRateLimiter(MemoryStorage()), _retry_seconds())
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
    allowed, limiter = _counter().hit(item, prefix, "api", key.prefix)
    if not allowed:
        try:
            reset = limiter.get_window_stats(item, prefix, "api", key.prefix).reset_time
        except Exception:  # the storage failed since the hit: a whole window is the honest upper bound
            reset = time.time() + 60
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
    # the key sees its team's surveys and what belongs to them, nothing else; new surveys go into that team
    limit_to_teams(get_db(), [] if key.team_id is None else [key.team_id], home=key.team_id)
    hidden = hidden_argument(get_db(), request.view_args)
    if hidden is not None:
        raise ApiProblem(404, "Not found", f"nothing with this {hidden.removesuffix('_id')} is visible to this key",
                         kind="not-found")


def calling_key() -> ApiKey:
    key: ApiKey = g.api_key
    return key
