"""Integrity against hostile input (issue 15, "500s and integrity"): the sign-in `next` target, bounded numbers
in answers and definitions, exports that are complete or absent, formula-guarded link lists, download headers.

Real SQLite and PostgreSQL through the `db_url`/`app` fixtures of web_support; no mocks.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from webapp.accounts.service import create_user
from webapp.storage.engine import open_session

PASSWORD = "correct horse battery"


def _csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _add_user(app: Flask, email: str, role: str) -> None:
    with open_session(app.config["DATABASE_URL"]) as session:
        create_user(session, email, role, PASSWORD)


def _sign_in(client: FlaskClient, email: str, query: str = "") -> tuple[int, str]:
    token = _csrf(client, "/login")
    response = client.post(f"/login{query}", data={"email": email, "password": PASSWORD, "csrf_token": token})
    return response.status_code, response.headers.get("Location", "")


# --- 1. the sign-in `next` target -------------------------------------------------------------------------

HOSTILE_NEXT = {
    "CR LF": "/%0D%0ASet-Cookie:%20x=1",
    "LF": "/%0Aevil",
    "CR": "/%0Devil",
    "NUL": "/surveys%00",
    "tab": "/%09/evil.example",
    "scheme-relative": "//evil.example",
    "backslash": "/%5Cevil.example",
    "two backslashes": "/%5C%5Cevil.example",
    "DEL": "/x%7F",
}


@pytest.mark.parametrize("target", list(HOSTILE_NEXT.values()), ids=list(HOSTILE_NEXT))
def test_login_refuses_a_hostile_next_and_sends_home(app: Flask, target: str) -> None:
    _add_user(app, "author@example.com", "author")
    status, location = _sign_in(app.test_client(), "author@example.com", f"?next={target}")
    assert status == 302, "a correct password with a hostile next must still sign in, not fail"
    with app.test_request_context():
        home = url_for("author.surveys")
    assert location == home  # the author's home
    assert "evil" not in location and "\r" not in location and "\n" not in location


def test_login_keeps_a_good_next(app: Flask) -> None:
    _add_user(app, "analyst@example.com", "author")
    good = "/author/?page=2"
    status, location = _sign_in(app.test_client(), "analyst@example.com", f"?next={quote(good)}")
    assert status == 302 and location.endswith(good)
