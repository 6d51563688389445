"""Open-text themes: codebooks and coded comments (issue 17).

Reserved slot: no schema change yet.

Revision ID: 0011_themes
Revises: 0010_cases
Create Date: 2026-12-03
"""

revision = "0011_themes"
down_revision = "0010_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
