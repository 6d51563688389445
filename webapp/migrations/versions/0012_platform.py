"""Platform: API keys, webhooks, audit log, teams (issue 14).

Reserved slot: no schema change yet.

Revision ID: 0012_platform
Revises: 0011_themes
Create Date: 2026-12-03
"""

revision = "0012_platform"
down_revision = "0011_themes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
