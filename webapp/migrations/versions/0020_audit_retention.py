"""Audit log retention (issue 14 review): the append-only triggers of 0012 let one thing through — deleting an
event older than 90 days — so the retention purge (`webapp.audit.retention`) can keep the table from growing
forever. Nothing else changes: an UPDATE is refused always, TRUNCATE too (PostgreSQL), and a DELETE of any event
younger than 90 days is refused whatever the application asks, so neither a bug nor a wrong retention setting can
remove recent history. On PostgreSQL the DELETE must also come from a transaction that declared itself a purge
(`SET LOCAL cxroi.audit_purge = 'on'`), so a stray DELETE elsewhere in the application is refused even for old
rows. The 90 days are fixed here (`webapp.audit.retention.MIN_RETENTION_DAYS` says the same); changing them
takes a migration.

Revision ID: 0020_audit_retention
Revises: 0019_teams
Create Date: 2026-12-03
"""

from alembic import op

revision = "0020_audit_retention"
down_revision = "0019_teams"
branch_labels = None
depends_on = None

_REFUSE = "the audit log is append-only"
_DELETE_REFUSED = f"{_REFUSE}: only the retention purge deletes, and only events older than 90 days"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""CREATE OR REPLACE FUNCTION audit_events_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                       BEGIN
                         IF TG_OP = 'DELETE' THEN
                           IF OLD.at < (now() AT TIME ZONE 'UTC') - interval '90 days'
                              AND coalesce(current_setting('cxroi.audit_purge', true), '') = 'on' THEN
                             RETURN OLD;
                           END IF;
                           RAISE EXCEPTION '{_DELETE_REFUSED}';
                         END IF;
                         RAISE EXCEPTION '{_REFUSE}';
                       END $$""")
    else:
        op.execute("DROP TRIGGER audit_events_no_delete")
        op.execute("CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
                   "WHEN OLD.at >= strftime('%Y-%m-%d %H:%M:%f', 'now', '-90 days') "
                   f"BEGIN SELECT RAISE(ABORT, '{_DELETE_REFUSED}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""CREATE OR REPLACE FUNCTION audit_events_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                       BEGIN RAISE EXCEPTION '{_REFUSE}'; END $$""")
    else:
        op.execute("DROP TRIGGER audit_events_no_delete")
        op.execute(f"CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
                   f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END")
