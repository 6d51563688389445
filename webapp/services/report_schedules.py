"""Monthly reports: a finished report made again every month from the same inputs — its survey's current
responses, the outcomes file and settings kept with the job — and mailed to a list of addresses, with the PDF
attached or with a share link of its own for each address (docs/sharing.md).

The periodic task `send_scheduled_reports` (every hour, at minute 23) calls `run_due_schedules`, which, for each
schedule:

1. claims the month: one transaction records the month (`YYYY-MM`) on the schedule, by a conditional UPDATE
   that only a schedule not yet run this month passes, and stores the month's report job. A second worker, a
   retried task or a restarted worker finds the month taken and does nothing;
2. runs the analysis (`reporting.run_report_job`, with its lease: a worker that dies here leaves the job to
   `recover_report_jobs`, and the next round picks the finished job up);
3. mails it: the run is claimed for mailing (`mailing`, `claimed_at`); before each message's DATA the address is
   recorded as `sending_to` and after it in `mailed_to`. A worker that dies while mailing leaves the claim to
   run out (`LEASE`); the next round goes on with the addresses not yet dealt with, and counts the one whose
   message was going out as possibly sent (not sent again): no address gets the month's report twice.

A `link` schedule makes each address's share link with its message, before the message goes out (the link is in
it). When that message does not go out — deferred (SMTP 4xx, server unreachable: the next round makes a new
link), refused (5xx), given up to another worker, or not sent for want of `CXROI_MAIL_URL` — the link is revoked
at once (`sharing.withdraw_unsent_share`, audited): no live link is left that nobody received. A message whose
outcome is unknown (the connection failed during DATA) keeps its link: it may have arrived.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid

import sqlalchemy as sa
from sqlalchemy.orm import Session, undefer

from roi.report import headline

from ..audit.service import record
from ..queue import crontab, huey, task_database_url
from ..storage.engine import create_engine_for, session_factory
from ..storage.models import utcnow
from ..storage.reports import SCHEDULE_DELIVERIES, ReportJob, ReportSchedule
from . import mailing, reporting, sharing
from .customer_lists import email_problem
from .errors import HostingError

log = logging.getLogger("cxroi.mail")

MAX_RECIPIENTS = 50
LEASE = timedelta(minutes=30)
"""How long a worker holds a month's run (waiting for its analysis to start, or mailing) before another takes
it over."""
LINK_DAYS = sharing.DEFAULT_DAYS
"""How long the link mailed with a `link` schedule lives."""


class ScheduleError(HostingError):
    title = "The report cannot be scheduled"


class UnknownSchedule(HostingError):
    status = 404
    title = "Schedule not found"


def read_recipients(text: str) -> list[str]:
    """The addresses of the form's box (one a line, or separated by commas or semicolons), lower-cased, each
    once; `ScheduleError` naming the line of the first bad one."""
    found: list[str] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        for part in line.replace(";", ",").split(","):
            address = part.strip().lower()
            if not address:
                continue
            problem = email_problem(address)
            if problem:
                raise ScheduleError(f"addresses, line {number}: {problem}")
            if address not in found:
                found.append(address)
    if not found:
        raise ScheduleError("addresses: give at least one e-mail address")
    if len(found) > MAX_RECIPIENTS:
        raise ScheduleError(f"addresses: at most {MAX_RECIPIENTS} ({len(found)} given)")
    return found


def month_of(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def create_schedule(session: Session, job_id: int, *, day_of_month: int, recipients: str, delivery: str,
                    actor: str, client: str = "", now: datetime | None = None) -> ReportSchedule:
    """Schedule the finished report `job_id` every month on `day_of_month` (1–28) to `recipients`. The first run
    is on the next such day after today. Commits, with its audit event.

    Raises `UnknownReport` (404), `sharing.NotFinished` (409) or `ScheduleError` (400, naming the field)."""
    job = reporting.find_report_job(session, job_id)
    if job.status != "done":
        raise sharing.NotFinished(f"report {job_id} is not finished ({job.status}); only a finished report's "
                                  "inputs can be scheduled")
    if isinstance(day_of_month, bool) or not isinstance(day_of_month, int) or not 1 <= day_of_month <= 28:
        raise ScheduleError(f"day of the month: give a day from 1 to 28 (not {day_of_month!r}), so that every "
                            "month has it")
    if delivery not in SCHEDULE_DELIVERIES:
        raise ScheduleError(f"send: choose the PDF or a link (not {delivery!r})")
    addresses = read_recipients(recipients)
    now = now or utcnow()
    schedule = ReportSchedule(job_id=job.id, day_of_month=day_of_month, recipients="\n".join(addresses),
                              delivery=delivery, created_by=actor, created_at=now, mailed_to="",
                              month=month_of(now) if day_of_month <= now.day else None)
    session.add(schedule)
    session.flush()
    record(session, "report_scheduled", actor=actor, target=f"report:{job.id}", client=client,
           detail={"schedule": schedule.id, "day_of_month": day_of_month, "delivery": delivery,
                   "recipients": addresses})
    session.commit()
    return schedule


def remove_schedule(session: Session, job_id: int, schedule_id: int, *, actor: str, client: str = "") -> None:
    """Stop the schedule (its past runs' reports stay). Commits, with its audit event."""
    reporting.find_report_job(session, job_id)
    schedule = session.scalar(sa.select(ReportSchedule).where(ReportSchedule.id == schedule_id,
                                                              ReportSchedule.job_id == job_id))
    if schedule is None:
        raise UnknownSchedule(f"report {job_id} has no monthly schedule number {schedule_id}")
    record(session, "report_unscheduled", actor=actor, target=f"report:{job_id}", client=client,
           detail={"schedule": schedule.id})
    session.delete(schedule)
    session.commit()


def schedules_of(session: Session, job_id: int) -> list[ReportSchedule]:
    return list(session.scalars(sa.select(ReportSchedule).where(ReportSchedule.job_id == job_id)
                                .order_by(ReportSchedule.id)))


def next_run(schedule: ReportSchedule, now: datetime | None = None) -> str:
    """The date (YYYY-MM-DD) of the schedule's next run."""
    now = now or utcnow()
    year, month = now.year, now.month
    if schedule.month is not None and schedule.month >= month_of(now):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year:04d}-{month:02d}-{schedule.day_of_month:02d}"


