"""Report jobs in the database and on the task queue: checks before storing, the per-user limit, the worker's
claim and outcome, the self-refreshing page of a waiting job, a transient failure retried, and a job whose
worker died (SIGKILL) picked up again by another worker — on the SQLite queue and on the real Redis server."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from openpyxl import Workbook
from sqlalchemy.orm import Session

from roi.config import build_config
from roi.data import OutcomeDataError
from tests.webapp.support.results import RESPONDENTS, add_staff, seed_survey, sign_in
from tests.webapp.support.web import ROOT, example_survey, table
from tests.webapp.test_queue import clean_redis, redis_queue_url
from webapp import queue
from webapp.app import create_app
from webapp.queue import drain, huey
from webapp.services import reporting
from webapp.services.errors import UnknownSurvey
from webapp.services.importing import import_responses
from webapp.services.publishing import publish_survey
from webapp.services.reporting import (
    ReportError,
    TooManyReports,
    check_outcomes,
    create_report_job,
    find_report_job,
    queue_report_job,
    report_pdf,
    requeue_lost_report_jobs,
    run_report_job,
)
from webapp.storage.engine import open_session
from webapp.storage.models import utcnow
from webapp.storage.reports import ReportJob

CONFIG = {"columns": {"customer_id": "id"}, "bootstrap": 10, "finance": {"program_cost": 1000, "margin": 0.5}}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Flask, str]:
    folder = tmp_path_factory.mktemp("jobs")
    url = f"sqlite:///{folder / 'cxroi.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance"), "TESTING": True,
                      "SECRET_KEY": "test-secret"})
    add_staff(url)
    seed_survey(app, url)
    return app, url


def outcomes() -> bytes:
    lines = ["id,churned,revenue"]
    lines += [f"{r.customer_id},{int(r.nps <= 6)},{500 + 50 * n}" for n, r in enumerate(RESPONDENTS)]
    lines += [f"other{n},{n % 2},700" for n in range(15)]
    return ("\n".join(lines) + "\n").encode()


def jobs(url: str) -> int:
    with open_session(url) as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(ReportJob)) or 0)


def test_nothing_is_stored_for_a_bad_request(seeded: tuple[Flask, str]) -> None:
    _, url = seeded
    before = jobs(url)
    with open_session(url) as session:
        with pytest.raises(UnknownSurvey):
            create_report_job(session, slug="nope", outcomes_name="o.csv", content=outcomes(), config_data=CONFIG,
                              created_by=None)
        with pytest.raises(OutcomeDataError, match=r"^o\.csv, row 3, column 'revenue': "):
            create_report_job(session, slug="acme_relationship", outcomes_name="o.csv",
                              content=b"id,revenue\na,1\nb,lots\n", config_data=CONFIG, created_by=None)
        with pytest.raises(OutcomeDataError, match=r"^o\.csv: the file is empty"):
            create_report_job(session, slug="acme_relationship", outcomes_name="o.csv", content=b"",
                              config_data=CONFIG, created_by=None)
    assert jobs(url) == before


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_outcomes_are_read_and_named_in_errors() -> None:
    config = build_config({"columns": {"customer_id": "id"}})
    duplicate = xlsx([["id", "churned"], ["a", 0], ["b", 1], ["b", 0]])
    with pytest.raises(OutcomeDataError, match=r"^finance\.xlsx, rows 3, 4, column 'id \(customer_id\)'"):
        check_outcomes(duplicate, "finance.xlsx", config)
    assert check_outcomes(xlsx([["id", "churned"], ["a", 0], ["b", 1], ["c", 0]]), "ok.xlsx", config) == 3


def test_a_waiting_job_page_refreshes_itself_and_the_runner_takes_it_once(seeded: tuple[Flask, str]) -> None:
    app, url = seeded
    with open_session(url) as session:
        job = create_report_job(session, slug="acme_relationship", outcomes_name="crm.csv", content=outcomes(),
                                config_data=CONFIG, created_by="analyst@example.com")
    client = app.test_client()
    sign_in(client, "analyst@example.com")
    page = client.get(f"/reports/{job.id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in page and "Waiting to start" in page
    still = client.get(f"/reports/{job.id}?refresh=off").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in still and "Check again" in still  # reloading can be turned off
    assert client.get(f"/reports/{job.id}/report.pdf").status_code == 409  # not finished: nothing to download (yet)

    run_report_job(url, job.id)  # in this process, to the end
    with open_session(url) as session:
        done = find_report_job(session, job.id)
        assert (done.status, done.error) == ("done", None)
        assert done.results is not None
        assert done.results["data_quality"]["matched"] == 10
        assert done.results["inputs"]["survey"] == {"id": "acme_relationship", "title": "How are we doing?",
                                                    "version": 1}
        finished = done.finished_at
        name, pdf = report_pdf(session, job.id)
        assert name == f"acme_relationship-roi-report-{job.id}.pdf" and pdf.startswith(b"%PDF")
    run_report_job(url, job.id)  # a second runner finds it taken and changes nothing
    with open_session(url) as session:
        assert find_report_job(session, job.id).finished_at == finished
    page = client.get(f"/reports/{job.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page and "<h2>Done</h2>" in page


@pytest.fixture(params=["sqlite", "redis"])
def queued(request: pytest.FixtureRequest, seeded: tuple[Flask, str], tmp_path: Path) -> Iterator[str]:
    """A queue of the test's own on each storage, `webapp.queue` configured to use it with the seeded database;
    yields the queue URL."""
    _, url = seeded
    name = f"test-{uuid.uuid4().hex[:12]}"
    if request.param == "redis":
        queue_url = redis_queue_url(request.getfixturevalue("redis_url"))
    else:
        queue_url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    queue.configure(queue_url=queue_url, queue_name=name, database_url=url)
    try:
        yield queue_url
    finally:
        queue.configure()
        if request.param == "redis":
            clean_redis(queue_url, name)


def new_job(url: str, created_by: str | None = None, **config: object) -> int:
    with open_session(url) as session:
        job = create_report_job(session, slug="acme_relationship", outcomes_name="crm.csv", content=outcomes(),
                                config_data=CONFIG | config, created_by=created_by)
        queue_report_job(session, job.id)
        return job.id


def job_row(url: str, job_id: int) -> ReportJob:
    with open_session(url, upgrade=False) as session:  # read only: polled every 0.1 s, no migration check
        job = find_report_job(session, job_id)
        session.expunge(job)
        return job


def worker(url: str, queue_url: str, *args: str, **env: str) -> subprocess.Popen[str]:
    """`cxroi worker` as a real subprocess on the seeded database and the test's queue."""
    environment = os.environ | {"CXROI_DATABASE_URL": url, "CXROI_QUEUE_URL": queue_url,
                                "CXROI_QUEUE_NAME": queue.queue_target()[1], **env}
    return subprocess.Popen([sys.executable, "-c", "from webapp.cli import main; main()", "worker", *args],
                            env=environment, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_real_worker_burst_runs_a_queued_job_to_done(seeded: tuple[Flask, str], queued: str) -> None:
    _, url = seeded
    job_id = new_job(url)
    assert job_row(url, job_id).status == "queued"  # queued, not run where it was asked for
    process = worker(url, queued, "--burst")
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output[-3000:]
    done = job_row(url, job_id)
    assert (done.status, done.error, done.attempts, done.lease_until) == ("done", None, 1, None)


def test_the_per_user_limit_on_waiting_jobs(seeded: tuple[Flask, str], queued: str) -> None:
    app, url = seeded
    with open_session(url) as session:
        for _ in range(2):
            create_report_job(session, slug="acme_relationship", outcomes_name="crm.csv", content=outcomes(),
                              config_data=CONFIG, created_by="busy@example.com", per_user_limit=2)
        with pytest.raises(TooManyReports, match="you already have 2 reports waiting or running"):
            create_report_job(session, slug="acme_relationship", outcomes_name="crm.csv", content=outcomes(),
                              config_data=CONFIG, created_by="busy@example.com", per_user_limit=2)
        # someone else is not held back
        create_report_job(session, slug="acme_relationship", outcomes_name="crm.csv", content=outcomes(),
                          config_data=CONFIG, created_by="other@example.com", per_user_limit=2)
        session.execute(sa.update(ReportJob).where(ReportJob.created_by.in_(("busy@example.com",
                                                                             "other@example.com")))
                        .values(status="failed"))
        session.commit()

    # on the page: the analyst's own waiting jobs count; the form is shown again with a 429 and the reason
    app.config["REPORT_JOBS_PER_USER"] = 1
    app.config["QUEUE_URL"], app.config["QUEUE_NAME"] = queue.queue_target()  # the app queues on the test's queue
    try:
        client = app.test_client()
        sign_in(client, "analyst@example.com")
        with open_session(url) as session:
            session.execute(sa.update(ReportJob).where(ReportJob.status.in_(("queued", "running")))
                            .values(status="failed"))
            session.commit()
        first = post(client)
        assert first.status_code == 303
        before = jobs(url)
        second = post(client)
        assert second.status_code == 429
        page = second.get_data(as_text=True).replace("&#39;", "'")
        assert "you already have 1 report waiting or running" in page and 'role="alert"' in page
        assert jobs(url) == before  # nothing stored
        assert drain(periodic=False) == 1  # the first runs; then the analyst may start another
        assert post(client).status_code == 303
        drain(periodic=False)
    finally:
        app.config["REPORT_JOBS_PER_USER"] = None
        app.config.pop("QUEUE_URL")


def post(client: object) -> object:
    from tests.webapp.support.results import csrf_token

    token = csrf_token(client.get("/reports/").get_data(as_text=True))  # type: ignore[attr-defined]
    data = {"csrf_token": token, "survey": "acme_relationship", "customer_id": "id", "bootstrap": "10",
            "revenue_period": "year", "population": "respondents", "horizon_years": "1", "delta": "1",
            "outcomes": (io.BytesIO(outcomes()), "crm.csv")}
    return client.post("/reports/", data=data, content_type="multipart/form-data")  # type: ignore[attr-defined]


def test_a_transient_failure_is_retried(seeded: tuple[Flask, str], queued: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _, url = seeded
    real = reporting.responses_for_analysis
    calls: list[int] = []

    def flaky(session: Session, slug: str) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise sa.exc.OperationalError("select ...", {}, Exception("server closed the connection unexpectedly"))
        return real(session, slug)

    monkeypatch.setattr(reporting, "responses_for_analysis", flaky)
    job_id = new_job(url)
    assert drain(periodic=False) == 1
    waiting = job_row(url, job_id)
    assert waiting.status == "queued" and "a temporary problem stopped the analysis" in waiting.progress
    assert huey.scheduled_count() == 1  # Huey's retry, after its delay
    assert drain(periodic=False) == 0  # not due yet
    later = huey._get_timestamp() + timedelta(seconds=reporting.REPORT_RETRY_DELAY + 1)
    assert drain(now=later, periodic=False) == 1
    done = job_row(url, job_id)
    assert (done.status, done.error, done.attempts) == ("done", None, 2)


def test_a_failure_that_does_not_pass_fails_the_job_after_the_retries(seeded: tuple[Flask, str], queued: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _, url = seeded

    def down(session: Session, slug: str) -> object:
        raise sa.exc.OperationalError("select ...", {}, Exception("could not connect to server"))

    monkeypatch.setattr(reporting, "responses_for_analysis", down)
    job_id = new_job(url)
    later = huey._get_timestamp() + timedelta(hours=1)  # as a run an hour from now sees it: every retry is due
    assert drain(now=later, periodic=False) == reporting.REPORT_RETRIES + 1
    failed = job_row(url, job_id)
    assert failed.status == "failed" and f"did not pass after {reporting.REPORT_RETRIES + 1} tries" in (
        failed.error or "")
    assert huey.scheduled_count() == 0 and huey.pending_count() == 0


def test_a_job_whose_worker_died_is_queued_again_not_failed(seeded: tuple[Flask, str], queued: str) -> None:
    app, url = seeded
    job_id = new_job(url)
    assert huey.dequeue() is not None  # a worker took the message ...
    with open_session(url) as session:  # ... claimed the job, and died: its lease runs out
        session.execute(sa.update(ReportJob).where(ReportJob.id == job_id).values(
            status="running", worker="gone:1:x", attempts=1, lease_until=utcnow() - timedelta(seconds=1),
            updated_at=utcnow() - timedelta(hours=1)))
        session.commit()
    client = app.test_client()
    sign_in(client, "analyst@example.com")
    page = client.get(f"/reports/{job_id}").get_data(as_text=True)
    assert "The worker running this report stopped; another worker picks it up again" in page
    assert 'http-equiv="refresh"' in page and "did not finish" not in page  # still on its way, not failed
    with open_session(url) as session:
        assert requeue_lost_report_jobs(session) == [job_id]
        assert requeue_lost_report_jobs(session) == []  # once
    assert job_row(url, job_id).status == "queued"
    drain(periodic=False)
    done = job_row(url, job_id)
    assert (done.status, done.attempts) == ("done", 2)


def test_a_job_that_keeps_killing_its_worker_is_failed_in_the_end(seeded: tuple[Flask, str], queued: str) -> None:
    _, url = seeded
    job_id = new_job(url)
    huey.dequeue()
    with open_session(url) as session:
        session.execute(sa.update(ReportJob).where(ReportJob.id == job_id).values(
            status="running", attempts=reporting.MAX_STARTS, lease_until=utcnow() - timedelta(seconds=1)))
        session.commit()
        assert requeue_lost_report_jobs(session) == []
    failed = job_row(url, job_id)
    assert failed.status == "failed" and f"stopped its worker {reporting.MAX_STARTS} times" in (failed.error or "")


def test_a_worker_killed_mid_job_and_a_new_worker_finishes_it(seeded: tuple[Flask, str], queued: str) -> None:
    _, url = seeded
    job_id = new_job(url, bootstrap=100_000)  # cannot finish before it is caught running and killed
    lease = 3.0
    first = worker(url, queued, "--workers", "1", CXROI_REPORT_LEASE_SECONDS=str(lease))
    try:
        for _ in range(1200):  # bounded wait for the claim (no timing asserted)
            row = job_row(url, job_id)
            if row.status != "queued" or first.poll() is not None:
                break
            time.sleep(0.1)
        assert row.status == "running", (row.status, row.progress, first.poll())
    finally:
        first.send_signal(signal.SIGKILL)  # the consumer dies at once; its worker process follows it
        output, _ = first.communicate(timeout=60)
    killed = job_row(url, job_id)
    assert killed.status == "running" and killed.worker is not None, output[-2000:]
    for _ in range(600):  # the dead worker's heartbeat has stopped: wait for the lease to run out
        row = job_row(url, job_id)
        if row.lease_until is not None and row.lease_until < utcnow():
            break
        time.sleep(0.1)
    assert row.status == "running" and row.lease_until is not None and row.lease_until < utcnow(), (
        row.status, row.lease_until, "the killed worker still renews its lease")
    with open_session(url, upgrade=False) as session:  # the second run need not take as long
        job = session.get(ReportJob, job_id)
        assert job is not None
        job.config = {**job.config, "bootstrap": 10}
        session.commit()
    second = worker(url, queued, "--burst")  # recovers the job (periodic task), then runs it
    output, _ = second.communicate(timeout=900)
    assert second.returncode == 0, output[-3000:]
    done = job_row(url, job_id)
    assert (done.status, done.error, done.attempts) == ("done", None, 2), output[-3000:]
    assert done.worker != killed.worker


def test_a_bad_per_user_limit_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="CXROI_REPORT_JOBS_PER_USER"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "INSTANCE_PATH": str(tmp_path),
                    "SECRET_KEY": "x", "REPORT_JOBS_PER_USER": "many"})


def test_a_survey_without_complete_responses_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    with open_session(url) as session:
        publish_survey(session, example_survey())
        with pytest.raises(ReportError, match="'acme_relationship' has no complete responses yet"):
            create_report_job(session, slug="acme_relationship", outcomes_name="o.csv", content=outcomes(),
                              config_data=CONFIG, created_by=None)
        assert session.scalar(sa.select(sa.func.count()).select_from(ReportJob)) == 0


# The outcomes file's name is kept with a report job: a name with a NUL or another control character (a
# multipart filename is anything the client sends) is stored without them, not a PostgreSQL DataError.
def test_control_characters_are_dropped_from_the_stored_file_name(db: Session) -> None:
    publish_survey(db, example_survey())
    assert import_responses(db, "acme_relationship", table()) == 2  # one of them complete
    job = create_report_job(db, slug="acme_relationship", outcomes_name="crm\x00 ex\x07port.csv",
                            content=b"customer_id,churned\nC1,0\nC2,1\n", config_data={}, created_by=None)
    db.expire_all()
    assert db.get(type(job), job.id).outcomes_name == "crm export.csv"
