"""Churn-risk scoring of new responses (issue 11).

Reserved slot: no schema change yet.

Revision ID: 0013_churn_risk
Revises: 0012_platform
Create Date: 2026-12-03
"""

revision = "0013_churn_risk"
down_revision = "0012_platform"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
