"""API keys do not outlive the admin who made them (review finding): deactivating the maker revokes their live
keys, each with an audit event, unless an admin first hands a key to another admin (`cxroi api-key transfer`).
On SQLite and PostgreSQL, through the API itself."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from tests.webapp.support.cli import run
from webapp.accounts.lifecycle import set_active
from webapp.accounts.service import create_user
from webapp.api.keys import ApiKey, create_key
from webapp.audit.models import AuditEvent

PASSWORD = "correct horse battery"


def _works(app: Flask, token: str) -> int:
    return app.test_client().get("/api/v1/surveys", headers={"Authorization": f"Bearer {token}"}).status_code


@pytest.fixture
def admins(db: Session) -> Session:
    for email in ("ann@example.com", "bob@example.com"):
        create_user(db, email, "admin", PASSWORD)
    create_user(db, "cat@example.com", "author", PASSWORD)
    return db


def test_deactivating_the_maker_revokes_their_keys_and_records_why(app: Flask, admins: Session) -> None:
    ann_sync, ann_sync_token = create_key(admins, "CRM sync", "read", actor="ann@example.com")
    _, ann_chat_token = create_key(admins, "chat bot", "write", actor="ann@example.com")
    _, bob_token = create_key(admins, "BI export", "read", actor="bob@example.com")
    prefix = ann_sync.prefix
    assert [_works(app, token) for token in (ann_sync_token, ann_chat_token, bob_token)] == [200, 200, 200]
    set_active(admins, "ann@example.com", False, actor="bob@example.com", client="10.0.0.9")
    assert [_works(app, token) for token in (ann_sync_token, ann_chat_token, bob_token)] == [401, 401, 200]
    revoked = admins.scalars(sa.select(AuditEvent).where(AuditEvent.action == "api_key_revoked")
                             .order_by(AuditEvent.id)).all()
    assert len(revoked) == 2 and {event.actor for event in revoked} == {"bob@example.com"}
    assert f"api-key:{prefix}" in {event.target for event in revoked}
    assert json.loads(revoked[0].detail)["reason"] == "its maker ann@example.com was deactivated"
    admins.rollback()
    set_active(admins, "ann@example.com", True, actor="bob@example.com")  # coming back does not revive a key
    assert _works(app, ann_sync_token) == 401


def test_a_transferred_key_survives_its_makers_deactivation(app: Flask, admins: Session, db_url: str,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    kept, kept_token = create_key(admins, "CRM sync", "write", actor="ann@example.com")
    _, other_token = create_key(admins, "old script", "read", actor="ann@example.com")
    prefix = kept.prefix
    admins.rollback()
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    code, out, err = run(["api-key", "transfer", prefix, "bob@example.com"], capsys)
    assert code == 0, err
    assert out.strip() == f"the key {prefix} (CRM sync) is now held by bob@example.com"
    set_active(admins, "ann@example.com", False, actor="cli")
    assert (_works(app, kept_token), _works(app, other_token)) == (200, 401)
    moved = admins.scalar(sa.select(AuditEvent).where(AuditEvent.action == "api_key_transferred"))
    assert moved is not None and moved.actor == "cli" and moved.target == f"api-key:{prefix}"
    assert json.loads(moved.detail) == {"name": "CRM sync", "from": "ann@example.com", "to": "bob@example.com"}
    assert admins.scalar(sa.select(ApiKey.created_by).where(ApiKey.prefix == prefix)) == "bob@example.com"
    admins.rollback()


@pytest.mark.parametrize(("holder", "message"), [
    ("cat@example.com", "'cat@example.com' is not an active admin"),
    ("nobody@example.com", "'nobody@example.com' is not an active admin"),
])
def test_a_key_goes_only_to_an_active_admin(admins: Session, db_url: str, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str], holder: str, message: str) -> None:
    key, _ = create_key(admins, "CRM sync", "write", actor="ann@example.com")
    prefix = key.prefix
    admins.rollback()
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    code, out, err = run(["api-key", "transfer", prefix, holder], capsys)
    assert code != 0 and message in out + err and "Traceback" not in out + err
    code, out, err = run(["api-key", "transfer", "0123456789ab", "bob@example.com"], capsys)
    assert code != 0 and "no API key has the prefix '0123456789ab'" in out + err
    assert admins.scalar(sa.select(ApiKey.created_by).where(ApiKey.prefix == prefix)) == "ann@example.com"
    admins.rollback()
