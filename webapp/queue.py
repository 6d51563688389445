"""The task queue: background work (report analyses, mail, reminders, purges) runs on Huey, in `cxroi worker`.

Defining a task (in the module of the feature it belongs to)::

    from webapp.queue import crontab, huey, task_session

    @huey.task(retries=3, retry_delay=30)          # retried on an exception, 30 s apart
    def send_invitation(invitation_id: int) -> None:
        with task_session() as session:              # the worker's own session; commit yourself
            ...

    @huey.periodic_task(crontab(minute="*/5"))     # a schedule of the queue, never a thread in the web process
    def send_due_reminders() -> None:
        ...

    send_invitation(42)                              # from a view, a command or another task: queued, not run

Then add the module's name to `TASK_MODULES` below, so `cxroi worker` imports it and knows its tasks.

Rules for tasks:

* A task runs in the worker process, not in a request: no `flask.g`, no `get_db()`. Open a session with
  `task_session()` (over the configured database, `CXROI_DATABASE_URL`) and pass ids, never ORM objects or
  secrets, as arguments (arguments are pickled into the queue's storage).
* Huey takes a task off the queue before running it: a worker killed in the middle loses that message. A task
  whose work must survive a dead worker keeps its state in the database and is made idempotent (report jobs:
  a lease on the job row, renewed by a heartbeat, and a periodic task that queues again a job whose lease ran
  out, see `webapp.services.reporting`).
* Retries are for transient failures (database or SMTP server unreachable): raise, and Huey runs the task again
  after `retry_delay`. Bad input is recorded on the row and not retried.

Storage is chosen by `CXROI_QUEUE_URL` (`webapp.config`): a SQLite file in the instance folder by default (no
setup; `make demo`), Redis (`redis://…`) in production. In a request the app's `QUEUE_URL` setting is used; in
the worker and the command line, the environment's (or what `configure` was given). docs/queue.md says why Huey.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from huey import Huey, crontab
from huey.storage import BaseStorage, RedisStorage, SqliteStorage
from sqlalchemy.orm import Session

from .config import database_url_from_environment, queue_name_from_environment, queue_url_from_environment
from .storage.engine import create_engine_for, session_factory

__all__ = ["TASK_MODULES", "configure", "crontab", "drain", "huey", "load_tasks", "queue_target", "storage_for",
           "task_session"]

log = logging.getLogger(__name__)

TASK_MODULES = (
    "webapp.services.reporting",
    "webapp.services.mail_tasks",
    "webapp.services.case_tasks",
    "webapp.webhooks.tasks",
    "webapp.privacy.tasks",
    "webapp.audit.tasks",
    "webapp.services.report_schedules",
)
"""Modules that declare tasks on `huey`; `cxroi worker` imports each before it starts."""

REDIS_SCHEMES = ("redis", "rediss", "unix")

_settings: dict[str, str | None] = {"queue_url": None, "queue_name": None, "database_url": None}
_storages: dict[tuple[str, str], BaseStorage] = {}
_lock = threading.Lock()


def configure(*, queue_url: str | None = None, queue_name: str | None = None,
              database_url: str | None = None) -> None:
    """Set what this process uses outside a request (the worker, the CLI, a test); None: the environment's."""
    _settings.update(queue_url=queue_url, queue_name=queue_name, database_url=database_url)


def queue_target() -> tuple[str, str]:
    """(storage URL, queue name) in use here: the current app's settings in a request, else `configure`'s or the
    environment's."""
    if has_app_context() and current_app.config.get("QUEUE_URL"):
        return current_app.config["QUEUE_URL"], current_app.config.get("QUEUE_NAME") or queue_name_from_environment()
    return (_settings["queue_url"] or queue_url_from_environment(),
            _settings["queue_name"] or queue_name_from_environment())


def storage_for(url: str, name: str) -> BaseStorage:
    """The Huey storage at `url` (one per URL and name in each process)."""
    with _lock:
        storage = _storages.get((url, name))
        if storage is None:
            storage = _storages[(url, name)] = _make_storage(url, name)
        return storage


def _make_storage(url: str, name: str) -> BaseStorage:
    scheme = urlsplit(url).scheme.lower()
    if scheme in REDIS_SCHEMES:
        # blocking: a worker waits on the list (BRPOP) instead of polling it
        return RedisStorage(name, url=url, blocking=True, read_timeout=1)
    if scheme == "sqlite":
        path = Path(url.split(":///", 1)[1]) if ":///" in url else None
        if path is None or not str(path):
            raise ValueError(f"CXROI_QUEUE_URL: a SQLite queue is sqlite:///PATH, not {url!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteStorage(name, filename=str(path), timeout=30)
    raise ValueError(f"CXROI_QUEUE_URL must start with redis://, rediss://, unix:// or sqlite:///, not {url!r}")


class CxroiHuey(Huey):
    """A Huey whose storage is looked up on each use (`queue_target`), so one set of task declarations serves
    the web app (its own setting), the worker and the tests (each their own queue)."""

    def create_storage(self) -> None:
        return None

    @property
    def storage(self) -> BaseStorage:
        return storage_for(*queue_target())

    @storage.setter
    def storage(self, _value: Any) -> None:
        pass  # Huey assigns create_storage() when it starts; the storage is chosen on use instead


huey = CxroiHuey(name="cxroi", results=False, utc=True)
"""The queue. Declare tasks with `@huey.task(...)` and `@huey.periodic_task(crontab(...))`."""


def load_tasks() -> None:
    """Import every module of `TASK_MODULES`, so this process knows every task."""
    for name in TASK_MODULES:
        importlib.import_module(name)


@contextmanager
def task_session() -> Iterator[Session]:
    """A database session for a task, over the configured database (`configure`, else `CXROI_DATABASE_URL`).

    A new engine for each task, disposed at the end: a task may run in a forked worker process, which must not
    share connections with its parent.
    """
    engine = create_engine_for(_settings["database_url"] or database_url_from_environment())
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def task_database_url() -> str:
    """The database URL tasks use (for a task that needs its own connections, e.g. a heartbeat thread)."""
    return _settings["database_url"] or database_url_from_environment()


def drain(*, workers: int = 1, now: datetime | None = None, periodic: bool = True) -> int:
    """Burst mode: run every task that is due (queued, scheduled for now or earlier, and, with `periodic`, the
    periodic tasks whose schedule matches this minute), with `workers` threads, until the queue is empty and no
    scheduled task is due; returns the number of tasks run. A task scheduled for later (a retry waiting for its
    delay) stays in the schedule for the next run.

    Huey has no burst mode of its own; this uses its public API (`read_periodic`, `read_schedule`, `enqueue`,
    `dequeue`, `execute`), as its consumer's scheduler and workers do.
    """
    if periodic:
        for task in huey.read_periodic(now):
            huey.enqueue(task)
    counts = [0] * max(1, workers)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            while True:
                for due in huey.read_schedule(now):
                    huey.enqueue(due)
                task = huey.dequeue()
                if task is None:
                    return
                counts[index] += 1
                huey.execute(task, now)  # a task raising is handled (retried or logged) by Huey itself
        except BaseException as error:  # the queue's storage failing: reported by the caller
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,), name=f"cxroi-burst-{n + 1}") for n in range(len(counts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return sum(counts)
