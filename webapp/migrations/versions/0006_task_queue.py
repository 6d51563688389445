"""Task queue: report jobs run by `cxroi worker`, each running job holding a lease renewed by its heartbeat

Revision ID: 0006_task_queue
Revises: 0005_public_link_switch
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_task_queue"
down_revision = "0005_public_link_switch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report_jobs") as batch:
        batch.add_column(sa.Column("lease_until", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("worker", sa.String(200), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("report_jobs") as batch:
        batch.drop_column("attempts")
        batch.drop_column("worker")
        batch.drop_column("lease_until")
