"""Follow-up cases: one per (response, rule) that matched, with owner or team, priority, due time, status,
notes and the owner's notification state; users gain the `agent` role and a team.

Revision ID: 0010_cases
Revises: 0009_waves
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_cases"
down_revision = "0009_waves"
branch_labels = None
depends_on = None

ROLES_BEFORE = "role in ('author', 'analyst', 'admin')"
ROLES_AFTER = "role in ('author', 'analyst', 'admin', 'agent')"


def upgrade() -> None:
    # SQLite cannot alter a CHECK constraint: batch mode copies the table with the new one
    with op.batch_alter_table("users", recreate="auto") as batch:
        batch.drop_constraint("ck_users_role", type_="check")
        batch.create_check_constraint("ck_users_role", ROLES_AFTER)
        batch.add_column(sa.Column("team", sa.String(64), nullable=True))
    op.create_table(
        "follow_up_cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("response_id", sa.Integer, sa.ForeignKey("responses.id"), nullable=False),
        sa.Column("survey_id", sa.Integer, sa.ForeignKey("surveys.id"), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("rule_when", sa.Text, nullable=False),
        sa.Column("rule_note", sa.Text, nullable=True),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(320), nullable=True),
        sa.Column("team", sa.String(64), nullable=True),
        sa.Column("customer_id", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("due_at", sa.DateTime, nullable=False),
        sa.Column("first_contact_at", sa.DateTime, nullable=True),
        sa.Column("closed_at", sa.DateTime, nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("notify_state", sa.String(16), nullable=False),
        sa.Column("notify_claimed_at", sa.DateTime, nullable=True),
        sa.Column("notified_at", sa.DateTime, nullable=True),
        sa.Column("notify_error", sa.Text, nullable=True),
        sa.Column("notified_to", sa.Text, nullable=True),
        sa.UniqueConstraint("response_id", "rule_id", name="uq_follow_up_cases_response_rule"),
        sa.CheckConstraint("status in ('open', 'contacted', 'resolved', 'won_back', 'lost')",
                           name="ck_follow_up_cases_status"),
        sa.CheckConstraint("priority in ('low', 'normal', 'high', 'urgent')", name="ck_follow_up_cases_priority"),
        sa.CheckConstraint("notify_state in ('queued', 'sending', 'sent', 'not_sent', 'deferred', 'bounced')",
                           name="ck_follow_up_cases_notify_state"),
    )
    op.create_index("ix_follow_up_cases_survey_id", "follow_up_cases", ["survey_id"])
    op.create_index("ix_follow_up_cases_status", "follow_up_cases", ["status"])
    op.create_index("ix_follow_up_cases_owner", "follow_up_cases", ["owner"])
    op.create_table(
        "follow_up_case_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("follow_up_cases.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("author", sa.String(320), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("kind in ('note', 'status', 'owner')", name="ck_follow_up_case_notes_kind"),
    )
    op.create_index("ix_follow_up_case_notes_case_id", "follow_up_case_notes", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_follow_up_case_notes_case_id", table_name="follow_up_case_notes")
    op.drop_table("follow_up_case_notes")
    op.drop_index("ix_follow_up_cases_owner", table_name="follow_up_cases")
    op.drop_index("ix_follow_up_cases_status", table_name="follow_up_cases")
    op.drop_index("ix_follow_up_cases_survey_id", table_name="follow_up_cases")
    op.drop_table("follow_up_cases")
    # the older schema has no agent role: agents become inactive analysts (their accounts kept, unable to sign in)
    op.execute("UPDATE users SET role = 'analyst', active = false WHERE role = 'agent'")
    with op.batch_alter_table("users", recreate="auto") as batch:
        batch.drop_column("team")
        batch.drop_constraint("ck_users_role", type_="check")
        batch.create_check_constraint("ck_users_role", ROLES_BEFORE)
