"""Recording audit events and reading them back (no Flask here: views and commands pass who and from where).

Events are added to the caller's transaction, so an action and its audit line are stored together or not at
all; the table itself refuses UPDATE and DELETE (migration 0012_platform).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.storage.models import utcnow

from .models import AuditEvent

ACTIONS = (
    "sign_in", "sign_in_failed", "sign_out",
    "user_created", "user_deactivated", "user_activated", "role_changed", "password_reset",
    "survey_published", "survey_closed", "survey_reopened", "definition_uploaded",
    "responses_exported", "report_downloaded", "customer_erased",
    "api_key_created", "api_key_revoked", "api_key_transferred", "invitations_created", "report_started",
    "webhook_created", "webhook_paused", "webhook_resumed", "webhook_replayed",
    "retention_set", "retention_applied", "sso_unlinked", "audit_purged",
    "report_shared", "report_share_revoked", "report_scheduled", "report_unscheduled",
)
"""Every action the log knows; `record` refuses any other name, so a typo cannot hide an event."""
CLI_ACTOR = "cli"
ANONYMOUS = "anonymous"
FIELDS = ("at", "actor", "action", "target", "client", "detail")


def record(session: Session, action: str, *, actor: str, target: str = "", client: str = "",
           detail: dict[str, Any] | None = None) -> None:
    """Add one event to the session's transaction (stored when the caller commits)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    session.add(AuditEvent(at=utcnow(), actor=actor[:320], action=action, target=target[:400],
                           client=client[:64], detail=json.dumps(detail or {}, sort_keys=True, allow_nan=False)))


@dataclass(frozen=True)
class AuditFilter:
    """What the admin asked to see; empty parts match everything."""

    action: str = ""
    actor: str = ""
    target: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        conditions: list[sa.ColumnElement[bool]] = []
        if self.action:
            conditions.append(AuditEvent.action == self.action)
        if self.actor:
            conditions.append(AuditEvent.actor == self.actor.strip().lower())
        if self.target:
            conditions.append(AuditEvent.target == self.target.strip())
        if self.since is not None:
            conditions.append(AuditEvent.at >= self.since)
        if self.until is not None:
            conditions.append(AuditEvent.at < self.until)
        return conditions


def events(session: Session, wanted: AuditFilter, *, limit: int | None = 500) -> Sequence[AuditEvent]:
    """The newest events first that match `wanted` (at most `limit`; None: all of them, for an export)."""
    query = sa.select(AuditEvent).where(*wanted.where()).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return session.scalars(query).all()


def as_rows(found: Sequence[AuditEvent]) -> list[dict[str, Any]]:
    return [{"at": event.at.isoformat(timespec="seconds") + "Z", "actor": event.actor, "action": event.action,
             "target": event.target, "client": event.client, "detail": json.loads(event.detail)}
            for event in found]


def as_csv(found: Sequence[AuditEvent]) -> str:
    """CSV with a header; the detail column holds the JSON object. Cells a spreadsheet would run as a formula
    (a target or actor typed by someone) are prefixed with a quote, as in every other export."""
    from webapp.services.cells import neutralise_formula  # a leaf: the services import this module

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    for row in as_rows(found):
        row["detail"] = json.dumps(row["detail"], sort_keys=True)
        writer.writerow([neutralise_formula(str(row[name])) for name in FIELDS])
    return out.getvalue()
