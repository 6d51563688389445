"""Requests that change an on/off state name the state they want (review finding: they flipped it, so a double
submit undid the first click): pausing a webhook, deactivating a user, closing a survey through the API. On
SQLite and PostgreSQL: the same request sent twice leaves the wanted state, and the audit log holds one event
per real change."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.support.author import page_token, sign_in_as, signed_in
from tests.webapp.support.web import example_survey
from webapp.accounts.models import User
from webapp.accounts.service import create_user
from webapp.api.keys import create_key
from webapp.audit.models import AuditEvent
from webapp.services.publishing import publish_survey
from webapp.storage.engine import open_session
from webapp.webhooks import service
from webapp.webhooks.models import WebhookSubscription

PASSWORD = "correct horse battery"


def _actions(db_url: str, *names: str) -> list[tuple[str, str]]:
    with open_session(db_url) as session:
        return [(event.action, event.target) for event in session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action.in_(names)).order_by(AuditEvent.id))]


def _hook_active(db_url: str, hook_id: int) -> bool:
    with open_session(db_url) as session:
        found = session.get(WebhookSubscription, hook_id)
        assert found is not None
        return found.active


def _post(client: FlaskClient, path: str, page: str, **data: str) -> int:
    return client.post(path, data={**data, "csrf_token": page_token(client, page)}).status_code


def test_pausing_a_webhook_twice_leaves_it_paused_with_one_event(app: Flask, db_url: str) -> None:
    admin = signed_in(app, db_url, "admin")
    with open_session(db_url) as session:
        hook = service.subscribe(session, "http://127.0.0.1:9/hook", ["survey.published"],
                                 created_by="admin@example.com", allow_private=True)
        hook_id = hook.id
    path = f"/admin/webhooks/{hook_id}/active"
    assert _post(admin, path, "/admin/webhooks/", paused="1") == 302
    assert _post(admin, path, "/admin/webhooks/", paused="1") == 302  # the double submit
    assert _hook_active(db_url, hook_id) is False
    assert _post(admin, path, "/admin/webhooks/", paused="0") == 302
    assert _post(admin, path, "/admin/webhooks/", paused="0") == 302
    assert _hook_active(db_url, hook_id) is True
    target = "http://127.0.0.1:9/hook"
    assert _actions(db_url, "webhook_paused", "webhook_resumed") == [("webhook_paused", target),
                                                                     ("webhook_resumed", target)]
    page = admin.get("/admin/webhooks/").get_data(as_text=True)
    assert 'name="paused" value="1"' in page  # the live webhook's button asks to pause it


def test_a_state_request_that_does_not_say_which_state_is_refused(app: Flask, db_url: str) -> None:
    admin = signed_in(app, db_url, "admin")
    with open_session(db_url) as session:
        hook_id = service.subscribe(session, "http://127.0.0.1:9/hook", ["survey.published"],
                                    created_by="admin@example.com", allow_private=True).id
        create_user(session, "ann@example.com", "author", PASSWORD)
        ann = session.scalar(sa.select(User.id).where(User.email == "ann@example.com"))
    assert _post(admin, f"/admin/webhooks/{hook_id}/active", "/admin/webhooks/") == 400
    assert _post(admin, f"/admin/webhooks/{hook_id}/active", "/admin/webhooks/", paused="yes") == 400
    response = admin.post(f"/admin/users/{ann}/active", data={"csrf_token": page_token(admin, "/admin/users")})
    assert response.status_code == 400 and "was not changed" in response.get_data(as_text=True)
    assert _hook_active(db_url, hook_id) is True
    assert _actions(db_url, "webhook_paused", "user_deactivated") == []


def test_deactivating_a_user_twice_leaves_them_deactivated_with_one_event(app: Flask, db_url: str) -> None:
    admin = signed_in(app, db_url, "admin")
    with open_session(db_url) as session:
        create_user(session, "ann@example.com", "author", PASSWORD)
        ann = session.scalar(sa.select(User.id).where(User.email == "ann@example.com"))
    sign_in_as(app, "ann@example.com")
    path = f"/admin/users/{ann}/active"
    assert _post(admin, path, "/admin/users", active="0") == 302
    assert _post(admin, path, "/admin/users", active="0") == 302
    with open_session(db_url) as session:
        assert session.scalar(sa.select(User.active).where(User.id == ann)) is False
    assert _post(admin, path, "/admin/users", active="1") == 302
    assert _post(admin, path, "/admin/users", active="1") == 302
    with open_session(db_url) as session:
        assert session.scalar(sa.select(User.active).where(User.id == ann)) is True
    assert _actions(db_url, "user_deactivated", "user_activated") == [("user_deactivated", "ann@example.com"),
                                                                      ("user_activated", "ann@example.com")]


@pytest.mark.parametrize("action", ["close", "reopen"])
def test_the_api_records_a_close_or_reopen_once(app: Flask, db_url: str, action: str) -> None:
    with open_session(db_url) as session:
        publish_survey(session, example_survey())
        token = create_key(session, "CRM sync", "write", actor="admin@example.com")[1]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    if action == "reopen":
        assert client.post("/api/v1/surveys/acme_relationship/close", headers=headers).status_code == 200
    for _ in range(2):
        response = client.post(f"/api/v1/surveys/acme_relationship/{action}", headers=headers)
        assert response.status_code == 200
        assert response.get_json()["status"] == ("closed" if action == "close" else "live")
    expected = [("survey_closed", "acme_relationship")] + (
        [("survey_reopened", "acme_relationship")] if action == "reopen" else [])
    assert _actions(db_url, "survey_closed", "survey_reopened") == expected
