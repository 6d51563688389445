"""Helpers of the hosting tests: example data, page tokens, stored rows read back, a form reader and a
minimal browser. Their fixtures are in tests/webapp/conftest.py.

`migrated_database` (behind the `db_url` fixture) gives a fresh, migrated database: a SQLite file, and, when
a PostgreSQL server is found (`CXROI_TEST_DATABASE_URL`, else the local default when it answers:
tests/services.py), a schema of its own with a random name, dropped afterwards (several test runs may share
the server).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveys.definition import build_survey
from surveys.model import Survey
from tests import services
from webapp.storage.engine import create_engine_for, upgrade_database

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "relationship.yaml"


def _postgres_base() -> str:
    """The PostgreSQL server found for this run (tests.services); skips, with the reason, when there is none."""
    return services.postgres_url()


def postgres_url(schema: str) -> str:
    """The test server's URL with `schema` first on the search path."""
    base = _postgres_base()
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextmanager
def migrated_database(backend: str, folder: Path) -> Iterator[str]:
    """A migrated, empty database: a SQLite file in `folder`, or a PostgreSQL schema of its own."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'cxroi.sqlite3'}"
        upgrade_database(url)
        yield url
        return
    base = _postgres_base()
    schema = f"cxroi_test_{secrets.token_hex(6)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = postgres_url(schema)
        upgrade_database(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def example_survey(**changes: Any) -> Survey:
    """The example relationship survey, optionally with top-level fields changed."""
    import yaml

    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data.update(changes)
    return build_survey(data)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def first_page_token(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return csrf_token(response.get_data(as_text=True))


PAGE_1 = {"page": "0", "q_align.easy": "4", "q_align.partner": "2", "q_ces": "3", "q_channels": ["phone", "chat"]}
PAGE_2 = {"page": "1", "q_friction.ordering": "yes", "q_friction.ordering.what": "The form was long",
          "q_friction.billing": "no", "q_channel.phone": "5", "q_channel.chat": "2", "q_why": "Call back sooner",
          "q_nps": "8"}
ANSWERS = {  # what PAGE_1 + PAGE_2 must be stored as, worked out from the example's rules by hand
    "q_align": {"easy": 4, "partner": 2},
    "q_ces": 3,
    "q_friction": {"ordering": {"hesitated": True, "what": "The form was long"}, "billing": {"hesitated": False}},
    "q_channels": ["phone", "chat"],
    "q_channel": {"phone": 5, "chat": 2},
    "q_why": "Call back sooner",
    "q_nps": 8,
}


def answer_all(client: FlaskClient, url: str) -> Any:
    """Answer both pages of the example survey; returns the last POST's response."""
    token = first_page_token(client, url)
    first = client.post(url, data=PAGE_1 | {"csrf_token": token})
    assert first.status_code == 303, first.get_data(as_text=True)[:800]
    return client.post(url, data=PAGE_2 | {"csrf_token": token})


def response_rows(url: str, slug: str | None = None) -> list[dict[str, Any]]:
    """Every stored response (of survey `slug` when given) as a dict, read with a fresh engine: what is
    really in the database."""
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "select r.id, r.invitation_id, r.session_key, r.customer_id, r.channel, r.status, r.answers, "
                "r.current_page, r.submitted_at from responses r join survey_versions v on v.id = r.version_id "
                "join surveys s on s.id = v.survey_id " + ("where s.slug = :slug " if slug else "") + "order by r.id"),
                {"slug": slug} if slug else {}).mappings().all()
        return [dict(row) | {"answers": _json(row["answers"])} for row in rows]
    finally:
        engine.dispose()


def _json(value: Any) -> Any:
    import json

    return json.loads(value) if isinstance(value, str) else value


