"""The mail tasks of the queue (`webapp.queue`): one `send_mail` per message, retried with backoff while the
SMTP server defers it; a sweep that queues again what a crash left behind; the per-survey reminder schedule.

Every task is idempotent: `mailing.send_message` claims its row with a conditional UPDATE, so a task queued
twice (by the sweep and a retry, or on two workers) sends the message once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from ..config import mail_lease_seconds_from_environment
from ..queue import crontab, huey, task_session
from . import mailing

log = logging.getLogger("cxroi.mail")

SEND_RETRIES = 10
RETRY_DELAY_SECONDS = 60
RETRY_BACKOFF = 2.0
"""A deferred message is tried again after 1, 2, 4, … minutes (about 17 hours over the ten retries); the sweep
queues it again after that, so a long outage delays mail but loses none."""
SWEEP_AFTER = timedelta(minutes=15)


@huey.task(retries=SEND_RETRIES, retry_delay=RETRY_DELAY_SECONDS, retry_backoff=RETRY_BACKOFF)
def send_mail(message_id: int) -> str:
    """Send one message (invitation or reminder) unless it is sent, taken or refused already; a deferral
    raises `MailDeferred`, which the queue retries with backoff."""
    settings = mailing.MailSettings.from_environment()
    with task_session() as session:
        state = mailing.send_message(session, message_id, settings)
    if state == "deferred":
        raise mailing.MailDeferred(f"mail message {message_id} deferred by the SMTP server; retried later")
    return state


def enqueue(message_ids: list[int]) -> None:
    for message_id in message_ids:
        send_mail(message_id)


@huey.periodic_task(crontab(minute="*/15"))
def sweep_mail() -> int:
    """Queue again the messages nothing is working on: queued or deferred for a while (a crash between the
    commit and the queueing, retries used up) and claims older than the lease (a worker that died)."""
    with task_session() as session:
        ids = mailing.due_messages(session, older_than=SWEEP_AFTER, lease_seconds=mail_lease_seconds_from_environment())
    enqueue(ids)
    return len(ids)


@huey.periodic_task(crontab(minute="*"))
def recover_mail_claims() -> int:
    """Every minute (and so at the start of every `cxroi worker --burst`): the messages a worker that died was
    holding. Huey had taken their task off the queue, so nothing else would send them: a claim that never
    reached DATA is queued again; one that did is marked unknown (`mailing.settle_lost_transmissions`)."""
    with task_session() as session:
        ids = mailing.lost_claims(session, lease_seconds=mail_lease_seconds_from_environment())
    enqueue(ids)
    return len(ids)


@huey.periodic_task(crontab(minute="7"))
def send_scheduled_reminders() -> int:
    """Every hour: for each open survey with a reminder schedule, one reminder to each invitee who has neither
    completed nor opted out and was invited at least that many days ago."""
    total = 0
    with task_session() as session:
        for slug, days in mailing.reminder_schedules(session):
            queued = mailing.queue_reminders(session, slug, after_days=days)
            enqueue(queued.message_ids)
            total += len(queued.message_ids)
            if queued.message_ids:
                log.info("queued %d reminder(s) for %s", len(queued.message_ids), slug)
    return total
