"""The API's rate limit while Redis is down (review finding: every call waited for Redis): after one failure the
limiter counts in memory for `API_REDIS_RETRY_SECONDS` without trying Redis, logs the outage once, and the limit
still holds. Against real sockets on 127.0.0.1: a closed port, and a server that accepts each connection and
hangs up (counting them) — the assertions count connection attempts, never time."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from webapp.api.auth import LIMITER_KEY, RateCounter
from webapp.api.keys import create_key
from webapp.app import create_app
from webapp.storage.engine import open_session


class HangUp:
    """A TCP server that accepts every connection and closes it at once: a Redis that is there but broken. It
    counts a connection before closing it, so a client that saw the close has been counted."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()


@pytest.fixture
def hang_up() -> Iterator[HangUp]:
    server = HangUp()
    yield server
    server.listener.close()


def _closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _api(sqlite_url: str, tmp_path: Path, port: int, retry_seconds: float) -> tuple[Flask, str]:
    app = create_app({"DATABASE_URL": sqlite_url, "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                      "SECRET_KEY": "test-secret", "REDIS_URL": f"redis://127.0.0.1:{port}/0",
                      "API_RATE_PER_MINUTE": 3, "API_REDIS_RETRY_SECONDS": retry_seconds})
    with open_session(sqlite_url) as session:
        token = create_key(session, "CRM sync", "read", actor="admin@example.com")[1]
    return app, token


def _statuses(app: Flask, token: str, calls: int) -> list[int]:
    client = app.test_client()
    return [client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {token}"}).status_code
            for _ in range(calls)]


def _counter(app: Flask) -> RateCounter:
    counter: RateCounter = app.extensions[LIMITER_KEY]
    return counter


def _outage_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "webapp.api.auth" and r.levelno == logging.WARNING]


def test_a_closed_port_is_tried_once_and_the_limit_holds_in_memory(sqlite_url: str, tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="webapp.api.auth")
    app, token = _api(sqlite_url, tmp_path, _closed_port(), retry_seconds=3600)
    assert _statuses(app, token, 5) == [200, 200, 200, 429, 429]  # 3 a minute, counted in this process
    assert _counter(app).attempts == 1
    warnings = _outage_warnings(caplog)
    assert len(warnings) == 1 and "counting in this process" in warnings[0]


def test_without_the_breaker_every_request_tries_the_closed_port(sqlite_url: str, tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="webapp.api.auth")
    app, token = _api(sqlite_url, tmp_path, _closed_port(), retry_seconds=0)
    assert _statuses(app, token, 5) == [200, 200, 200, 429, 429]
    assert _counter(app).attempts == 5
    assert len(_outage_warnings(caplog)) == 1  # still logged once for the whole outage


def test_a_broken_redis_gets_one_round_of_connections_per_spell(sqlite_url: str, tmp_path: Path,
                                                                hang_up: HangUp) -> None:
    app, token = _api(sqlite_url, tmp_path, hang_up.port, retry_seconds=3600)
    assert _statuses(app, token, 1) == [200]
    first = hang_up.connections
    assert first >= 1  # the first request did reach the port
    assert _statuses(app, token, 4) == [200, 200, 429, 429]
    assert hang_up.connections == first  # the next four made no connection at all


def test_a_broken_redis_without_the_breaker_is_connected_to_on_every_request(sqlite_url: str, tmp_path: Path,
                                                                             hang_up: HangUp) -> None:
    app, token = _api(sqlite_url, tmp_path, hang_up.port, retry_seconds=0)
    _statuses(app, token, 1)
    first = hang_up.connections
    _statuses(app, token, 2)
    assert hang_up.connections == 3 * first  # each request repeats the first one's connection attempts
