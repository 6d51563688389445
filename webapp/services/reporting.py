"""ROI report jobs: check an uploaded outcomes file, queue the analysis, run it in `cxroi worker`, keep the
results so the report can be shown as HTML and downloaded as PDF again later.

The job's state lives in the `report_jobs` table (any app server can show it). `create_report_job` checks
everything that can be checked quickly — the survey, the settings, every cell of the outcomes file, the user's
number of waiting jobs — and stores nothing when any of it is wrong (a `CxroiError` naming file, row and
column). `queue_report_job` puts the job on the task queue (`webapp.queue`); a worker runs it
(`run_report_task`), each worker process one analysis at a time, so `cxroi worker --workers N` runs at most N.

Failures:

* bad data (a `CxroiError` inside the analysis): the job fails with that message, not retried;
* a transient failure (the database unreachable or locked, a connection reset): the job goes back to `queued`
  and Huey runs it again after `REPORT_RETRY_DELAY` seconds, up to `REPORT_RETRIES` times;
* a worker that dies (killed, out of memory, its host gone): Huey has already taken the message off the queue,
  so the job row carries a lease (`lease_until`, `worker`) that the running worker's heartbeat renews every
  third of `CXROI_REPORT_LEASE_SECONDS`. The periodic task `recover_report_jobs` (every minute, in every worker,
  and at the start of `cxroi worker --burst`) puts a running job whose lease ran out back in the queue, where
  any worker picks it up again; after `MAX_STARTS` starts it is failed instead (an analysis that kills its
  worker each time). A job is never failed for being slow or waiting long.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, undefer

from roi.config import RoiConfig, build_config
from surveys.errors import CxroiError

from ..config import report_lease_seconds_from_environment
from ..queue import crontab, huey, task_database_url, task_session
from ..storage.engine import create_engine_for, session_factory
from ..storage.models import Response, SurveyVersion, utcnow
from ..storage.reports import ReportJob
from ..themes.service import current_codebook
from ..webhooks import service as webhooks
from ..webhooks import tasks as webhook_tasks
from .analysis import responses_for_analysis
from .errors import HostingError
from .isolated import Limits
from .publishing import latest_version
from .uploads import count_outcomes, count_outcomes_file, read_outcomes_file, safe_name

log = logging.getLogger(__name__)

OUTCOMES_LIMIT = 64 * 1024 * 1024
"""Largest outcomes upload (64 MiB: a few hundred thousand customers as CSV)."""
REPORT_RETRIES = 2
"""Runs after the first that a transient failure earns (Huey `retries=`)."""
REPORT_RETRY_DELAY = 30
"""Seconds between those runs (Huey `retry_delay=`)."""
MAX_STARTS = 5
"""Starts of one job (retries and pick-ups after a dead worker together) before it is failed."""
TRANSIENT = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError, ConnectionError,
             TimeoutError)
"""Failures that may pass by themselves: retried, not shown as the job's result."""


class ReportError(HostingError):
    """A report request that cannot be carried out (bad upload, unknown job …)."""


class UnknownReport(ReportError):
    status = 404
    title = "Report not found"


class ReportNotFinished(ReportError):
    status = 409
    title = "The report is not finished"


class TooManyReports(ReportError):
    status = 429
    title = "Too many reports waiting"


class QueueUnavailable(ReportError):
    status = 503
    title = "Reports cannot be started now"


def _safe_name(name: str) -> str:
    return safe_name(name, "outcomes")


read_outcomes_upload = read_outcomes_file
"""The uploaded outcomes file as text cells (in this process: the worker reads a file already checked)."""


def check_outcomes(content: bytes, name: str, config: RoiConfig, *, limits: Limits | None = None) -> int:
    """Check every cell of an outcomes upload against the data contract; returns the number of customers.

    Raises `OutcomeDataError` naming the file, rows and column (duplicate ids, churned not 0/1 …). With
    `limits`, the file is read in a child process under them (`UploadTooDemanding`, 413, past them).
    """
    if limits is not None:
        return count_outcomes(content, name, config, limits=limits)
    return count_outcomes_file(content, name, config)


def waiting_jobs(session: Session, created_by: str) -> int:
    """The user's report jobs that are queued or running."""
    return int(session.scalar(sa.select(sa.func.count(ReportJob.id)).where(
        ReportJob.created_by == created_by, ReportJob.status.in_(("queued", "running")))) or 0)


