"""Queueing mail: one message row per invitation e-mail (and, later, its one reminder), in the transaction that
creates the invitations; the contact rule and opt-outs leave customers out; what is waiting to be sent; the
states shown on the pages."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...storage.models import (
    Invitation,
    MailMessage,
    MailOptOut,
    MailTemplate,
    Response,
    SurveyRecord,
    SurveyVersion,
    utcnow,
)
from ..customer_lists import CustomerList
from ..invitations import ContactSkip, create_invitations, hash_token, recent_contacts
from ..publishing import find_survey
from .settings import MailError
from .tokens import derive_token, normal_address, opted_out_among


@dataclass
class QueuedMail:
    """What `queue_invitations` / `queue_reminders` did: the new message rows and who was left out, and why."""

    message_ids: list[int] = field(default_factory=list)
    opted_out: list[str] = field(default_factory=list)
    """Customer ids whose address opted out: no invitation or reminder made for them."""
    answered: int = 0
    """(reminders) invitees left out because they have already completed the survey."""
    recently_contacted: list[ContactSkip] = field(default_factory=list)
    """(invitations) customers the contact rule left out: surveyed too recently (`recent_contacts`)."""


def mail_rows_problem(customers: CustomerList, name: str = "the customer list") -> str | None:
    """Why a customer list cannot be e-mailed (no email column, rows without or with a malformed address), or
    None. Every bad row is named by its line (the header is line 1)."""
    if customers.problems:
        return "; ".join(customers.problems)
    if "email" not in customers.columns:
        return (f"{name} has no email column; sending by e-mail needs a header with customer_id and email "
                "(and optionally name, language, phone)")
    bad = [f"row {row.line}: {row.problem}" for row in customers.rows if row.problem]
    bad += [f"row {row.line}: no e-mail address for customer {row.customer_id!r}" for row in customers.rows
            if row.problem is None and not row.email]
    return f"{name}: " + "; ".join(bad) if bad else None


def queue_invitations(session: Session, slug: str, customers: CustomerList, channel: str | None,
                      secret_key: str | bytes, *, expires: timedelta | None = timedelta(days=30),
                      name: str = "the customer list", wave_id: int | None = None,
                      contact_days: float | None = None) -> QueuedMail:
    """Create one personal link and one queued invitation e-mail per customer of the list (all or nothing,
    in one transaction); customers whose address opted out get neither, nor (with `contact_days`) those the
    contact rule leaves out (`recently_contacted`). `wave_id` tags the invitations with their wave. Raises
    `MailError` for a list that cannot be mailed, and what `create_invitations` raises. The caller queues
    `send_message` for each id."""
    problem = mail_rows_problem(customers, name)
    if problem:
        raise MailError(problem)
    opted = opted_out_among(session, {normal_address(row.email or "") for row in customers.rows}, secret_key)
    recent = recent_contacts(session, [row.customer_id for row in customers.rows], contact_days)
    rows = [row for row in customers.rows
            if normal_address(row.email or "") not in opted and row.customer_id not in recent]
    result = QueuedMail(opted_out=[row.customer_id for row in customers.rows
                                   if normal_address(row.email or "") in opted],
                        recently_contacted=[recent[row.customer_id] for row in customers.rows
                                            if row.customer_id in recent
                                            and normal_address(row.email or "") not in opted])
    if not rows:
        session.commit()
        return result
    keys = [secrets.token_urlsafe(24) for _ in rows]  # 192 bits each; the tokens are derived, never stored
    tokens = [hash_token(derive_token(secret_key, key)) for key in keys]
    create_invitations(session, slug, rows, channel, expires,
                       tokens=[derive_token(secret_key, key) for key in keys], commit=False, wave_id=wave_id)
    ids: dict[str, int] = {hash_: id_ for hash_, id_ in session.execute(
        sa.select(Invitation.token_hash, Invitation.id).where(Invitation.token_hash.in_(tokens)))}
    messages = [MailMessage(invitation_id=ids[token], kind="invitation",
                            email=(row.email or "").strip(), name=row.name, language=row.language, link_key=key,
                            state="queued")
                for row, key, token in zip(rows, keys, tokens, strict=True)]
    session.add_all(messages)
    session.commit()
    result.message_ids = [message.id for message in messages]
    return result


def answered_customers(slug_survey_id: int) -> Any:
    """Customer ids with a complete response to any version of the survey."""
    return (sa.select(Response.customer_id).join(SurveyVersion, Response.version_id == SurveyVersion.id)
            .where(SurveyVersion.survey_id == slug_survey_id, Response.status == "complete",
                   Response.customer_id.is_not(None)))


def queue_reminders(session: Session, slug: str, *, after_days: float = 3, max_count: int | None = None,
                    now: datetime | None = None) -> QueuedMail:
    """One reminder e-mail (at most, ever) per invitee of `slug` whose invitation e-mail went out at least
    `after_days` ago and who has neither completed the survey nor opted out, oldest first, at most `max_count`.
    Commits; the caller queues `send_message` for each id."""
    record = find_survey(session, slug)
    now = now or utcnow()
    reminded = sa.select(MailMessage.invitation_id).where(MailMessage.kind == "reminder")
    completed = sa.select(Response.invitation_id).where(Response.status == "complete",
                                                        Response.invitation_id.is_not(None))
    candidates = session.execute(
        sa.select(MailMessage, Invitation)
        .join(Invitation, MailMessage.invitation_id == Invitation.id)
        .join(SurveyVersion, Invitation.version_id == SurveyVersion.id)
        .where(SurveyVersion.survey_id == record.id, MailMessage.kind == "invitation",
               MailMessage.state.in_(("sent", "not_sent", "unknown")),
               MailMessage.sent_at <= now - timedelta(days=after_days),
               MailMessage.invitation_id.not_in(reminded),
               sa.or_(Invitation.expires_at.is_(None), Invitation.expires_at > now))
        .order_by(MailMessage.sent_at, MailMessage.id)).all()
    answered_ids = set(session.scalars(completed))
    answered = set(session.scalars(answered_customers(record.id)))
    opted = set(session.scalars(sa.select(MailOptOut.email).where(
        MailOptOut.email.in_({normal_address(m.email) for m, _ in candidates}))))
    result = QueuedMail()
    for message, invitation in candidates:
        if invitation.used_at is not None or invitation.id in answered_ids \
                or invitation.customer_id in answered:
            result.answered += 1
            continue
        if normal_address(message.email) in opted:
            result.opted_out.append(invitation.customer_id)
            continue
        if max_count is not None and len(result.message_ids) >= max_count:
            break
        try:
            with session.begin_nested():
                reminder = MailMessage(invitation_id=invitation.id, kind="reminder", email=message.email,
                                       name=message.name, language=message.language, link_key=message.link_key,
                                       state="queued")
                session.add(reminder)
        except IntegrityError:  # another `remind` made it at the same moment
            continue
        result.message_ids.append(reminder.id)
    session.commit()
    return result


def message_states(session: Session, slug: str) -> list[tuple[str, str, str, str, str | None]]:
    """(customer id, kind, address, state, error) of every message of a survey, for the links page and tests."""
    record = find_survey(session, slug)
    rows = [tuple(row) for row in session.execute(
        sa.select(Invitation.customer_id, MailMessage.kind, MailMessage.email, MailMessage.state, MailMessage.error)
        .join(Invitation, MailMessage.invitation_id == Invitation.id)
        .join(SurveyVersion, Invitation.version_id == SurveyVersion.id)
        .where(SurveyVersion.survey_id == record.id).order_by(MailMessage.id)).all()]
    session.commit()
    return rows  # type: ignore[return-value]



def state_counts(session: Session, slug: str) -> dict[str, int]:
    """How many of a survey's messages are in each state (for the links and templates pages)."""
    record = find_survey(session, slug)
    counts = {state: count for state, count in session.execute(
        sa.select(MailMessage.state, sa.func.count())
        .join(Invitation, MailMessage.invitation_id == Invitation.id)
        .join(SurveyVersion, Invitation.version_id == SurveyVersion.id)
        .where(SurveyVersion.survey_id == record.id).group_by(MailMessage.state))}
    session.commit()
    return counts


def reminder_schedules(session: Session) -> list[tuple[str, int]]:
    """(slug, days) of every open survey with a reminder schedule, for the periodic reminder task."""
    rows = [(slug, days) for slug, days in session.execute(
        sa.select(SurveyRecord.slug, MailTemplate.reminder_after_days)
        .join(MailTemplate, MailTemplate.survey_id == SurveyRecord.id)
        .where(MailTemplate.reminder_after_days.is_not(None), SurveyRecord.closed_at.is_(None))
        .order_by(SurveyRecord.slug))]
    session.commit()
    return rows
