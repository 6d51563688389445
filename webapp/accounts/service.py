"""Creating users and signing them in: Argon2id hashes, and a limit on failed attempts per client and e-mail.

Failed attempts are kept in the database, not in process memory, so the limit holds across any number of
app servers and workers.
"""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.services.errors import HostingError
from webapp.storage.models import utcnow

from .models import ROLES, LoginAttempt, User

MIN_PASSWORD_LENGTH = 10
MAX_FAILURES = 5
"""Failed sign-ins allowed per e-mail address from one client, and twice that per client, within the window."""
ACCOUNT_FAILURES = 50
"""Failed sign-ins allowed per e-mail address from all clients together within the window."""
FAILURE_WINDOW = timedelta(minutes=15)
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("a password nobody has")


class AccountError(HostingError):
    title = "Account problem"


class TooManyAttempts(AccountError):
    status = 429
    title = "Too many sign-in attempts"


def create_user(session: Session, email: str, role: str, password: str) -> User:
    """Store a new user; the e-mail must be new (case-insensitive), the role known, the password long enough."""
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise AccountError(f"{email!r} is not an e-mail address")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user = User(email=email, role=role, password_hash=_hasher.hash(password))
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise AccountError(f"a user with the e-mail {email} already exists") from None
    return user


def ensure_user(session: Session, email: str, role: str, password: str) -> User:
    """Create the user, or give an existing one this role and password (for the demo's known logins)."""
    user = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        return create_user(session, email, role, password)
    if role not in ROLES or len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("a known role and a password of at least 10 characters are needed")
    user.role, user.password_hash, user.active = role, _hasher.hash(password), True
    session.commit()
    return user


def _recent_failures(session: Session, *conditions: sa.ColumnElement[bool]) -> int:
    since = utcnow() - FAILURE_WINDOW
    query = sa.select(sa.func.count()).select_from(LoginAttempt).where(*conditions, LoginAttempt.attempted_at >= since)
    return int(session.scalar(query) or 0)


def _limited(session: Session, email: str, client: str) -> bool:
    """Guessing is slowed per account from one client (5), per client over all accounts (10), and per account
    over all clients (50: a distributed attack). Someone else's five wrong passwords therefore do not lock a
    user out: their own client stays below its limit."""
    return (_recent_failures(session, LoginAttempt.email == email, LoginAttempt.client == client) >= MAX_FAILURES
            or _recent_failures(session, LoginAttempt.client == client) >= 2 * MAX_FAILURES
            or _recent_failures(session, LoginAttempt.email == email) >= ACCOUNT_FAILURES)


def authenticate(session: Session, email: str, password: str, *, client: str) -> User | None:
    """The active user with these credentials, or None. Raises TooManyAttempts once a limit is reached.

    A wrong password and an unknown e-mail take the same time (a dummy hash is verified) and give the same
    answer, so the form does not reveal which addresses have accounts. A successful sign-in clears that
    client's failures for the account; failures older than the window are deleted as new ones come.
    """
    # Control characters are in no address, and PostgreSQL cannot store a NUL in the attempts table.
    email = _CONTROL.sub("", email).strip().lower()[:320]
    client = client[:64]
    if _limited(session, email, client):
        raise TooManyAttempts("too many failed sign-ins; wait 15 minutes and try again")
    user = session.scalar(sa.select(User).where(User.email == email))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        session.execute(sa.delete(LoginAttempt).where(LoginAttempt.attempted_at < utcnow() - FAILURE_WINDOW))
        session.add(LoginAttempt(client=client, email=email))
        session.commit()
        return None
    session.execute(sa.delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.client == client))
    if user is not None and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.commit()
    return user
