"""Users and recorded login attempts (typed SQLAlchemy 2 models; schema in migration 0002_accounts)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.storage.models import Base, utcnow

ROLES = ("author", "analyst", "admin", "agent")
"""author: design, publish, invite and read results; analyst: read results and reports only; admin: users too;
agent: work the follow-up cases (`/cases`) only."""


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    """Stored lower-cased, so uniqueness ignores case."""
    role: Mapped[str] = mapped_column(sa.String(16))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)
    team: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    """The team whose follow-up cases this user works (`team:` of a follow-up rule); none by default."""
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    """Copied into each session at sign-in and compared on every request: signing out, deactivation and a
    password change raise it, which ends every session of this user at once (a copied cookie included)."""
    oidc_subject: Mapped[str | None] = mapped_column(sa.String(255), unique=True, default=None)
    """The `sub` of this user at the single sign-on provider, bound at the first sign-in through it (by a
    verified e-mail); later sign-ins find the user by it alone (webapp.accounts.sso)."""


class LoginAttempt(Base):
    """One failed sign-in, by client address and by e-mail; counted over a window to rate-limit guessing."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(sa.String(64), index=True)
    email: Mapped[str] = mapped_column(sa.String(320), index=True)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
