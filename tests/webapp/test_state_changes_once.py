"""A state change is made and audited once however often it is asked for (review findings, issue 14): the
authoring pages' close and reopen, asked twice, record one event each; two requests deactivating the same
user at the same moment record one deactivation and revoke the user's API keys once. On SQLite and
PostgreSQL; on PostgreSQL the two deactivations run at once on two connections."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from flask import Flask

from tests.webapp.support.author import PASSWORD, page_token, signed_in
from webapp.accounts.lifecycle import set_active
from webapp.accounts.models import User
from webapp.accounts.service import create_user
from webapp.api.keys import ApiKey, create_key
from webapp.audit.models import AuditEvent
from webapp.storage.engine import create_engine_for, open_session, session_factory


def _actions(db_url: str, *names: str) -> list[tuple[str, str]]:
    with open_session(db_url) as session:
        return [(event.action, event.target) for event in session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action.in_(names)).order_by(AuditEvent.id))]


def test_closing_and_reopening_twice_on_the_author_pages_records_each_once(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = page_token(client, "/author/new")
    assert client.post("/author/new", data={"survey_id": "acme", "title": "Acme check-in", "start": "blank",
                                            "csrf_token": token}).status_code == 302
    assert client.post("/author/acme/publish", data={"csrf_token": token}).status_code == 302
    for action in ("close", "close", "reopen", "reopen", "close"):
        assert client.post(f"/author/acme/{action}", data={"csrf_token": token}).status_code == 302
    assert app.test_client().get("/p/acme").status_code == 410  # the last request left it closed
    assert _actions(db_url, "survey_closed", "survey_reopened") == [
        ("survey_closed", "acme"), ("survey_reopened", "acme"), ("survey_closed", "acme")]


def test_two_deactivations_at_once_record_one_event_and_revoke_the_keys_once(db_url: str) -> None:
    with open_session(db_url) as session:
        create_user(session, "boss@example.com", "admin", PASSWORD)
        create_user(session, "ann@example.com", "admin", PASSWORD)
        for name in ("CRM sync", "Chat bot"):
            create_key(session, name, "write", actor="ann@example.com")
        versions_before = session.scalar(sa.select(User.session_version).where(User.email == "ann@example.com"))
    engine = create_engine_for(db_url)
    make_session = session_factory(engine)
    concurrent = db_url.startswith("postgresql")
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def deactivate() -> None:
        try:
            with make_session() as session:
                if concurrent:
                    barrier.wait(timeout=60)  # a guard against a hang, not a timing assertion
                set_active(session, "ann@example.com", False, actor="boss@example.com")
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    try:
        if concurrent:
            threads = [threading.Thread(target=deactivate) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            assert not any(thread.is_alive() for thread in threads), "a deactivation never finished"
        else:  # SQLite: one writer at a time (BEGIN IMMEDIATE), so the second request comes after the first
            deactivate()
            deactivate()
    finally:
        engine.dispose()
    assert failures == []
    assert _actions(db_url, "user_deactivated") == [("user_deactivated", "ann@example.com")]
    assert len(_actions(db_url, "api_key_revoked")) == 2  # one event per key, not per request
    with open_session(db_url) as session:
        ann = session.scalar(sa.select(User).where(User.email == "ann@example.com"))
        assert ann is not None and ann.active is False
        assert ann.session_version == versions_before + 1  # sessions ended by one change, not two
        revoked = session.scalars(sa.select(ApiKey.revoked_at).where(ApiKey.created_by == "ann@example.com")).all()
        assert len(revoked) == 2 and None not in revoked and len(set(revoked)) == 1  # revoked together, once
