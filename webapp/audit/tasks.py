"""The queue's daily audit-log retention run (`webapp.audit.retention`): with `CXROI_AUDIT_RETENTION_DAYS` set,
events older than that are deleted, each batch with its `audit_purged` event; unset, nothing is deleted. A
setting the database would refuse (under 90 days, not a number) is logged and nothing is deleted."""

from __future__ import annotations

import logging

from ..config import audit_retention_days_from_environment
from ..queue import crontab, huey, task_session
from .retention import AuditRetentionError, apply_retention, check_retention_days

log = logging.getLogger(__name__)


def run_audit_retention() -> int:
    """One run with the environment's setting; returns the events deleted."""
    try:
        days = check_retention_days(audit_retention_days_from_environment())
    except AuditRetentionError as refused:
        log.error("audit log retention not applied: %s", refused)
        return 0
    if days is None:
        return 0
    with task_session() as session:
        deleted = apply_retention(session, days)
    if deleted:
        log.info("audit log retention: deleted %d events older than %d days", deleted, days)
    return deleted


@huey.periodic_task(crontab(minute="41", hour="3"), retries=2, retry_delay=600)
def apply_audit_retention_daily() -> None:
    """Every day at 03:41 UTC (a quiet hour, apart from the responses' retention run at 02:23)."""
    run_audit_retention()