class FormReader:
    """Reads a rendered page like a browser would: the state of each input, labels, and radio fieldsets."""

    def __init__(self, html: str) -> None:
        from html.parser import HTMLParser

        self.values: dict[str, list[str]] = {}
        self.inputs: list[dict[str, str]] = []
        self.label_for: set[str] = set()
        self.radios_outside_fieldset: list[str] = []
        self.fieldsets_without_legend = 0
        self.ids: set[str] = set()
        reader = self

        class _Parser(HTMLParser):
            def __init__(self) -> None:
                super().__init__(convert_charrefs=True)
                self.fieldsets: list[bool] = []  # has a legend
                self.textarea: str | None = None
                self.select = ""
                self.text = ""

            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                a = {k: v or "" for k, v in attrs}
                if "id" in a:
                    reader.ids.add(a["id"])
                if tag == "fieldset":
                    self.fieldsets.append(False)
                elif tag == "legend" and self.fieldsets:
                    self.fieldsets[-1] = True
                elif tag == "label" and "for" in a:
                    reader.label_for.add(a["for"])
                elif tag == "input":
                    reader.inputs.append(a)
                    kind = a.get("type", "text")
                    if kind == "radio" and not self.fieldsets:
                        reader.radios_outside_fieldset.append(a.get("name", ""))
                    if kind in ("radio", "checkbox"):
                        if "checked" in a:
                            reader.values.setdefault(a["name"], []).append(a.get("value", ""))
                    elif kind != "hidden" and a.get("value"):
                        reader.values.setdefault(a["name"], []).append(a["value"])
                elif tag == "textarea":
                    reader.inputs.append(a | {"type": "textarea"})
                    self.textarea, self.text = a.get("name", ""), ""
                elif tag == "select":  # a ranking's list per position: its chosen option is its value
                    reader.inputs.append(a | {"type": "select"})
                    self.select = a.get("name", "")
                elif tag == "option" and self.select and "selected" in a and a.get("value"):
                    reader.values.setdefault(self.select, []).append(a["value"])

            def handle_endtag(self, tag: str) -> None:
                if tag == "fieldset" and self.fieldsets and not self.fieldsets.pop():
                    reader.fieldsets_without_legend += 1
                elif tag == "select":
                    self.select = ""
                elif tag == "textarea" and self.textarea is not None:
                    if self.text.strip():
                        reader.values.setdefault(self.textarea, []).append(self.text.strip())
                    self.textarea = None

            def handle_data(self, data: str) -> None:
                if self.textarea is not None:
                    self.text += data

        _Parser().feed(html)

    def unlabelled(self) -> list[str]:
        return [i.get("id", "?") for i in self.inputs if i.get("type") != "hidden" and i.get("id") not in self.label_for]


class Browser:
    """A minimal browser over a real HTTP server: its own cookies, no redirects followed, bounded timeouts."""

    def __init__(self, base_url: str) -> None:
        import http.cookiejar
        import urllib.request

        class _NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect)

    def request(self, method: str, path: str, data: dict[str, Any] | None = None) -> tuple[int, str]:
        import urllib.error
        import urllib.parse
        import urllib.request

        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body, method=method)
        try:
            with self.opener.open(request, timeout=60) as reply:
                return reply.status, reply.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def get(self, path: str) -> tuple[int, str]:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, Any]) -> tuple[int, str]:
        return self.request("POST", path, data)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


NAN = float("nan")


def table(**changes: object) -> pd.DataFrame:
    """Two imported responses as pandas reads them from a CSV; `changes` go to the first row."""
    # Row 1 is ANSWERS spread over the example's columns by hand (as pandas reads a CSV); row 2 a partial.
    full = {
        "response_id": "R1", "customer_id": "C1", "channel": "email", "status": "complete",
        "started_at": "2026-03-01T10:00:00Z", "submitted_at": "2026-03-01T10:06:00Z",
        "q_align.easy": 4.0, "q_align.partner": 2.0, "q_ces": 3.0,
        "q_friction.ordering": 1.0, "q_friction.ordering.what": "The form was long",
        "q_friction.billing": 0.0, "q_friction.billing.what": NAN,
        "q_channels.phone": 1.0, "q_channels.email": 0.0, "q_channels.chat": 1.0,
        "q_channel.phone": 5.0, "q_channel.email": NAN, "q_channel.chat": 2.0,
        "q_why": "Call back sooner", "q_nps": 8.0,
    }
    partial = {key: NAN for key in full} | {"response_id": "R2", "customer_id": "C2", "status": "partial",
                                             "q_align.easy": 5.0, "q_align.partner": 5.0, "q_ces": 7.0}
    frame = pd.DataFrame([full, partial]).astype(object)
    for column, value in changes.items():
        frame.loc[0, column.replace("__", ".")] = value
    return frame


@contextmanager
def statements_sent(engine: sa.Engine) -> Iterator[list[str]]:
    """Every SQL statement `engine` sends while the block runs (BEGIN included), in order; clear the list to
    start counting a new step."""
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)


def begins(sent: list[str]) -> list[str]:
    """The BEGIN statements among `sent` (on SQLite, one per transaction: webapp.storage.engine)."""
    return [statement for statement in sent if statement.startswith("BEGIN")]
