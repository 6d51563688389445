"""Fixtures of the web app tests: `db_url` (a fresh, migrated database on each backend: SQLite, and PostgreSQL
when a server is found, see tests/services.py), `sqlite_url`, `db`, `app`, `client`, and `served` (`cxroi serve`
on a free port). Helpers are in tests/webapp/support/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.webapp.support.smtp import Sink, running_smtp
from tests.webapp.support.web import BACKENDS, ROOT, free_port, migrated_database
from webapp.app import create_app
from webapp.storage.engine import create_engine_for, session_factory, upgrade_database


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


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, str]]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 for this test: (what it received, its URL)."""
    with running_smtp() as server:
        yield server
