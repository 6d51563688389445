"""Results tallies (issue 15): `answer_tallies` counts the complete responses of each survey version, channel and
wave by distinct answer to each question (and by day, and their comments), kept up to date by the submit that
completes a response, so the results page never reads every response (webapp/services/tallies.py,
docs/web-results.md). The responses already stored are counted here. An index on responses (version_id, status,
submitted_at) serves the page's partial-response counts and its newest comments.

Revision ID: 0014_aggregates
Revises: 0013_churn_risk
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_aggregates"
down_revision = "0013_churn_risk"
branch_labels = None
depends_on = None

RESPONSES_INDEX = "ix_responses_version_status_submitted"


def upgrade() -> None:
    op.create_table(
        "answer_tallies",
        sa.Column("version_id", sa.Integer, sa.ForeignKey("survey_versions.id"), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("wave_id", sa.Integer, nullable=False),
        sa.Column("question_id", sa.String(200), nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("version_id", "channel", "wave_id", "question_id", "answer"),
    )
    op.create_index(RESPONSES_INDEX, "responses", ["version_id", "status", "submitted_at"])
    # The responses stored so far; counted with the tables as they are at this revision, not with the models.
    from webapp.services.tallies import rebuild_tallies

    rebuild_tallies(op.get_bind())


def downgrade() -> None:
    op.drop_index(RESPONSES_INDEX, table_name="responses")
    op.drop_table("answer_tallies")
