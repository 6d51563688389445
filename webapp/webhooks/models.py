"""Webhook subscriptions and their deliveries (migration 0016_webhooks)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.storage.models import Base, utcnow

EVENTS = ("response.completed", "case.created", "report.finished", "survey.published")
DELIVERY_STATES = ("pending", "delivered", "failed")
"""pending: queued or waiting for its next attempt; delivered: the target answered 2xx; failed: every attempt
was refused or errored (a replay makes a new attempt)."""


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    events: Mapped[str] = mapped_column(sa.String(400))
    """Space-separated event names."""
    secret: Mapped[str] = mapped_column(sa.String(100))
    """Signs each delivery (HMAC-SHA256); shown to the admin who made the subscription, and on its page."""
    active: Mapped[bool] = mapped_column(default=True)
    team: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    """The team named before teams existed (kept by migration 0019; `team_id` is what counts)."""
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id"), default=None)
    """The team whose events this subscription hears (migration 0019)."""
    created_by: Mapped[str] = mapped_column(sa.String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def wants(self, event: str) -> bool:
        return self.active and event in self.events.split()


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_subscriptions.id"), index=True)
    event: Mapped[str] = mapped_column(sa.String(64))
    event_id: Mapped[str] = mapped_column(sa.String(64))
    """The same for every delivery of one event (and for a replay): receivers use it to drop duplicates."""
    body: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_status: Mapped[int | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(sa.Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
