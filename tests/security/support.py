"""Helpers of the security tests: an app over a fresh SQLite file with the example survey published (and a
copy whose texts are XSS payloads), users of every role, signed-in clients, and what is stored."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from flask import Flask
from flask.testing import FlaskClient

from surveys.definition import build_survey
from webapp.accounts.service import create_user
from webapp.app import create_app
from webapp.services.publishing import publish_survey
from webapp.storage.engine import create_engine_for, open_session

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "relationship.yaml"
PASSWORD = "correct horse battery staple"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
PAYLOAD = SCRIPT + IMG
"""Markup that would run if it reached a page unescaped: a script element and an attribute break-out."""


def example_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return data


def hostile_data() -> dict[str, Any]:
    """The example survey, renamed `hostile`, with payloads in the title, intro, a section title, question
    texts and help, choice labels, brand promises, touchpoints and channels."""
    data = example_data()
    data["id"] = "hostile"
    data["title"] = f"Title {PAYLOAD}"
    data["intro"] = f"Intro {PAYLOAD}"
    data["brand_promises"][0]["label"] = f"Promise {PAYLOAD}"
    data["touchpoints"][0]["label"] = f"Touchpoint {PAYLOAD}"
    data["channels"][0]["label"] = f"Channel {PAYLOAD}"
    first, second = data["sections"]
    first["title"] = f"Section {PAYLOAD}"
    first["questions"][1]["text"] = f"Effort {PAYLOAD}"
    first["questions"][1]["help"] = f"Help {PAYLOAD}"
    first["questions"][2]["choices"][1]["label"] = f"Email {PAYLOAD}"  # q_channels, on page 1
    return data


def make_app(folder: Path, **config: Any) -> tuple[Flask, str]:
    """An app over a new SQLite file holding the example and the hostile survey and one user per role."""
    url = f"sqlite:///{folder / 'cxroi.sqlite3'}"
    with open_session(url) as session:
        publish_survey(session, build_survey(example_data()))
        publish_survey(session, build_survey(hostile_data()))
        for role in ("author", "analyst", "admin"):
            create_user(session, f"{role}@example.com", role, PASSWORD)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance"), "SECRET_KEY": "security",
                      "TESTING": True} | config)
    return app, url


def token_of(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def signed_in(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    token = token_of(client.get("/login").get_data(as_text=True))
    reply = client.post("/login", data={"email": f"{role}@example.com", "password": PASSWORD, "csrf_token": token})
    assert reply.status_code == 302, reply.get_data(as_text=True)[:300]
    return client


def table_snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (sorted), to show that a refused request changed nothing."""
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            names = sa.inspect(connection).get_table_names()
            return {name: sorted((tuple(map(_plain, row)) for row in connection.execute(
                sa.text(f'select * from "{name}"'))), key=repr) for name in names
                if name not in ("login_attempts", "alembic_version")}
    finally:
        engine.dispose()


def _plain(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


ROUTE_ARGUMENTS = {
    "slug": "acme_relationship", "question_id": "q_ces", "section_id": "promises", "direction": "up", "job_id": 1,
    "kind": "csv", "fmt": "yaml", "filename": "respond.css", "case_id": 1, "theme_id": "t1", "user_id": 1,
    "token": "unknown-token", "anything": "nothing/here", "number": 1, "response_id": 1, "key_id": 1,
    "subscription_id": 1, "delivery_id": 1, "team_name": "default", "name": "logo.png",
}
"""A value for every URL argument of the app's routes, for the sweeps that visit each route."""
