"""E-mail distribution on the authoring pages: the links page's "send by e-mail" step (CSRF-checked, rows checked
again on arrival) queues one message per customer on the app's queue; the template editor checks, previews and
stores each survey's templates; the unsubscribe page."""

from __future__ import annotations

import html
import io
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.support.author import page_token, signed_in
from tests.webapp.support.smtp import Sink, personal_link
from webapp import queue
from webapp.queue import drain
from webapp.storage.engine import create_engine_for

BASE = "https://cx.example.com"


@pytest.fixture
def author(app: Flask, db_url: str, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FlaskClient, str]]:
    monkeypatch.setenv("CXROI_BASE_URL", BASE)
    app.config.update(QUEUE_URL=f"sqlite:///{tmp_path / 'queue.sqlite3'}", QUEUE_NAME=f"t-{uuid.uuid4().hex[:8]}")
    queue.configure(queue_url=app.config["QUEUE_URL"], queue_name=app.config["QUEUE_NAME"], database_url=db_url)
    client = signed_in(app, db_url, "author")
    token = page_token(client, "/author/new")
    assert client.post("/author/new", data={"survey_id": "acme", "title": "Acme", "start": "relationship",
                                            "csrf_token": token}).status_code == 302
    assert client.post("/author/acme/publish", data={"csrf_token": token}).status_code == 302
    yield client, token
    queue.configure()


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page)
    assert match, name
    return html.unescape(match.group(1))


def check_list(client: FlaskClient, token: str, content: bytes) -> Any:
    return client.post("/author/acme/links/preview", content_type="multipart/form-data", data={
        "csrf_token": token, "channel": "email", "customers": (io.BytesIO(content), "customers.csv")})


def count(db_url: str, sql: str) -> int:
    engine = create_engine_for(db_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(sql)).scalar() or 0)
    finally:
        engine.dispose()


def test_send_by_email_from_the_links_page(author: tuple[FlaskClient, str], db_url: str,
                                           smtp: tuple[Sink, str], monkeypatch: pytest.MonkeyPatch) -> None:
    client, token = author
    sink, url = smtp
    plain = check_list(client, token, b"customer_id\nC1\n").get_data(as_text=True)
    assert "/links/send" not in plain  # no email column: no e-mail button
    bad = check_list(client, token, b"customer_id,email\nC1,ann@example.com\nC2,bob@\n")
    assert bad.status_code == 400 and "Row 3: malformed e-mail address" in html.unescape(bad.get_data(as_text=True))
    page = check_list(client, token, b"customer_id,email,name\nC1,ann@example.com,Ann\nC2,bob@example.com,Bob\n")
    text = page.get_data(as_text=True)
    assert "Send 2 invitations by e-mail" in text and "ann@example.com" in text
    rows = hidden(text, "customers")
    assert client.post("/author/acme/links/send", data={"customers": rows, "channel": "email"}).status_code == 400
    assert count(db_url, "select count(*) from mail_messages") == 0  # without the CSRF token: nothing
    tampered = rows.replace("bob@example.com", "bob at example")
    refused = client.post("/author/acme/links/send", data={"customers": tampered, "channel": "email",
                                                           "csrf_token": token})
    assert refused.status_code == 400 and count(db_url, "select count(*) from mail_messages") == 0
    sent = client.post("/author/acme/links/send", data={"customers": rows, "channel": "email", "csrf_token": token})
    assert sent.status_code == 303
    assert "Queued 2 invitation e-mails" in html.unescape(client.get("/author/acme/links").get_data(as_text=True))
    monkeypatch.setenv("CXROI_MAIL_URL", url)
    monkeypatch.setenv("CXROI_SECRET_KEY", "test-secret")  # the worker's secret: the app's
    monkeypatch.setenv("CXROI_BASE_URL", BASE)
    assert drain(periodic=False) == 2  # the queue's tasks, run here as `cxroi worker --burst` runs them
    assert sink.recipients() == ["ann@example.com", "bob@example.com"]
    link = personal_link(sink.messages[0], BASE)
    assert client.application.test_client().get(link).status_code == 200
    assert "2 sent" in client.get("/author/acme/links").get_data(as_text=True)


def test_template_editor_previews_checks_and_saves(author: tuple[FlaskClient, str]) -> None:
    client, token = author
    page = client.get("/author/acme/mail")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Preview for a sample customer" in text and "Alex Example" in text
    form = {"subject": "Hi {{ name }}", "text_body": "{{ link }} {{ unsubscribe_link }}",
            "html_body": "<p>{{ name }} <a href='{{ link }}'>go</a> {{ unsubscribe_link }}</p>",
            "reminder_after_days": "5", "csrf_token": token}
    preview = client.post("/author/acme/mail", data=form | {"action": "preview"})
    assert preview.status_code == 200 and "Hi Alex Example" in preview.get_data(as_text=True)
    assert "Hi {{ name }}" in preview.get_data(as_text=True) or "Hi {{ name }}" in html.unescape(
        preview.get_data(as_text=True))
    bad = client.post("/author/acme/mail", data=form | {"subject": "{% if %}", "action": "save"})
    assert bad.status_code == 400 and "subject, line 1" in html.unescape(bad.get_data(as_text=True))
    assert client.post("/author/acme/mail", data=form | {"action": "save"}).status_code == 303
    saved = html.unescape(client.get("/author/acme/mail").get_data(as_text=True))
    assert "Hi {{ name }}" in saved and 'value="5"' in saved
    assert client.post("/author/acme/mail", data=form | {"action": "save", "csrf_token": ""}).status_code == 400


def test_unsubscribe_page_refuses_bad_tokens(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/unsubscribe/not-a-token").status_code == 400
    assert client.post("/unsubscribe/" + "x" * 2000).status_code == 400
