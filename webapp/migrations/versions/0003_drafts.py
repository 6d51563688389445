"""Authoring: one editable draft definition per survey.

Revision ID: 0003_drafts
Revises: 0002_accounts
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_drafts"
down_revision = "0002_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_drafts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("survey_id", sa.Integer, sa.ForeignKey("surveys.id", name="fk_survey_drafts_survey"),
                  nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(320), nullable=True),
        sa.UniqueConstraint("survey_id", name="uq_survey_drafts_survey"),
    )


def downgrade() -> None:
    op.drop_table("survey_drafts")
