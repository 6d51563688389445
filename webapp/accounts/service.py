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

from webapp.audit.service import ANONYMOUS, CLI_ACTOR, record
from webapp.services.errors import HostingError
from webapp.storage.models import utcnow
from webapp.storage.teams import Team, TeamMember

from .models import ROLES, LoginAttempt, User

MIN_PASSWORD_LENGTH = 10
MAX_FAILURES = 5
"""Failed sign-ins allowed per e-mail address from one client, and twice that per client, within the window."""
ACCOUNT_FREE_FAILURES = 2 * MAX_FAILURES
"""Failed sign-ins of one account, from all clients together, before each further attempt must wait (more
than one client can make alone, so a single guesser never slows the real user down)."""
MAX_ACCOUNT_DELAY = timedelta(seconds=60)
"""The longest wait between attempts on one account: the delay doubles with each failure up to this."""
FAILURE_WINDOW = timedelta(minutes=15)
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("a password nobody has")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


class AccountError(HostingError):
    title = "Account problem"


class TooManyAttempts(AccountError):
    status = 429
    title = "Too many sign-in attempts"


def create_user(session: Session, email: str, role: str, password: str, *, actor: str = CLI_ACTOR,
                client: str = "") -> User:
    """Store a new user; the e-mail must be new (case-insensitive), the role known, the password long enough.
    The audit log records who created them (`cli` for a command)."""
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise AccountError(f"{email!r} is not an e-mail address")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user = User(email=email, role=role, password_hash=_hasher.hash(password))
    session.add(user)
    record(session, "user_created", actor=actor, target=email, client=client, detail={"role": role})
    try:
        session.flush()
        _join_the_only_team(session, user)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise AccountError(f"a user with the e-mail {email} already exists") from None
    return user


def _join_the_only_team(session: Session, user: User) -> None:
    """While an install has one team (a single-team install), every new user sits in it; once there are more,
    an admin puts each new user into their teams (`cxroi team add`, the Teams page)."""
    teams = list(session.scalars(sa.select(Team.id).limit(2)))
    if len(teams) == 1:
        session.add(TeamMember(team_id=teams[0], user_id=user.id, added_at=utcnow()))


def ensure_user(session: Session, email: str, role: str, password: str) -> User:
    """Create the user, or give an existing one this role and password (for the demo's known logins)."""
    user = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        return create_user(session, email, role, password)
    if role not in ROLES or len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("a known role and a password of at least 10 characters are needed")
    user.role, user.password_hash, user.active = role, _hasher.hash(password), True
    user.session_version += 1  # the old password's sessions end
    session.commit()
    return user


def _recent_failures(session: Session, *conditions: sa.ColumnElement[bool]) -> int:
    since = utcnow() - FAILURE_WINDOW
    query = sa.select(sa.func.count()).select_from(LoginAttempt).where(*conditions, LoginAttempt.attempted_at >= since)
    return int(session.scalar(query) or 0)


def account_delay(failures: int) -> timedelta:
    """How long after an account's latest failure the next attempt on it must wait, given its failures in the
    window: nothing for the first ten, then 1, 2, 4 … seconds, never more than a minute."""
    if failures < ACCOUNT_FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - ACCOUNT_FREE_FAILURES, 30)), MAX_ACCOUNT_DELAY)


def _refusal(session: Session, email: str, client: str, known_device: bool = False) -> str | None:
    """Why this attempt is refused before the password is looked at, or None.

    One client is stopped after 5 failures on an account or 10 over all accounts (within 15 minutes). An
    account attacked from many clients is slowed, not locked: each further attempt waits a delay that doubles
    up to a minute after its latest failure, so guessing slows to one try a minute. An attacker who keeps
    failing could keep that delay running, so a browser where the account signed in before (`known_device`,
    a signed cookie: webapp.accounts.devices) is never delayed. Refused attempts are not counted, so
    flooding cannot lengthen the wait."""
    if (_recent_failures(session, LoginAttempt.email == email, LoginAttempt.client == client) >= MAX_FAILURES
            or _recent_failures(session, LoginAttempt.client == client) >= 2 * MAX_FAILURES):
        return "too many failed sign-ins from here; wait 15 minutes and try again"
    if known_device:  # a browser the account signed in from before (webapp.accounts.devices): never delayed
        return None
    since = utcnow() - FAILURE_WINDOW
    count, latest = session.execute(
        sa.select(sa.func.count(), sa.func.max(LoginAttempt.attempted_at))
        .where(LoginAttempt.email == email, LoginAttempt.attempted_at >= since)).one()
    wait = (latest + account_delay(int(count)) - utcnow()) if latest is not None else timedelta(0)
    if wait > timedelta(0):
        seconds = max(1, int(wait.total_seconds() + 0.999))
        return f"this account had many failed sign-ins; wait {seconds} second{'s' * (seconds != 1)} and try again"
    return None


def authenticate(session: Session, email: str, password: str, *, client: str,
                 known_device: bool = False) -> User | None:
    """The active user with these credentials, or None. Raises TooManyAttempts once a limit is reached.

    A wrong password and an unknown e-mail take the same time (a dummy hash is verified) and give the same
    answer, so the form does not reveal which addresses have accounts. A successful sign-in clears that
    client's failures for the account; failures older than the window are deleted as new ones come.
    """
    # Control characters are in no address, and PostgreSQL cannot store a NUL in the attempts table.
    email = _CONTROL.sub("", email).strip().lower()[:320]
    client = client[:64]
    refusal = _refusal(session, email, client, known_device)
    if refusal is not None:
        raise TooManyAttempts(refusal)
    user = session.scalar(sa.select(User).where(User.email == email))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        session.execute(sa.delete(LoginAttempt).where(LoginAttempt.attempted_at < utcnow() - FAILURE_WINDOW))
        session.add(LoginAttempt(client=client, email=email))
        # The typed address is named only when it is an account's: an unknown one may be a mistyped password.
        record(session, "sign_in_failed", actor=ANONYMOUS, target=user.email if user else "", client=client)
        session.commit()
        return None
    session.execute(sa.delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.client == client))
    if user is not None and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    record(session, "sign_in", actor=email, target=email, client=client)
    session.commit()
    return user