def create_report_job(session: Session, *, slug: str, outcomes_name: str, content: bytes,
                      config_data: Mapping[str, Any], created_by: str | None, seed: int = 0,
                      per_user_limit: int = 0, limits: Limits | None = None) -> ReportJob:
    """Check the request and store it as a queued job (not yet on the task queue: `queue_report_job`). Commits.

    Raises `TooManyReports` (429: `created_by` already has `per_user_limit` jobs queued or running; 0 is no
    limit), `UnknownSurvey` (404), `ReportError` (no complete responses), `InvalidConfig` (settings) or
    `OutcomeDataError` (the file) or `UploadTooDemanding` (413: reading the file, in a child process under
    `limits`, needed more memory or time), and then stores nothing.
    """
    if per_user_limit and created_by is not None and waiting_jobs(session, created_by) >= per_user_limit:
        raise TooManyReports(
            f"you already have {per_user_limit} report{'s' if per_user_limit != 1 else ''} waiting or running, "
            "the most one person may have at once; wait for one of them to finish (the list below shows them), "
            "then start this one")
    version = latest_version(session, slug)
    complete = session.scalar(
        sa.select(sa.func.count(Response.id)).join(SurveyVersion, Response.version_id == SurveyVersion.id)
        .where(SurveyVersion.survey_id == version.survey_id, Response.status == "complete"))
    if not complete:
        raise ReportError(f"the survey {slug!r} has no complete responses yet, so there is nothing to relate to "
                          "the outcomes")
    config = build_config(dict(config_data), source="report settings")
    check_outcomes(content, outcomes_name, config, limits=limits)
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


def queue_report_job(session: Session, job_id: int) -> None:
    """Put a stored job on the task queue. When the queue cannot be reached, the job is failed with that
    reason and `QueueUnavailable` (503) is raised: a job never waits for a message that was not sent."""
    try:
        run_report_task(job_id)
    except Exception as error:
        log.exception("report job %s could not be queued", job_id)
        _update(session, job_id, status="failed", finished_at=utcnow(), progress="Not started",
                error="The report could not be queued: the task queue (CXROI_QUEUE_URL) did not answer. "
                      "Please try again later.")
        raise QueueUnavailable("the report could not be started: the task queue did not answer "
                               f"({type(error).__name__}); nothing was lost, please try again later") from None


@huey.task(retries=REPORT_RETRIES, retry_delay=REPORT_RETRY_DELAY, context=True)
def run_report_task(job_id: int, task: Any = None) -> None:
    """The queued analysis of one job, in a worker. Raises on a transient failure so that Huey retries it."""
    run_report_job(task_database_url(), job_id, retries_left=task.retries if task is not None else 0)


@huey.periodic_task(crontab(minute="*"))
def recover_report_jobs() -> None:
    """Every minute: queue again the running jobs whose worker died (their lease ran out)."""
    with task_session() as session:
        requeue_lost_report_jobs(session)


def requeue_lost_report_jobs(session: Session) -> list[int]:
    """Put the running jobs whose lease has run out back on the queue (or fail those started `MAX_STARTS`
    times); returns the ids queued again. Safe to run in several workers at once: each job is taken by one
    conditional UPDATE."""
    now = utcnow()
    lost = sa.and_(ReportJob.status == "running", ReportJob.lease_until < now)
    requeued = []
    for job_id in session.scalars(sa.select(ReportJob.id).where(lost).order_by(ReportJob.id)).all():
        gave_up = session.execute(
            sa.update(ReportJob).where(ReportJob.id == job_id, lost, ReportJob.attempts >= MAX_STARTS)
            .values(status="failed", finished_at=now, updated_at=now, lease_until=None, progress="Stopped",
                    error=f"The analysis stopped its worker {MAX_STARTS} times without finishing (it may need "
                          "more memory than the worker has). The inputs are kept; please tell the people who run "
                          f"cxroi, quoting report {job_id}.")
            .execution_options(synchronize_session=False))
        if gave_up.rowcount:  # type: ignore[attr-defined]
            session.commit()
            log.error("report job %s failed: started %s times", job_id, MAX_STARTS)
            continue
        taken = session.execute(
            sa.update(ReportJob).where(ReportJob.id == job_id, lost)
            .values(status="queued", lease_until=None, worker=None, updated_at=now,
                    progress="Waiting to start again: the worker running it stopped")
            .execution_options(synchronize_session=False))
        session.commit()
        if not taken.rowcount:  # type: ignore[attr-defined]
            continue  # another worker's recovery took it
        try:
            run_report_task(job_id)
        except Exception:  # the queue is down: leave it lost, the next round tries again
            log.exception("report job %s could not be queued again", job_id)
            _update(session, job_id, status="running", lease_until=now)
            continue
        log.warning("report job %s: its worker stopped; queued again", job_id)
        requeued.append(job_id)
    return requeued


