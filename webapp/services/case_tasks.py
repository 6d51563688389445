"""The follow-up case tasks of the queue (`webapp.queue`): the owner's notification of a new (or re-assigned)
case, retried with backoff while the SMTP server defers it, and a sweep that queues again what a crash or a
queue outage left behind.

`cases.notifications.send_notification` claims the case's notification with a conditional UPDATE and records who was
mailed, so a task queued twice (a retry and the sweep, or two workers) notifies each recipient once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from ..cases import notifications
from ..queue import crontab, huey, task_session
from . import mailing

log = logging.getLogger("cxroi.cases")

NOTIFY_RETRIES = 10
RETRY_DELAY_SECONDS = 60
RETRY_BACKOFF = 2.0
SWEEP_AFTER = timedelta(minutes=5)


@huey.task(retries=NOTIFY_RETRIES, retry_delay=RETRY_DELAY_SECONDS, retry_backoff=RETRY_BACKOFF)
def notify_case(case_id: int) -> str:
    """Mail the case's owner (or its team's members); a deferral raises `MailDeferred`, retried by the queue."""
    settings = mailing.MailSettings.from_environment()
    with task_session() as session:
        state = notifications.send_notification(session, case_id, settings)
    if state == "deferred":
        raise mailing.MailDeferred(f"notification of case {case_id} deferred by the SMTP server; retried later")
    return state


def enqueue(case_ids: list[int]) -> None:
    for case_id in case_ids:
        notify_case(case_id)


def notify_later(case_ids: list[int]) -> None:
    """Queue the owners' notifications after the cases were committed; never fails the caller (a respondent's
    submit, a page): with the queue's storage down, the periodic sweep queues them once it is back."""
    if not case_ids:
        return
    try:
        enqueue(case_ids)
    except Exception:
        log.exception("could not queue the notification of case(s) %s; the sweep will", case_ids)


@huey.periodic_task(crontab(minute="*/5"))
def sweep_case_notifications() -> int:
    """Queue again the notifications nobody is working on (queued or deferred a while ago, or claimed by a
    worker that died)."""
    with task_session() as session:
        ids = notifications.due_notifications(session, older_than=SWEEP_AFTER)
    enqueue(ids)
    return len(ids)
