"""Engines and sessions: SQLite (WAL, busy timeout, immediate transactions) or PostgreSQL, chosen by URL;
and the Alembic upgrade, run in code so no alembic.ini is needed."""

from __future__ import annotations

import fcntl
import json
import os
import threading
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from surveys.errors import CxroiError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "cxroi_read_only"
"""Execution option: on SQLite, begin a deferred (read) transaction instead of an immediate one."""


def short_read_options(engine: Engine) -> dict[str, Any]:
    """Execution options for a short read that ends without writing (a respondent page's one or two look-ups).

    SQLite: a deferred BEGIN (`READ_ONLY`), so the read does not queue for the write lock. Other databases:
    autocommit, so each statement is its own transaction and a one-statement read costs one round trip to the
    server instead of three (BEGIN, the statement, COMMIT). Not for reads that need one snapshot across
    statements (exports use `READ_ONLY` in a transaction of their own); the isolation level is reset when the
    connection goes back to the pool."""
    if engine.dialect.name == "sqlite":
        return {READ_ONLY: True}
    return {"isolation_level": "AUTOCOMMIT"}


def strict_json(value: Any) -> str:
    """JSON text for a JSON column: NaN and infinities are refused (ValueError), never stored silently —
    PostgreSQL's JSON cannot hold them and a reader would choke on them later. NUL characters (U+0000) are
    dropped from strings and keys: PostgreSQL's JSONB cannot hold them (a crafted form could send one), and no
    answer means anything by them."""
    return json.dumps(without_nul(value), allow_nan=False)


def without_nul(value: Any) -> Any:
    """`value` with U+0000 removed from every string in it (keys included); other values as they are."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [without_nul(item) for item in value]
    return value


def create_engine_for(url: str, **options: Any) -> Engine:
    """An engine for a database URL; SQLite files get WAL mode, a busy timeout and foreign keys.

    SQLite transactions start with BEGIN IMMEDIATE: a deferred transaction that reads and then writes can fail
    with "database is locked" no matter the busy timeout, while an immediate one waits its turn. Long reads
    (exports) use `engine.execution_options(cxroi_read_only=True)`, whose transactions are deferred.
    JSON columns are written with `strict_json` (no NaN or infinity) on every backend.
    """
    options.setdefault("json_serializer", strict_json)
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite":
            return sa.create_engine(url, pool_pre_ping=True, **options)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:  # a malformed URL, an unknown database
        raise DatabaseUnusable(f"the database URL (CXROI_DATABASE_URL) cannot be used: {error}") from None
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    writers = WriterQueue(Path(parsed.database)) if parsed.database and parsed.database != ":memory:" else None

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY)
        if not read_only and writers is not None:
            writers.enter(connection.connection)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    if writers is not None:
        writers.listen(engine)
    return engine


_HELD: dict[str, threading.local] = {}
"""Per writers' lock file, whether the current thread holds it (`WriterQueue.held`)."""


class WriterQueue:
    """The writers of one SQLite file, in every process, queue on an `flock` of `<file>-writers` before their
    BEGIN IMMEDIATE, and leave it right after their COMMIT or ROLLBACK.

    SQLite itself makes a second writer poll: its busy handler sleeps 1, 2, 5, 10 … 100 ms between tries, so
    under load a write waits several milliseconds after the lock is free (measured under the web bench: a
    third of the respondent path's writes waited over 1 ms, 5 ms on average). A process blocked in `flock` is
    woken as soon as the lock is released. SQLite's own lock and busy timeout still decide; this only orders
    the writers of processes that use cxroi's engine. A thread that already holds the queue through another
    connection (a nested write) does not queue again: it would wait for itself.
    """

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + "-writers")
        # per file, not per engine: a thread's nested write through another engine on the same file skips too
        self.held = _HELD.setdefault(str(self.path.resolve()), threading.local())

    def listen(self, engine: Engine) -> None:
        @event.listens_for(engine, "commit")
        def _commit(connection: sa.Connection) -> None:
            self.leave(connection.connection, lambda dbapi: dbapi.commit())

        @event.listens_for(engine, "rollback")
        def _rollback(connection: sa.Connection) -> None:
            self.leave(connection.connection, lambda dbapi: dbapi.rollback())

        @event.listens_for(engine, "checkin")
        def _checkin(_dbapi: Any, record: Any) -> None:  # a transaction never ended through the events
            self._unlock(record.info)

        @event.listens_for(engine, "close")
        def _close(_dbapi: Any, record: Any) -> None:
            self._unlock(record.info)
            descriptor = record.info.pop("cxroi_writers_fd", None)
            if descriptor is not None:
                os.close(descriptor)

    def enter(self, pooled: Any) -> None:
        if getattr(self.held, "count", 0):
            return
        info = pooled.info
        descriptor = info.get("cxroi_writers_fd")
        if descriptor is None:  # one open file per connection: flock excludes other open files, not threads
            descriptor = info["cxroi_writers_fd"] = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        info["cxroi_writers_locked"] = True
        self.held.count = 1

    def leave(self, pooled: Any, end: Any) -> None:
        """End the transaction on the DBAPI connection now (SQLAlchemy's own commit or rollback then finds none
        open and does nothing), then let the next writer in."""
        if not pooled.info.get("cxroi_writers_locked"):
            return
        try:
            end(pooled.dbapi_connection)
        finally:
            self._unlock(pooled.info)

    def _unlock(self, info: dict[str, Any]) -> None:
        if info.pop("cxroi_writers_locked", False):
            fcntl.flock(info["cxroi_writers_fd"], fcntl.LOCK_UN)
            self.held.count = 0


class DatabaseUnusable(CxroiError):
    """The configured database URL is malformed, names an unknown database, or the server cannot be reached."""


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to `engine` that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def open_session(url: str, *, upgrade: bool = True) -> Session:
    """A session on the database at `url`, upgraded to the latest schema first (zero set-up).

    The caller closes it (`with open_session(url) as session: ...`); closing does not dispose the engine's
    pool, so use `session_factory(create_engine_for(url))` in long-running code that opens many sessions.
    """
    engine = create_engine_for(url)
    if upgrade:
        upgrade_database(engine)
    return session_factory(engine)()


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration built in code, pointing at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def schema_revisions(target: Engine | str) -> tuple[set[str], set[str]]:
    """The Alembic revisions the database is at (empty when it has no schema yet) and the ones this release's
    migrations end at; equal when the schema is up to date."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    engine = create_engine_for(target) if isinstance(target, str) else target
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        if isinstance(target, str):
            engine.dispose()
    head = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    return current, head


def upgrade_database(target: Engine | str, revision: str = "head") -> None:
    """Create or migrate the database to `revision` (the latest by default); safe to run again."""
    engine = create_engine_for(target) if isinstance(target, str) else target
    try:
        command.upgrade(alembic_config(engine), revision)
    finally:
        if isinstance(target, str):
            engine.dispose()
