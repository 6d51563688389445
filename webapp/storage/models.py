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
    retention_months: Mapped[int | None] = mapped_column(default=None)
    """Responses started more than this many months ago are deleted or anonymised daily (None: kept; 0017)."""
    retention_action: Mapped[str | None] = mapped_column(sa.String(16), default=None)
    """`delete` or `anonymise` (webapp.privacy.retention)."""
    retention_done_until: Mapped[datetime | None] = mapped_column(default=None)
    """Anonymise: every response started before this has been anonymised (where the next daily run starts)."""
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), nullable=True, index=True)
    """The team that owns the survey (migration 0019); set on every insert (`webapp.teams.scope`). Nullable in
    the schema only because SQLite cannot add a NOT NULL column with a foreign key in place."""

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
    wave_id: Mapped[int | None] = mapped_column(sa.ForeignKey("waves.id"), default=None, index=True)
    """The wave the invitation was made for (`cxroi wave start`), if any (migration 0009)."""
    language: Mapped[str | None] = mapped_column(sa.String(20), default=None)
    """The customer's language from the customer list: the personal link opens in it when the survey offers it."""
    customer_name: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    """The customer's name from the customer list, shown where a text pipes `{{ customer.name }}` (0015)."""

    version: Mapped[SurveyVersion] = relationship()


sa.Index("ix_invitations_customer_created", Invitation.customer_id, Invitation.created_at)
"""The contact rule looks up each customer's latest invitation across every survey."""


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
    wave_id: Mapped[int | None] = mapped_column(sa.ForeignKey("waves.id"), default=None, index=True)
    """The wave this response belongs to: its invitation's (set when the response is inserted, see
    `_response_wave`), or, for a public link with a signed customer id, the latest wave that invited them."""
    language: Mapped[str | None] = mapped_column(sa.String(20), default=None)
    """The language the respondent answered in (the last page sent; migration 0015)."""

    version: Mapped[SurveyVersion] = relationship()


class Wave(Base):
    """One named round of a survey (`cxroi wave start`): the version it was started on and its invitations.

    `number` counts a survey's waves from 1 in the order they started (the order of the trend on the results
    page); `name` is unique within the survey (e.g. "Q3-2026")."""

    __tablename__ = "waves"
    __table_args__ = (
        sa.UniqueConstraint("survey_id", "name", name="uq_waves_survey_name"),
        sa.UniqueConstraint("survey_id", "number", name="uq_waves_survey_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), index=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_versions.id"))
    number: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    contact_days: Mapped[float | None] = mapped_column(default=None)
    """The contact rule applied when the wave started (days; None: no rule)."""
    schedule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wave_schedules.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    survey: Mapped[SurveyRecord] = relationship()
    version: Mapped[SurveyVersion] = relationship()


class WaveSchedule(Base):
    """A wave started every `every_weeks` weeks to the same customer list (kept here as CSV text) by the
    worker's periodic task; `next_run_at` is when the next one is due (naive UTC)."""

    __tablename__ = "wave_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), index=True)
    every_weeks: Mapped[int]
    customers_csv: Mapped[str] = mapped_column(sa.Text)
    channel: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    send: Mapped[bool] = mapped_column(default=False)
    contact_days: Mapped[float | None] = mapped_column(default=None)
    next_run_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


_INVITATION_WAVE = sa.select(Invitation.wave_id).where(Invitation.id == sa.bindparam("invitation_id"))
_CUSTOMER_WAVE = (  # built once: a public link's first POST runs it (the respondent path, issue 15)
    sa.select(Wave.id).join(Invitation, Invitation.wave_id == Wave.id)
    .where(Wave.survey_id == sa.select(SurveyVersion.survey_id)
           .where(SurveyVersion.id == sa.bindparam("version_id")).scalar_subquery(),
           Invitation.customer_id == sa.bindparam("customer_id"))
    .order_by(Wave.number.desc()).limit(1)
)


