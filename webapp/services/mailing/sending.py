"""Sending one message row: claimed by a conditional UPDATE, marked `transmitting` (again conditionally, on the
same claim) just before the message itself goes out, then recorded. docs/distribution.md states what this
guarantees when a worker dies.

States: queued → sending (claimed; envelope under way) → transmitting (DATA under way) → sent / bounced /
deferred (retried) / unknown; or opted_out, cancelled (a reminder to someone who answered meanwhile), not_sent
(no CXROI_MAIL_URL: the log).

A worker that dies (or hangs past the lease):
* in `sending`: the server has not been given the message; the row is claimed again after the lease and sent.
  A worker that was only slow finds its claim gone when it tries to mark the row `transmitting`, and gives up.
* in `transmitting`: the server may have accepted the message. The row becomes `unknown` and is never sent
  again automatically (at most once); `cxroi remind` treats it as sent, so the customer still gets the one
  reminder carrying the same link.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import sqlalchemy as sa
from jinja2 import TemplateError
from sqlalchemy.orm import Session

from ...storage.models import MailMessage, Response, utcnow
from ..publishing import survey_of
from .queueing import answered_customers
from .settings import DEFAULT_LEASE_SECONDS, MailSettings, smtp_target
from .smtp import deliver
from .templates import render_mail, templates_for
from .tokens import derive_token, is_opted_out, unsubscribe_token

log = logging.getLogger("cxroi.mail")

HELD = ("sending", "transmitting")
"""States in which a worker holds the row."""


def _claim(session: Session, message_id: int, message_ref: str, lease_seconds: float) -> datetime | None:
    """The conditional UPDATE that makes this worker the only sender of the message: its claim time (the claim's
    identity in the later conditional updates), or None. Commits."""
    now = utcnow()
    claimed = session.execute(
        sa.update(MailMessage)
        .where(MailMessage.id == message_id, sa.or_(
            MailMessage.state.in_(("queued", "deferred")),
            sa.and_(MailMessage.state == "sending", MailMessage.claimed_at < now - timedelta(seconds=lease_seconds))))
        .values(state="sending", claimed_at=now, updated_at=now, attempts=MailMessage.attempts + 1,
                message_id=sa.func.coalesce(MailMessage.message_id, message_ref))
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return now if claimed else None


def _start_transmitting(session: Session, message_id: int, claim: datetime) -> bool:
    """Mark the row `transmitting` if this worker's claim still holds it (committed before the DATA command)."""
    now = utcnow()
    marked = session.execute(
        sa.update(MailMessage)
        .where(MailMessage.id == message_id, MailMessage.state == "sending", MailMessage.claimed_at == claim)
        .values(state="transmitting", updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return bool(marked)


def _finish(session: Session, message_id: int, claim: datetime, state: str, *, code: int | None = None,
            error: str | None = None) -> None:
    """Record how this worker's attempt ended (also over an `unknown` the recovery set meanwhile: the worker
    knows better)."""
    now = utcnow()
    session.execute(sa.update(MailMessage)
                    .where(MailMessage.id == message_id, MailMessage.claimed_at == claim,
                           MailMessage.state.in_((*HELD, "unknown")))
                    .values(state=state, smtp_code=code, error=error[:2000] if error else None, updated_at=now,
                            sent_at=now if state in ("sent", "not_sent", "unknown") else None)
                    .execution_options(synchronize_session=False))
    session.commit()


def build_message(session: Session, message: MailMessage, settings: MailSettings) -> EmailMessage:
    """The full multipart/alternative e-mail of a message row (its Message-ID already chosen)."""
    invitation = message.invitation
    survey = invitation.version.survey
    base = settings.base_url.rstrip("/")
    unsubscribe = f"{base}/unsubscribe/{unsubscribe_token(settings.secret_key, message.email, survey.slug)}"
    context = {"name": message.name or "", "customer_id": invitation.customer_id,
               "link": f"{base}/s/{derive_token(settings.secret_key, message.link_key)}",
               "unsubscribe_link": unsubscribe, "survey_title": survey.title,
               "reminder": message.kind == "reminder",
               "expires_on": invitation.expires_at.date().isoformat() if invitation.expires_at else ""}
    rendered = render_mail(templates_for(session, survey, definition=survey_of(invitation.version),
                                         language=invitation.language), context)  # per language (issue 13)
    mail = EmailMessage()
    mail["From"] = settings.sender
    local, _, domain = message.email.strip().rpartition("@")
    mail["To"] = Address(display_name=message.name or "", username=local, domain=domain)
    mail["Subject"] = rendered.subject
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["Message-ID"] = message.message_id or make_msgid(domain=sender_domain(settings.sender))
    mail["List-Unsubscribe"] = f"<{unsubscribe}>"
    mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(rendered.text)
    mail.add_alternative(rendered.html, subtype="html")
    return mail


def sender_domain(address: str) -> str:
    return address.rpartition("@")[2].strip(" >") or "localhost"


def send_message(session: Session, message_id: int, settings: MailSettings) -> str:
    """Send one message row if this call can claim it; returns the row's state afterwards ('sent', 'not_sent',
    'bounced', 'deferred', 'unknown', 'opted_out', 'cancelled', or the state of a row another sender holds or
    finished). Never raises for a refusal: the refusal is recorded (`deferred` ones are then retried by the
    caller)."""
    target = smtp_target(settings.url) if settings.url else None  # a bad CXROI_MAIL_URL: MailError, nothing held
    claim = _claim(session, message_id, make_msgid(domain=sender_domain(settings.sender)), settings.lease_seconds)
    if claim is None:
        return current_state(session, message_id)
    message = session.get_one(MailMessage, message_id, populate_existing=True)
    if is_opted_out(session, message.email, settings.secret_key):
        _finish(session, message_id, claim, "opted_out", error="the address opted out")
        return "opted_out"
    if message.kind == "reminder":
        invitation = message.invitation
        done = session.scalar(sa.select(Response.id).where(
            Response.invitation_id == invitation.id, Response.status == "complete"))
        if done is not None or invitation.used_at is not None or invitation.customer_id in set(
                session.scalars(answered_customers(invitation.version.survey_id))):
            _finish(session, message_id, claim, "cancelled", error="answered before the reminder went out")
            return "cancelled"
    try:
        mail = build_message(session, message, settings)
    except TemplateError as error:  # a template stored before a check existed: recorded, not retried
        _finish(session, message_id, claim, "bounced", error=f"the survey's mail template cannot be rendered: {error}")
        return "bounced"
    if target is None:
        log.info("CXROI_MAIL_URL is not set; invitation %s to %s not sent:\n%s", message_id, message.email,
                 mail.as_string())
        _finish(session, message_id, claim, "not_sent", error="CXROI_MAIL_URL is not set: written to the log")
        return "not_sent"
    session.commit()  # no read transaction held during the SMTP conversation (SQLite's write lock)
    result = deliver(mail, target, message.email.strip(), settings.sender,
                     before_data=lambda: _start_transmitting(session, message_id, claim))
    if result.state == "abandoned":  # another worker took the row over while this one was slow
        log.warning("%s %s to %s: given up, %s", message.kind, message_id, message.email, result.error)
        return current_state(session, message_id)
    _finish(session, message_id, claim, result.state, code=result.code, error=result.error)
    if result.state == "sent":
        log.info("sent %s %s to %s (%s)", message.kind, message_id, message.email, mail["Message-ID"])
    else:
        log.warning("%s %s to %s: %s", message.kind, message_id, message.email, result.error)
    return result.state


def current_state(session: Session, message_id: int) -> str:
    state = session.scalar(sa.select(MailMessage.state).where(MailMessage.id == message_id)) or "missing"
    session.commit()  # no transaction left open (on SQLite it would hold the write lock)
    return state


def settle_lost_transmissions(session: Session, *, lease_seconds: float = DEFAULT_LEASE_SECONDS,
                              now: datetime | None = None) -> list[int]:
    """Mark `unknown` the messages whose worker stopped while the message itself was going out (`transmitting`
    past the lease): the server may have them, so they are never sent again automatically. Commits; their ids."""
    now = now or utcnow()
    lost = sa.and_(MailMessage.state == "transmitting",
                   MailMessage.claimed_at < now - timedelta(seconds=lease_seconds))
    ids = list(session.scalars(sa.select(MailMessage.id).where(lost).order_by(MailMessage.id)))
    if ids:
        session.execute(sa.update(MailMessage).where(MailMessage.id.in_(ids), lost)
                        .values(state="unknown", updated_at=now, sent_at=MailMessage.claimed_at,
                                error="the worker stopped while the message was being sent: the server may or may "
                                      "not have it; not sent again (a reminder still goes out)")
                        .execution_options(synchronize_session=False))
        for message_id in ids:
            log.warning("message %s: its worker stopped during DATA; marked unknown, not sent again", message_id)
    session.commit()
    return ids


def lost_claims(session: Session, *, lease_seconds: float = DEFAULT_LEASE_SECONDS,
                now: datetime | None = None) -> list[int]:
    """Ids of `sending` messages whose claim outlived the lease (a worker that stopped before the DATA: safe to
    send); settles lost transmissions first. For the per-minute recovery task."""
    now = now or utcnow()
    settle_lost_transmissions(session, lease_seconds=lease_seconds, now=now)
    ids = list(session.scalars(sa.select(MailMessage.id).where(
        MailMessage.state == "sending", MailMessage.claimed_at < now - timedelta(seconds=lease_seconds))
        .order_by(MailMessage.id)))
    session.commit()
    return ids


def due_messages(session: Session, *, older_than: timedelta = timedelta(0), now: datetime | None = None,
                 lease_seconds: float = DEFAULT_LEASE_SECONDS) -> list[int]:
    """Ids of messages waiting to be sent: queued or deferred (last touched before `older_than` ago), and
    `sending` ones whose claim outlived the lease (a dead worker's, which never started the DATA). For the
    sweep tasks and `send_pending`. Settles lost transmissions first."""
    now = now or utcnow()
    settle_lost_transmissions(session, lease_seconds=lease_seconds, now=now)
    ids = list(session.scalars(sa.select(MailMessage.id).where(sa.or_(
        sa.and_(MailMessage.state.in_(("queued", "deferred")), MailMessage.updated_at <= now - older_than),
        sa.and_(MailMessage.state == "sending",
                MailMessage.claimed_at < now - timedelta(seconds=lease_seconds)))).order_by(MailMessage.id)))
    session.commit()
    return ids


def send_pending(session: Session, settings: MailSettings, ids: Sequence[int] | None = None) -> dict[str, int]:
    """Send the given messages (default: every due one) here and now, one after another; counts by state.
    For tests and tools; the worker sends through the queue."""
    counts: dict[str, int] = {}
    if ids is None:
        ids = due_messages(session, lease_seconds=settings.lease_seconds)
    for message_id in ids:
        state = send_message(session, message_id, settings)
        counts[state] = counts.get(state, 0) + 1
    return counts
