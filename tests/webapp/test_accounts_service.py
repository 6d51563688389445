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
    FAILURE_WINDOW,
    MAX_FAILURES,
    AccountError,
    TooManyAttempts,
    account_delay,
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


def test_the_wait_between_attempts_on_one_account_doubles_up_to_a_minute() -> None:
    assert [account_delay(n).total_seconds() for n in (0, 9, 10, 11, 12, 15, 16, 50)] == [0, 0, 1, 2, 4, 32, 60, 60]


def _failed_from_many_clients(session: Session, count: int, seconds_ago: int) -> None:
    """`count` failed guesses on Ann's account, one from each of many clients (a distributed attack)."""
    at = utcnow() - timedelta(seconds=seconds_ago)
    session.add_all(LoginAttempt(client=f"10.1.{n // 250}.{n % 250}", email="ann@example.com", attempted_at=at)
                    for n in range(count))
    session.commit()


def test_a_distributed_attack_slows_guessing_without_locking_the_user_out(session: Session) -> None:
    create_user(session, "ann@example.com", "author", PASSWORD)
    _failed_from_many_clients(session, 200, seconds_ago=30)
    # 200 failures: the next attempt must wait a minute after the latest, 30 s from now; from any client
    with pytest.raises(TooManyAttempts, match="wait 30 seconds"):
        authenticate(session, "ann@example.com", PASSWORD, client="10.9.0.1")
    for attempt in range(20):  # flooding is refused without being counted, so the wait does not grow
        with pytest.raises(TooManyAttempts):
            authenticate(session, "ann@example.com", f"guess {attempt}", client="10.8.0.1")
    assert session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 200


def test_the_user_gets_in_once_the_wait_is_over(session: Session) -> None:
    create_user(session, "ann@example.com", "author", PASSWORD)
    _failed_from_many_clients(session, 200, seconds_ago=61)
    assert authenticate(session, "ann@example.com", PASSWORD, client="10.9.0.1") is not None


def test_a_few_failures_on_an_account_cost_no_wait(session: Session) -> None:
    create_user(session, "ann@example.com", "author", PASSWORD)
    _failed_from_many_clients(session, 9, seconds_ago=0)
    assert authenticate(session, "ann@example.com", PASSWORD, client="10.9.0.1") is not None


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


def test_a_known_device_is_not_delayed_while_an_attack_goes_on(session: Session) -> None:
    create_user(session, "ann@example.com", "author", PASSWORD)
    _failed_from_many_clients(session, 200, seconds_ago=1)  # the attacker keeps the delay running
    with pytest.raises(TooManyAttempts):
        authenticate(session, "ann@example.com", PASSWORD, client="10.9.0.1")
    assert authenticate(session, "ann@example.com", PASSWORD, client="10.9.0.1", known_device=True) is not None
