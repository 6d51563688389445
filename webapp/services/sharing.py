"""Links that show one finished report to a finance reader who has no account (docs/sharing.md).

A link reads `/shared/<token>`: 32 random bytes (256 bits), of which only the SHA-256 is stored
(`report_shares`, migration 0021_report_sharing), as API keys are kept — a plain hash suffices for a random
secret, and a stolen database holds no usable link. A link is made by someone who can see the report (the
pages' team scope finds the job or answers 404), for 1 to `MAX_DAYS` days (default `DEFAULT_DAYS`), and can be
revoked. Making and revoking are audited (`report_shared`, `report_share_revoked`) with the link's number,
never its token.

Opening a link: an unknown or revoked token is `ShareNotFound` (404), an expired one `ShareExpired` (410); the
pages say so plainly.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..audit.service import record
from ..storage.models import utcnow
from ..storage.reports import ReportShare
from .errors import HostingError
from .reporting import find_report_job, report_html, report_pdf

DEFAULT_DAYS = 30
MAX_DAYS = 90
LABEL_LIMIT = 200
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


class ShareError(HostingError):
    title = "The link cannot be made"


class ShareNotFound(HostingError):
    status = 404
    title = "Link not found"


class ShareExpired(HostingError):
    status = 410
    title = "This link has expired"


class NotFinished(ShareError):
    status = 409


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_share(session: Session, job_id: int, *, days: int = DEFAULT_DAYS, label: str = "", actor: str,
                 client: str = "", now: datetime | None = None) -> tuple[ReportShare, str]:
    """Store a link to the finished report `job_id`, valid for `days` days; returns it with its token (the only
    time the token exists outside the link). Commits, with its audit event.

    Raises `UnknownReport` (404: no such report, or one of a team the session cannot see), `NotFinished` (409)
    or `ShareError` (400: days outside 1 to `MAX_DAYS`, a label too long or with control characters)."""
    job = find_report_job(session, job_id)
    if job.status != "done":
        raise NotFinished(f"report {job_id} is not finished ({job.status}); only a finished report can be shared")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ShareError(f"expires after: give a number of days from 1 to {MAX_DAYS} (not {days!r})")
    label = (label or "").strip()
    if len(label) > LABEL_LIMIT or any(ord(char) < 0x20 or ord(char) == 0x7F for char in label):
        raise ShareError(f"shared with: at most {LABEL_LIMIT} printable characters")
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    share = ReportShare(job_id=job.id, token_hash=token_hash(token), label=label, created_by=actor,
                        created_at=now, expires_at=now + timedelta(days=days))
    session.add(share)
    session.flush()
    record(session, "report_shared", actor=actor, target=f"report:{job.id}", client=client,
           detail={"share": share.id, "expires_at": share.expires_at.isoformat(timespec="seconds") + "Z",
                   "label": label})
    session.commit()
    return share, token


def revoke_share(session: Session, job_id: int, share_id: int, *, actor: str, client: str = "") -> ReportShare:
    """Revoke the link `share_id` of the report `job_id` (nothing happens to one already revoked). Commits, with
    its audit event. `ShareNotFound` (404) for a link of another report."""
    find_report_job(session, job_id)  # the report must be visible to the session
    share = session.scalar(sa.select(ReportShare).where(ReportShare.id == share_id, ReportShare.job_id == job_id)
                           .with_for_update())
    if share is None:
        raise ShareNotFound(f"report {job_id} has no shared link number {share_id}")
    if share.revoked_at is None:
        share.revoked_at, share.revoked_by = utcnow(), actor
        record(session, "report_share_revoked", actor=actor, target=f"report:{job_id}", client=client,
               detail={"share": share.id})
    session.commit()
    return share


def withdraw_unsent_share(session: Session, share_id: int, *, actor: str, reason: str) -> None:
    """Revoke a link made for a message that did not go out (a monthly report mail deferred, refused or given up:
    `webapp.services.report_schedules.mail_run`), so no live link is left that nobody received; the next attempt
    makes a new one. Audited as `report_share_revoked` with the `reason`. Commits; one already revoked is left
    as it is."""
    share = session.get(ReportShare, share_id, with_for_update=True, populate_existing=True)
    if share is not None and share.revoked_at is None:
        share.revoked_at, share.revoked_by = utcnow(), actor
        record(session, "report_share_revoked", actor=actor, target=f"report:{share.job_id}",
               detail={"share": share.id, "reason": reason[:200]})
    session.commit()


def shares_of(session: Session, job_id: int) -> list[ReportShare]:
    """The report's links, newest first (live, expired and revoked)."""
    return list(session.scalars(sa.select(ReportShare).where(ReportShare.job_id == job_id)
                                .order_by(ReportShare.id.desc())))


def open_share(session: Session, token: str, *, now: datetime | None = None) -> ReportShare:
    """The live link of this token; `ShareNotFound` (404: malformed, unknown or revoked) or `ShareExpired` (410)."""
    share = None
    if _TOKEN.fullmatch(token or ""):
        share = session.scalar(sa.select(ReportShare).where(ReportShare.token_hash == token_hash(token)))
    session.commit()  # no read transaction left open
    if share is None or share.revoked_at is not None:
        raise ShareNotFound("this link does not lead to a report: it may have been revoked, or not copied whole. "
                            "Ask the person who sent it for a new one.")
    if share.expires_at <= (now or utcnow()):
        raise ShareExpired(f"this link expired on {share.expires_at:%Y-%m-%d} (UTC). Ask the person who sent it "
                           "for a new one.")
    return share


def shared_html(session: Session, share: ReportShare) -> str:
    """The shared report as its own HTML page."""
    return report_html(session, share.job_id)


def shared_pdf(session: Session, share: ReportShare) -> tuple[str, bytes]:
    """(file name, PDF bytes) of the shared report."""
    return report_pdf(session, share.job_id)
