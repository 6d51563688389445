"""Single sign-on: the OpenID Connect identity of users (issue 14).

Reserved slot: no schema change yet.

Revision ID: 0018_sso
Revises: 0017_privacy
Create Date: 2026-12-03
"""

revision = "0018_sso"
down_revision = "0017_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
