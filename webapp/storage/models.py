"""Typed SQLAlchemy 2 models of the hosting side: surveys, their immutable published versions, invitations
and responses. The schema itself is created by the Alembic migrations in `webapp/migrations/`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
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
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    current_page: Mapped[int] = mapped_column(default=0)
    """Furthest page reached (0-based): where a returning respondent resumes."""
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)

    version: Mapped[SurveyVersion] = relationship()
