"""Migration 0021 (report sharing and schedules) on SQLite and PostgreSQL: the upgrade adds `report_shares` and
`report_schedules` exactly as the models declare them (with their checks), the downgrade removes them and leaves
what 0020 had (a report job) unchanged, and upgrading again works."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from webapp.storage.engine import alembic_config, create_engine_for, session_factory
from webapp.storage.models import Base, utcnow
from webapp.storage.reports import ReportJob

TABLES = {"report_shares", "report_schedules"}


def _jobs(engine: sa.Engine) -> list[Any]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(
            "SELECT id, survey_slug, status, outcomes_sha256 FROM report_jobs ORDER BY id"))]


def _insert(engine: sa.Engine, sql: str, **values: Any) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text(sql), values)


SCHEDULE = ("INSERT INTO report_schedules (job_id, day_of_month, recipients, delivery, created_by, created_at, "
            "mailed_to) VALUES (:job, :day, 'cfo@example.com', :delivery, 'a@example.com', :at, '')")


def test_0021_adds_the_two_tables_as_declared_and_downgrades_cleanly(db_url: str) -> None:
    engine = create_engine_for(db_url)
    config = alembic_config(engine)
    try:
        with session_factory(engine)() as session:
            job = ReportJob(survey_slug="s", survey_title="S", status="done", outcomes_name="o.csv",
                            outcomes_sha256="a" * 64, outcomes_bytes=1, outcomes_file=b"x", config={})
            session.add(job)
            session.commit()
            job_id = job.id
        with engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) >= TABLES
            context = MigrationContext.configure(connection, opts={
                "include_object": lambda obj, name, kind, *_: kind != "table" or name in TABLES})
            assert compare_metadata(context, Base.metadata) == []
        now = utcnow()
        _insert(engine, "INSERT INTO report_shares (job_id, token_hash, label, created_by, created_at, expires_at) "
                        "VALUES (:job, :hash, '', 'a@example.com', :at, :at)", job=job_id, hash="f" * 64, at=now)
        _insert(engine, SCHEDULE, job=job_id, day=28, delivery="pdf", at=now)
        # the database itself refuses what the pages refuse: a day no month is sure to have, an unknown delivery,
        # a second link with the same token
        for bad in ({"day": 29, "delivery": "pdf"}, {"day": 0, "delivery": "pdf"}, {"day": 5, "delivery": "fax"}):
            with pytest.raises(sa.exc.IntegrityError):
                _insert(engine, SCHEDULE, job=job_id, at=now, **bad)
        with pytest.raises(sa.exc.IntegrityError):
            _insert(engine, "INSERT INTO report_shares (job_id, token_hash, label, created_by, created_at, "
                            "expires_at) VALUES (:job, :hash, '', 'b', :at, :at)", job=job_id, hash="f" * 64, at=now)
        before = _jobs(engine)

        command.downgrade(config, "0020_audit_retention")
        with engine.connect() as connection:
            assert not TABLES & set(sa.inspect(connection).get_table_names())
        assert _jobs(engine) == before

        command.upgrade(config, "head")
        with engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) >= TABLES
            assert connection.execute(sa.text("SELECT count(*) FROM report_shares")).scalar_one() == 0
        assert _jobs(engine) == before
    finally:
        engine.dispose()
