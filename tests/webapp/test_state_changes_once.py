"""A state change is made and audited once however often it is asked for (review findings, issue 14): the
authoring pages' close and reopen, asked twice, record one event each; two requests deactivating the same
user at the same moment record one deactivation and revoke the user's API keys once. On SQLite and
PostgreSQL; on PostgreSQL the two deactivations run at once on two connections."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from tests.webapp.support.author import page_token, signed_in
from webapp.audit.models import AuditEvent
from webapp.storage.engine import open_session


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
