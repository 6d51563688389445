"""Mail: per-survey templates and reminder schedule, one row per invitation e-mail (and its reminder) with its
sending state and Message-ID, and the opted-out addresses.

Revision ID: 0007_mail
Revises: 0006_task_queue
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_mail"
down_revision = "0006_task_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_templates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("survey_id", sa.Integer, sa.ForeignKey("surveys.id"), nullable=False, unique=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("text_body", sa.Text, nullable=False),
        sa.Column("html_body", sa.Text, nullable=False),
        sa.Column("reminder_after_days", sa.Integer, nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(320), nullable=True),
    )
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("invitation_id", sa.Integer, sa.ForeignKey("invitations.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("language", sa.String(20), nullable=True),
        sa.Column("link_key", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("smtp_code", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("claimed_at", sa.DateTime, nullable=True),
        sa.Column("sent_at", sa.DateTime, nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("invitation_id", "kind", name="uq_mail_messages_invitation_kind"),
        sa.CheckConstraint("state in ('queued', 'sending', 'sent', 'not_sent', 'deferred', 'bounced', "
                           "'opted_out', 'cancelled')", name="ck_mail_messages_state"),
        sa.CheckConstraint("kind in ('invitation', 'reminder')", name="ck_mail_messages_kind"),
    )
    op.create_index("ix_mail_messages_invitation_id", "mail_messages", ["invitation_id"])
    op.create_index("ix_mail_messages_email", "mail_messages", ["email"])
    op.create_index("ix_mail_messages_state", "mail_messages", ["state"])
    op.create_table(
        "mail_opt_outs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("survey_slug", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mail_opt_outs")
    op.drop_index("ix_mail_messages_state", table_name="mail_messages")
    op.drop_index("ix_mail_messages_email", table_name="mail_messages")
    op.drop_index("ix_mail_messages_invitation_id", table_name="mail_messages")
    op.drop_table("mail_messages")
    op.drop_table("mail_templates")
