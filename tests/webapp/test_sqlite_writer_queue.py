"""SQLite writers queue on an flock of `<file>-writers` (webapp.storage.engine.WriterQueue): held from BEGIN
IMMEDIATE to COMMIT/ROLLBACK, released on every way a transaction ends, never waited for by the thread that
holds it, and every write of concurrent threads lands exactly once."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from webapp.storage.engine import READ_ONLY, create_engine_for


def _free(lock: Path) -> bool:
    """Whether another open file could take the writers' lock right now."""
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)  # closing drops a lock taken above
    return True


@pytest.fixture
def engine(tmp_path: Path):
    engine = create_engine_for(f"sqlite:///{tmp_path / 'queue.sqlite3'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE answers (customer TEXT PRIMARY KEY, n INTEGER)")
    yield engine
    engine.dispose()


def test_the_lock_is_held_for_a_write_and_released_by_commit_rollback_and_close(engine, tmp_path: Path) -> None:
    lock = tmp_path / "queue.sqlite3-writers"
    with engine.connect() as connection:
        connection.exec_driver_sql("INSERT INTO answers VALUES ('C1', 1)")  # autobegin: a write transaction
        assert not _free(lock)
        connection.commit()
        assert _free(lock)
        connection.exec_driver_sql("INSERT INTO answers VALUES ('C2', 2)")
        assert not _free(lock)
        connection.rollback()
        assert _free(lock)
        connection.exec_driver_sql("INSERT INTO answers VALUES ('C3', 3)")
    assert _free(lock)  # closed with the transaction open: rolled back, released
    with engine.connect().execution_options(**{READ_ONLY: True}) as reader:
        assert reader.exec_driver_sql("SELECT customer FROM answers").scalars().all() == ["C1"]
        assert _free(lock)  # a read never queues


def test_a_nested_write_in_the_same_thread_does_not_wait_for_itself(engine) -> None:
    """The outer write holds the queue; the inner one skips it and meets SQLite's own lock, which refuses it
    after the busy timeout (set short here) — an error, as before the queue, never a hang."""
    with engine.connect() as outer:
        outer.exec_driver_sql("INSERT INTO answers VALUES ('C1', 1)")
        inner = engine.connect()
        inner.connection.dbapi_connection.execute("PRAGMA busy_timeout = 50")  # no transaction begun
        with pytest.raises(sa.exc.OperationalError, match="locked"):
            inner.exec_driver_sql("INSERT INTO answers VALUES ('C2', 2)")
        inner.close()
        outer.commit()


def test_concurrent_writers_each_land_once(engine) -> None:
    threads, rounds = 6, 40
    errors: list[BaseException] = []

    def write(number: int) -> None:
        try:
            for n in range(rounds):
                with engine.begin() as connection:
                    connection.exec_driver_sql("INSERT INTO answers VALUES (?, ?)", (f"T{number}-{n}", n))
        except BaseException as error:  # reported below
            errors.append(error)

    workers = [threading.Thread(target=write, args=(number,)) for number in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors
    with engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT customer FROM answers").scalars().all()
    assert sorted(stored) == sorted(f"T{t}-{n}" for t in range(threads) for n in range(rounds))
