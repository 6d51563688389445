"""Known devices (OWASP's "device cookies"): a browser where an account signed in with its password carries a
signed cookie naming that account, and is not slowed by the account-wide delay that a distributed guessing
attack triggers (webapp.accounts.service). An attacker can keep the delay running for an account, but not keep
its owner out of a browser they have used before.

The cookie holds short keyed digests of the accounts, never their addresses, and lasts 90 days.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "cxroi_device"
MAX_AGE = 90 * 24 * 3600
MAX_ACCOUNTS = 5


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="cxroi-known-device")


def _digest(email: str) -> str:
    key = str(current_app.secret_key or "").encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:24]


def _known() -> list[str]:
    value = request.cookies.get(COOKIE, "")
    if not value:
        return []
    try:
        found = _signer().loads(value, max_age=MAX_AGE)
    except BadSignature:
        return []
    return [item for item in found if isinstance(item, str)] if isinstance(found, list) else []


def is_known(email: str) -> bool:
    """Whether this browser signed in as `email` with its password before (within 90 days)."""
    return _digest(email) in _known()


def remember(response: Response, email: str) -> None:
    """Name `email` in this browser's device cookie (the most recent accounts first, at most five)."""
    accounts = [_digest(email), *[item for item in _known() if item != _digest(email)]][:MAX_ACCOUNTS]
    response.set_cookie(COOKIE, _signer().dumps(accounts), max_age=MAX_AGE, httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")), path="/")
