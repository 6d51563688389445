"""The churn-risk threshold of a survey (schema in migration 0013_churn_risk): above it, a newly completed
response scored with the latest analysis' retention model opens a follow-up case (webapp.cases.churn_risk)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, utcnow


class ChurnRiskRule(Base):
    """One survey's churn-risk rule, set by the CX lead: threshold (a probability), priority and owner or team."""

    __tablename__ = "churn_risk_rules"
    __table_args__ = (
        sa.UniqueConstraint("survey_id", name="uq_churn_risk_rules_survey"),
        sa.CheckConstraint("threshold > 0 and threshold < 1", name="ck_churn_risk_rules_threshold"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"))
    threshold: Mapped[float]
    priority: Mapped[str] = mapped_column(sa.String(16), default="high")
    owner: Mapped[str | None] = mapped_column(sa.String(320), default=None)
    team: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    set_by: Mapped[str | None] = mapped_column(sa.String(320), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
