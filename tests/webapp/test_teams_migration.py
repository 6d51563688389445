"""Migration 0019 (teams) on a database that already holds data at 0018: every user, survey, API key and webhook
subscription lands in the team called `default` (and the teams named in the old text columns become teams with
those people and keys in them); nothing stored is lost, and the downgrade gives back the 0018 rows unchanged."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command

from tests.webapp.support.web import example_survey
from webapp.accounts.service import create_user
from webapp.api.keys import create_key
from webapp.services.publishing import publish_survey
from webapp.storage.engine import alembic_config, create_engine_for, session_factory
from webapp.webhooks.service import subscribe

KEPT = {"users": "id, email, role, team, active", "surveys": "id, slug, title, closed_at",
        "api_keys": "id, name, prefix, scope, team", "webhook_subscriptions": "id, url, events, team",
        "survey_versions": "id, survey_id, number"}


def _rows(engine: sa.Engine) -> dict[str, list[Any]]:
    with engine.connect() as connection:
        return {table: [tuple(row) for row in connection.execute(sa.text(f"SELECT {columns} FROM {table} ORDER BY id"))]
                for table, columns in KEPT.items()}


def _query(engine: sa.Engine, sql: str) -> set[tuple[Any, ...]]:
    with engine.connect() as connection:
        return {tuple(row) for row in connection.execute(sa.text(sql))}


def test_an_install_at_0018_moves_into_the_default_team_and_back(db_url: str) -> None:
    engine = create_engine_for(db_url)
    config = alembic_config(engine)
    try:
        with session_factory(engine)() as session:
            publish_survey(session, example_survey())
            publish_survey(session, example_survey(id="second", title="Second survey"))
            for email, role in (("lead@example.com", "author"), ("agent@example.com", "agent")):
                create_user(session, email, role, "correct horse battery")
            create_key(session, "CRM sync", "read", actor="admin@example.com")
            create_key(session, "chat bot", "write", actor="admin@example.com")
            subscribe(session, "http://127.0.0.1:9/hook", ["survey.published"], created_by="admin@example.com",
                      allow_private=True)
        command.downgrade(config, "0018_sso")
        with engine.begin() as connection:  # what 0018 installs had: team names as text, where set
            connection.execute(sa.text("UPDATE users SET team = 'support' WHERE email = 'agent@example.com'"))
            connection.execute(sa.text("UPDATE api_keys SET team = 'crm' WHERE name = 'chat bot'"))
        at_0018 = _rows(engine)
        assert len(at_0018["surveys"]) == 2 and len(at_0018["users"]) == 2

        command.upgrade(config, "head")
        assert _rows(engine) == at_0018
        assert _query(engine, "SELECT name FROM teams") == {("default",), ("support",), ("crm",)}
        assert _query(engine, "SELECT s.slug, t.name FROM surveys s JOIN teams t ON t.id = s.team_id") == {
            ("acme_relationship", "default"), ("second", "default")}
        assert _query(engine, "SELECT u.email, t.name FROM team_members m JOIN users u ON u.id = m.user_id "
                              "JOIN teams t ON t.id = m.team_id") == {
            ("lead@example.com", "default"), ("agent@example.com", "default"), ("agent@example.com", "support")}
        assert _query(engine, "SELECT k.name, t.name FROM api_keys k JOIN teams t ON t.id = k.team_id") == {
            ("CRM sync", "default"), ("chat bot", "crm")}
        assert _query(engine, "SELECT w.url, t.name FROM webhook_subscriptions w JOIN teams t ON "
                              "t.id = w.team_id") == {("http://127.0.0.1:9/hook", "default")}

        command.downgrade(config, "0018_sso")
        assert _rows(engine) == at_0018
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            assert "teams" not in inspector.get_table_names()
            assert "team_id" not in {column["name"] for column in inspector.get_columns("surveys")}
        command.upgrade(config, "head")
        assert _rows(engine) == at_0018
    finally:
        engine.dispose()
