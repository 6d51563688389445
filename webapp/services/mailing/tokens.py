"""The tokens a mail carries and the opt-outs: the personal link's token derived from the row's `link_key` and
the app's secret (never stored), the signed unsubscribe token, and the addresses that asked for no more mail."""

from __future__ import annotations

import hashlib
import hmac
from base64 import urlsafe_b64encode

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...privacy.keys import hashed_opt_out
from ...storage.models import MailOptOut
from .settings import MailError

LINK_SALT = b"cxroi.mail-link:"
UNSUBSCRIBE_SALT = "cxroi.unsubscribe"


def derive_token(secret_key: str | bytes, link_key: str) -> str:
    """The personal link token of an e-mailed invitation: HMAC-SHA256 of its `link_key` under the app's secret."""
    key = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    digest = hmac.new(key, LINK_SALT + link_key.encode("ascii"), hashlib.sha256).digest()
    return urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def normal_address(email: str) -> str:
    """An address as opt-outs are kept and compared: stripped, lower-cased."""
    return email.strip().lower()


def unsubscribe_token(secret_key: str | bytes, email: str, slug: str) -> str:
    """A signed, non-expiring token naming the address (and the survey whose mail carried it)."""
    return URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).dumps({"e": normal_address(email), "s": slug})


def read_unsubscribe_token(secret_key: str | bytes, token: str) -> tuple[str, str]:
    """(address, survey slug) of a token; `MailError` (400) when unsigned or altered."""
    if len(token) > 1000:
        raise MailError("this unsubscribe link is not valid; use the link from the e-mail")
    try:
        data = URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        raise MailError("this unsubscribe link is not valid; use the link from the e-mail") from None
    if not isinstance(data, dict) or not isinstance(data.get("e"), str) or not isinstance(data.get("s"), str):
        raise MailError("this unsubscribe link is not valid; use the link from the e-mail")
    return data["e"], data["s"]


def is_opted_out(session: Session, email: str, secret_key: str | bytes | None = None) -> bool:
    return bool(opted_out_among(session, {normal_address(email)}, secret_key))


def opted_out_among(session: Session, addresses: set[str], secret_key: str | bytes | None) -> set[str]:
    """The (normalised) addresses that opted out: kept as they are, or, once their customer was erased, as a
    keyed hash (`webapp.privacy.keys.hashed_opt_out`, docs/security.md "Privacy"), recognised with the key."""
    hashed = {hashed_opt_out(secret_key, address): address for address in addresses} if secret_key else {}
    found = set(session.scalars(sa.select(MailOptOut.email).where(MailOptOut.email.in_(addresses | set(hashed)))))
    return (addresses & found) | {hashed[value] for value in found if value in hashed}


def opt_out(session: Session, email: str, slug: str | None = None) -> bool:
    """Record that `email` wants no more mail (from any survey). Commits; True when newly recorded."""
    if is_opted_out(session, email):
        return False
    try:
        with session.begin_nested():
            session.add(MailOptOut(email=normal_address(email), survey_slug=slug))
        session.commit()
    except IntegrityError:  # recorded at the same moment by another request
        session.rollback()
        return False
    return True


