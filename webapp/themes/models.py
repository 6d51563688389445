"""Typed models of the themes tables (migration 0011_themes): a survey's codebook versions and each response's
coded themes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..storage.models import Base, utcnow


class CodebookRecord(Base):
    """One saved version of a survey's codebook; the highest `version` is the one in use."""

    __tablename__ = "codebooks"
    __table_args__ = (sa.UniqueConstraint("survey_id", "version", name="uq_codebooks_survey_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"))
    version: Mapped[int]
    definition: Mapped[str] = mapped_column(sa.Text)
    """The codebook's YAML (roi.themes.codebook.to_yaml)."""
    note: Mapped[str | None] = mapped_column(sa.String(500), default=None)
    created_by: Mapped[str | None] = mapped_column(sa.String(320), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ResponseThemes(Base):
    """The coding of one response's comment with one codebook version. `comment_hash` (sha256 of the comment
    coded) tells whether the stored coding still matches the response's comment."""

    __tablename__ = "response_themes"
    __table_args__ = (sa.UniqueConstraint("codebook_id", "response_id", name="uq_response_themes_codebook_response"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    codebook_id: Mapped[int] = mapped_column(sa.ForeignKey("codebooks.id", ondelete="CASCADE"))
    comment_hash: Mapped[str] = mapped_column(sa.String(64))
    themes: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    language: Mapped[str | None] = mapped_column(sa.String(20), default=None)
    sentiment: Mapped[float | None] = mapped_column(default=None)
    sentiment_status: Mapped[str] = mapped_column(sa.String(16))
    coded_at: Mapped[datetime] = mapped_column(default=utcnow)
    """When it was coded: a response updated after this is coded again."""
