"""Across hosts (issue 15): several app servers behind a load balancer on one PostgreSQL and one Redis.

On real parts only: a SQLite file, the PostgreSQL and Redis servers of tests/services.py, `cxroi serve`
processes. Covered here: `responses.answers` is JSONB on PostgreSQL (migration 0008, both ways, data kept);
trusted-proxy handling (`CXROI_PROXY_HOPS`); the respondent submit limit shared through Redis by several app
instances; refusing to start without a shared secret key or on a schema that is behind.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from flask import Flask

from tests.security.support import token_of
from tests.webapp.support.web import ROOT, example_survey, free_port, migrated_database, postgres_url
from webapp.app import StartupRefused, create_app
from webapp.extensions import limiter
from webapp.services import create_invitations, publish_survey
from webapp.storage.engine import (
    alembic_config,
    create_engine_for,
    open_session,
    schema_revisions,
    session_factory,
    upgrade_database,
)
from webapp.storage.models import Response

ANSWERS: dict[str, Any] = {
    "q_ces": 3, "q_align.easy": 4, "q_why": "Naïve café — \"quoted\", 'single', ü, 日本, emoji 🎉, back\\slash",
    "q_many": ["a", "b"], "nested": {"x": [1, 2.5, None, True]}, "big": 9_007_199_254_740_993,
}


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A fresh, empty PostgreSQL schema of its own (dropped afterwards); yields its URL."""
    from tests.webapp.support.web import _postgres_base

    base = _postgres_base()
    schema = f"cxroi_hosts_{secrets.token_hex(6)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield postgres_url(schema)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def answers_type(url: str) -> str:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(
                "SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = 'responses' AND column_name = 'answers'")).scalar_one()
    finally:
        engine.dispose()


def store_response(url: str, answers: dict[str, Any]) -> int:
    engine = create_engine_for(url)
    try:
        with session_factory(engine)() as session:
            version = publish_survey(session, example_survey())
            response = Response(version_id=version.id, customer_id="C1", channel="email", answers=answers)
            session.add(response)
            session.commit()
            return response.id
    finally:
        engine.dispose()


def stored_answers(url: str, response_id: int) -> dict[str, Any]:
    """The stored answers read with plain SQL (the models follow the latest schema, this may be an older one)."""
    import json

    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            value = connection.execute(sa.text("SELECT answers FROM responses WHERE id = :id"),
                                       {"id": response_id}).scalar_one()
    finally:
        engine.dispose()
    return json.loads(value) if isinstance(value, str) else value


def downgrade(url: str, revision: str) -> None:
    engine = create_engine_for(url)
    try:
        command.downgrade(alembic_config(engine), revision)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_answers_are_jsonb_after_upgrading_a_fresh_postgresql_schema(postgres_schema: str) -> None:
    upgrade_database(postgres_schema, "0007_mail")
    assert answers_type(postgres_schema) == "json"
    upgrade_database(postgres_schema)
    assert answers_type(postgres_schema) == "jsonb"
    response_id = store_response(postgres_schema, ANSWERS)
    assert stored_answers(postgres_schema, response_id) == ANSWERS  # round trip through JSONB
    engine = create_engine_for(postgres_schema)
    with engine.connect() as connection:  # a JSONB operator works on the column
        assert connection.execute(sa.text("SELECT answers ->> 'q_why' FROM responses")).scalar_one() == ANSWERS["q_why"]
    engine.dispose()


@pytest.mark.postgres
def test_the_jsonb_migration_keeps_stored_answers_both_ways(postgres_schema: str) -> None:
    upgrade_database(postgres_schema)
    response_id = store_response(postgres_schema, ANSWERS)
    downgrade(postgres_schema, "0007_mail")
    assert answers_type(postgres_schema) == "json"
    assert stored_answers(postgres_schema, response_id) == ANSWERS
    upgrade_database(postgres_schema)
    assert answers_type(postgres_schema) == "jsonb"
    assert stored_answers(postgres_schema, response_id) == ANSWERS


