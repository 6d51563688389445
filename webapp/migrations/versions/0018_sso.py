"""Single sign-on (issue 14): the OpenID Connect subject a user is bound to (users.oidc_subject, unique, empty
until the user first signs in through the provider), so a later e-mail change at the provider cannot move the
sign-in to another account.

Revision ID: 0018_sso
Revises: 0017_privacy
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_sso"
down_revision = "0017_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("oidc_subject", sa.String(255), nullable=True))
        batch.create_unique_constraint("uq_users_oidc_subject", ["oidc_subject"])


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_oidc_subject", type_="unique")
        batch.drop_column("oidc_subject")
