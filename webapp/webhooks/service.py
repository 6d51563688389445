"""Subscribing, emitting events and delivering them.

An event is stored as one delivery row per subscription that wants it, in the transaction of what caused it
(a completed response, a new case, a finished report, a publication), so an event is never lost when the
queue is down: the caller queues the deliveries after its commit, and a periodic sweep queues whatever is still
pending. Delivery is at least once: each attempt is claimed with a conditional UPDATE, the receiver may still
see an event twice (a worker killed after the POST, a replay) and drops repeats by `id` (docs/webhooks.md).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import secrets
import socket
import ssl
import time
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.services.errors import HostingError
from webapp.storage.models import utcnow

from .models import EVENTS, WebhookDelivery, WebhookSubscription
from .targets import Target, TargetRefused, check_target

MAX_ATTEMPTS = 8
"""Attempts per delivery before it is marked failed (about 4 hours with the backoff below)."""
FIRST_RETRY_SECONDS = 60
BACKOFF = 2.0
TIMEOUT_SECONDS = 10.0
SIGNATURE_HEADER = "X-Cxroi-Signature"


class WebhookError(HostingError):
    title = "Webhook problem"


def subscribe(session: Session, url: str, events: list[str], *, created_by: str, allow_private: bool,
              team: str | None = None) -> WebhookSubscription:
    """A new active subscription with a fresh secret; the URL is checked (`targets`) and the events known."""
    unknown = [event for event in events if event not in EVENTS]
    if not events or unknown:
        raise WebhookError(f"choose events among {', '.join(EVENTS)}" + (f"; unknown: {', '.join(unknown)}"
                                                                          if unknown else ""))
    if len(url) > 2000:
        raise TargetRefused("the webhook URL is longer than 2,000 characters")
    check_target(url, allow_private=allow_private)
    subscription = WebhookSubscription(url=url.strip(), events=" ".join(dict.fromkeys(events)),
                                       secret="whsec_" + secrets.token_urlsafe(24), team=team,
                                       created_by=created_by, created_at=utcnow())
    session.add(subscription)
    session.commit()
    return subscription


def emit(session: Session, event: str, data: Mapping[str, Any]) -> list[int]:
    """Store one pending delivery of `event` per subscription that wants it, in the caller's transaction
    (flushed, not committed); returns their ids for `tasks.deliver_later` after the commit."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    wanting = [s for s in session.scalars(sa.select(WebhookSubscription).where(WebhookSubscription.active.is_(True)))
               if s.wants(event)]
    if not wanting:
        return []
    event_id = f"evt_{uuid.uuid4().hex}"
    now = utcnow()
    body = json.dumps({"id": event_id, "type": event, "created_at": now.isoformat(timespec="seconds") + "Z",
                       "data": dict(data)}, sort_keys=True, default=str, allow_nan=False)
    deliveries = [WebhookDelivery(subscription_id=s.id, event=event, event_id=event_id, body=body,
                                  created_at=now, next_attempt_at=now) for s in wanting]
    session.add_all(deliveries)
    session.flush()
    return [delivery.id for delivery in deliveries]


def forget(session: Session, delivery_ids: list[int]) -> None:
    """Drop deliveries of an event that turned out not to happen (committed with what did not). Commits."""
    session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.id.in_(delivery_ids)))
    session.commit()


def signature(secret: str, timestamp: int, body: str) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the subscription's secret>`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def _post(target: Target, headers: dict[str, str], body: bytes, timeout: float) -> int:
    """POST to the checked address (never a second lookup of the name); the HTTP status."""
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = http.client.HTTPSConnection(target.host, target.port, timeout=timeout,
                                                 context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    connection._create_connection = (  # type: ignore[attr-defined]
        lambda _address, *args, **kwargs: socket.create_connection((target.address, target.port), *args, **kwargs))
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
        return response.status
    finally:
        connection.close()


CLOCK_SLACK = timedelta(seconds=5)
"""A scheduled retry may start this much before its stored time (the queue's clock and ours differ)."""


def _claim(session: Session, delivery: WebhookDelivery) -> bool:
    """Take this attempt if it is due (one worker per attempt, even when a retry and the sweep queue it twice:
    the winner moves `next_attempt_at` past the attempt's time, so the other finds it not due)."""
    claimed = session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id, WebhookDelivery.state == "pending",
               WebhookDelivery.attempts == delivery.attempts,
               sa.or_(WebhookDelivery.next_attempt_at.is_(None),
                      WebhookDelivery.next_attempt_at <= utcnow() + CLOCK_SLACK))
        .values(attempts=delivery.attempts + 1,
                next_attempt_at=utcnow() + timedelta(seconds=TIMEOUT_SECONDS * 3)))
    session.commit()
    return claimed.rowcount == 1


