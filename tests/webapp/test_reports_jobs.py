"""Report jobs in the database: checks before storing, the runner's claim and outcome, the self-refreshing
page of a waiting job, and a job whose runner went silent shown as failed."""

from __future__ import annotations

import io
import time
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
from tests.webapp.support.web import example_survey, table
from webapp.app import create_app
from webapp.services.errors import UnknownSurvey
from webapp.services.importing import import_responses
from webapp.services.publishing import publish_survey
from webapp.services.reporting import (
    STALE_AFTER,
    ReportError,
    check_outcomes,
    create_report_job,
    find_report_job,
    report_pdf,
    run_report_job,
    start_report_job,
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
    assert client.get(f"/reports/{job.id}/report.pdf").status_code == 400  # not finished: nothing to download

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


def test_a_silent_job_is_shown_as_failed(seeded: tuple[Flask, str]) -> None:
    app, url = seeded
    with open_session(url) as session:
        job = create_report_job(session, slug="acme_relationship", outcomes_name="crm.csv", content=outcomes(),
                                config_data=CONFIG, created_by=None)
        session.execute(sa.update(ReportJob).where(ReportJob.id == job.id).values(
            status="running", updated_at=utcnow() - STALE_AFTER - timedelta(seconds=1)))
        session.commit()
    client = app.test_client()
    sign_in(client, "analyst@example.com")
    page = client.get(f"/reports/{job.id}").get_data(as_text=True)
    assert "The analysis did not finish" in page and "Please start the report again" in page
    assert 'http-equiv="refresh"' not in page
    run_report_job(url, job.id)  # too late: a failed job is never picked up again
    with open_session(url) as session:
        assert find_report_job(session, job.id).status == "failed"


def test_the_thread_runner_runs_a_job_to_the_end(seeded: tuple[Flask, str]) -> None:
    _, url = seeded
    with open_session(url) as session:
        job = create_report_job(session, slug="acme_relationship", outcomes_name="crm.csv", content=outcomes(),
                                config_data=CONFIG, created_by=None)
    start_report_job(url, job.id, runner="thread")
    for _ in range(600):  # bounded poll, no timing asserted
        with open_session(url) as session:
            status = find_report_job(session, job.id).status
        if status in ("done", "failed"):
            break
        time.sleep(0.5)
    assert status == "done"


def test_an_unknown_runner_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="CXROI_REPORT_RUNNER"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "INSTANCE_PATH": str(tmp_path),
                    "SECRET_KEY": "x", "CXROI_REPORT_RUNNER": "cron"})


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