def _update(session: Session, job_id: int, owner: str | None = None, *, commit: bool = True, **values: Any) -> int:
    """Change the job (only while `owner` holds its lease, when given); returns the rows changed. Commits unless
    `commit` is false (the caller decides, by the rows changed)."""
    where = [ReportJob.id == job_id]
    if owner is not None:
        where += [ReportJob.worker == owner, ReportJob.status == "running"]
    done = session.execute(sa.update(ReportJob).where(*where).values(updated_at=utcnow(), **values)
                           .execution_options(synchronize_session=False))
    if commit:
        session.commit()
    return int(done.rowcount)  # type: ignore[attr-defined]


def _heartbeat(database_url: str, job_id: int, owner: str, lease: timedelta, stop: threading.Event) -> None:
    engine = create_engine_for(database_url)
    try:
        with session_factory(engine)() as session:
            while not stop.wait(lease.total_seconds() / 3):
                try:
                    if not _update(session, job_id, owner, lease_until=utcnow() + lease):
                        return  # no longer ours (finished, or taken again after a stall)
                except TRANSIENT:
                    session.rollback()  # the next beat tries again; the lease covers a few missed ones
    finally:
        engine.dispose()


def run_report_job(database_url: str, job_id: int, *, retries_left: int = 0) -> None:
    """Claim a queued job and run it to `done` or `failed`.

    On a transient failure with `retries_left`, the job goes back to `queued` and the error is raised again
    (for Huey to retry the task); every other outcome is recorded on the job and nothing is raised.
    """
    lease = timedelta(seconds=report_lease_seconds_from_environment())
    owner = f"{socket.gethostname()[:120]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    engine = create_engine_for(database_url)
    stop = threading.Event()
    try:
        with session_factory(engine)() as session:
            now = utcnow()
            claimed = session.execute(
                sa.update(ReportJob).where(ReportJob.id == job_id, ReportJob.status == "queued")
                .values(status="running", started_at=sa.func.coalesce(ReportJob.started_at, now), updated_at=now,
                        lease_until=now + lease, worker=owner, attempts=ReportJob.attempts + 1,
                        progress="Reading the outcomes file").execution_options(synchronize_session=False))
            session.commit()
            if not claimed.rowcount:  # type: ignore[attr-defined]
                return  # another worker has it, or it is finished or gone
            threading.Thread(target=_heartbeat, args=(database_url, job_id, owner, lease, stop), daemon=True,
                             name=f"report-{job_id}-heartbeat").start()
            try:
                results = _run(session, job_id, owner)
            except CxroiError as error:
                _update(session, job_id, owner, status="failed", error=str(error), finished_at=utcnow(),
                        lease_until=None, progress="Stopped: the data could not be analysed")
                return
            except TRANSIENT as error:
                session.rollback()
                _transient(session, job_id, owner, error, retries_left)
                return
            except Exception as error:  # the user gets a clear line; the traceback goes to the worker's log
                log.exception("report job %s failed", job_id)
                _update(session, job_id, owner, status="failed", finished_at=utcnow(), lease_until=None,
                        progress="Stopped",
                        error=f"The analysis stopped on an unexpected error ({type(error).__name__}). The "
                              "inputs are kept; please tell the people who run cxroi, quoting report "
                              f"{job_id}.")
                return
            job = session.get(ReportJob, job_id)
            deliveries = webhooks.emit(session, "report.finished", {
                "report": job_id, "survey": job.survey_slug if job else None,
                "results": f"/api/v1/reports/{job_id}/results.json", "pdf": f"/api/v1/reports/{job_id}/report.pdf"})
            # The event is stored with the job's new status; a worker that lost its lease stores neither.
            if _update(session, job_id, owner, commit=False, status="done", results=results,
                       finished_at=utcnow(), lease_until=None, progress="Done"):
                session.commit()
                webhook_tasks.deliver_later(deliveries)
            else:
                session.rollback()
    finally:
        stop.set()
        engine.dispose()


def _transient(session: Session, job_id: int, owner: str, error: BaseException, retries_left: int) -> None:
    """Queue the job again and raise (Huey retries it), or, with no retries left, fail it."""
    reason = f"{type(error).__name__}: {str(error).strip().splitlines()[0][:200] if str(error).strip() else ''}"
    log.warning("report job %s: transient failure (%s), %s retries left", job_id, reason, retries_left)
    try:
        if retries_left > 0:
            _update(session, job_id, owner, status="queued", lease_until=None, worker=None,
                    progress=f"Waiting to start again: a temporary problem stopped the analysis ({reason}); "
                             f"it is tried again in {REPORT_RETRY_DELAY} seconds")
        else:
            _update(session, job_id, owner, status="failed", finished_at=utcnow(), lease_until=None,
                    progress="Stopped",
                    error=f"The analysis stopped on a temporary problem that did not pass after "
                          f"{REPORT_RETRIES + 1} tries ({reason}). Please start the report again later.")
            return
    except TRANSIENT:
        log.exception("report job %s: could not record the failure; its lease will run out and it is "
                      "queued again", job_id)
    raise error


