"""Reports: ROI analysis jobs with their inputs, state and results.

Revision ID: 0004_reports
Revises: 0003_drafts
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_reports"
down_revision = "0003_drafts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("survey_slug", sa.String(64), nullable=False),
        sa.Column("survey_title", sa.String(1000), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.String(1000), nullable=False),
        sa.Column("outcomes_name", sa.String(255), nullable=False),
        sa.Column("outcomes_sha256", sa.String(64), nullable=False),
        sa.Column("outcomes_bytes", sa.Integer, nullable=False),
        sa.Column("outcomes_file", sa.LargeBinary, nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("results", sa.JSON, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_by", sa.String(320), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=True),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("status in ('queued', 'running', 'done', 'failed')", name="ck_report_jobs_status"),
    )
    op.create_index("ix_report_jobs_survey_slug", "report_jobs", ["survey_slug"])


def downgrade() -> None:
    op.drop_index("ix_report_jobs_survey_slug", table_name="report_jobs")
    op.drop_table("report_jobs")
