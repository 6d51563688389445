"""Keeping the audit log from growing forever, without making it rewritable (docs/security.md, "Audit log").

The table stays append-only (migration 0020): no event is ever changed, and the database itself refuses to
delete one younger than `MIN_RETENTION_DAYS`. Older events are deleted only here: by the queue's daily task when
`CXROI_AUDIT_RETENTION_DAYS` is set (unset: kept forever), or by `cxroi audit purge --before DATE`, which can
first write them to an archive file. Each batch is deleted in one transaction with an `audit_purged` event saying
how many events before which time went, so a purge never leaves the log without a trace of itself.
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import datetime, timedelta
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.services.errors import HostingError
from webapp.storage.models import utcnow

from .models import AuditEvent
from .service import record

MIN_RETENTION_DAYS = 90
"""The youngest events that may be deleted are this old; migration 0020's triggers hold the same number."""
BATCH = 5000
"""Events deleted per transaction."""
QUEUE_ACTOR = "queue"
"""How the audit log names the daily task."""


class AuditRetentionError(HostingError):
    title = "Audit log retention"


def check_retention_days(value: str | int | None) -> int | None:
    """The retention in days from a setting: None keeps every event; fewer than `MIN_RETENTION_DAYS` or not a
    whole number is refused with the reason."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()):
        raise AuditRetentionError(f"CXROI_AUDIT_RETENTION_DAYS is {text!r}: give a whole number of days "
                                  f"(at least {MIN_RETENTION_DAYS}), or leave it unset to keep every event")
    days = int(text)
    if days < MIN_RETENTION_DAYS:
        raise AuditRetentionError(f"CXROI_AUDIT_RETENTION_DAYS is {days}: audit events are kept at least "
                                  f"{MIN_RETENTION_DAYS} days (the database refuses to delete younger ones)")
    return days


def _archived(event: AuditEvent) -> dict[str, Any]:
    return {"id": event.id, "at": event.at.isoformat() + "Z", "actor": event.actor, "action": event.action,
            "target": event.target, "client": event.client, "detail": json.loads(event.detail)}


def _flush(archive: IO[str]) -> None:
    """On disk before the batch is deleted (a file's data is synced too; an in-memory stream only flushed)."""
    archive.flush()
    with contextlib.suppress(AttributeError, OSError, ValueError):  # not a file (io.UnsupportedOperation)
        os.fsync(archive.fileno())


def purge_before(session: Session, before: datetime, *, actor: str, client: str = "",
                 archive: IO[str] | None = None) -> int:
    """Delete every audit event older than `before` (naive UTC), `BATCH` at a time; returns how many. With
    `archive`, each batch is first written to it as JSON lines (with the event's id, so an archive written twice
    by a purge cut short and run again is deduplicated by id) and flushed before the batch is deleted."""
    youngest = utcnow() - timedelta(days=MIN_RETENTION_DAYS)
    if before > youngest:
        raise AuditRetentionError(f"audit events are kept at least {MIN_RETENTION_DAYS} days: choose a date on "
                                  f"or before {youngest.date().isoformat()}")
    postgres = session.get_bind().dialect.name == "postgresql"
    deleted = 0
    while True:
        batch = session.scalars(sa.select(AuditEvent).where(AuditEvent.at < before)
                                .order_by(AuditEvent.id).limit(BATCH)).all()
        if not batch:
            break
        if archive is not None:
            archive.writelines(json.dumps(_archived(event), sort_keys=True) + "\n" for event in batch)
            _flush(archive)
        if postgres:  # the trigger lets this transaction, and only it, delete old events
            session.execute(sa.text("SET LOCAL cxroi.audit_purge = 'on'"))
        ids = [event.id for event in batch]
        session.execute(sa.delete(AuditEvent).where(AuditEvent.id.in_(ids))
                        .execution_options(synchronize_session=False))
        record(session, "audit_purged", actor=actor, client=client,
               detail={"before": before.isoformat() + "Z", "deleted": len(ids), "archived": archive is not None})
        session.commit()
        session.expunge_all()
        deleted += len(ids)
    return deleted


def apply_retention(session: Session, days: int) -> int:
    """Delete the events older than `days` days (the queue's daily task); returns how many."""
    return purge_before(session, utcnow() - timedelta(days=days), actor=QUEUE_ACTOR)
