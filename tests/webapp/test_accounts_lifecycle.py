"""A user's life after creation and the audit log, on SQLite and PostgreSQL: signing out, deactivation and a
password reset end every session of the user (a copied cookie included); role changes apply at once; the last
admin cannot be removed; every change is in the append-only audit log, which admins filter and download."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.webapp.support.cli import run
from webapp.accounts.models import User
from webapp.accounts.service import create_user
from webapp.audit.models import AuditEvent

PASSWORD = "correct horse battery"


@pytest.fixture
def people(db: Session) -> Session:
    for role in ("author", "analyst", "admin"):
        create_user(db, f"{role}@example.com", role, PASSWORD)
    return db


def _token(client: FlaskClient, path: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _signed_in(app: Flask, email: str, password: str = PASSWORD) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": _token(client, "/login")})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _copy(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of `client`'s session cookie (as a thief would)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _signed_out(client: FlaskClient) -> bool:
    response = client.get("/author/")
    return response.status_code == 302 and "/login" in response.headers["Location"]


def _admin_post(app: Flask, admin: FlaskClient, user: SimpleNamespace, action: str, **data: str) -> tuple[int, str]:
    response = admin.post(f"/admin/users/{user.id}/{action}", data={**data, "csrf_token": _token(admin, "/admin/users")})
    return response.status_code, response.get_data(as_text=True)


def _user(db: Session, email: str) -> SimpleNamespace:
    """The stored user as it is now (read in a transaction of its own: SQLite's writer lock is not held)."""
    found = db.scalar(sa.select(User).where(User.email == email))
    assert found is not None
    now = SimpleNamespace(id=found.id, role=found.role, active=found.active, password_hash=found.password_hash)
    db.rollback()
    return now


def _actions(db: Session) -> list[tuple[str, str, str]]:
    found = [(e.actor, e.action, e.target) for e in db.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))]
    db.rollback()
    return found


def test_signing_out_ends_a_copied_session_cookie(app: Flask, people: Session) -> None:
    author = _signed_in(app, "author@example.com")
    thief = _copy(app, author)
    assert not _signed_out(thief)  # the copy works while the author is signed in
    author.post("/logout", data={"csrf_token": _token(author, "/author/")})
    assert _signed_out(author) and _signed_out(thief)
    assert not _signed_out(_signed_in(app, "author@example.com"))  # signing in again starts a new session


def test_deactivation_ends_every_session_and_refuses_sign_in(app: Flask, people: Session) -> None:
    author = _signed_in(app, "author@example.com")
    admin = _signed_in(app, "admin@example.com")
    status, _ = _admin_post(app, admin, _user(people, "author@example.com"), "active", active="0")
    assert status == 302
    assert _signed_out(author)
    refused = app.test_client()
    response = refused.post("/login", data={"email": "author@example.com", "password": PASSWORD,
                                            "csrf_token": _token(refused, "/login")})
    assert response.status_code == 401
    assert _user(people, "author@example.com").active is False
    _admin_post(app, admin, _user(people, "author@example.com"), "active", active="1")  # reactivated
    assert not _signed_out(_signed_in(app, "author@example.com"))


def test_a_password_reset_ends_sessions_and_only_the_new_password_works(app: Flask, people: Session) -> None:
    author = _signed_in(app, "author@example.com")
    admin = _signed_in(app, "admin@example.com")
    status, _ = _admin_post(app, admin, _user(people, "author@example.com"), "password", password="a new long secret")
    assert status == 302 and _signed_out(author)
    _signed_in(app, "author@example.com", "a new long secret")
    old = app.test_client()
    response = old.post("/login", data={"email": "author@example.com", "password": PASSWORD,
                                        "csrf_token": _token(old, "/login")})
    assert response.status_code == 401


def test_a_short_password_is_refused_on_its_form_and_changes_nothing(app: Flask, people: Session) -> None:
    admin = _signed_in(app, "admin@example.com")
    before = _user(people, "author@example.com").password_hash
    status, page = _admin_post(app, admin, _user(people, "author@example.com"), "password", password="short")
    assert status == 400 and "at least 10 characters" in page
    assert _user(people, "author@example.com").password_hash == before


