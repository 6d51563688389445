"""The queue's daily retention run (`webapp.privacy.retention.apply_retention`): every survey's responses older
than its retention are deleted or anonymised, in batches, and the run is recorded in the audit log. Idempotent:
a run that a killed worker cut short leaves whole batches done, and the next day's run does the rest."""

from __future__ import annotations

from ..queue import crontab, huey, task_session
from .retention import apply_retention


@huey.periodic_task(crontab(minute="23", hour="2"), retries=2, retry_delay=600)
def apply_retention_daily() -> None:
    """Every day at 02:23 UTC (a quiet hour, off the round minutes other schedules use)."""
    with task_session() as session:
        apply_retention(session)