def deliver(session: Session, delivery_id: int, *, allow_private: bool, first_retry_seconds: float = FIRST_RETRY_SECONDS,
            timeout: float = TIMEOUT_SECONDS) -> str:
    """One attempt at a pending delivery: 'delivered', 'retry' (a later attempt is due), 'failed' (no attempts
    left) or 'skipped' (delivered already, or another worker has this attempt)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.state != "pending" or not _claim(session, delivery):
        return "skipped"
    session.refresh(delivery)
    subscription = session.get(WebhookSubscription, delivery.subscription_id)
    assert subscription is not None
    status: int | None = None
    try:
        target = check_target(subscription.url, allow_private=allow_private)
        timestamp = int(time.time())
        headers = {"Content-Type": "application/json", "User-Agent": "cxroi-webhooks/1",
                   "X-Cxroi-Event": delivery.event, "X-Cxroi-Delivery": delivery.event_id,
                   SIGNATURE_HEADER: signature(subscription.secret, timestamp, delivery.body)}
        status = _post(target, headers, delivery.body.encode(), timeout)
        error = None if 200 <= status < 300 else f"the target answered HTTP {status}"
    except TargetRefused as refused:
        error = str(refused)
    except (OSError, http.client.HTTPException) as failure:
        error = f"could not deliver: {failure.__class__.__name__}: {failure}"[:1000]
    now = utcnow()
    delivery.last_status, delivery.last_error = status, error
    if error is None:
        delivery.state, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.state, delivery.next_attempt_at = "failed", None
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts, first_retry_seconds)
    session.commit()
    return "delivered" if error is None else ("failed" if delivery.state == "failed" else "retry")


def retry_delay(attempts: int, first: float = FIRST_RETRY_SECONDS) -> timedelta:
    """The wait before attempt `attempts + 1`: `first` seconds, then twice as long each time (1, 2, 4 …
    minutes by default)."""
    return timedelta(seconds=first * BACKOFF ** (attempts - 1))


def replay(session: Session, delivery_id: int) -> WebhookDelivery:
    """A new pending delivery of the same event (same id and body) to the same subscription. Commits."""
    old = session.get(WebhookDelivery, delivery_id)
    if old is None:
        raise WebhookError(f"there is no webhook delivery number {delivery_id}")
    again = WebhookDelivery(subscription_id=old.subscription_id, event=old.event, event_id=old.event_id,
                            body=old.body, created_at=utcnow(), next_attempt_at=utcnow())
    session.add(again)
    session.commit()
    return again


def due_deliveries(session: Session, now: datetime | None = None) -> list[int]:
    """Pending deliveries whose next attempt is due (the sweep queues them: after a crash or a queue outage)."""
    moment = now or utcnow()
    return list(session.scalars(sa.select(WebhookDelivery.id).where(
        WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= moment).order_by(WebhookDelivery.id)))


def subscriptions(session: Session) -> list[WebhookSubscription]:
    return list(session.scalars(sa.select(WebhookSubscription).order_by(WebhookSubscription.id)))


def deliveries(session: Session, subscription_id: int, limit: int = 200) -> list[WebhookDelivery]:
    return list(session.scalars(sa.select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
                                .order_by(WebhookDelivery.id.desc()).limit(limit)))


def set_active(session: Session, subscription_id: int, active: bool) -> WebhookSubscription:
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise WebhookError(f"there is no webhook subscription number {subscription_id}")
    subscription.active = active
    session.commit()
    return subscription
