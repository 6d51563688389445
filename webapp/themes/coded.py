"""Each response's comment coded with the survey's codebook in use, stored per (response, codebook version)
with the sha256 of the comment coded (`response_themes`, migration 0011_themes), and the export's theme columns.

`code_responses` codes only what is missing or changed, so opening the themes page or exporting after new
responses came in codes just the new ones. Coding is deterministic (roi.themes.coding), so a stored coding
always equals what recoding would give. This module reads responses itself (not through the export service,
which calls `theme_cells`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..services.publishing import find_survey, latest_version, survey_of
from ..storage.models import Response, SurveyVersion, Wave, utcnow
from .models import CodebookRecord, ResponseThemes

CODING_BATCH = 2000
READ_CHUNK = 1000


def comment_columns(session: Session, slug: str) -> list[str]:
    """The open-text columns of every version of `slug` (latest version's first)."""
    record = find_survey(session, slug)
    columns: list[str] = []
    for version in session.scalars(sa.select(SurveyVersion).where(SurveyVersion.survey_id == record.id)
                                   .order_by(SurveyVersion.number.desc())):
        survey = survey_of(version)
        for question in survey.questions():
            columns += [c for c in question.open_text_columns(survey) if c not in columns]
    return columns


def survey_language(session: Session, slug: str) -> str:
    return str(survey_of(latest_version(session, slug)).language)


def comments_frame(session: Session, slug: str, *, status: str | None = "complete",
                   only: sa.Select[Any] | None = None) -> pd.DataFrame:
    """One row per response (oldest first): `response_id`, `channel`, `submitted_at`, `status`, `wave` (its
    name), `comment` (its open-text answers joined, "" when none). `only`: a SELECT of the response ids wanted."""
    from roi.themes.space import comment_texts  # here: roi.themes loads scikit-learn, scipy and statsmodels

    record = find_survey(session, slug)
    versions = {v.id: v for v in session.scalars(sa.select(SurveyVersion).where(SurveyVersion.survey_id == record.id))}
    columns = comment_columns(session, slug)
    query = (sa.select(Response.id, Response.version_id, Response.channel, Response.submitted_at, Response.status,
                       Response.answers, Wave.name.label("wave"))
             .outerjoin(Wave, Response.wave_id == Wave.id).where(Response.version_id.in_(list(versions)))
             .order_by(Response.id).execution_options(yield_per=READ_CHUNK))
    if status is not None:
        query = query.where(Response.status == status)
    if only is not None:
        query = query.where(Response.id.in_(only.scalar_subquery()))
    records = []
    texts = []
    for row in session.execute(query):
        survey = survey_of(versions[row.version_id])
        cells = survey.to_row(row.answers or {})
        texts.append({c: cells.get(c) for c in columns})
        records.append({"response_id": row.id, "channel": row.channel, "submitted_at": row.submitted_at,
                        "status": row.status, "wave": row.wave})
    frame = pd.DataFrame(records, columns=["response_id", "channel", "submitted_at", "status", "wave"])
    frame["comment"] = comment_texts(pd.DataFrame(texts, columns=columns), columns) if len(frame) else \
        pd.Series([], dtype=object)
    return frame


def current_record(session: Session, slug: str) -> CodebookRecord | None:
    record = find_survey(session, slug)
    return session.scalar(sa.select(CodebookRecord).where(CodebookRecord.survey_id == record.id)
                          .order_by(CodebookRecord.version.desc()).limit(1))


def comment_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def code_responses(session: Session, slug: str) -> int:
    """Code every response that has no stored coding with the codebook in use, or was updated after it was
    coded and whose comment changed; returns how many were coded. Commits. Only those responses are read."""
    record = current_record(session, slug)
    if record is None:
        return 0
    # Imported here: roi.themes loads scikit-learn, scipy and statsmodels, which an export without a codebook
    # (`theme_cells`) need not pay for.
    from roi.themes.codebook import parse_codebook
    from roi.themes.coding import code_comments

    codebook = parse_codebook(record.definition, source=f"codebook {record.version}")
    pending = (sa.select(Response.id)
               .outerjoin(ResponseThemes, sa.and_(ResponseThemes.response_id == Response.id,
                                                  ResponseThemes.codebook_id == record.id))
               .where(sa.or_(ResponseThemes.id.is_(None), Response.updated_at > ResponseThemes.coded_at)))
    frame = comments_frame(session, slug, status=None, only=pending)
    stored = dict(session.execute(sa.select(ResponseThemes.response_id, ResponseThemes.comment_hash)
                                  .where(ResponseThemes.codebook_id == record.id,
                                         ResponseThemes.response_id.in_(pending.scalar_subquery()))).all())
    hashes = [comment_hash(t) for t in frame["comment"]]
    todo = [i for i, (rid, h) in enumerate(zip(frame["response_id"], hashes, strict=True)) if stored.get(int(rid)) != h]
    unchanged = [int(rid) for rid, h in zip(frame["response_id"], hashes, strict=True) if stored.get(int(rid)) == h]
    if unchanged:  # updated, but not its comment: the coding stands, from now
        session.execute(sa.update(ResponseThemes).where(ResponseThemes.codebook_id == record.id,
                                                        ResponseThemes.response_id.in_(unchanged))
                        .values(coded_at=utcnow()))
    fallback = survey_language(session, slug)
    for start in range(0, len(todo), CODING_BATCH):
        chunk = todo[start:start + CODING_BATCH]
        coded = code_comments(codebook, [frame["comment"].iat[i] for i in chunk], fallback_language=fallback)
        ids = coded.theme_ids
        changed = [int(frame["response_id"].iat[i]) for i in chunk if int(frame["response_id"].iat[i]) in stored]
        if changed:
            session.execute(sa.delete(ResponseThemes).where(ResponseThemes.codebook_id == record.id,
                                                            ResponseThemes.response_id.in_(changed)))
        session.execute(sa.insert(ResponseThemes), [
            {"response_id": int(frame["response_id"].iat[i]), "codebook_id": record.id, "comment_hash": hashes[i],
             "themes": [ids[j] for j in range(len(ids)) if coded.indicators[k, j]],
             "language": coded.language[k], "sentiment": _number(coded.sentiment[k]),
             "sentiment_status": coded.sentiment_status[k], "coded_at": utcnow()}
            for k, i in enumerate(chunk)])
        session.commit()
    session.commit()
    return len(todo)


def _number(value: float) -> float | None:
    return None if value != value else float(value)  # NaN → None


@dataclass(frozen=True)
class ThemeCells:
    """What the export adds: one 0/1 column per theme of the codebook in use, filled from stored codings."""

    theme_ids: list[str]
    codebook_id: int

    def names(self, columns: list[str]) -> list[str]:
        """`theme.<id>` per theme; a name already taken by a question column gets a trailing _."""
        names: list[str] = []
        for theme_id in self.theme_ids:
            name = f"theme.{theme_id}"
            while name in columns or name in names:
                name += "_"
            names.append(name)
        return names

    def extend(self, reader: Session, columns: list[str], rows: Iterable[dict[str, Any]]
               ) -> tuple[list[str], Iterator[dict[str, Any]]]:
        """The export's columns and rows (ordered by response_id, as the export streams them) with the theme
        columns added: 1 when the response's comment has the theme, 0 when it was coded without it, empty when
        the response has no coding (it was never coded: it has no row in `response_themes`)."""
        names = self.names(columns)  # the response id is the first column (`response_id`, or `response_response_id`)
        return [*columns, *names], self._filled(reader, names, rows, columns[0])

    def _filled(self, reader: Session, names: list[str], rows: Iterable[dict[str, Any]],
                id_column: str = "response_id") -> Iterator[dict[str, Any]]:
        codings = iter(reader.execute(
            sa.select(ResponseThemes.response_id, ResponseThemes.themes)
            .where(ResponseThemes.codebook_id == self.codebook_id).order_by(ResponseThemes.response_id)
            .execution_options(yield_per=CODING_BATCH)))
        pending = next(codings, None)
        for row in rows:
            while pending is not None and pending[0] < row[id_column]:
                pending = next(codings, None)
            coded = set(pending[1]) if pending is not None and pending[0] == row[id_column] else None
            for name, theme_id in zip(names, self.theme_ids, strict=True):
                row[name] = None if coded is None else int(theme_id in coded)
            yield row


def theme_cells(session: Session, slug: str) -> ThemeCells | None:
    """For an export of `slug`: codes the responses not coded yet with the codebook in use (committing on
    `session`), then says which theme columns to add; None when the survey has no codebook."""
    record = current_record(session, slug)
    if record is None:
        return None
    code_responses(session, slug)
    from roi.themes.codebook import parse_codebook  # here: see code_responses

    codebook = parse_codebook(record.definition, source=f"codebook {record.version}")
    return ThemeCells([t.id for t in codebook.themes], record.id)