@pytest.mark.postgres
def test_the_upgrade_drops_nul_characters_jsonb_cannot_hold(postgres_schema: str) -> None:
    """PostgreSQL's JSON keeps a `\\u0000` escape, JSONB refuses it: such a stored answer loses its NUL
    characters in the upgrade instead of failing it; other answers are untouched."""
    upgrade_database(postgres_schema)  # rows stored by this release, then the schema taken back to JSON
    nul_id = store_response(postgres_schema, {"q_why": "clean"})
    other_id = store_response(postgres_schema, ANSWERS)
    downgrade(postgres_schema, "0007_mail")
    engine = create_engine_for(postgres_schema)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE responses SET answers = CAST(:text AS json) WHERE id = :id"),
                           {"text": r'{"q_why": "a\u0000b", "k\u0000": ["\\u0000 kept", "\u0000"]}', "id": nul_id})
    engine.dispose()
    upgrade_database(postgres_schema)
    assert answers_type(postgres_schema) == "jsonb"
    assert stored_answers(postgres_schema, nul_id) == {"q_why": "ab", "k": ["\\u0000 kept", ""]}
    assert stored_answers(postgres_schema, other_id) == ANSWERS


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_nul_character_in_an_answer_is_dropped_on_every_backend(backend: str, tmp_path: Path) -> None:
    with migrated_database(backend, tmp_path) as url:
        response_id = store_response(url, {"q_why": "a\x00b", "q\x00": ["\x00"]})
        assert stored_answers(url, response_id) == {"q_why": "ab", "q": [""]}


def test_answers_round_trip_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cxroi.sqlite3'}"
    upgrade_database(url)
    assert stored_answers(url, store_response(url, ANSWERS)) == ANSWERS


# --- trusted proxies: the limits see the client, not the balancer -------------------------------------------

BALANCER = "10.0.0.5"


def limited_app(folder: Path, **config: Any) -> tuple[Flask, str]:
    """An app over a SQLite file with the example survey, one user per role and one personal link (its path)."""
    from tests.security.support import make_app

    app, url = make_app(folder, **config)
    with open_session(url, upgrade=False) as session:
        (link,) = create_invitations(session, "acme_relationship", [f"C-{folder.name}"], "email")
    return app, f"/s/{link.token}"


def submit(app: Flask, path: str, forwarded_for: str | None, remote: str = BALANCER) -> int:
    """One respondent submission (an incomplete page: refused by validation with a 400, but counted) from a
    client of its own, as it reaches the app from `remote` with `X-Forwarded-For: forwarded_for`."""
    client = app.test_client()
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    environ = {"REMOTE_ADDR": remote}
    page = client.get(path, headers=headers, environ_base=environ)
    reply = client.post(path, data={"page": "0", "q_align.easy": "4", "csrf_token": token_of(page.get_data(as_text=True))},
                        headers=headers, environ_base=environ)
    return reply.status_code


def test_with_one_trusted_proxy_each_forwarded_client_has_its_own_limit(tmp_path: Path) -> None:
    app, path = limited_app(tmp_path, PROXY_HOPS=1, SUBMIT_RATE_PER_MINUTE=1, SUBMIT_BURST=1)
    assert submit(app, path, "198.51.100.1") == 400
    assert submit(app, path, "198.51.100.1") == 429  # that client's one submission a minute is used
    assert submit(app, path, "198.51.100.2") == 400  # another client behind the same balancer is not limited
    assert submit(app, path, "203.0.113.9, 198.51.100.3") == 400  # the hop the proxy added is the client
    assert submit(app, path, "203.0.113.9, 198.51.100.1") == 429  # a forged first address changes nothing


def test_without_trusted_proxies_the_forwarded_header_is_ignored(tmp_path: Path) -> None:
    app, path = limited_app(tmp_path, SUBMIT_RATE_PER_MINUTE=1, SUBMIT_BURST=1)  # PROXY_HOPS unset: 0
    assert submit(app, path, "198.51.100.1") == 400
    assert submit(app, path, "198.51.100.2") == 429  # a forged header does not make a new client
    assert submit(app, path, None, remote="192.0.2.7") == 400  # a different connection is one


