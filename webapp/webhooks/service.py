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
import io
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

from webapp.audit import service as audit_log  # a module: audit.service imports services, which import this
from webapp.services.errors import HostingError
from webapp.storage.models import SurveyRecord, utcnow
from webapp.storage.teams import Team, default_team_id

from .models import EVENTS, WebhookDelivery, WebhookSubscription
from .targets import Target, TargetRefused, check_target

MAX_ATTEMPTS = 8
"""Attempts per delivery before it is marked failed (about two hours with the backoff below)."""
FIRST_RETRY_SECONDS = 60
BACKOFF = 2.0
TIMEOUT_SECONDS = 10.0
"""The whole attempt (connect, send, the answer) must fit in this; a receiver that dribbles is cut off."""
CLAIM_SECONDS = 60
"""How long a claimed attempt is left alone before the sweep may try again (longer than any attempt lasts)."""
SIGNATURE_HEADER = "X-Cxroi-Signature"


class WebhookError(HostingError):
    title = "Webhook problem"


def subscribe(session: Session, url: str, events: list[str], *, created_by: str, allow_private: bool,
              team_id: int | None = None) -> WebhookSubscription:
    """A new active subscription of the team `team_id` (default: the team called `default`) with a fresh
    secret; the URL is checked (`targets`) and the events known."""
    unknown = [event for event in events if event not in EVENTS]
    if not events or unknown:
        raise WebhookError(f"choose events among {', '.join(EVENTS)}" + (f"; unknown: {', '.join(unknown)}"
                                                                          if unknown else ""))
    if len(url) > 2000:
        raise TargetRefused("the webhook URL is longer than 2,000 characters")
    check_target(url, allow_private=allow_private)
    if team_id is not None and session.get(Team, team_id) is None:
        raise WebhookError(f"there is no team number {team_id}")
    subscription = WebhookSubscription(url=url.strip(), events=" ".join(dict.fromkeys(events)),
                                       secret="whsec_" + secrets.token_urlsafe(24),
                                       team_id=default_team_id(session) if team_id is None else team_id,
                                       created_by=created_by, created_at=utcnow())
    session.add(subscription)
    session.commit()
    return subscription


def emit(session: Session, event: str, data: Mapping[str, Any]) -> list[int]:
    """Store one pending delivery of `event` per subscription that wants it, in the caller's transaction
    (flushed, not committed); returns their ids for `tasks.deliver_later` after the commit."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    wanting = [s for s in session.scalars(sa.select(WebhookSubscription).where(
        WebhookSubscription.active.is_(True), _of_the_team_of(data.get("survey")))) if s.wants(event)]
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


def _of_the_team_of(slug: Any) -> sa.ColumnElement[bool]:
    """Subscriptions of the team that owns the event's survey (each team hears only its own events)."""
    surveys = SurveyRecord.__table__
    owner = sa.select(surveys.c.team_id).where(surveys.c.slug == str(slug)).scalar_subquery()
    return WebhookSubscription.team_id == owner


