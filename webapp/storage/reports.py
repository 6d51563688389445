"""ROI report jobs (schema in migration 0004_reports).

A job is one run of the ROI analysis for a survey's responses against an uploaded outcomes file. Its state
lives in the database, not in a process, so any app server behind a load balancer can show its progress:
`queued` → `running` → `done` or `failed` (a running job whose worker died goes back to `queued`, see
`webapp.services.reporting`). A finished job keeps its inputs and the results JSON, so the
report can be shown and its PDF downloaded again later.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column

from .models import Base, utcnow

JOB_STATUSES = ("queued", "running", "done", "failed")


class ReportJob(Base):
    """One ROI analysis run and, once done, its results."""

    __tablename__ = "report_jobs"
    __table_args__ = (
        sa.CheckConstraint("status in ('queued', 'running', 'done', 'failed')", name="ck_report_jobs_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_slug: Mapped[str] = mapped_column(sa.String(64), index=True)
    survey_title: Mapped[str] = mapped_column(sa.String(1000))
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    progress: Mapped[str] = mapped_column(sa.String(1000), default="")
    """What the job is doing now, in words ("fitting the models …"), or how it ended."""
    outcomes_name: Mapped[str] = mapped_column(sa.String(255))
    outcomes_sha256: Mapped[str] = mapped_column(sa.String(64))
    outcomes_bytes: Mapped[int]
    outcomes_file: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary))
    """The uploaded file itself, so whichever server picks the job up can read it (loaded only when asked)."""
    config: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    """The roi.yaml data built from the form: column mapping, finance assumptions, scenario, segments."""
    seed: Mapped[int] = mapped_column(default=0)
    results: Mapped[dict[str, Any] | None] = deferred(mapped_column(sa.JSON, default=None))
    """The results.json document (docs/results.md) when done."""
    error: Mapped[str | None] = mapped_column(sa.Text, default=None)
    """The clear message shown when failed (never a traceback)."""
    created_by: Mapped[str | None] = mapped_column(sa.String(320), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    """Last change or sign of life of the job."""
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    """While running: until when the worker running it holds it (its heartbeat pushes this forward). A running
    job whose lease has run out lost its worker and is queued again (migration 0006_task_queue)."""
    worker: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    """The worker holding the lease ("host:pid"), for the logs and the operator."""
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    """How many times a worker has started the analysis (a job that keeps killing its worker is stopped)."""


SCHEDULE_DELIVERIES = ("pdf", "link")
SCHEDULE_RUN_STATES = ("analysing", "mailing", "sent", "failed")


class ReportShare(Base):
    """A link that shows one finished report to someone without an account until it expires or is revoked
    (migration 0021_report_sharing; `webapp.services.sharing`). Only the SHA-256 of the link's token is kept."""

    __tablename__ = "report_shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("report_jobs.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    """Whom the link was made for, in the words of its maker (shown in the list of links, never to the reader)."""
    created_by: Mapped[str] = mapped_column(sa.String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_by: Mapped[str | None] = mapped_column(sa.String(320), default=None)


class ReportSchedule(Base):
    """A report made again every month, on `day_of_month`, from the inputs of a finished job (its survey's
    current responses, the job's outcomes file and settings), and mailed to `recipients`
    (`webapp.services.report_schedules`). The month's run is claimed by recording `month` in the transaction
    that creates its job, so no month is run or mailed twice."""

    __tablename__ = "report_schedules"
    __table_args__ = (
        sa.CheckConstraint("day_of_month between 1 and 28", name="ck_report_schedules_day"),
        sa.CheckConstraint("delivery in ('pdf', 'link')", name="ck_report_schedules_delivery"),
        sa.CheckConstraint("run_state in ('analysing', 'mailing', 'sent', 'failed')",
                           name="ck_report_schedules_run_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("report_jobs.id"), index=True)
    """The finished job whose inputs each month's run reuses."""
    day_of_month: Mapped[int]
    recipients: Mapped[str] = mapped_column(sa.Text)
    """The addresses, one a line (lower-cased, checked when the schedule was made)."""
    delivery: Mapped[str] = mapped_column(sa.String(8))
    """`pdf`: the PDF attached; `link`: a share link of its own for each address."""
    created_by: Mapped[str] = mapped_column(sa.String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    month: Mapped[str | None] = mapped_column(sa.String(7), default=None)
    """The last month claimed (`YYYY-MM`): its run is made and mailed once."""
    run_job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("report_jobs.id"), default=None)
    """That month's report job."""
    run_state: Mapped[str | None] = mapped_column(sa.String(16), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the worker now analysing or mailing the month's run took it (its lease starts there)."""
    mailed_to: Mapped[str] = mapped_column(sa.Text, default="")
    """The addresses already dealt with this month, one a line (sent, refused, or possibly sent)."""
    sending_to: Mapped[str | None] = mapped_column(sa.String(320), default=None)
    """The address whose message is going out now; after a dead worker, counted as possibly sent, not resent."""
    run_error: Mapped[str | None] = mapped_column(sa.Text, default=None)
