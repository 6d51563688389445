"""Mail states for a worker that dies mid-send, and churn-risk scoring of new responses (issue 11).

* `mail_messages.state` gains `transmitting` (the DATA command under way, recorded on the worker's claim just
  before it) and `unknown` (its worker stopped during DATA: the server may have the message; never sent again
  automatically). Downgrade: `transmitting` rows go back to `sending` (taken over after the lease, as before),
  `unknown` ones become `sent` (the older schema's nearest meaning: not to be sent again).

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


def downgrade() -> None:
    op.execute(sa.text("update mail_messages set state = 'sending' where state = 'transmitting'"))
    op.execute(sa.text("update mail_messages set state = 'sent' where state = 'unknown'"))
    with op.batch_alter_table("mail_messages", recreate="auto") as batch:
        batch.drop_constraint("ck_mail_messages_state", type_="check")
        batch.create_check_constraint("ck_mail_messages_state", MAIL_STATES_BEFORE)
