"""Per-survey results aggregates kept on submit (issue 15).

Reserved slot: no schema change yet.

Revision ID: 0014_aggregates
Revises: 0013_churn_risk
Create Date: 2026-12-03
"""

revision = "0014_aggregates"
down_revision = "0013_churn_risk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
