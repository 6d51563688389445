"""Privacy: retention setting per survey, erasure records (issue 14).

Reserved slot: no schema change yet.

Revision ID: 0017_privacy
Revises: 0016_webhooks
Create Date: 2026-12-03
"""

revision = "0017_privacy"
down_revision = "0016_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
