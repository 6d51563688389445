"""Across hosts: JSONB answers on PostgreSQL (placeholder, filled by the multi-host work)

Revision ID: 0008_hosts
Revises: 0007_mail
Create Date: 2026-12-03
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0008_hosts"
down_revision = "0007_mail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
