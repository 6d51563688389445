"""Distribution on the authoring pages: public links per channel, and personal links from an uploaded
customer list — previewed row by row (empty and repeated ids flagged, nothing created), then created by the
confirming POST whose response is the CSV of links (the database keeps only each token's SHA-256)."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.support.author import count_rows, page_token, signed_in
from webapp.storage.engine import create_engine_for

BASE = "https://cx.example.com"


def summary(response: Any) -> list[str]:
    page = response.get_data(as_text=True)
    box = page.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in re.findall(r"<li>(.*?)</li>", box, re.S)]


@pytest.fixture
def author(app: Flask, db_url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[FlaskClient, str]:
    monkeypatch.setenv("CXROI_BASE_URL", BASE)
    client = signed_in(app, db_url, "author")
    token = page_token(client, "/author/new")
    assert client.post("/author/new", data={"survey_id": "acme", "title": "Acme", "start": "relationship",
                                            "csrf_token": token}).status_code == 302
    return client, token


def publish(client: FlaskClient, token: str) -> None:
    assert client.post("/author/acme/publish", data={"csrf_token": token}).status_code == 302


def check_list(client: FlaskClient, token: str, content: bytes, channel: str = "email") -> Any:
    return client.post("/author/acme/links/preview", content_type="multipart/form-data", data={
        "csrf_token": token, "channel": channel, "customers": (io.BytesIO(content), "customers.csv")})


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page)
    assert match, name
    return html.unescape(match.group(1))


def test_links_need_a_published_version(author: tuple[FlaskClient, str]) -> None:
    client, _ = author
    assert "Publish the survey first" in client.get("/author/acme/links").get_data(as_text=True)


def test_public_links_per_channel(author: tuple[FlaskClient, str]) -> None:
    client, token = author
    publish(client, token)
    page = html.unescape(client.get("/author/acme/links").get_data(as_text=True))
    # the template links answers to customers through its `cid` parameter: each customer's public link carries
    # their signed id and comes in the personal-links CSV (test_public_links), none is listed with a placeholder
    assert "CUSTOMER_ID" not in page and "public_link" in page
    assert client.application.test_client().get("/p/acme?channel=chat&cid=C9").status_code == 400  # unsigned
    assert client.post("/author/acme/settings", data={
        "title": "Acme", "intro": "", "language": "en", "customer_id_param": "", "time_budget_minutes": "",
        "csrf_token": token}).status_code in (302, 303)
    publish(client, token)
    page = html.unescape(client.get("/author/acme/links").get_data(as_text=True))
    for channel in ("phone", "email", "chat", "web", "in_person"):  # the relationship template's channels
        assert f"{BASE}/p/acme?channel={channel}" in page  # an anonymous survey: one public link per channel
    assert client.application.test_client().get("/p/acme?channel=chat").status_code == 200


def test_a_customer_list_with_bad_rows_is_shown_and_creates_nothing(author: tuple[FlaskClient, str],
                                                                    db_url: str) -> None:
    client, token = author
    publish(client, token)
    # line 1 header; 2 C1; 3 C2; 4 blank; 5 C1 again; 6 no id
    response = check_list(client, token, b"customer_id,name\nC1,Ann\nC2,Bob\n\nC1,Ann again\n,Nobody\n")
    assert response.status_code == 400
    assert summary(response) == ["Row 4: empty customer id", "Row 5: duplicate customer id 'C1' (first on row 2)",
                                 "Row 6: empty customer id"]
    page = response.get_data(as_text=True)
    assert "Customers in the file (5 rows)" in page and "links/create" not in page  # no confirm button
    assert count_rows(db_url, "invitations") == 0

    for content, message in [(b"", "customers.csv: the file is empty; expected a header and one customer id per row"),
                             (b"customer_id\n", "customers.csv: no customer ids below the header"),
                             (b"customer_id\n\xff\xfe\n", "customers.csv: not UTF-8 text (invalid start byte at byte 12)")]:
        refused = check_list(client, token, content)
        assert refused.status_code == 400 and message in summary(refused)
    assert count_rows(db_url, "invitations") == 0


def test_personal_links_are_created_on_confirmation_as_a_csv(author: tuple[FlaskClient, str], db_url: str) -> None:
    client, token = author
    publish(client, token)
    preview = check_list(client, token, b"email,customer_id\nann@example.com,C1\nbob@example.com,C2\n")
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "Create 2 personal links" in page
    assert count_rows(db_url, "invitations") == 0  # the preview stores nothing

    created = client.post("/author/acme/links/create", data={
        "csrf_token": token, "customer_ids": hidden(page, "customer_ids"), "channel": hidden(page, "channel")})
    assert created.status_code == 200 and created.mimetype == "text/csv"
    assert created.headers["Content-Disposition"] == 'attachment; filename="acme-links.csv"'
    rows = list(csv.DictReader(io.StringIO(created.get_data(as_text=True))))
    assert [(row["customer_id"], row["channel"]) for row in rows] == [("C1", "email"), ("C2", "email")]
    tokens = [row["link"].removeprefix(f"{BASE}/s/") for row in rows]
    assert all(len(t) >= 32 and "/" not in t for t in tokens)

    engine = create_engine_for(db_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(sa.text(
                "select customer_id, channel, token_hash from invitations order by customer_id")).all()
    finally:
        engine.dispose()
    assert [(r[0], r[1], r[2]) for r in stored] == [
        ("C1", "email", hashlib.sha256(tokens[0].encode()).hexdigest()),
        ("C2", "email", hashlib.sha256(tokens[1].encode()).hexdigest()),
    ]
    respondent = client.application.test_client()
    assert respondent.get(f"/s/{tokens[0]}").status_code == 200  # the link works for the customer


def test_confirmation_is_refused_when_closed_or_tampered(author: tuple[FlaskClient, str], db_url: str) -> None:
    client, token = author
    publish(client, token)
    tampered = client.post("/author/acme/links/create", data={"csrf_token": token, "customer_ids": "C1,C2",
                                                              "channel": "email"})
    assert tampered.status_code == 400
    assert summary(tampered) == ["The confirmation did not carry the customer list; upload it again."]
    twice = client.post("/author/acme/links/create", data={"csrf_token": token, "customer_ids": '["C1", "C1"]',
                                                           "channel": "email"})
    assert twice.status_code == 400 and summary(twice) == ["customer id 'C1' is given twice"]
    assert client.post("/author/acme/close", data={"csrf_token": token}).status_code == 302
    closed = client.post("/author/acme/links/create", data={"csrf_token": token, "customer_ids": '["C1"]',
                                                            "channel": "email"})
    assert closed.status_code == 410
    assert summary(closed) == ["the survey 'acme' is closed and takes no more answers"]
    assert count_rows(db_url, "invitations") == 0


# The links page judges a customer list as the command line does (tests/webapp/test_storage_publish.py).
def test_the_links_preview_flags_a_control_character_and_offers_no_confirmation(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = page_token(client, "/author/new")
    assert client.post("/author/new", data={"survey_id": "acme", "title": "Acme", "start": "relationship",
                                            "csrf_token": token}).status_code == 302
    assert client.post("/author/acme/publish", data={"csrf_token": token}).status_code == 302
    response = client.post("/author/acme/links/preview", content_type="multipart/form-data", data={
        "csrf_token": token, "channel": "email", "customers": (io.BytesIO(b"customer_id\nC1\nC\x072\n"), "c.csv")})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "customer id with control characters" in page and "links/create" not in page
    assert count_rows(db_url, "invitations") == 0
