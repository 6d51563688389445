"""ROI report jobs: check an uploaded outcomes file, queue the analysis, run it away from the request, keep
the results so the report can be shown as HTML and downloaded as PDF again later.

The job's state lives in the `report_jobs` table (any app server can show it). `create_report_job` checks
everything that can be checked quickly — the survey, the settings, every cell of the outcomes file — and
stores nothing when any of it is wrong (a `CxroiError` naming file, row and column). `start_report_job` runs
the analysis in a separate process (`python -m webapp.services.reporting JOB_ID`, the default) or a thread,
so a large file never blocks the app's request workers. A job whose runner stops sending signs of life is
shown as failed, never as running forever.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session, undefer

from roi.analysis import analyze
from roi.config import RoiConfig, build_config
from roi.data import OutcomeDataError, build_analysis_data, read_outcomes_table
from roi.inputs.outcomes import build_outcomes
from roi.report import render_html, render_pdf
from roi.results import to_results_json
from surveys.errors import CxroiError

from ..config import child_environment, database_url_from_environment
from ..storage.engine import create_engine_for, session_factory
from ..storage.models import Response, SurveyVersion, utcnow
from ..storage.reports import ReportJob
from .analysis import responses_for_analysis
from .errors import HostingError
from .publishing import latest_version

log = logging.getLogger(__name__)

OUTCOMES_LIMIT = 64 * 1024 * 1024
"""Largest outcomes upload (64 MiB: a few hundred thousand customers as CSV)."""
OUTCOME_SUFFIXES = (".csv", ".xlsx", ".parquet")
HEARTBEAT = timedelta(seconds=20)
STALE_AFTER = timedelta(minutes=5)
"""A queued or running job with no sign of life for this long is reported as failed."""
Runner = Literal["process", "thread"]


class ReportError(HostingError):
    """A report request that cannot be carried out (bad upload, unknown job …)."""


class UnknownReport(ReportError):
    status = 404
    title = "Report not found"


def _safe_name(name: str) -> str:
    # A multipart file name is whatever the client sends: no control characters (PostgreSQL refuses NUL).
    name = "".join(char for char in name if char >= " " and char != "\x7f")
    base = Path(name.replace("\\", "/")).name.strip() or "outcomes"
    return base[:200]


def read_outcomes_upload(content: bytes, name: str) -> pd.DataFrame:
    """The uploaded outcomes file as text cells; errors name the file as the user called it."""
    shown = _safe_name(name)
    suffix = Path(shown).suffix.lower()
    if suffix not in OUTCOME_SUFFIXES:
        raise OutcomeDataError(f"{shown}: expected a .csv, .xlsx or .parquet file")
    if not content:
        raise OutcomeDataError(f"{shown}: the file is empty")
    with tempfile.TemporaryDirectory(prefix="cxroi-outcomes-") as folder:
        path = Path(folder) / f"outcomes{suffix}"
        path.write_bytes(content)
        try:
            frame = read_outcomes_table(path)
        except CxroiError as error:
            raise type(error)(str(error).replace(str(path), shown)) from None
    frame.attrs["source"] = shown
    return frame


def check_outcomes(content: bytes, name: str, config: RoiConfig) -> int:
    """Check every cell of an outcomes upload against the data contract; returns the number of customers.

    Raises `OutcomeDataError` naming the file, rows and column (duplicate ids, churned not 0/1 …).
    """
    return len(build_outcomes(read_outcomes_upload(content, name), config).frame)


def create_report_job(session: Session, *, slug: str, outcomes_name: str, content: bytes,
                      config_data: Mapping[str, Any], created_by: str | None, seed: int = 0) -> ReportJob:
    """Check the request and store it as a queued job. Commits.

    Raises `UnknownSurvey` (404), `ReportError` (no complete responses), `InvalidConfig` (settings) or
    `OutcomeDataError` (the file), and then stores nothing.
    """
    version = latest_version(session, slug)
    complete = session.scalar(
        sa.select(sa.func.count(Response.id)).join(SurveyVersion, Response.version_id == SurveyVersion.id)
        .where(SurveyVersion.survey_id == version.survey_id, Response.status == "complete"))
    if not complete:
        raise ReportError(f"the survey {slug!r} has no complete responses yet, so there is nothing to relate to "
                          "the outcomes")
    config = build_config(dict(config_data), source="report settings")
    check_outcomes(content, outcomes_name, config)
    now = utcnow()
    job = ReportJob(
        survey_slug=slug, survey_title=version.survey.title, status="queued", progress="Waiting to start",
        outcomes_name=_safe_name(outcomes_name), outcomes_sha256=hashlib.sha256(content).hexdigest(),
        outcomes_bytes=len(content), outcomes_file=content, config=config.model_dump(mode="json"), seed=seed,
        created_by=created_by, created_at=now, updated_at=now,
    )
    session.add(job)
    session.commit()
    return job


def start_report_job(database_url: str, job_id: int, *, runner: Runner = "process") -> None:
    """Run the job away from the request: in a child process (default) or a daemon thread."""
    if runner == "thread":
        threading.Thread(target=run_report_job, args=(database_url, job_id), daemon=True,
                         name=f"report-job-{job_id}").start()
        return
    # The URL travels in the environment, not on the command line where `ps` would show a password.
    env = child_environment(CXROI_DATABASE_URL=database_url)
    child = subprocess.Popen([sys.executable, "-m", "webapp.services.reporting", str(job_id)], env=env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=None,
                             start_new_session=True)
    threading.Thread(target=child.wait, daemon=True).start()  # reaps the child when it ends


def _update(session: Session, job_id: int, **values: Any) -> None:
    session.execute(sa.update(ReportJob).where(ReportJob.id == job_id).values(updated_at=utcnow(), **values)
                    .execution_options(synchronize_session=False))
    session.commit()


def _heartbeat(database_url: str, job_id: int, stop: threading.Event) -> None:
    engine = create_engine_for(database_url)
    try:
        with session_factory(engine)() as session:
            while not stop.wait(HEARTBEAT.total_seconds()):
                _update(session, job_id)
    finally:
        engine.dispose()


def run_report_job(database_url: str, job_id: int) -> None:
    """Claim a queued job and run it to `done` or `failed`; never raises (the job records the outcome)."""
    engine = create_engine_for(database_url)
    stop = threading.Event()
    try:
        with session_factory(engine)() as session:
            claimed = session.execute(
                sa.update(ReportJob).where(ReportJob.id == job_id, ReportJob.status == "queued")
                .values(status="running", started_at=utcnow(), updated_at=utcnow(),
                        progress="Reading the outcomes file").execution_options(synchronize_session=False))
            session.commit()
            if not claimed.rowcount:  # type: ignore[attr-defined]
                return  # another runner has it, or it is gone
            threading.Thread(target=_heartbeat, args=(database_url, job_id, stop), daemon=True).start()
            try:
                results = _run(session, job_id)
            except CxroiError as error:
                _update(session, job_id, status="failed", error=str(error), finished_at=utcnow(),
                        progress="Stopped: the data could not be analysed")
                return
            except Exception as error:  # the user gets a clear line; the traceback goes to the server log
                log.exception("report job %s failed", job_id)
                _update(session, job_id, status="failed", finished_at=utcnow(), progress="Stopped",
                        error=f"The analysis stopped on an unexpected error ({type(error).__name__}). The "
                              "inputs are kept; please tell the people who run cxroi, quoting report "
                              f"{job_id}.")
                return
            _update(session, job_id, status="done", results=results, finished_at=utcnow(),
                    progress="Done")
    finally:
        stop.set()
        engine.dispose()


def _run(session: Session, job_id: int) -> dict[str, Any]:
    job = session.scalars(sa.select(ReportJob).where(ReportJob.id == job_id)
                          .options(undefer(ReportJob.outcomes_file))).one()
    config = build_config(job.config, source="report settings")
    outcomes = read_outcomes_upload(job.outcomes_file, job.outcomes_name)
    _update(session, job_id, progress=f"Reading the responses of {job.survey_slug!r} from the database")
    frame, survey = responses_for_analysis(session, job.survey_slug)
    _update(session, job_id, progress=f"Checking and joining {len(frame)} responses with {len(outcomes)} customers")
    data = build_analysis_data(frame, outcomes, config=config, survey=survey)
    _update(session, job_id, progress=f"Fitting the models for {data.join.matched} matched customers, with "
                                      f"{config.bootstrap} bootstrap replicates for the intervals "
                                      "(the longest step)")
    files = {"responses": {"name": f"survey:{job.survey_slug}", "bytes": None, "sha256": None},
             "outcomes": {"name": job.outcomes_name, "bytes": job.outcomes_bytes, "sha256": job.outcomes_sha256}}
    inputs = {"files": files, "survey": frame.attrs["survey"]}
    results = analyze(data, config, seed=job.seed, inputs=inputs)
    _update(session, job_id, progress="Checking that the report can be drawn")
    document: dict[str, Any] = json.loads(to_results_json(results))
    render_html(document, title=_title(job))  # a report that cannot be drawn fails the job now, not later
    return document


def _title(job: ReportJob) -> str:
    return f"{job.survey_title}: what customer experience is worth"


def find_report_job(session: Session, job_id: int) -> ReportJob:
    """The job, with a queued or running job that has gone silent marked failed; `UnknownReport` (404)."""
    job = session.get(ReportJob, job_id)
    if job is None:
        raise UnknownReport(f"there is no report number {job_id}")
    if job.status in ("queued", "running") and utcnow() - job.updated_at > STALE_AFTER:
        session.execute(
            sa.update(ReportJob).where(ReportJob.id == job_id, ReportJob.status.in_(("queued", "running")),
                                       ReportJob.updated_at == job.updated_at)
            .values(status="failed", finished_at=utcnow(), progress="Stopped",
                    error="The analysis stopped without finishing (the server running it was restarted or "
                          "stopped). Please start the report again.")
            .execution_options(synchronize_session=False))
        session.commit()
        session.refresh(job)
    return job


def list_report_jobs(session: Session, *, limit: int = 100) -> list[ReportJob]:
    """The latest report jobs, newest first (without their files and results)."""
    return list(session.scalars(sa.select(ReportJob).order_by(ReportJob.id.desc()).limit(limit)))


def _done_results(session: Session, job_id: int) -> tuple[ReportJob, dict[str, Any]]:
    job = find_report_job(session, job_id)
    if job.status != "done" or job.results is None:
        raise ReportError(f"report {job_id} is not finished ({job.status}), so there is nothing to show yet")
    return job, job.results


def report_html(session: Session, job_id: int) -> str:
    """The finished report as one self-contained HTML page."""
    job, results = _done_results(session, job_id)
    return render_html(results, title=_title(job))


def report_pdf(session: Session, job_id: int) -> tuple[str, bytes]:
    """(file name, PDF bytes) of the finished report, drawn from its stored results."""
    job, results = _done_results(session, job_id)
    buffer = io.BytesIO()
    render_pdf(results, buffer, title=_title(job))
    return f"{job.survey_slug}-roi-report-{job.id}.pdf", buffer.getvalue()


def report_results_json(session: Session, job_id: int) -> tuple[str, str]:
    """(file name, results.json text) of the finished report."""
    job, results = _done_results(session, job_id)
    return f"{job.survey_slug}-results-{job.id}.json", to_results_json(results)


if __name__ == "__main__":  # the child process of start_report_job
    logging.basicConfig(level=logging.INFO)
    run_report_job(database_url_from_environment(), int(sys.argv[1]))
