"""The results page's tallies (schema in migration 0014_aggregates): per survey version, channel and wave, how
many complete responses gave each distinct answer to each question, kept up to date by the submit that
completes a response (`webapp.services.tallies`, docs/web-results.md).

One row per (version, channel, wave, `question_id`, `answer`): `answer` is the JSON object of the question's
scored export columns (open text left out), `count` the complete responses that gave it. A few reserved
`question_id`s count the responses themselves: `""` (answer `""`) every complete response, `":started"` and
`":submitted"` by UTC day (answer `YYYY-MM-DD`), `":comment"` the non-blank open-text answers by export column.
`channel` is `""` and `wave_id` 0 for none (NULL would defeat the primary key that the submit's upsert needs).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, Response


class AnswerTally(Base):
    """How many complete responses of one version, channel and wave gave one answer to one question."""

    __tablename__ = "answer_tallies"

    version_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_versions.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    wave_id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    answer: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    count: Mapped[int] = mapped_column(sa.BigInteger)


RESPONSES_INDEX = sa.Index("ix_responses_version_status_submitted", Response.version_id, Response.status,
                           Response.submitted_at)
"""On `responses` (migration 0014): the results page's partial-response counts and its newest comments read
through it. Declared here, beside the table it serves, and attached to `Response.__table__` by its columns."""
