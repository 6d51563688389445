"""Languages (issue 13): the language a response was answered in, and the language and name of an invited customer
(from the customer list's `language` and `name` columns), which choose the personal link's language and fill
`{{ customer.name }}` in the survey's texts.

Revision ID: 0015_languages
Revises: 0014_aggregates
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_languages"
down_revision = "0014_aggregates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("responses") as batch:
        batch.add_column(sa.Column("language", sa.String(20), nullable=True))
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(sa.Column("language", sa.String(20), nullable=True))
        batch.add_column(sa.Column("customer_name", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invitations") as batch:
        batch.drop_column("customer_name")
        batch.drop_column("language")
    with op.batch_alter_table("responses") as batch:
        batch.drop_column("language")
