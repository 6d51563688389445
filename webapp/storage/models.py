"""Typed SQLAlchemy 2 models of the hosting side: surveys, their immutable published versions, invitations
and responses. The schema itself is created by the Alembic migrations in `webapp/migrations/`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

RESPONSE_STATUSES = ("partial", "complete")


def utcnow() -> datetime:
    """The current time in UTC, naive (both SQLite and PostgreSQL columns store UTC without a zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class SurveyRecord(Base):
    """A survey by its slug (the definition's `id`); its content lives in its versions."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    """When set, the survey takes no more answers (its links answer 410)."""
    public_link: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    """Whether `/p/<slug>` takes answers; when off it answers 404 and personal links keep working."""

    versions: Mapped[list[SurveyVersion]] = relationship(back_populates="survey", order_by="SurveyVersion.number")


class SurveyVersion(Base):
    """One published, immutable version of a survey definition, stored as JSON."""

    __tablename__ = "survey_versions"
    __table_args__ = (sa.UniqueConstraint("survey_id", "number", name="uq_survey_versions_survey_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"))
    number: Mapped[int]
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    survey: Mapped[SurveyRecord] = relationship(back_populates="versions")


class Invitation(Base):
    """A personal, single-use link for one customer on one channel; only the token's SHA-256 is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_versions.id"))
    customer_id: Mapped[str] = mapped_column(sa.String(200))
    channel: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    used_at: Mapped[datetime | None] = mapped_column(default=None)

    version: Mapped[SurveyVersion] = relationship()


class Response(Base):
    """One respondent's answers to one survey version, saved page by page.

    A personal link has at most one response (unique `invitation_id`); a public link's respondent is known by
    the random `session_key` kept in their signed session cookie (unique too). `status` goes from partial to
    complete once, by a conditional UPDATE.
    """

    __tablename__ = "responses"
    __table_args__ = (
        sa.CheckConstraint("status in ('partial', 'complete')", name="ck_responses_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_versions.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invitations.id"), unique=True)
    session_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    customer_id: Mapped[str | None] = mapped_column(sa.String(200))
    channel: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default="partial")
    answers: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), default=dict)
    """JSONB on PostgreSQL (indexable, compact, compared by value; migration 0008), JSON elsewhere."""
    current_page: Mapped[int] = mapped_column(default=0)
    """Furthest page reached (0-based): where a returning respondent resumes."""
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)

    version: Mapped[SurveyVersion] = relationship()


MAIL_STATES = ("queued", "sending", "sent", "not_sent", "deferred", "bounced", "opted_out", "cancelled")
MAIL_KINDS = ("invitation", "reminder")


class MailTemplate(Base):
    """A survey's e-mail templates (Jinja, sandboxed) and reminder schedule; defaults apply without a row."""

    __tablename__ = "mail_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), unique=True)
    subject: Mapped[str] = mapped_column(sa.Text)
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str] = mapped_column(sa.Text)
    reminder_after_days: Mapped[int | None] = mapped_column(default=None)
    """When set, the periodic reminder task reminds this survey's invitees that many days after the invitation."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(sa.String(320), default=None)


class MailMessage(Base):
    """One e-mail of one invitation (the invitation itself, or its one reminder) and its sending state.

    `state` goes queued → sending (claimed by a conditional UPDATE) → sent / not_sent / bounced / deferred /
    opted_out / cancelled (a reminder to someone who answered meanwhile); `message_id` is chosen at the claim,
    so a retried task never sends the same message twice.
    `link_key` derives the personal link's token (with the app's SECRET_KEY); the token itself is never stored.
    """

    __tablename__ = "mail_messages"
    __table_args__ = (
        sa.UniqueConstraint("invitation_id", "kind", name="uq_mail_messages_invitation_kind"),
        sa.CheckConstraint("state in ('queued', 'sending', 'sent', 'not_sent', 'deferred', 'bounced', "
                           "'opted_out', 'cancelled')", name="ck_mail_messages_state"),
        sa.CheckConstraint("kind in ('invitation', 'reminder')", name="ck_mail_messages_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(sa.ForeignKey("invitations.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default="invitation")
    email: Mapped[str] = mapped_column(sa.String(320), index=True)
    name: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    language: Mapped[str | None] = mapped_column(sa.String(20), default=None)
    link_key: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(16), default="queued", index=True)
    message_id: Mapped[str | None] = mapped_column(sa.String(255), default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    smtp_code: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(sa.Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    invitation: Mapped[Invitation] = relationship()


class MailOptOut(Base):
    """An address that asked to receive no more mail: never mailed again, by any survey."""

    __tablename__ = "mail_opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    """Stored lower-cased and stripped (`mailing.normal_address`)."""
    survey_slug: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
