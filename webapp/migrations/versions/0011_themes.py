"""Open-text themes (issue 17): codebooks, versioned per survey, and the themes each response was coded with.

`codebooks` keeps every saved version of a survey's codebook (its YAML, docs/themes.md); the highest version is
the one in use. `response_themes` holds, per response and codebook version, the themes its comment was coded
with, the comment's language and its sentiment ("not available" for another language than English), and when
it was coded (a response updated since is coded again). Erasing a response erases its codings (ON DELETE CASCADE).

Revision ID: 0011_themes
Revises: 0010_cases
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_themes"
down_revision = "0010_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "codebooks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("survey_id", sa.Integer, sa.ForeignKey("surveys.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("created_by", sa.String(320), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("survey_id", "version", name="uq_codebooks_survey_version"),
        sa.CheckConstraint("version >= 1", name="ck_codebooks_version"),
    )
    op.create_table(
        "response_themes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("response_id", sa.Integer, sa.ForeignKey("responses.id", ondelete="CASCADE"), nullable=False),
        sa.Column("codebook_id", sa.Integer, sa.ForeignKey("codebooks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("comment_hash", sa.String(64), nullable=False),
        sa.Column("themes", sa.JSON, nullable=False),
        sa.Column("language", sa.String(20), nullable=True),
        sa.Column("sentiment", sa.Float, nullable=True),
        sa.Column("sentiment_status", sa.String(16), nullable=False),
        sa.Column("coded_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("codebook_id", "response_id", name="uq_response_themes_codebook_response"),
        sa.CheckConstraint("sentiment_status in ('scored', 'not_available', 'blank')",
                           name="ck_response_themes_sentiment_status"),
    )
    op.create_index("ix_response_themes_response_id", "response_themes", ["response_id"])


def downgrade() -> None:
    op.drop_index("ix_response_themes_response_id", table_name="response_themes")
    op.drop_table("response_themes")
    op.drop_table("codebooks")
