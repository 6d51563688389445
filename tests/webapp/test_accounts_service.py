"""Accounts: creating users, signing in, and the limit on failed attempts — on a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.webapp.support.author import count_rows
from webapp.accounts.models import LoginAttempt, User
from webapp.accounts.service import (
    ACCOUNT_FAILURES,
    FAILURE_WINDOW,
    MAX_FAILURES,
    AccountError,
    TooManyAttempts,
    authenticate,
    create_user,
)
from webapp.storage.engine import open_session
from webapp.storage.models import utcnow

PASSWORD = "correct horse battery"


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    with open_session(f"sqlite:///{tmp_path / 'accounts.sqlite3'}") as db:
        yield db


def test_create_and_sign_in(session: Session) -> None:
    user = create_user(session, "  Ann@Example.COM ", "author", PASSWORD)
    assert user.email == "ann@example.com"
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("$argon2id$")
    assert authenticate(session, "ANN@example.com", PASSWORD, client="10.0.0.1") == user
    assert authenticate(session, "ann@example.com", PASSWORD + "!", client="10.0.0.1") is None
    assert authenticate(session, "nobody@example.com", PASSWORD, client="10.0.0.1") is None


@pytest.mark.parametrize(
    ("email", "role", "password", "message"),
    [
        ("not-an-email", "author", PASSWORD, "is not an e-mail address"),
        ("a@example.com", "owner", PASSWORD, "unknown role 'owner'"),
        ("a@example.com", "author", "123456789", "at least 10 characters"),
    ],
)
def test_create_refuses_bad_input(session: Session, email: str, role: str, password: str, message: str) -> None:
    with pytest.raises(AccountError, match=message):
        create_user(session, email, role, password)
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_duplicate_email_ignores_case_and_keeps_the_first(session: Session) -> None:
    first = create_user(session, "ann@example.com", "analyst", PASSWORD)
    with pytest.raises(AccountError, match="already exists"):
        create_user(session, "ANN@example.com", "admin", "another long password")
    stored = session.scalars(sa.select(User)).all()
    assert [(u.id, u.role) for u in stored] == [(first.id, "analyst")]


def test_failed_attempts_are_limited_per_email_and_client(session: Session) -> None:
    create_user(session, "ann@example.com", "author", PASSWORD)
    for attempt in range(MAX_FAILURES):
        assert authenticate(session, "ann@example.com", f"guess {attempt}", client="10.6.6.6") is None
    # the limit is reached for this client: even the right password is refused until the window passes
    with pytest.raises(TooManyAttempts):
        authenticate(session, "ann@example.com", PASSWORD, client="10.6.6.6")
    assert session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == MAX_FAILURES
    # someone else's wrong guesses do not lock Ann out from her own client
    assert authenticate(session, "ann@example.com", PASSWORD, client="10.0.0.1") is not None


def test_a_distributed_attack_on_one_account_is_limited(session: Session) -> None:
    create_user(session, "ann@example.com", "author", PASSWORD)
    for attempt in range(ACCOUNT_FAILURES):  # one guess from each of many clients
        assert authenticate(session, "ann@example.com", "guess", client=f"10.1.{attempt // 250}.{attempt % 250}") is None
    with pytest.raises(TooManyAttempts):
        authenticate(session, "ann@example.com", PASSWORD, client="10.9.0.1")


def test_success_clears_the_clients_failures_and_old_failures_are_deleted(session: Session) -> None:
    create_user(session, "ann@example.com", "author", PASSWORD)
    session.add(LoginAttempt(client="10.3.3.3", email="old@example.com",
                             attempted_at=utcnow() - FAILURE_WINDOW - timedelta(minutes=1)))
    session.commit()
    for _ in range(MAX_FAILURES - 1):
        authenticate(session, "ann@example.com", "typo typo typo", client="10.0.0.1")
    # the failure just recorded deleted the one older than the window
    assert session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == MAX_FAILURES - 1
    assert authenticate(session, "ann@example.com", PASSWORD, client="10.0.0.1") is not None
    assert session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 0
    for _ in range(MAX_FAILURES - 1):  # a fresh allowance after signing in
        authenticate(session, "ann@example.com", "typo typo typo", client="10.0.0.1")
    assert authenticate(session, "ann@example.com", PASSWORD, client="10.0.0.1") is not None


def test_failed_attempts_are_limited_per_client(session: Session) -> None:
    create_user(session, "ann@example.com", "author", PASSWORD)
    for attempt in range(2 * MAX_FAILURES):
        assert authenticate(session, f"user{attempt}@example.com", "guess", client="10.9.9.9") is None
    with pytest.raises(TooManyAttempts):
        authenticate(session, "ann@example.com", PASSWORD, client="10.9.9.9")
    # another client is not affected
    assert authenticate(session, "ann@example.com", PASSWORD, client="10.1.1.1") is not None


def test_inactive_user_cannot_sign_in(session: Session) -> None:
    user = create_user(session, "ann@example.com", "author", PASSWORD)
    user.active = False
    session.commit()
    assert authenticate(session, "ann@example.com", PASSWORD, client="10.0.0.1") is None


# A control character in an address is refused before it reaches the database (on each backend).
def test_an_address_with_a_control_character_is_not_an_account(db: Session) -> None:
    for email in ("ann\x00@example.com", "ann@exa\x07mple.com"):
        with pytest.raises(AccountError, match="is not an e-mail address"):
            create_user(db, email, "author", PASSWORD)
    assert count_rows(str(db.get_bind().url.render_as_string(hide_password=False)), "users") == 0
