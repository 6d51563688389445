"""The webhook tasks of the queue: one attempt per task, the next attempt scheduled with exponential backoff,
and a sweep every minute that queues what a crash or a queue outage left pending."""

from __future__ import annotations

import logging

from ..config import webhook_allow_private_from_environment, webhook_retry_seconds_from_environment
from ..queue import crontab, huey, task_session
from . import service

log = logging.getLogger("cxroi.webhooks")


@huey.task()
def deliver_webhook(delivery_id: int) -> str:
    first = webhook_retry_seconds_from_environment()
    with task_session() as session:
        state = service.deliver(session, delivery_id, allow_private=webhook_allow_private_from_environment(),
                                first_retry_seconds=first)
        if state == "retry":
            delivery = session.get(service.WebhookDelivery, delivery_id)
            wait = service.retry_delay(delivery.attempts if delivery else 1, first).total_seconds()
            deliver_webhook.schedule(args=(delivery_id,), delay=wait)
    return state


def deliver_later(delivery_ids: list[int]) -> None:
    """Queue the deliveries after their event was committed; never fails the caller (the sweep queues them once
    the queue is back)."""
    try:
        for delivery_id in delivery_ids:
            deliver_webhook(delivery_id)
    except Exception:
        log.exception("could not queue webhook deliveries %s; the sweep will", delivery_ids)


@huey.periodic_task(crontab(minute="*"))
def sweep_webhook_deliveries() -> int:
    with task_session() as session:
        due = service.due_deliveries(session)
    deliver_later(due)
    return len(due)