@pytest.mark.parametrize("hops", [0, 1])
def test_sign_in_limits_see_the_forwarded_client_only_behind_trusted_proxies(tmp_path: Path, hops: int) -> None:
    from tests.security.support import PASSWORD

    app, _path = limited_app(tmp_path, PROXY_HOPS=hops)

    def sign_in(client_address: str, password: str) -> int:
        client = app.test_client()
        headers, environ = {"X-Forwarded-For": client_address}, {"REMOTE_ADDR": BALANCER}
        token = token_of(client.get("/login", headers=headers, environ_base=environ).get_data(as_text=True))
        return client.post("/login", data={"email": "author@example.com", "password": password, "csrf_token": token},
                           headers=headers, environ_base=environ).status_code

    assert [sign_in("198.51.100.1", "wrong password") for _ in range(5)] == [401] * 5
    assert sign_in("198.51.100.1", PASSWORD) == 429  # that client is locked out of the account
    assert sign_in("198.51.100.2", PASSWORD) == (302 if hops else 429)  # another client only behind a proxy


def test_proxy_hops_must_be_a_count(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="CXROI_PROXY_HOPS"):
        limited_app(tmp_path, PROXY_HOPS="two")


# --- one submit limit for every app server, kept in Redis --------------------------------------------------


def test_two_app_instances_sharing_redis_enforce_one_combined_limit(tmp_path: Path, redis_url: str) -> None:
    shared = {"REDIS_URL": redis_url, "RATELIMIT_KEY_PREFIX": f"cxroi-test-{secrets.token_hex(6)}",
              "SUBMIT_RATE_PER_MINUTE": 3, "SUBMIT_BURST": 3}
    first, path = limited_app(tmp_path, **shared)
    second = create_app({**first.config, "INSTANCE_PATH": str(tmp_path / "instance")})  # the same settings
    assert first is not second and limiter.setting(second).storage_uri == redis_url  # type: ignore[union-attr]
    client = "198.51.100.7"
    assert [submit(app, path, None, remote=client) for app in (first, second, first)] == [400, 400, 400]
    refused = second.test_client()
    page = refused.get(path, environ_base={"REMOTE_ADDR": client})
    reply = refused.post(path, data={"page": "0", "csrf_token": token_of(page.get_data(as_text=True))},
                         environ_base={"REMOTE_ADDR": client})
    assert reply.status_code == 429  # the fourth in a minute, whichever server it reaches
    assert 55 <= int(reply.headers["Retry-After"]) <= 60 and "Wait" in reply.get_data(as_text=True)
    assert submit(first, path, None, remote="198.51.100.8") == 400  # another client has its own limit


def test_without_redis_each_process_counts_for_itself(tmp_path: Path) -> None:
    """The contrast: memory storage, as on one host without Redis, gives each app instance its own count."""
    first, path = limited_app(tmp_path, SUBMIT_RATE_PER_MINUTE=1, SUBMIT_BURST=1, REDIS_URL=None)
    second = create_app({**first.config, "INSTANCE_PATH": str(tmp_path / "instance")})
    assert limiter.setting(first).storage_uri == "memory://"  # type: ignore[union-attr]
    assert [submit(app, path, None, remote="198.51.100.9") for app in (first, second)] == [400, 400]
    assert [submit(app, path, None, remote="198.51.100.9") for app in (first, second)] == [429, 429]


def test_the_queue_url_gives_the_limit_its_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp.config import redis_url_from_environment

    monkeypatch.delenv("CXROI_REDIS_URL", raising=False)
    monkeypatch.setenv("CXROI_QUEUE_URL", "sqlite:///queue.sqlite3")
    assert redis_url_from_environment() is None
    monkeypatch.setenv("CXROI_QUEUE_URL", "redis://queue.internal:6379/2")
    assert redis_url_from_environment() == "redis://queue.internal:6379/2"
    monkeypatch.setenv("CXROI_REDIS_URL", "redis://limits.internal:6379/0")
    assert redis_url_from_environment() == "redis://limits.internal:6379/0"


# --- refusing to start: no shared secret key, or a schema that is behind -----------------------------------


