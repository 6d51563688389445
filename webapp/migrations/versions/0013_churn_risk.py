"""Mail states for a worker that dies mid-send, and churn-risk scoring of new responses (issue 11).

* `mail_messages.state` gains `transmitting` (the DATA command under way, recorded on the worker's claim just
  before it) and `unknown` (its worker stopped during DATA: the server may have the message; never sent again
  automatically). Downgrade: `transmitting` rows go back to `sending` (taken over after the lease, as before),
  `unknown` ones become `sent` (the older schema's nearest meaning: not to be sent again).
* `churn_risk_rules`: per survey, the risk threshold the CX lead sets, above which a newly completed response
  scored with the latest analysis' retention model opens a case, and who owns such cases.
* `follow_up_cases` gains the score of a churn-risk case: `risk` with its interval (`risk_low`, `risk_high`),
  `risk_model` (which analysis and model scored it) and the customer's `revenue` when the outcomes know it.

Revision ID: 0013_churn_risk
Revises: 0012_platform
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_churn_risk"
down_revision = "0012_platform"
branch_labels = None
depends_on = None

MAIL_STATES_BEFORE = ("state in ('queued', 'sending', 'sent', 'not_sent', 'deferred', 'bounced', 'opted_out', "
                      "'cancelled')")
MAIL_STATES_AFTER = ("state in ('queued', 'sending', 'transmitting', 'sent', 'not_sent', 'deferred', 'bounced', "
                     "'unknown', 'opted_out', 'cancelled')")


def upgrade() -> None:
    # SQLite cannot alter a CHECK constraint: batch mode copies the table with the new one
    with op.batch_alter_table("mail_messages", recreate="auto") as batch:
        batch.drop_constraint("ck_mail_messages_state", type_="check")
        batch.create_check_constraint("ck_mail_messages_state", MAIL_STATES_AFTER)
    op.create_table(
        "churn_risk_rules",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("survey_id", sa.Integer, sa.ForeignKey("surveys.id"), nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(320), nullable=True),
        sa.Column("team", sa.String(64), nullable=True),
        sa.Column("set_by", sa.String(320), nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("survey_id", name="uq_churn_risk_rules_survey"),
        sa.CheckConstraint("threshold > 0 and threshold < 1", name="ck_churn_risk_rules_threshold"),
    )
    with op.batch_alter_table("follow_up_cases") as batch:
        for name in ("risk", "risk_low", "risk_high", "revenue"):
            batch.add_column(sa.Column(name, sa.Float, nullable=True))
        batch.add_column(sa.Column("risk_model", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("follow_up_cases") as batch:
        for name in ("risk_model", "revenue", "risk_high", "risk_low", "risk"):
            batch.drop_column(name)
    op.drop_table("churn_risk_rules")
    op.execute(sa.text("update mail_messages set state = 'sending' where state = 'transmitting'"))
    op.execute(sa.text("update mail_messages set state = 'sent' where state = 'unknown'"))
    with op.batch_alter_table("mail_messages", recreate="auto") as batch:
        batch.drop_constraint("ck_mail_messages_state", type_="check")
        batch.create_check_constraint("ck_mail_messages_state", MAIL_STATES_BEFORE)
