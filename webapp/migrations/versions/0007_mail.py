"""Mail: invitation messages, opt-outs and reminders (placeholder, filled by the distribution work)

Revision ID: 0007_mail
Revises: 0006_task_queue
Create Date: 2026-12-03
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0007_mail"
down_revision = "0006_task_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
