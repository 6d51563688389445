"""Hosting: surveys, published versions, invitations, responses.

Revision ID: 0001_hosting
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_hosting"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("title", sa.String(1000), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("closed_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("slug", name="uq_surveys_slug"),
    )
    op.create_table(
        "survey_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("survey_id", sa.Integer, sa.ForeignKey("surveys.id", name="fk_survey_versions_survey"),
                  nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("published_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("survey_id", "number", name="uq_survey_versions_survey_number"),
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("survey_versions.id", name="fk_invitations_version"),
                  nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=True),
        sa.Column("used_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_invitations_token_hash"),
    )
    op.create_table(
        "responses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("survey_versions.id", name="fk_responses_version"),
                  nullable=False),
        sa.Column("invitation_id", sa.Integer, sa.ForeignKey("invitations.id", name="fk_responses_invitation"),
                  nullable=True),
        sa.Column("session_key", sa.String(64), nullable=True),
        sa.Column("customer_id", sa.String(200), nullable=True),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("current_page", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("submitted_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("invitation_id", name="uq_responses_invitation"),
        sa.UniqueConstraint("session_key", name="uq_responses_session_key"),
        sa.CheckConstraint("status in ('partial', 'complete')", name="ck_responses_status"),
    )
    op.create_index("ix_responses_version_id", "responses", ["version_id"])


def downgrade() -> None:
    op.drop_index("ix_responses_version_id", table_name="responses")
    op.drop_table("responses")
    op.drop_table("invitations")
    op.drop_table("survey_versions")
    op.drop_table("surveys")
