"""Sharing and scheduling finished reports (issue 16): `report_shares`, links that show one report without an
account until they expire or are revoked (only the SHA-256 of each token is stored), and `report_schedules`,
a report made again every month from a finished job's inputs and mailed to a list of addresses (the month
claimed is recorded with the run's job, so no month is mailed twice).

Revision ID: 0021_report_sharing
Revises: 0020_audit_retention
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_report_sharing"
down_revision = "0020_audit_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_shares",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("report_jobs.id"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
        sa.Column("revoked_by", sa.String(320), nullable=True),
    )
    op.create_index("ix_report_shares_job_id", "report_shares", ["job_id"])
    op.create_table(
        "report_schedules",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("report_jobs.id"), nullable=False),
        sa.Column("day_of_month", sa.Integer, nullable=False),
        sa.Column("recipients", sa.Text, nullable=False),
        sa.Column("delivery", sa.String(8), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("month", sa.String(7), nullable=True),
        sa.Column("run_job_id", sa.Integer, sa.ForeignKey("report_jobs.id"), nullable=True),
        sa.Column("run_state", sa.String(16), nullable=True),
        sa.Column("claimed_at", sa.DateTime, nullable=True),
        sa.Column("mailed_to", sa.Text, nullable=False),
        sa.Column("sending_to", sa.String(320), nullable=True),
        sa.Column("run_error", sa.Text, nullable=True),
        sa.CheckConstraint("day_of_month between 1 and 28", name="ck_report_schedules_day"),
        sa.CheckConstraint("delivery in ('pdf', 'link')", name="ck_report_schedules_delivery"),
        sa.CheckConstraint("run_state in ('analysing', 'mailing', 'sent', 'failed')",
                           name="ck_report_schedules_run_state"),
    )
    op.create_index("ix_report_schedules_job_id", "report_schedules", ["job_id"])


def downgrade() -> None:
    op.drop_table("report_schedules")
    op.drop_table("report_shares")
