"""Waves: a survey's named rounds (`waves`), their schedules (`wave_schedules`), the wave of each invitation and
each response, and an index for the contact rule (a customer's latest invitation across surveys).

Existing invitations and responses belong to no wave (NULL).

Revision ID: 0009_waves
Revises: 0008_hosts
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_waves"
down_revision = "0008_hosts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wave_schedules",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("survey_id", sa.Integer, sa.ForeignKey("surveys.id"), nullable=False),
        sa.Column("every_weeks", sa.Integer, nullable=False),
        sa.Column("customers_csv", sa.Text, nullable=False),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("send", sa.Boolean, nullable=False),
        sa.Column("contact_days", sa.Float, nullable=True),
        sa.Column("next_run_at", sa.DateTime, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_wave_schedules_survey_id", "wave_schedules", ["survey_id"])
    op.create_table(
        "waves",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("survey_id", sa.Integer, sa.ForeignKey("surveys.id"), nullable=False),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("survey_versions.id"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("contact_days", sa.Float, nullable=True),
        sa.Column("schedule_id", sa.Integer, sa.ForeignKey("wave_schedules.id"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("survey_id", "name", name="uq_waves_survey_name"),
        sa.UniqueConstraint("survey_id", "number", name="uq_waves_survey_number"),
    )
    op.create_index("ix_waves_survey_id", "waves", ["survey_id"])
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(sa.Column("wave_id", sa.Integer, nullable=True))
        batch.create_foreign_key("fk_invitations_wave_id", "waves", ["wave_id"], ["id"])
        batch.create_index("ix_invitations_wave_id", ["wave_id"])
        batch.create_index("ix_invitations_customer_created", ["customer_id", "created_at"])
    with op.batch_alter_table("responses") as batch:
        batch.add_column(sa.Column("wave_id", sa.Integer, nullable=True))
        batch.create_foreign_key("fk_responses_wave_id", "waves", ["wave_id"], ["id"])
        batch.create_index("ix_responses_wave_id", ["wave_id"])


def downgrade() -> None:
    with op.batch_alter_table("responses") as batch:
        batch.drop_index("ix_responses_wave_id")
        batch.drop_constraint("fk_responses_wave_id", type_="foreignkey")
        batch.drop_column("wave_id")
    with op.batch_alter_table("invitations") as batch:
        batch.drop_index("ix_invitations_customer_created")
        batch.drop_index("ix_invitations_wave_id")
        batch.drop_constraint("fk_invitations_wave_id", type_="foreignkey")
        batch.drop_column("wave_id")
    op.drop_index("ix_waves_survey_id", table_name="waves")
    op.drop_table("waves")
    op.drop_index("ix_wave_schedules_survey_id", table_name="wave_schedules")
    op.drop_table("wave_schedules")
