"""Waves: responses and invitations record their wave; contact rules (placeholder, filled by the waves work)

Revision ID: 0009_waves
Revises: 0008_hosts
Create Date: 2026-12-03
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0009_waves"
down_revision = "0008_hosts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
