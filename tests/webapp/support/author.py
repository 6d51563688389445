"""Helpers of the authoring page tests: signed-in clients per role, CSRF tokens, and the stored draft read
back with a fresh engine (what is really in the database)."""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from webapp.accounts.service import create_user
from webapp.storage.engine import create_engine_for, open_session

PASSWORD = "correct horse battery"


def page_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the page at `path` (asserting the page renders)."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:500])
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def signed_in(app: Flask, db_url: str, role: str) -> FlaskClient:
    """A test client signed in as a new user with `role`."""
    email = f"{role}@example.com"
    with open_session(db_url) as session:
        create_user(session, email, role, PASSWORD)
    return sign_in_as(app, email)


def sign_in_as(app: Flask, email: str) -> FlaskClient:
    """A test client signed in as the existing account `email` (password `PASSWORD`)."""
    client = app.test_client()
    token = page_token(client, "/login")
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def stored_draft(db_url: str, slug: str) -> tuple[dict[str, Any], Any, str | None]:
    """(definition, updated_at, updated_by) of the survey's draft row."""
    engine = create_engine_for(db_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(sa.text(
                "select d.definition, d.updated_at, d.updated_by from survey_drafts d "
                "join surveys s on s.id = d.survey_id where s.slug = :slug"), {"slug": slug}).one()
    finally:
        engine.dispose()
    definition = json.loads(row[0]) if isinstance(row[0], str) else row[0]
    return definition, row[1], row[2]


def count_rows(db_url: str, table: str) -> int:
    engine = create_engine_for(db_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(f"select count(*) from {table}")).scalar_one())
    finally:
        engine.dispose()
