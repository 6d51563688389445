"""The task queue (webapp.queue) on both storages: SQLite (the embedded default) and the real Redis server
(tests/services.py finds it; a database number and a queue name of these tests' own, cleaned up after).

Burst mode runs what is due and leaves what is not; periodic tasks are the queue's schedules; `cxroi worker
--burst` is a real subprocess. Report jobs on the queue are in test_reports_jobs.py."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.webapp.support.cli import clean_redis, redis_queue_url
from tests.webapp.support.web import ROOT
from webapp import queue
from webapp.config import queue_url_from_environment
from webapp.queue import crontab, drain, huey

ran: list[object] = []


@huey.task()
def record(value: object) -> None:
    ran.append(value)


@huey.task(retries=1, retry_delay=3600)
def fail_once(key: str) -> None:
    if key not in ran:
        ran.append(key)
        raise ConnectionError("the server is not there yet")
    ran.append(f"{key} again")


@huey.periodic_task(crontab(minute="*"))
def every_minute() -> None:
    ran.append("periodic")


@pytest.fixture(params=["sqlite", "redis"])
def queue_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The queue of one test, on each storage; `webapp.queue` is configured to use it, and restored after."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    if request.param == "redis":
        url = redis_queue_url(request.getfixturevalue("redis_url"))
    else:
        url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    queue.configure(queue_url=url, queue_name=name, database_url=f"sqlite:///{tmp_path / 'cxroi.sqlite3'}")
    ran.clear()
    try:
        yield url
    finally:
        queue.configure()
        if request.param == "redis":
            clean_redis(url, name)


def test_a_queued_task_waits_for_the_worker_and_burst_runs_it(queue_url: str) -> None:
    record("first")
    record("second")
    assert ran == [] and huey.pending_count() == 2  # queued, not run where it was called
    assert drain(periodic=False) == 2
    assert sorted(ran) == ["first", "second"] and huey.pending_count() == 0
    assert drain(periodic=False) == 0  # nothing left


def test_burst_uses_several_workers(queue_url: str) -> None:
    for number in range(20):
        record(number)
    assert drain(workers=3, periodic=False) == 20
    assert sorted(ran) == list(range(20))  # type: ignore[type-var]


def test_a_transient_failure_is_retried_after_its_delay_not_before(queue_url: str) -> None:
    fail_once("smtp")
    assert drain(periodic=False) == 1
    assert ran == ["smtp"] and huey.scheduled_count() == 1  # the retry waits for its delay
    assert drain(periodic=False) == 0  # not due: burst leaves it for a later run
    later = huey._get_timestamp() + timedelta(hours=2)  # as a run two hours from now would see it
    assert drain(now=later, periodic=False) == 1
    assert ran == ["smtp", "smtp again"] and huey.scheduled_count() == 0


def test_periodic_tasks_are_the_queues_schedules(queue_url: str) -> None:
    drain()
    assert ran.count("periodic") == 1  # due every minute: a burst run enqueues and runs it once
    ran.clear()
    drain(periodic=False)
    assert "periodic" not in ran


def test_the_storage_follows_the_url(tmp_path: Path) -> None:
    from huey.storage import RedisStorage, SqliteStorage

    assert isinstance(queue.storage_for("redis://127.0.0.1:6379/15", "x"), RedisStorage)  # nothing is sent yet
    assert isinstance(queue.storage_for(f"sqlite:///{tmp_path / 'q.sqlite3'}", "x"), SqliteStorage)
    with pytest.raises(ValueError, match="CXROI_QUEUE_URL must start with redis://"):
        queue.storage_for("amqp://127.0.0.1/", "x")


def test_the_default_queue_is_a_file_in_the_instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CXROI_QUEUE_URL", raising=False)
    assert queue_url_from_environment(tmp_path) == f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    monkeypatch.setenv("CXROI_QUEUE_URL", "redis://127.0.0.1:6379/3")
    assert queue_url_from_environment(tmp_path) == "redis://127.0.0.1:6379/3"


def worker_env(tmp_path: Path, queue_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `cxroi worker` subprocess on this test's database and queue."""
    return os.environ | {"CXROI_DATABASE_URL": f"sqlite:///{tmp_path / 'cxroi.sqlite3'}",
                         "CXROI_QUEUE_URL": queue_url, "CXROI_QUEUE_NAME": queue.queue_target()[1],
                         "CXROI_INSTANCE_PATH": str(tmp_path / "instance"), **extra}


def run_worker(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from webapp.cli import main; main()", "worker", *args],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_cxroi_worker_burst_exits_when_nothing_is_due(queue_url: str, tmp_path: Path) -> None:
    done = run_worker(worker_env(tmp_path, queue_url), "--burst")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "nothing else is due" in done.stdout


def test_a_bad_queue_url_is_one_clear_line(tmp_path: Path) -> None:
    env = worker_env(tmp_path, "amqp://127.0.0.1/") | {"CXROI_QUEUE_NAME": "cxroi"}
    done = run_worker(env, "--burst")
    assert done.returncode != 0
    assert "CXROI_QUEUE_URL must start with redis://" in done.stderr and "Traceback" not in done.stderr
    down = run_worker(worker_env(tmp_path, "redis://127.0.0.1:1/0") | {"CXROI_QUEUE_NAME": "cxroi"}, "--burst")
    assert down.returncode != 0 and "Traceback" not in down.stderr
    assert "cannot use the task queue at redis://127.0.0.1:1/0 (CXROI_QUEUE_URL)" in down.stderr
