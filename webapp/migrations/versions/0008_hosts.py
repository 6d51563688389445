"""Across hosts: `responses.answers` is JSONB on PostgreSQL (JSON stays JSON on SQLite).

JSONB is stored parsed (no re-parsing on every read, smaller), compares by value and can be indexed (GIN) when
the results need it. The conversion rewrites the table once (`USING answers::jsonb`); every stored value is
valid JSON already (written with `allow_nan=False`); the one thing JSON holds and JSONB refuses, a NUL character
(`\\u0000`, which a crafted form could have sent), is removed from the few rows holding one first, as the app
does on every write since (`webapp.storage.engine.strict_json`). Downgrade turns it back into
JSON text (`answers::json`). SQLite has one JSON type: nothing to do there.

Revision ID: 0008_hosts
Revises: 0007_mail
Create Date: 2026-12-03
"""

import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008_hosts"
down_revision = "0007_mail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    _drop_nul_characters(bind)
    op.alter_column("responses", "answers", type_=postgresql.JSONB(), existing_type=sa.JSON(),
                    existing_nullable=False, postgresql_using="answers::jsonb")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.alter_column("responses", "answers", type_=sa.JSON(), existing_type=postgresql.JSONB(),
                    existing_nullable=False, postgresql_using="answers::json")


def _drop_nul_characters(bind: sa.Connection) -> None:
    """Rewrite the answers whose JSON text holds a `\\u0000` escape without their NUL characters."""
    rows = bind.execute(sa.text(
        "SELECT id, answers::text FROM responses WHERE strpos(answers::text, '\\u0000') > 0")).all()
    for row_id, text in rows:
        bind.execute(sa.text("UPDATE responses SET answers = CAST(:answers AS json) WHERE id = :id"),
                     {"answers": json.dumps(_without_nul(json.loads(text))), "id": row_id})


def _without_nul(value: object) -> object:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value