# --- the monthly run -----------------------------------------------------------------------------------------


def claim_month(session: Session, schedule_id: int, now: datetime) -> int | None:
    """Take this month's run of the schedule if it is due and not taken: the month and the run's new report job
    are stored in one transaction. Returns the job's id, or None (not due, or taken already)."""
    month = month_of(now)
    claimed = session.execute(
        sa.update(ReportSchedule)
        .where(ReportSchedule.id == schedule_id, ReportSchedule.day_of_month <= now.day,
               sa.or_(ReportSchedule.month.is_(None), ReportSchedule.month < month))
        .values(month=month, run_state="analysing", claimed_at=now, mailed_to="", sending_to=None, run_error=None)
        .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if not claimed:
        session.rollback()
        return None
    schedule = session.get_one(ReportSchedule, schedule_id)
    source = session.scalars(sa.select(ReportJob).where(ReportJob.id == schedule.job_id)
                             .options(undefer(ReportJob.outcomes_file))).one()
    job = ReportJob(survey_slug=source.survey_slug, survey_title=source.survey_title, status="queued",
                    progress=f"Waiting to start (monthly report {month} of schedule {schedule_id})",
                    outcomes_name=source.outcomes_name, outcomes_sha256=source.outcomes_sha256,
                    outcomes_bytes=source.outcomes_bytes, outcomes_file=source.outcomes_file,
                    config=source.config, seed=source.seed, created_by=schedule.created_by, created_at=now,
                    updated_at=now)
    session.add(job)
    session.flush()
    schedule.run_job_id = job.id
    session.commit()
    log.info("report schedule %s: %s claimed, report job %s", schedule_id, month, job.id)
    return job.id


def due_schedules(session: Session, now: datetime) -> list[int]:
    ids = list(session.scalars(sa.select(ReportSchedule.id).where(
        ReportSchedule.day_of_month <= now.day,
        sa.or_(ReportSchedule.month.is_(None), ReportSchedule.month < month_of(now))).order_by(ReportSchedule.id)))
    session.commit()
    return ids


def stalled_analyses(session: Session, now: datetime) -> list[int]:
    """Report jobs of claimed runs that were never started (the worker stopped between the claim and the
    analysis): still queued after the lease."""
    ids = list(session.scalars(sa.select(ReportSchedule.run_job_id).join(
        ReportJob, ReportJob.id == ReportSchedule.run_job_id).where(
        ReportSchedule.run_state == "analysing", ReportJob.status == "queued",
        ReportSchedule.claimed_at < now - LEASE)))
    session.commit()
    return [job_id for job_id in ids if job_id is not None]


def runs_to_mail(session: Session, now: datetime) -> list[int]:
    """Schedules whose month's analysis has ended, and mailings whose worker stopped (claim past the lease)."""
    ended = sa.select(ReportJob.id).where(ReportJob.status.in_(("done", "failed")))
    ids = list(session.scalars(sa.select(ReportSchedule.id).where(sa.or_(
        sa.and_(ReportSchedule.run_state == "analysing", ReportSchedule.run_job_id.in_(ended)),
        sa.and_(ReportSchedule.run_state == "mailing", ReportSchedule.claimed_at < now - LEASE)))
        .order_by(ReportSchedule.id)))
    session.commit()
    return ids


@huey.periodic_task(crontab(minute="23"))
def send_scheduled_reports(now: datetime | None = None) -> int:
    """Every hour: run and mail the monthly reports that are due (`run_due_schedules`)."""
    return run_due_schedules(task_database_url(), mailing.MailSettings.from_environment(), now=now)


def run_due_schedules(database_url: str, settings: mailing.MailSettings, *, now: datetime | None = None) -> int:
    """One round of the periodic task: claim and analyse every schedule due at `now`, start the analyses a
    stopped worker left, then mail every run whose analysis has ended. Returns the number of runs mailed."""
    now = now or utcnow()
    engine = create_engine_for(database_url)
    try:
        with session_factory(engine)() as session:
            jobs = [job_id for schedule_id in due_schedules(session, now)
                    if (job_id := claim_month(session, schedule_id, now)) is not None]
            jobs += stalled_analyses(session, now)
        for job_id in jobs:
            reporting.run_report_job(database_url, job_id)  # claims the job itself: run once whoever calls
        mailed = 0
        with session_factory(engine)() as session:
            for schedule_id in runs_to_mail(session, now):
                mailed += mail_run(session, schedule_id, settings, now=now)
        return mailed
    finally:
        engine.dispose()


def _claim_mailing(session: Session, schedule_id: int, now: datetime) -> bool:
    ended = sa.select(ReportJob.id).where(ReportJob.status.in_(("done", "failed")))
    claimed = session.execute(
        sa.update(ReportSchedule).where(ReportSchedule.id == schedule_id, sa.or_(
            sa.and_(ReportSchedule.run_state == "analysing", ReportSchedule.run_job_id.in_(ended)),
            sa.and_(ReportSchedule.run_state == "mailing", ReportSchedule.claimed_at < now - LEASE)))
        .values(run_state="mailing", claimed_at=now)
        .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    session.commit()
    return bool(claimed)


def _held(schedule_id: int, claim: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(ReportSchedule.id == schedule_id, ReportSchedule.run_state == "mailing",
                   ReportSchedule.claimed_at == claim)


def _set(session: Session, schedule_id: int, claim: datetime, **values: object) -> bool:
    """Change the run while this worker's claim holds it (committed); whether it did."""
    done = session.execute(sa.update(ReportSchedule).where(_held(schedule_id, claim)).values(**values)
                           .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    session.commit()
    return bool(done)


def outcomes(schedule: ReportSchedule) -> dict[str, str]:
    """The addresses dealt with this month and how (sent, not_sent, bounced, unknown)."""
    pairs = (line.split(" ", 1) for line in (schedule.mailed_to or "").splitlines() if line.strip())
    return {pair[0]: (pair[1] if len(pair) > 1 else "sent") for pair in pairs}


def _lines(done: dict[str, str]) -> str:
    return "\n".join(f"{address} {state}" for address, state in done.items())


def mail_run(session: Session, schedule_id: int, settings: mailing.MailSettings, *,
             now: datetime | None = None) -> int:
    """Mail the month's report of the schedule if this call can claim the run; 1 when the run is finished
    here (sent, or failed with its analysis), else 0. A deferral (SMTP 4xx, server unreachable) leaves the rest
    to a later round, after the lease."""
    now = now or utcnow()
    if not _claim_mailing(session, schedule_id, now):
        return 0
    schedule = session.get_one(ReportSchedule, schedule_id, populate_existing=True)
    job = session.get_one(ReportJob, schedule.run_job_id, populate_existing=True)
    if job.status == "failed":
        _set(session, schedule_id, now, run_state="failed", run_error=f"report {job.id} failed: {job.error}")
        log.warning("report schedule %s: the month's analysis (report %s) failed; nothing mailed", schedule_id,
                    job.id)
        return 1
    done = outcomes(schedule)
    if schedule.sending_to and schedule.sending_to not in done:  # a stopped worker's message: maybe delivered
        done[schedule.sending_to] = "unknown"
        _set(session, schedule_id, now, mailed_to=_lines(done), sending_to=None)
    target = mailing.smtp_target(settings.url) if settings.url else None
    problems: list[str] = []
    for address in [a for a in recipients_of(schedule) if a not in done]:
        mail, share_id = build_report_mail(session, schedule, job, address, settings)

        def unsent(reason: str, share_id: int | None = share_id) -> None:
            if share_id is not None:  # its link reached nobody: revoked, a later attempt makes a new one
                sharing.withdraw_unsent_share(session, share_id, actor=f"report-schedule:{schedule_id}",
                                              reason=reason)

        if target is None:
            log.info("CXROI_MAIL_URL is not set; monthly report of schedule %s to %s not sent (its link, if any, "
                     "is revoked):\n%s", schedule_id, address, mail.as_string()[:4000])
            unsent("not sent: CXROI_MAIL_URL is not set")
            state = "not_sent"
        else:
            if not _set(session, schedule_id, now, sending_to=address):
                unsent("not sent: another worker took the run over")
                return 0  # another worker took the run over
            result = mailing.deliver(mail, target, address, settings.sender,
                                     before_data=lambda: _still_held(session, schedule_id, now))
            if result.state == "abandoned":
                unsent("not sent: another worker took the run over")
                return 0
            if result.state == "deferred":
                unsent(f"deferred: {result.error}")
                _set(session, schedule_id, now, sending_to=None, run_error=f"{address}: {result.error} (tried "
                     "again in a later round)")
                log.warning("report schedule %s: %s deferred (%s)", schedule_id, address, result.error)
                return 0
            state = result.state
            if state != "sent":
                problems.append(f"{address}: {state} ({result.error})")
                if state != "unknown":  # unknown: the message may have arrived, its link with it
                    unsent(f"{state}: {result.error}")
        done[address] = state
        if not _set(session, schedule_id, now, mailed_to=_lines(done), sending_to=None):
            return 0
    _set(session, schedule_id, now, run_state="sent", run_error="; ".join(problems)[:2000] or None)
    log.info("report schedule %s: %s mailed (%s)", schedule_id, schedule.month, _lines(done).replace("\n", ", "))
    return 1


def _still_held(session: Session, schedule_id: int, claim: datetime) -> bool:
    held = session.scalar(sa.select(ReportSchedule.id).where(_held(schedule_id, claim)))
    session.commit()
    return held is not None


def build_report_mail(session: Session, schedule: ReportSchedule, job: ReportJob, address: str,
                      settings: mailing.MailSettings) -> tuple[EmailMessage, int | None]:
    """The month's message to `address`: the headline, and the PDF attached or a link of its own; with the
    number of that link (stored, live), None for a PDF."""
    title = f"{job.survey_title}: what customer experience is worth"
    summary = headline(job.results) if job.results else ""
    lines = [f"The monthly customer-experience report for {schedule.month}: {title}.", ""]
    if summary:
        lines += [summary, ""]
    attachment: tuple[str, bytes] | None = None
    share_id: int | None = None
    if schedule.delivery == "pdf":
        attachment = reporting.report_pdf(session, job.id)
        lines.append("The report is attached as a PDF.")
    else:
        share, token = sharing.create_share(session, job.id, days=LINK_DAYS, label=f"monthly mail to {address}",
                                            actor=f"report-schedule:{schedule.id}")
        share_id = share.id
        lines += ["Read the report (no account needed):", f"{settings.base_url.rstrip('/')}/shared/{token}",
                  f"The link works until {share.expires_at:%Y-%m-%d} (UTC); it is yours alone, please do not "
                  "forward it."]
    lines += ["", f"You receive this because {schedule.created_by} scheduled report {schedule.job_id} to be "
              f"mailed to you on day {schedule.day_of_month} of every month."]
    mail = EmailMessage()
    mail["From"] = settings.sender
    local, _, domain = address.rpartition("@")
    mail["To"] = Address(username=local, domain=domain)
    mail["Subject"] = f"Monthly report {schedule.month}: {job.survey_title}"[:mailing.SUBJECT_LIMIT]
    mail["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2].strip(" >") or "localhost")
    mail.set_content("\n".join(lines))
    if attachment is not None:
        mail.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
    return mail, share_id


def recipients_of(schedule: ReportSchedule) -> Sequence[str]:
    return [address for address in schedule.recipients.splitlines() if address]