def test_a_role_change_applies_at_the_next_request(app: Flask, people: Session) -> None:
    analyst = _signed_in(app, "analyst@example.com")
    assert analyst.get("/author/").status_code == 403
    admin = _signed_in(app, "admin@example.com")
    assert _admin_post(app, admin, _user(people, "analyst@example.com"), "role", role="author")[0] == 302
    assert analyst.get("/author/").status_code == 200


def test_the_last_admin_cannot_be_removed(app: Flask, people: Session) -> None:
    admin = _signed_in(app, "admin@example.com")
    me = _user(people, "admin@example.com")
    status, page = _admin_post(app, admin, me, "role", role="analyst")
    assert status == 400 and "only active admin" in page
    status, page = _admin_post(app, admin, me, "active", active="0")
    assert status == 400 and "only active admin" in page
    assert (_user(people, "admin@example.com").role, _user(people, "admin@example.com").active) == ("admin", True)


def test_an_unknown_user_is_a_404(app: Flask, people: Session) -> None:
    admin = _signed_in(app, "admin@example.com")
    response = admin.post("/admin/users/999999/active", data={"active": "0",
                                                              "csrf_token": _token(admin, "/admin/users")})
    assert response.status_code == 404


def test_the_commands_change_users_and_name_an_unknown_one(db_url: str, people: Session, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    assert run(["user", "set-role", "analyst@example.com", "author"], capsys)[0] == 0
    assert run(["user", "deactivate", "author@example.com"], capsys)[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("another long secret\n"))
    assert run(["user", "reset-password", "analyst@example.com", "--password-stdin"], capsys)[0] == 0
    code, out, err = run(["user", "deactivate", "nobody@example.com"], capsys)
    assert code != 0 and "no user has the e-mail 'nobody@example.com'" in out + err and "Traceback" not in out + err
    code, out, _ = run(["user", "list"], capsys)
    assert code == 0 and out.splitlines() == ["admin@example.com\tadmin\tactive", "analyst@example.com\tauthor\tactive",
                                              "author@example.com\tauthor\tdeactivated"]
    assert [a for a in _actions(people) if a[0] == "cli" and a[1] != "user_created"] == [
        ("cli", "role_changed", "analyst@example.com"), ("cli", "user_deactivated", "author@example.com"),
        ("cli", "password_reset", "analyst@example.com")]


def test_the_audit_log_records_who_did_what(app: Flask, people: Session) -> None:
    bad = app.test_client()
    bad.post("/login", data={"email": "author@example.com", "password": "wrong guess",
                             "csrf_token": _token(bad, "/login")})
    bad.post("/login", data={"email": "stranger@example.com", "password": "wrong guess",
                             "csrf_token": _token(bad, "/login")})
    admin = _signed_in(app, "admin@example.com")
    _admin_post(app, admin, _user(people, "analyst@example.com"), "role", role="author")
    admin.post("/logout", data={"csrf_token": _token(admin, "/admin/users")})
    assert _actions(people)[3:] == [
        ("anonymous", "sign_in_failed", "author@example.com"),
        ("anonymous", "sign_in_failed", ""),  # an unknown address is not stored: it may be a mistyped password
        ("admin@example.com", "sign_in", "admin@example.com"),
        ("admin@example.com", "role_changed", "analyst@example.com"),
        ("admin@example.com", "sign_out", "admin@example.com"),
    ]
    assert _actions(people)[:3] == [("cli", "user_created", f"{role}@example.com")
                                    for role in ("author", "analyst", "admin")]
    change = people.scalar(sa.select(AuditEvent).where(AuditEvent.action == "role_changed"))
    assert change is not None and json.loads(change.detail) == {"from": "analyst", "to": "author"}
    assert change.client == "127.0.0.1"
    people.rollback()


def test_admins_filter_and_download_the_audit_log(app: Flask, people: Session) -> None:
    admin = _signed_in(app, "admin@example.com")
    _admin_post(app, admin, _user(people, "analyst@example.com"), "role", role="author")
    page = admin.get("/admin/audit/?action=role_changed").get_data(as_text=True)
    assert "analyst@example.com" in page and "1 event<" in page
    rows = list(csv.DictReader(io.StringIO(admin.get("/admin/audit/?actor=admin@example.com&format=csv")
                                           .get_data(as_text=True))))
    assert [(row["action"], row["target"]) for row in rows] == [("role_changed", "analyst@example.com"),
                                                                ("sign_in", "admin@example.com")]
    assert json.loads(rows[0]["detail"]) == {"from": "analyst", "to": "author"}
    listed = json.loads(admin.get("/admin/audit/?format=json&action=user_created").get_data(as_text=True))
    assert sorted(row["target"] for row in listed) == ["admin@example.com", "analyst@example.com", "author@example.com"]
    assert admin.get("/admin/audit/?since=yesterday").status_code == 400  # a bad date names its field
    assert "From (inclusive)" in admin.get("/admin/audit/?since=yesterday").get_data(as_text=True)
    analyst = _signed_in(app, "analyst@example.com")
    assert analyst.get("/admin/audit/").status_code == 403


def test_the_audit_log_cannot_be_rewritten(people: Session) -> None:
    for statement in (sa.update(AuditEvent).values(actor="someone else"), sa.delete(AuditEvent)):
        with pytest.raises(DBAPIError, match="append-only"):
            people.execute(statement)
        people.rollback()
    assert len(_actions(people)) == 3


def test_exports_are_in_the_audit_log(app: Flask, people: Session) -> None:
    from tests.webapp.support.web import example_survey
    from webapp.services.publishing import publish_survey

    publish_survey(people, example_survey())
    analyst = _signed_in(app, "analyst@example.com")
    for kind in ("csv", "xlsx"):
        response = analyst.get(f"/results/acme_relationship/responses.{kind}")
        assert response.status_code == 200
        response.get_data()  # the CSV streams: read it all
    exported = [(e.actor, e.target, json.loads(e.detail)) for e in people.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "responses_exported").order_by(AuditEvent.id))]
    people.rollback()
    assert exported == [("analyst@example.com", "acme_relationship", {"format": "csv"}),
                        ("analyst@example.com", "acme_relationship", {"format": "xlsx"})]


