"""Fixtures and helpers of the hosting tests (imported by the test_web_*/test_storage_* modules).

`db_url` gives a fresh, migrated database: a SQLite file, and, when a PostgreSQL server is found
(`CXROI_TEST_DATABASE_URL`, else the local default when it answers: tests/services.py), a schema of its own
with a random name, dropped afterwards (several test runs may share the server).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveys.definition import build_survey
from surveys.model import Survey
from tests import services
from webapp.app import create_app
from webapp.storage.engine import create_engine_for, session_factory, upgrade_database

ROOT = Path(__file__).resolve().parents[2]
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


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database on each backend."""
    with migrated_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cxroi.sqlite3'}"
    upgrade_database(url)
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Session]:
    engine = create_engine_for(db_url)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Flask:
    return create_app({"DATABASE_URL": db_url, "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                       "SECRET_KEY": "test-secret"})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


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


PAGE_1 = {"page": "0", "q_align.easy": "4", "q_align.partner": "2", "q_ces": "3"}
PAGE_2 = {"page": "1", "q_friction.ordering": "yes", "q_friction.ordering.what": "The form was long",
          "q_friction.billing": "no", "q_channels": ["phone", "chat"], "q_channel.phone": "5",
          "q_channel.chat": "2", "q_why": "Call back sooner", "q_nps": "8"}
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

            def handle_endtag(self, tag: str) -> None:
                if tag == "fieldset" and self.fieldsets and not self.fieldsets.pop():
                    reader.fieldsets_without_legend += 1
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


@pytest.fixture(scope="module", params=BACKENDS)
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`cxroi serve` on a free 127.0.0.1 port (gunicorn, 2 workers) over a fresh database of each backend;
    yields (base URL, database URL) and is always terminated. Shared by a module's tests, which therefore
    use survey slugs of their own."""
    import subprocess
    import sys
    import time
    import urllib.request

    folder = tmp_path_factory.mktemp("served")
    with migrated_database(request.param, folder) as db_url:
        port = free_port()
        env = os.environ | {"CXROI_DATABASE_URL": db_url, "CXROI_INSTANCE_PATH": str(folder / "instance"),
                            "CXROI_SECRET_KEY": "server-test-secret"}
        log_path = folder / "server.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-c", "from webapp.cli import main; main()", "serve", "--host", "127.0.0.1",
                 "--port", str(port), "--workers", "2"],
                env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
            base = f"http://127.0.0.1:{port}"
            try:
                for _ in range(600):  # bounded wait for the server to answer (not a timing assertion)
                    if process.poll() is not None:
                        pytest.fail(f"cxroi serve exited: {log_path.read_text()[-2000:]}")
                    try:
                        urllib.request.urlopen(f"{base}/static/respond.css", timeout=2).close()
                        break
                    except OSError:
                        time.sleep(0.1)
                else:
                    pytest.fail("cxroi serve did not answer")
                yield base, db_url
            finally:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=30)
