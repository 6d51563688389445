"""Audit log retention on SQLite and PostgreSQL (review finding: the log grew forever). The table stays
append-only except for one thing (migration 0020): events older than 90 days may be deleted — on PostgreSQL
only by a transaction that declared itself a purge. Tested: the database still refuses every UPDATE and the
DELETE of a recent event whatever the caller does; the purge deletes exactly the events before its date and
records itself; the daily task follows CXROI_AUDIT_RETENTION_DAYS and refuses a setting under 90 days;
`cxroi audit purge --archive` writes what it deletes first."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.webapp.support.cli import run
from webapp import queue
from webapp.audit.models import AuditEvent
from webapp.audit.retention import AuditRetentionError, purge_before
from webapp.audit.service import record
from webapp.audit.tasks import run_audit_retention
from webapp.storage.models import utcnow

AGES = {"a": 400, "b": 200, "c": 120, "d": 100, "e": 10}
"""Days before now of each seeded event, named by its target."""


@pytest.fixture
def aged(db: Session) -> datetime:
    """Events AGES days old (inserting an old time is an INSERT, which the log takes); returns the seeding time."""
    now = utcnow()
    for target, days in AGES.items():
        db.add(AuditEvent(at=now - timedelta(days=days), actor="cli", action="sign_in", target=target, client="",
                          detail="{}"))
    db.commit()
    return now


def _targets(db: Session) -> list[str]:
    found = list(db.scalars(sa.select(AuditEvent.target).where(AuditEvent.action == "sign_in")
                            .order_by(AuditEvent.target)))
    db.rollback()
    return found


def _purges(db: Session) -> list[dict[str, object]]:
    found = [json.loads(detail) | {"actor": actor} for actor, detail in db.execute(
        sa.select(AuditEvent.actor, AuditEvent.detail).where(AuditEvent.action == "audit_purged")
        .order_by(AuditEvent.id))]
    db.rollback()
    return found


def _refused(db: Session, statement: sa.Executable, *, purge_flag: bool = False) -> None:
    if purge_flag:
        db.execute(sa.text("SET LOCAL cxroi.audit_purge = 'on'"))
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(statement)
    db.rollback()


def test_the_database_refuses_changes_and_recent_deletions(db: Session, aged: datetime) -> None:
    _refused(db, sa.update(AuditEvent).where(AuditEvent.target == "a").values(actor="someone else"))
    _refused(db, sa.delete(AuditEvent).where(AuditEvent.target == "e"))  # 10 days old
    _refused(db, sa.delete(AuditEvent))  # the recent ones make the whole statement fail
    if db.get_bind().dialect.name == "postgresql":
        # a DELETE outside a purge is refused even for a 400-day-old event, and a purge cannot touch a recent one
        _refused(db, sa.delete(AuditEvent).where(AuditEvent.target == "a"))
        _refused(db, sa.delete(AuditEvent).where(AuditEvent.target == "e"), purge_flag=True)
        _refused(db, sa.text("TRUNCATE audit_events"))
    assert _targets(db) == ["a", "b", "c", "d", "e"]


def test_a_purge_deletes_exactly_the_events_before_its_date_and_records_itself(db: Session, aged: datetime) -> None:
    before = aged - timedelta(days=150)
    assert purge_before(db, before, actor="cli") == 2  # the 400- and 200-day-old events
    assert _targets(db) == ["c", "d", "e"]
    assert _purges(db) == [{"before": before.isoformat() + "Z", "deleted": 2, "archived": False, "actor": "cli"}]
    assert purge_before(db, before, actor="cli") == 0  # again: nothing left to delete, nothing recorded
    assert len(_purges(db)) == 1


def test_a_purge_closer_than_90_days_is_refused_before_anything_is_deleted(db: Session, aged: datetime) -> None:
    with pytest.raises(AuditRetentionError, match="kept at least 90 days"):
        purge_before(db, aged - timedelta(days=30), actor="cli")
    assert _targets(db) == ["a", "b", "c", "d", "e"] and _purges(db) == []


def test_the_daily_task_follows_the_setting(db: Session, db_url: str, aged: datetime,
                                            monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    queue.configure(database_url=db_url)
    try:
        monkeypatch.delenv("CXROI_AUDIT_RETENTION_DAYS", raising=False)
        assert run_audit_retention() == 0  # unset: kept forever
        for refused in ("30", "ninety"):
            monkeypatch.setenv("CXROI_AUDIT_RETENTION_DAYS", refused)
            with caplog.at_level(logging.ERROR, logger="webapp.audit.tasks"):
                assert run_audit_retention() == 0
            assert "CXROI_AUDIT_RETENTION_DAYS" in caplog.records[-1].getMessage()
        assert _targets(db) == ["a", "b", "c", "d", "e"]
        monkeypatch.setenv("CXROI_AUDIT_RETENTION_DAYS", "110")
        assert run_audit_retention() == 3  # 400, 200 and 120 days old
        assert _targets(db) == ["d", "e"]
        assert [(p["deleted"], p["actor"]) for p in _purges(db)] == [(3, "queue")]
    finally:
        queue.configure()


def test_the_command_archives_what_it_deletes(db: Session, db_url: str, aged: datetime, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    expected = {event.id: event.target for event in db.scalars(
        sa.select(AuditEvent).where(AuditEvent.target.in_(["a", "b", "c"])))}
    db.rollback()
    day = (aged - timedelta(days=115)).date().isoformat()  # after the 120-day-old event, before the 100-day one
    archive = tmp_path / "audit-archive.jsonl"
    code, out, err = run(["audit", "purge", "--before", day, "--archive", str(archive)], capsys)
    assert code == 0, err
    assert out.strip() == f"deleted 3 audit events from before {day}; archived in {archive}"
    lines = [json.loads(line) for line in archive.read_text(encoding="utf-8").splitlines()]
    assert {line["id"]: line["target"] for line in lines} == expected
    assert {line["action"] for line in lines} == {"sign_in"} and all(line["at"].endswith("Z") for line in lines)
    assert _targets(db) == ["d", "e"]
    recent = (aged - timedelta(days=5)).date().isoformat()
    code, out, err = run(["audit", "purge", "--before", recent], capsys)
    assert code != 0 and "kept at least 90 days" in out + err and "Traceback" not in out + err
    assert _targets(db) == ["d", "e"]


def test_recording_still_works_after_a_purge(db: Session, aged: datetime) -> None:
    purge_before(db, aged - timedelta(days=300), actor="cli")
    record(db, "sign_out", actor="ann@example.com", target="ann@example.com")
    db.commit()
    assert db.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                     .where(AuditEvent.action == "sign_out")) == 1
    db.rollback()


def test_the_migration_downgrades_to_a_log_that_refuses_every_deletion(db: Session, db_url: str,
                                                                       aged: datetime) -> None:
    from alembic import command

    from webapp.storage.engine import alembic_config, create_engine_for

    db.close()
    engine = create_engine_for(db_url)
    try:
        command.downgrade(alembic_config(engine), "0019_teams")
        with pytest.raises(DBAPIError, match="append-only"):
            purge_before(db, aged - timedelta(days=300), actor="cli")  # 0012: no deletion at all
        db.rollback()
        assert _targets(db) == ["a", "b", "c", "d", "e"]
        command.upgrade(alembic_config(engine), "head")
    finally:
        engine.dispose()
    assert purge_before(db, aged - timedelta(days=300), actor="cli") == 1
    assert _targets(db) == ["b", "c", "d", "e"]
