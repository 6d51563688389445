"""Privacy (issue 14): a retention setting per survey — `retention_months` (None: keep responses for ever),
`retention_action` (`delete` or `anonymise`, checked by `webapp.privacy.retention`) and
`retention_done_until` (anonymise only: every response started before this moment has been anonymised, so the
daily run starts there). Applied by the queue's daily task (`webapp.privacy.tasks`).

Revision ID: 0017_privacy
Revises: 0016_webhooks
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_privacy"
down_revision = "0016_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("surveys") as batch:
        batch.add_column(sa.Column("retention_months", sa.Integer, nullable=True))
        batch.add_column(sa.Column("retention_action", sa.String(16), nullable=True))
        batch.add_column(sa.Column("retention_done_until", sa.DateTime, nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN in place (SQLite 3.35+): a batch copy of `surveys` would drop the table that
    # others reference, which SQLite's foreign keys refuse
    for name in ("retention_done_until", "retention_action", "retention_months"):
        op.drop_column("surveys", name)
