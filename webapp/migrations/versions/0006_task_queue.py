"""Task queue: report jobs run by the worker (placeholder, filled by the queue work)

Revision ID: 0006_task_queue
Revises: 0005_public_link_switch
Create Date: 2026-12-03
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0006_task_queue"
down_revision = "0005_public_link_switch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