def _run(session: Session, job_id: int, owner: str | None = None) -> dict[str, Any]:
    # The analysis stack (statsmodels, scipy, scikit-learn, reportlab) is imported by the task that uses it, not
    # by every worker and command that loads the tasks (`queue.load_tasks`): it takes seconds to import.
    from roi.analysis import analyze
    from roi.data import build_analysis_data
    from roi.report import render_html
    from roi.results import to_results_json

    job = session.scalars(sa.select(ReportJob).where(ReportJob.id == job_id)
                          .options(undefer(ReportJob.outcomes_file))).one()
    config = build_config(job.config, source="report settings")
    outcomes = read_outcomes_upload(job.outcomes_file, job.outcomes_name)
    _update(session, job_id, owner, progress=f"Reading the responses of {job.survey_slug!r} from the database")
    frame, survey = responses_for_analysis(session, job.survey_slug)
    _update(session, job_id, owner, progress=f"Checking and joining {len(frame)} responses with {len(outcomes)} customers")
    data = build_analysis_data(frame, outcomes, config=config, survey=survey)
    _update(session, job_id, owner, progress=f"Fitting the models for {data.join.matched} matched customers, with "
                                      f"{config.bootstrap} bootstrap replicates for the intervals "
                                      "(the longest step)")
    files = {"responses": {"name": f"survey:{job.survey_slug}", "bytes": None, "sha256": None},
             "outcomes": {"name": job.outcomes_name, "bytes": job.outcomes_bytes, "sha256": job.outcomes_sha256}}
    inputs = {"files": files, "survey": frame.attrs["survey"]}
    results = analyze(data, config, seed=job.seed, inputs=inputs,
                      codebook=current_codebook(session, job.survey_slug))  # the survey's themes, if coded
    _update(session, job_id, owner, progress="Checking that the report can be drawn")
    document: dict[str, Any] = json.loads(to_results_json(results))
    render_html(document, title=_title(job))  # a report that cannot be drawn fails the job now, not later
    return document


def _title(job: ReportJob) -> str:
    return f"{job.survey_title}: what customer experience is worth"


def find_report_job(session: Session, job_id: int) -> ReportJob:
    """The job; `UnknownReport` (404)."""
    job = session.get(ReportJob, job_id)
    if job is None:
        raise UnknownReport(f"there is no report number {job_id}")
    return job


def worker_lost(job: ReportJob) -> bool:
    """Whether a running job's lease has run out (its worker stopped; it will be queued again)."""
    return job.status == "running" and job.lease_until is not None and job.lease_until < utcnow()


def list_report_jobs(session: Session, *, limit: int = 100) -> list[ReportJob]:
    """The latest report jobs, newest first (without their files and results)."""
    return list(session.scalars(sa.select(ReportJob).order_by(ReportJob.id.desc()).limit(limit)))


def _done_results(session: Session, job_id: int) -> tuple[ReportJob, dict[str, Any]]:
    job = find_report_job(session, job_id)
    if job.status != "done" or job.results is None:
        raise ReportNotFinished(f"report {job_id} is not finished ({job.status}), so there is nothing to show yet")
    return job, job.results


def report_html(session: Session, job_id: int) -> str:
    """The finished report as one self-contained HTML page."""
    from roi.report import render_html  # imported where used (see `_run`)

    job, results = _done_results(session, job_id)
    return render_html(results, title=_title(job))


def report_pdf(session: Session, job_id: int) -> tuple[str, bytes]:
    """(file name, PDF bytes) of the finished report, drawn from its stored results."""
    from roi.report import render_pdf  # imported where used (see `_run`)

    job, results = _done_results(session, job_id)
    buffer = io.BytesIO()
    render_pdf(results, buffer, title=_title(job))
    return f"{job.survey_slug}-roi-report-{job.id}.pdf", buffer.getvalue()


def report_results_json(session: Session, job_id: int) -> tuple[str, str]:
    """(file name, results.json text) of the finished report."""
    from roi.results import to_results_json  # imported where used (see `_run`)

    job, results = _done_results(session, job_id)
    return f"{job.survey_slug}-results-{job.id}.json", to_results_json(results)