def test_commands_that_publish_and_export_are_in_the_audit_log(db_url: str, people: Session, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from tests.webapp.support.web import EXAMPLE

    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    assert run(["survey", "publish", str(EXAMPLE)], capsys)[0] == 0
    assert run(["responses", "export", "acme_relationship", "-o", str(tmp_path / "out.csv")], capsys)[0] == 0
    assert [a for a in _actions(people) if a[0] == "cli" and a[1] != "user_created"] == [
        ("cli", "survey_published", "acme_relationship"), ("cli", "responses_exported", "acme_relationship")]


def test_the_browser_an_account_signed_in_from_gets_in_during_an_attack(app: Flask, people: Session) -> None:
    from datetime import timedelta

    from webapp.accounts.models import LoginAttempt
    from webapp.storage.models import utcnow

    browser = _signed_in(app, "author@example.com")  # signed in before: the browser is known for this account
    browser.post("/logout", data={"csrf_token": _token(browser, "/author/")})
    at = utcnow() - timedelta(seconds=1)
    people.add_all(LoginAttempt(client=f"10.7.{n // 250}.{n % 250}", email="author@example.com", attempted_at=at)
                   for n in range(100))
    people.commit()
    stranger = app.test_client()
    refused = stranger.post("/login", data={"email": "author@example.com", "password": PASSWORD,
                                            "csrf_token": _token(stranger, "/login")})
    assert refused.status_code == 429  # an unknown browser waits
    again = browser.post("/login", data={"email": "author@example.com", "password": PASSWORD,
                                         "csrf_token": _token(browser, "/login")})
    assert again.status_code == 302  # the known one is not delayed
    forged = app.test_client()
    forged.set_cookie("cxroi_device", "not-a-signed-value")
    assert forged.post("/login", data={"email": "author@example.com", "password": PASSWORD,
                                       "csrf_token": _token(forged, "/login")}).status_code == 429
