"""`cxroi worker`: run the task queue's consumer (report analyses, mail, schedules), or, with `--burst`, run what
is due and exit (tests, cron-style deployments). docs/deployment.md says how many to run and where."""

from __future__ import annotations

import logging
import os
import signal
import sys

import click

from .root import cli


def _die_with_parent(parent: int) -> None:
    """In a forked worker process: be killed when the consumer that started it dies (even by SIGKILL), so no
    orphan keeps taking tasks; its jobs' leases then run out and another worker picks them up (Linux only)."""
    if os.getpid() == parent or not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return
    if os.getppid() != parent:  # the consumer died before the line above
        os._exit(1)


@cli.command("worker")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Tasks run at once: worker processes (or threads with --burst). Each runs one task at a time, "
                   "so this is also the most report analyses this worker runs at once.")
@click.option("--burst", is_flag=True,
              help="Run every task that is due (queued, scheduled for now, periodic tasks of this minute), then exit.")
@click.option("--threads", "use_threads", is_flag=True,
              help="Thread workers instead of processes (less memory; analyses then share one CPU core).")
def worker(workers: int, burst: bool, use_threads: bool) -> None:
    """Run the task queue's consumer: report analyses and the other background work.

    The queue is `CXROI_QUEUE_URL` (default: the SQLite file queue.sqlite3 in the instance folder) and the
    database `CXROI_DATABASE_URL`, the same as the web app's. Stop it with Ctrl-C (finishes the running tasks)
    or SIGTERM (stops at once; interrupted report jobs are picked up again by a worker).
    """
    from ..config import (
        database_url_from_environment,
        queue_name_from_environment,
        queue_url_from_environment,
    )
    from ..queue import configure, drain, huey, load_tasks
    from ..storage.engine import upgrade_database

    database_url, queue_url = database_url_from_environment(), queue_url_from_environment()
    upgrade_database(database_url)  # as every command does: the tasks' tables exist
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    configure(queue_url=queue_url, queue_name=queue_name_from_environment(), database_url=database_url)
    load_tasks()
    shown = _shown(queue_url)
    try:
        huey.pending_count()  # the queue's storage answers (a file is created, a Redis server is reached)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    except Exception as error:  # redis ConnectionError, sqlite3 OperationalError …
        raise click.ClickException(f"cannot use the task queue at {shown} (CXROI_QUEUE_URL): {error}") from None
    from .mail_support import check_mail_settings

    check_mail_settings()  # a CXROI_MAIL_URL that is not an SMTP URL: one line, before any task runs
    if burst:
        count = drain(workers=workers)
        click.echo(f"ran {count} task(s) from {shown}; nothing else is due")
        return
    parent = os.getpid()
    click.echo(f"worker: {workers} {'threads' if use_threads else 'processes'} on {shown}", err=True)
    consumer = huey.create_consumer(workers=workers, worker_type="thread" if use_threads else "process",
                                    periodic=True, check_worker_health=True)
    set_up_child = consumer.environment.init_child  # run in each forked process (workers and scheduler)

    def init_child(process: object) -> None:
        _die_with_parent(parent)
        set_up_child(process)

    consumer.environment.init_child = init_child
    consumer.run()


def _shown(url: str) -> str:
    """The queue URL without its password."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        host = parts.netloc.rsplit("@", 1)[1]
        user = f"{parts.username}:***@" if parts.username else ":***@"
        return parts._replace(netloc=user + host).geturl()
    return url
