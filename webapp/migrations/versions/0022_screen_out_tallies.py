"""Screen-outs in the results tallies: the submit now counts a screened-out response's rule under the tally
`:screened_out` (webapp/services/tallies.py), so the results pages count screen-outs without reading the
responses. The tallies of the versions whose definition has `screen_out` rules are counted again here, so the
responses stored before are counted too.

Revision ID: 0022_screen_out_tallies
Revises: 0021_report_sharing
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_screen_out_tallies"
down_revision = "0021_report_sharing"
branch_labels = None
depends_on = None

SCREENED_OUT = ":screened_out"


def upgrade() -> None:
    from webapp.services.tallies import rebuild_tallies

    connection = op.get_bind()
    versions = sa.table("survey_versions", sa.column("id", sa.Integer), sa.column("definition", sa.JSON))
    with_rules = [row.id for row in connection.execute(sa.select(versions.c.id, versions.c.definition))
                  if isinstance(row.definition, dict) and row.definition.get("screen_out")]
    if with_rules:
        rebuild_tallies(connection, with_rules)


def downgrade() -> None:
    tallies = sa.table("answer_tallies", sa.column("question_id", sa.String))
    op.execute(tallies.delete().where(tallies.c.question_id == SCREENED_OUT))
