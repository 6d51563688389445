"""The working copy of a survey that CX leads edit in the browser (schema in migration 0003_drafts).

A survey has at most one draft; publishing copies the draft into a new immutable `SurveyVersion`, and the
draft stays as the starting point of the next version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import Base, SurveyRecord, utcnow


class SurveyDraft(Base):
    """The editable definition of one survey (always a valid definition: edits are checked before saving)."""

    __tablename__ = "survey_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(sa.String(320), default=None)
    """E-mail address of the user who saved the last change."""

    survey: Mapped[SurveyRecord] = relationship()
