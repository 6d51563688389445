"""Across hosts (issue 15): several app servers behind a load balancer on one PostgreSQL and one Redis.

On real parts only: a SQLite file, the PostgreSQL and Redis servers of tests/services.py, `cxroi serve`
processes. Covered here: `responses.answers` is JSONB on PostgreSQL (migration 0008, both ways, data kept);
trusted-proxy handling (`CXROI_PROXY_HOPS`); the respondent submit limit shared through Redis by several app
instances; refusing to start without a shared secret key or on a schema that is behind.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from tests.webapp.support.web import example_survey, migrated_database, postgres_url
from webapp.services import publish_survey
from webapp.storage.engine import alembic_config, create_engine_for, session_factory, upgrade_database
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
    engine = create_engine_for(url)
    try:
        with session_factory(engine)() as session:
            return session.get(Response, response_id).answers  # type: ignore[union-attr]
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
    engine = create_engine_for(postgres_schema)
    command.downgrade(alembic_config(engine), "0007_mail")
    engine.dispose()
    assert answers_type(postgres_schema) == "json"
    assert stored_answers(postgres_schema, response_id) == ANSWERS
    upgrade_database(postgres_schema)
    assert answers_type(postgres_schema) == "jsonb"
    assert stored_answers(postgres_schema, response_id) == ANSWERS


@pytest.mark.postgres
def test_the_upgrade_drops_nul_characters_jsonb_cannot_hold(postgres_schema: str) -> None:
    """PostgreSQL's JSON keeps a `\\u0000` escape, JSONB refuses it: such a stored answer loses its NUL
    characters in the upgrade instead of failing it; other answers are untouched."""
    upgrade_database(postgres_schema, "0007_mail")
    nul_id = store_response(postgres_schema, {"q_why": "clean"})
    other_id = store_response(postgres_schema, ANSWERS)
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
