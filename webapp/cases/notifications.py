"""Notifying a follow-up case's owner or team by e-mail (the queue's `case_tasks` sends; see `cases.service`).

The notification is claimed on the case row by a conditional UPDATE, as `mailing.send_message` claims a message,
and sent through the same SMTP settings (`CXROI_MAIL_URL`; unset: written to the log); the addresses already
notified are recorded, so a retried team notification mails nobody twice. A claim older than `LEASE` belongs to
a dead worker and may be taken over.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.logic import parse_condition
from surveys.model import Survey

from ..services import mailing
from ..services.publishing import survey_of
from ..storage.models import FollowUpCase, utcnow
from .owners import owner_account, survey_team, team_members

log = logging.getLogger("cxroi.cases")

LEASE = timedelta(minutes=10)
"""How long a sender holds a claimed notification before another may take it over."""


# --- notifying -----------------------------------------------------------------------------------------------


def _claim(session: Session, case_id: int, now: datetime) -> bool:
    claimed = session.execute(
        sa.update(FollowUpCase)
        .where(FollowUpCase.id == case_id, sa.or_(
            FollowUpCase.notify_state.in_(("queued", "deferred")),
            sa.and_(FollowUpCase.notify_state == "sending", FollowUpCase.notify_claimed_at < now - LEASE)))
        .values(notify_state="sending", notify_claimed_at=now)
        .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    session.commit()
    return bool(claimed)


def _finish(session: Session, case_id: int, state: str, error: str | None = None) -> None:
    session.execute(sa.update(FollowUpCase).where(FollowUpCase.id == case_id, FollowUpCase.notify_state == "sending")
                    .values(notify_state=state, notify_error=error[:2000] if error else None,
                            notified_at=utcnow() if state in ("sent", "not_sent") else None)
                    .execution_options(synchronize_session=False))
    session.commit()


def recipients(session: Session, case: FollowUpCase) -> list[str]:
    """Who hears about the case: its owner or its routing team's members — only people who may see the survey's
    team (an owner moved out of it hears nothing)."""
    team = survey_team(session, case.survey_id)
    if case.owner:
        return [case.owner] if owner_account(session, case.owner, team) is not None else []
    return team_members(session, case.team or "", team)


def triggering_answers(survey: Survey, case: FollowUpCase, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(what, answer) for every question or summary score the case's rule reads, as the case page shows them."""
    if case.risk is not None:  # a churn-risk case: its model, not a rule, read the answers (see case.risk_model)
        return []
    context = survey.follow_up_context(answers) if survey.follow_up else dict(answers)
    try:
        references = parse_condition(case.rule_when).references()
    except ValueError:
        return []
    shown: list[tuple[str, str]] = []
    for name, row in dict.fromkeys(references):
        value = context.get(name)
        if row is not None and isinstance(value, Mapping):
            value = value.get(row)
        elif row is not None and isinstance(value, list):
            value = "yes" if row in value else "no"
        try:
            label = survey.question(name).text
        except KeyError:
            label = f"summary score {name}"
        shown.append((f"{name}{'.' + row if row else ''}: {label}", _text(value)))
    return shown


def _text(value: Any) -> str:
    if value is None:
        return "(no answer)"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {_text(item)}" for key, item in value.items())
    return str(value)


def build_notification(session: Session, case: FollowUpCase, settings: mailing.MailSettings,
                       recipient: str) -> EmailMessage:
    """The e-mail telling `recipient` that a case is theirs: survey, customer, rule, answers, due time, link."""
    response = case.response
    survey = survey_of(response.version)
    link = f"{settings.base_url.rstrip('/')}/cases/{case.id}"
    lines = [f"A follow-up case opened for you (priority {case.priority}).", "",
             f"Survey: {case.survey.title} ({case.survey.slug})",
             f"Customer: {case.customer_id or 'anonymous respondent'}",
             f"Rule: {case.rule_id} (when {case.rule_when})"]
    if case.team:
        lines.append(f"Team: {case.team}")
    if case.rule_note:
        lines.append(f"What to do: {case.rule_note}")
    lines += [f"Due: {case.due_at:%Y-%m-%d %H:%M} UTC", "", "Answers that triggered it:"]
    lines += [f"  {what}: {value}" for what, value in triggering_answers(survey, case, response.answers or {})]
    lines += ["", f"Open the case: {link}", ""]
    mail = EmailMessage()
    mail["From"] = settings.sender
    local, _, domain = recipient.rpartition("@")
    mail["To"] = Address(username=local, domain=domain)
    mail["Subject"] = f"[{case.priority}] Follow-up case {case.id}: {case.survey.title}"[:mailing.SUBJECT_LIMIT]
    mail["Message-ID"] = make_msgid(domain=recipient.rpartition("@")[2] or "localhost")
    mail.set_content("\n".join(lines))
    return mail


def send_notification(session: Session, case_id: int, settings: mailing.MailSettings) -> str:
    """Notify the case's owner (or each member of its team) unless another sender holds or finished it; returns
    the state afterwards: sent, not_sent (no CXROI_MAIL_URL: written to the log), bounced (refused, or nobody
    to notify), deferred (retried by the queue), or the state of a notification held by another sender."""
    if not _claim(session, case_id, utcnow()):
        state = session.scalar(sa.select(FollowUpCase.notify_state).where(FollowUpCase.id == case_id)) or "missing"
        session.commit()
        return state
    case = session.get_one(FollowUpCase, case_id, populate_existing=True)
    done = set((case.notified_to or "").split())
    to = [address for address in recipients(session, case) if address not in done]
    if not to and not done:
        _finish(session, case_id, "bounced", f"nobody to notify: no active member in the team {case.team!r}")
        return "bounced"
    for address in to:
        mail = build_notification(session, case, settings, address)
        error: str | None
        if settings.url is None:
            log.info("CXROI_MAIL_URL is not set; case %s notification to %s not sent:\n%s", case_id, address,
                     mail.as_string())
            state, error = "not_sent", "CXROI_MAIL_URL is not set: written to the log"
        else:
            delivery = mailing.deliver(mail, mailing.smtp_target(settings.url), address, settings.sender)
            # a connection lost during DATA is retried: for staff notifications at least once beats at most once
            state = "deferred" if delivery.state == "unknown" else delivery.state
            error = delivery.error
        if state not in ("sent", "not_sent"):
            _finish(session, case_id, state, f"{address}: {error}")
            return state
        done.add(address)
        session.execute(sa.update(FollowUpCase).where(FollowUpCase.id == case_id)
                        .values(notified_to="\n".join(sorted(done))).execution_options(synchronize_session=False))
        session.commit()
    final = "not_sent" if settings.url is None else "sent"
    _finish(session, case_id, final, "CXROI_MAIL_URL is not set: written to the log" if final == "not_sent" else None)
    return final


def due_notifications(session: Session, *, older_than: timedelta = timedelta(0)) -> list[int]:
    """Case notifications waiting (queued or deferred before `older_than` ago) or held by a dead worker."""
    now = utcnow()
    ids = list(session.scalars(sa.select(FollowUpCase.id).where(sa.or_(
        sa.and_(FollowUpCase.notify_state.in_(("queued", "deferred")), FollowUpCase.updated_at <= now - older_than),
        sa.and_(FollowUpCase.notify_state == "sending", FollowUpCase.notify_claimed_at < now - LEASE)))
        .order_by(FollowUpCase.id)))
    session.commit()
    return ids