@sa.event.listens_for(Response, "before_insert")
def _response_wave(mapper: Any, connection: sa.Connection, target: Response) -> None:
    """A new response takes its wave from its invitation; a public-link response with a (signed) customer id
    takes the latest wave of the survey that invited that customer. Done here, at the insert, so every way a
    response is created records its wave."""
    if target.wave_id is not None:
        return
    if target.invitation_id is not None:
        target.wave_id = connection.scalar(_INVITATION_WAVE, {"invitation_id": target.invitation_id})
    elif target.customer_id is not None:
        target.wave_id = connection.scalar(_CUSTOMER_WAVE, {"version_id": target.version_id,
                                                            "customer_id": target.customer_id})


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

    `state` goes queued → sending (claimed by a conditional UPDATE) → transmitting (DATA under way) → sent /
    not_sent / bounced / deferred / unknown (the worker died during DATA: never sent again) / opted_out /
    cancelled (a reminder to someone who answered meanwhile); `message_id` is chosen at the first claim
    (webapp.services.mailing.sending, migration 0013).
    `link_key` derives the personal link's token (with the app's SECRET_KEY); the token itself is never stored.
    """

    __tablename__ = "mail_messages"
    __table_args__ = (
        sa.UniqueConstraint("invitation_id", "kind", name="uq_mail_messages_invitation_kind"),
        sa.CheckConstraint("state in ('queued', 'sending', 'transmitting', 'sent', 'not_sent', 'deferred', "
                           "'bounced', 'unknown', 'opted_out', 'cancelled')", name="ck_mail_messages_state"),
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


CASE_STATUSES = ("open", "contacted", "resolved", "won_back", "lost")
"""open → contacted → resolved / won_back / lost (the last three close the case)."""
CLOSED_CASE_STATUSES = ("resolved", "won_back", "lost")
CASE_PRIORITIES = ("low", "normal", "high", "urgent")
CASE_NOTIFY_STATES = ("queued", "sending", "sent", "not_sent", "deferred", "bounced")


class FollowUpCase(Base):
    """A follow-up case: a completed response matched a rule of its survey's `follow_up` (one case per response
    and rule, by the unique constraint). `notify_state` is the owner's e-mail notification, sent once by the
    queue (`webapp.services.case_tasks`), claimed like a mail message."""

    __tablename__ = "follow_up_cases"
    __table_args__ = (
        sa.UniqueConstraint("response_id", "rule_id", name="uq_follow_up_cases_response_rule"),
        sa.CheckConstraint("status in ('open', 'contacted', 'resolved', 'won_back', 'lost')",
                           name="ck_follow_up_cases_status"),
        sa.CheckConstraint("priority in ('low', 'normal', 'high', 'urgent')", name="ck_follow_up_cases_priority"),
        sa.CheckConstraint("notify_state in ('queued', 'sending', 'sent', 'not_sent', 'deferred', 'bounced')",
                           name="ck_follow_up_cases_notify_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("responses.id"))
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), index=True)
    rule_id: Mapped[str] = mapped_column(sa.String(64))
    rule_when: Mapped[str] = mapped_column(sa.Text)
    rule_note: Mapped[str | None] = mapped_column(sa.Text, default=None)
    priority: Mapped[str] = mapped_column(sa.String(16), default="normal")
    owner: Mapped[str | None] = mapped_column(sa.String(320), default=None, index=True)
    team: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    customer_id: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    status: Mapped[str] = mapped_column(sa.String(16), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_contact_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    notify_state: Mapped[str] = mapped_column(sa.String(16), default="queued")
    notify_claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    notified_at: Mapped[datetime | None] = mapped_column(default=None)
    notify_error: Mapped[str | None] = mapped_column(sa.Text, default=None)
    notified_to: Mapped[str | None] = mapped_column(sa.Text, default=None)
    """Addresses already notified (one per line), so a retry of a team's notification skips them."""
    risk: Mapped[float | None] = mapped_column(default=None)
    """A churn-risk case (rule_id `churn_risk`): the predicted churn probability, its 95% interval, the model that
    scored it and the customer's revenue when known (webapp.cases.churn_risk, migration 0013)."""
    risk_low: Mapped[float | None] = mapped_column(default=None)
    risk_high: Mapped[float | None] = mapped_column(default=None)
    risk_model: Mapped[str | None] = mapped_column(sa.String(300), default=None)
    revenue: Mapped[float | None] = mapped_column(default=None)

    response: Mapped[Response] = relationship()
    survey: Mapped[SurveyRecord] = relationship()
    notes: Mapped[list[CaseNote]] = relationship(back_populates="case", order_by="CaseNote.id")


class CaseNote(Base):
    """What happened to a case: a note, a status change or an owner change, by whom and when."""

    __tablename__ = "follow_up_case_notes"
    __table_args__ = (sa.CheckConstraint("kind in ('note', 'status', 'owner')", name="ck_follow_up_case_notes_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("follow_up_cases.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default="note")
    author: Mapped[str | None] = mapped_column(sa.String(320), default=None)
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[FollowUpCase] = relationship(back_populates="notes")