def signature(secret: str, timestamp: int, body: str) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the subscription's secret>`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class _Deadline(socket.SocketIO):
    """A socket reader that gives up when the attempt's deadline passes, whatever the peer sends."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__(sock, "rb")
        self._deadline = deadline

    def readinto(self, buffer: Any) -> int | None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the target took too long to answer")
        self._sock.settimeout(left)
        return super().readinto(buffer)


class _DeadlineSocket:
    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock, self._deadline = sock, deadline

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        # as socket.makefile does: the socket stays open until this reader is closed too (SocketIO.close)
        self._sock._io_refs += 1  # type: ignore[attr-defined]
        return io.BufferedReader(_Deadline(self._sock, self._deadline))

    def sendall(self, data: bytes) -> None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the target took too long to take the request")
        self._sock.settimeout(left)
        self._sock.sendall(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _post(target: Target, headers: dict[str, str], body: bytes, timeout: float) -> int:
    """POST to the checked address (never a second lookup of the name) within `timeout` seconds in all; the
    HTTP status."""
    deadline = time.monotonic() + timeout
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = http.client.HTTPSConnection(target.host, target.port, timeout=timeout,
                                                 context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    connection._create_connection = (  # type: ignore[attr-defined]
        lambda _address, *args, **kwargs: socket.create_connection((target.address, target.port), *args, **kwargs))
    try:
        connection.connect()
        connection.sock = _DeadlineSocket(connection.sock, deadline)  # type: ignore[assignment]
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
               WebhookDelivery.attempts == delivery.attempts, WebhookDelivery.attempts < MAX_ATTEMPTS,
               sa.or_(WebhookDelivery.next_attempt_at.is_(None),
                      WebhookDelivery.next_attempt_at <= utcnow() + CLOCK_SLACK))
        .values(attempts=delivery.attempts + 1,
                next_attempt_at=utcnow() + timedelta(seconds=CLAIM_SECONDS)))
    session.commit()
    return claimed.rowcount == 1


def deliver(session: Session, delivery_id: int, *, allow_private: bool, first_retry_seconds: float = FIRST_RETRY_SECONDS,
            timeout: float = TIMEOUT_SECONDS) -> str:
    """One attempt at a pending delivery: 'delivered', 'retry' (a later attempt is due), 'failed' (no attempts
    left) or 'skipped' (delivered already, or another worker has this attempt)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.state != "pending":
        return "skipped"
    subscription = session.get(WebhookSubscription, delivery.subscription_id)
    if subscription is None or not subscription.active:
        session.rollback()
        return "paused"  # kept pending: resuming the webhook queues it again (`set_active`)
    if not _claim(session, delivery):
        return "skipped"
    session.refresh(delivery)
    claimed = delivery.attempts
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
    except Exception as failure:  # noqa: BLE001 (any failure of an attempt is recorded, never left hanging)
        error = f"could not deliver: {failure.__class__.__name__}: {failure}"[:1000]
    now = utcnow()
    if error is None:
        values: dict[str, Any] = {"state": "delivered", "delivered_at": now, "next_attempt_at": None}
    elif claimed >= MAX_ATTEMPTS:
        values = {"state": "failed", "next_attempt_at": None}
    else:
        values = {"next_attempt_at": now + retry_delay(claimed, first_retry_seconds)}
    # Only the attempt still holding the claim records its result (a stale worker never overwrites a newer one).
    recorded = session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.attempts == claimed,
               WebhookDelivery.state == "pending")
        .values(last_status=status, last_error=error, **values).execution_options(synchronize_session=False))
    session.commit()
    if not recorded.rowcount:  # type: ignore[attr-defined]
        return "skipped"
    return "delivered" if error is None else ("failed" if values.get("state") == "failed" else "retry")


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
    return list(session.scalars(
        sa.select(WebhookDelivery.id).join(WebhookSubscription, WebhookDelivery.subscription_id == WebhookSubscription.id)
        .where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= moment,
               WebhookDelivery.attempts < MAX_ATTEMPTS, WebhookSubscription.active.is_(True))
        .order_by(WebhookDelivery.id)))


def subscriptions(session: Session) -> list[WebhookSubscription]:
    return list(session.scalars(sa.select(WebhookSubscription).order_by(WebhookSubscription.id)))


def deliveries(session: Session, subscription_id: int, limit: int = 200) -> list[WebhookDelivery]:
    return list(session.scalars(sa.select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
                                .order_by(WebhookDelivery.id.desc()).limit(limit)))


def set_active(session: Session, subscription_id: int, active: bool, *, actor: str = "cli",
               client: str = "") -> bool:
    """Pause (`active` False) or resume a subscription; True when this call changed it. The wanted state is
    set, never flipped, by a conditional UPDATE: a repeated or concurrent request for the same state changes
    nothing and records nothing; a real change is audited in the same transaction."""
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise WebhookError(f"there is no webhook subscription number {subscription_id}")
    changed = session.execute(sa.update(WebhookSubscription)
                              .where(WebhookSubscription.id == subscription_id,
                                     WebhookSubscription.active.is_not(active))
                              .values(active=active).execution_options(synchronize_session=False)).rowcount
    if not changed:
        session.commit()
        return False
    if active:  # what waited while it was paused is due now
        session.execute(sa.update(WebhookDelivery)
                        .where(WebhookDelivery.subscription_id == subscription_id, WebhookDelivery.state == "pending")
                        .values(next_attempt_at=utcnow()))
    audit_log.record(session, "webhook_resumed" if active else "webhook_paused", actor=actor, target=subscription.url,
           client=client)
    session.commit()
    session.refresh(subscription)
    return True
