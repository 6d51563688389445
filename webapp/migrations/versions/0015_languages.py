"""Languages: the language a response was answered in, randomised orders recorded per response (issue 13).

Reserved slot: no schema change yet.

Revision ID: 0015_languages
Revises: 0014_aggregates
Create Date: 2026-12-03
"""

revision = "0015_languages"
down_revision = "0014_aggregates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
