"""API keys: made by an admin (page or `cxroi api-key create`), shown once, stored as a SHA-256 hash, scoped
`read` or `write`, revocable, with the time of last use.

A key reads `cxroi_<prefix>_<secret>`: the prefix finds the stored key (and is shown in lists so people can
tell keys apart), the whole key's hash is compared in constant time. The secret has 192 random bits, so a
plain hash suffices (no slow password hash is needed for a random secret).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from webapp.accounts.models import User
from webapp.audit.service import record
from webapp.services.errors import HostingError
from webapp.storage.models import Base, utcnow
from webapp.storage.teams import Team, default_team_id

SCOPES = ("read", "write")
"""read: GET every resource; write: also create, publish, close, invite and start analyses."""
_TOKEN = re.compile(r"^cxroi_([0-9a-f]{12})_([A-Za-z0-9_-]{32})$")
LAST_USED_EVERY = timedelta(minutes=1)
"""`last_used_at` is written at most this often per key, so reads do not each cost a write."""


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    prefix: Mapped[str] = mapped_column(sa.String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    scope: Mapped[str] = mapped_column(sa.String(8))
    team: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    """The team named before teams existed (kept by migration 0019; `team_id` is what counts)."""
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id"), default=None)
    """The team whose surveys, responses, reports and cases this key sees (none: nothing; migration 0019)."""
    created_by: Mapped[str] = mapped_column(sa.String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def actor(self) -> str:
        """How the audit log names what this key did."""
        return f"api-key:{self.prefix}"


class ApiKeyError(HostingError):
    title = "API key problem"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(session: Session, name: str, scope: str, *, actor: str, client: str = "",
               team_id: int | None = None) -> tuple[ApiKey, str]:
    """Store a new key of the team `team_id` (default: the team called `default`) and return it with its token —
    the only time the token exists outside its holder."""
    name = name.strip()
    if not name or len(name) > 100 or any(ord(char) < 0x20 for char in name):
        raise ApiKeyError("give the key a name of 1 to 100 printable characters (what uses it, e.g. 'CRM sync')")
    if scope not in SCOPES:
        raise ApiKeyError(f"unknown scope {scope!r}; choose read or write")
    if team_id is None:
        team_id = default_team_id(session)
    elif session.get(Team, team_id) is None:
        raise ApiKeyError(f"there is no team number {team_id}")
    prefix = secrets.token_hex(6)
    token = f"cxroi_{prefix}_{secrets.token_urlsafe(24)}"
    key = ApiKey(name=name, prefix=prefix, secret_hash=_hash(token), scope=scope, team_id=team_id, created_by=actor,
                 created_at=utcnow())
    session.add(key)
    record(session, "api_key_created", actor=actor, target=key.actor, client=client,
           detail={"name": name, "scope": scope, "team_id": team_id})
    session.commit()
    return key, token


def revoke_key(session: Session, key_id: int, *, actor: str, client: str = "") -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise ApiKeyError(f"no API key number {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record(session, "api_key_revoked", actor=actor, target=key.actor, client=client, detail={"name": key.name})
        session.commit()
    return key


def revoke_keys_of(session: Session, email: str, *, actor: str, client: str = "") -> list[ApiKey]:
    """Revoke every live key `email` created, each with its audit event (the caller commits, with the change that
    asked for it: a deactivation). Keys belong to the team, but a key keeps the authority of the admin who made
    it; an admin who wants a key to outlive its maker hands it to another admin first (`transfer_key`)."""
    now = utcnow()
    live = list(session.scalars(sa.select(ApiKey).where(ApiKey.created_by == email.strip().lower(),
                                                        ApiKey.revoked_at.is_(None)).with_for_update()))
    for key in live:
        key.revoked_at = now
        record(session, "api_key_revoked", actor=actor, target=key.actor, client=client,
               detail={"name": key.name, "reason": f"its maker {key.created_by} was deactivated"})
    return live


def transfer_key(session: Session, prefix: str, email: str, *, actor: str, client: str = "") -> ApiKey:
    """Make the active admin `email` the holder of the live key `prefix`, so deactivating its maker does not
    revoke it. Commits, with an audit event."""
    key = session.scalar(sa.select(ApiKey).where(ApiKey.prefix == prefix.strip().lower()))
    if key is None:
        raise ApiKeyError(f"no API key has the prefix {prefix.strip()!r} (see `cxroi api-key list`)")
    if key.revoked_at is not None:
        raise ApiKeyError(f"the key {key.prefix} ({key.name}) is revoked; make a new one instead")
    holder = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if holder is None or not holder.active or holder.role != "admin":
        raise ApiKeyError(f"{email.strip().lower()!r} is not an active admin; a key can only be handed to one")
    if key.created_by != holder.email:
        before, key.created_by = key.created_by, holder.email
        record(session, "api_key_transferred", actor=actor, target=key.actor, client=client,
               detail={"name": key.name, "from": before, "to": holder.email})
    session.commit()
    return key


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(sa.select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id.desc())))


def key_for(session: Session, token: str) -> ApiKey | None:
    """The live key whose token this is, or None (malformed, unknown, wrong secret or revoked). Marks it used."""
    match = _TOKEN.match(token)
    if match is None:
        return None
    key = session.scalar(sa.select(ApiKey).where(ApiKey.prefix == match[1]))
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(token)) or key.revoked_at is not None:
        return None
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY:
        key.last_used_at = now
        session.commit()
    return key
