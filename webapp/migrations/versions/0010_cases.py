"""Follow-up cases: rules' matches, owners, statuses, notes (placeholder, filled by the cases work)

Revision ID: 0010_cases
Revises: 0009_waves
Create Date: 2026-12-03
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0010_cases"
down_revision = "0009_waves"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
