"""One audit event (schema and the append-only triggers in migration 0012_platform)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.storage.models import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(sa.String(320))
    """The signed-in user's e-mail, `cli` for a command, `anonymous` for a failed sign-in's visitor."""
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    target: Mapped[str] = mapped_column(sa.String(400), default="")
    """What was acted on: a survey slug, a user's e-mail, a report id; never a customer's personal data."""
    client: Mapped[str] = mapped_column(sa.String(64), default="")
    detail: Mapped[str] = mapped_column(sa.Text, default="{}")
    """A JSON object with the action's particulars (a new role, an export's format)."""