def cxroi(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from webapp.cli import main; main()", *args], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def server_environment(tmp_path: Path, database_url: str, **settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("CXROI_SECRET_KEY", "CXROI_AUTO_UPGRADE", "CXROI_PROXY_HOPS", "CXROI_REDIS_URL")}
    return env | {"CXROI_DATABASE_URL": database_url, "CXROI_INSTANCE_PATH": str(tmp_path / "instance"), **settings}


@pytest.mark.postgres
def test_create_app_refuses_a_shared_database_without_a_secret_key(
        postgres_schema: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CXROI_SECRET_KEY", raising=False)
    upgrade_database(postgres_schema)
    with pytest.raises(StartupRefused, match="CXROI_SECRET_KEY is not set"):
        create_app({"DATABASE_URL": postgres_schema, "INSTANCE_PATH": str(tmp_path / "instance")})
    assert not (tmp_path / "instance" / "secret_key").exists()  # no host-local key was made


@pytest.mark.postgres
def test_cxroi_serve_refuses_a_shared_database_without_a_secret_key(postgres_schema: str, tmp_path: Path) -> None:
    upgrade_database(postgres_schema)
    result = cxroi("serve", "--port", str(free_port()), env=server_environment(tmp_path, postgres_schema))
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()  # one clear line, no traceback
    assert line.startswith("error: CXROI_SECRET_KEY is not set")


@pytest.mark.postgres
def test_a_shared_database_is_not_migrated_on_start_unless_asked(
        postgres_schema: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CXROI_AUTO_UPGRADE", raising=False)
    config = {"DATABASE_URL": postgres_schema, "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "s"}
    with pytest.raises(StartupRefused, match="run `cxroi db upgrade`"):
        create_app(config)
    assert schema_revisions(postgres_schema)[0] == set()  # nothing was created
    upgrade_database(postgres_schema, "0007_mail")
    (head,) = schema_revisions(postgres_schema)[1]
    with pytest.raises(StartupRefused, match=rf"at 0007_mail, this release needs {head}\): run `cxroi db upgrade`"):
        create_app(config)
    monkeypatch.setenv("CXROI_AUTO_UPGRADE", "1")  # the environment's switch
    create_app(config)
    current, heads = schema_revisions(postgres_schema)
    assert current == heads == {head}
    monkeypatch.delenv("CXROI_AUTO_UPGRADE")
    assert create_app(config).config["SECRET_KEY"] == "s"  # up to date: starts


def test_sqlite_keeps_zero_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CXROI_SECRET_KEY", "CXROI_AUTO_UPGRADE"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance")})
    assert app.config["SECRET_KEY"] == (tmp_path / "instance" / "secret_key").read_text()  # made and kept
    current, head = schema_revisions(url)
    assert current == head  # created on start
    fresh = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    with pytest.raises(StartupRefused, match="cxroi db upgrade"):  # unless told not to migrate
        create_app({"DATABASE_URL": fresh, "INSTANCE_PATH": str(tmp_path / "instance"), "AUTO_UPGRADE": False})


@pytest.mark.postgres
def test_cxroi_serve_waits_for_cxroi_db_upgrade_on_postgresql(postgres_schema: str, tmp_path: Path) -> None:
    import time
    import urllib.request

    env = server_environment(tmp_path, postgres_schema, CXROI_SECRET_KEY="hosts-test-secret")
    port = free_port()
    refused = cxroi("serve", "--port", str(port), env=env)
    assert refused.returncode != 0
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("error: the database schema") and "run `cxroi db upgrade`" in line
    assert schema_revisions(postgres_schema)[0] == set()
    upgraded = cxroi("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-c", "from webapp.cli import main; main()", "serve",
                                    "--port", str(port), "--workers", "1"],
                                   env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            for _ in range(300):  # bounded wait for the server to answer (not a timing assertion)
                assert process.poll() is None, log_path.read_text()[-2000:]
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as reply:
                        assert reply.status == 200
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                pytest.fail("cxroi serve did not answer")
        finally:
            process.terminate()
            process.wait(timeout=30)
