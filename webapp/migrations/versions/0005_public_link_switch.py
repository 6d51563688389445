"""Public link switch: a survey's public link `/p/<slug>` can be turned off (personal links keep working).

Revision ID: 0005_public_link_switch
Revises: 0004_reports
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_public_link_switch"
down_revision = "0004_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("surveys") as batch:
        batch.add_column(sa.Column("public_link", sa.Boolean, nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("surveys") as batch:
        batch.drop_column("public_link")
