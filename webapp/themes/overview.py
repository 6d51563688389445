"""What the themes page shows: per theme of the codebook in use, how many complete responses mention it, its
share of the commenters, its sentiment (English comments only; the rest counted as "not available"), its trend
by wave, and its comments (searchable). Computed from the stored codings (`service.code_responses` first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session
from statsmodels.stats.proportion import proportion_confint

from roi.sentiment import NEGATIVE, POSITIVE

from ..services.publishing import find_survey
from .coded import code_responses, comments_frame, current_record
from .models import ResponseThemes
from .service import current_codebook

COMMENT_LIMIT = 50


@dataclass(frozen=True)
class WaveShare:
    wave: str
    commenters: int
    mentions: int
    share: float | None
    ci: tuple[float | None, float | None]


@dataclass(frozen=True)
class ThemeRow:
    id: str
    name: str
    words: tuple[str, ...]
    keywords: tuple[str, ...]
    exclude: tuple[str, ...]
    mentions: int
    share: float | None
    """Of the complete responses with a comment."""
    scored: int
    not_available: int
    mean_sentiment: float | None
    positive: float | None
    negative: float | None
    waves: tuple[WaveShare, ...]


@dataclass(frozen=True)
class ThemeComment:
    response_id: int
    text: str
    themes: tuple[str, ...]
    language: str | None
    sentiment: float | None
    sentiment_status: str
    channel: str | None
    submitted_at: datetime | None


@dataclass(frozen=True)
class ThemesOverview:
    slug: str
    title: str
    codebook_version: int | None
    commenters: int
    uncoded_language: int
    themes: tuple[ThemeRow, ...]
    comments: tuple[ThemeComment, ...]
    comments_matching: int
    query: str
    selected: str | None

    def name_of(self, theme_id: str) -> str:
        return next((t.name for t in self.themes if t.id == theme_id), theme_id)


def _share(count: int, total: int) -> tuple[float | None, tuple[float | None, float | None]]:
    if total == 0:
        return None, (None, None)
    low, high = proportion_confint(count, total, alpha=0.05, method="wilson")
    return count / total, (float(low), float(high))


def build_themes_overview(session: Session, slug: str, *, query: str = "", theme: str | None = None
                          ) -> ThemesOverview:
    """The themes page of `slug` (UnknownSurvey for an unknown slug); codes new responses first."""
    record = find_survey(session, slug)
    codebook = current_codebook(session, slug)
    frame = comments_frame(session, slug)
    frame = frame[frame["comment"] != ""].reset_index(drop=True)
    if codebook is None:
        return ThemesOverview(slug, record.title, None, len(frame), 0, (), (), 0, query, None)
    code_responses(session, slug)
    stored = current_record(session, slug)
    assert stored is not None
    codings = pd.DataFrame(session.execute(
        sa.select(ResponseThemes.response_id, ResponseThemes.themes, ResponseThemes.language,
                  ResponseThemes.sentiment, ResponseThemes.sentiment_status)
        .where(ResponseThemes.codebook_id == stored.id)).all(),
        columns=["response_id", "themes", "language", "sentiment", "sentiment_status"])
    frame = frame.merge(codings, on="response_id", how="left")
    frame["themes"] = frame["themes"].map(lambda v: tuple(v) if isinstance(v, list) else ())
    waves = [w for w in pd.unique(frame["wave"].dropna())] if frame["wave"].notna().any() else []
    rows = []
    for item in codebook.themes:
        inside = frame["themes"].map(lambda ids, t=item.id: t in ids).to_numpy(bool)
        scored = frame.loc[inside & (frame["sentiment_status"] == "scored").to_numpy(bool), "sentiment"]
        values = scored.astype(float).to_numpy()
        share, _ = _share(int(inside.sum()), len(frame))
        trend = []
        for wave in waves:
            in_wave = (frame["wave"] == wave).to_numpy(bool)
            count, total = int((inside & in_wave).sum()), int(in_wave.sum())
            wave_share, ci = _share(count, total)
            trend.append(WaveShare(str(wave), total, count, wave_share, ci))
        rows.append(ThemeRow(
            item.id, item.name, item.top_words, item.keywords, item.exclude, int(inside.sum()), share,
            len(values), int((inside & (frame["sentiment_status"] == "not_available").to_numpy(bool)).sum()),
            float(values.mean()) if len(values) else None,
            float(np.mean(values >= POSITIVE)) if len(values) else None,
            float(np.mean(values <= NEGATIVE)) if len(values) else None, tuple(trend)))
    selected = theme if theme in {t.id for t in codebook.themes} else None
    needle = query.strip().casefold()
    keep = frame["comment"].str.casefold().str.contains(needle, regex=False) if needle else \
        pd.Series(True, index=frame.index)
    if selected is not None:
        keep &= frame["themes"].map(lambda ids: selected in ids)
    found = frame[keep].sort_values(["submitted_at", "response_id"], ascending=False, na_position="last")
    comments = tuple(
        ThemeComment(int(r.response_id), str(r.comment), tuple(r.themes), r.language if isinstance(r.language, str)
                     else None, None if pd.isna(r.sentiment) else float(r.sentiment),
                     str(r.sentiment_status) if isinstance(r.sentiment_status, str) else "blank",
                     r.channel if isinstance(r.channel, str) else None,
                     None if pd.isna(r.submitted_at) else pd.Timestamp(r.submitted_at).to_pydatetime())
        for r in found.head(COMMENT_LIMIT).itertuples())
    not_available = int((frame["sentiment_status"] == "not_available").sum())
    return ThemesOverview(slug, record.title, codebook.version, len(frame), not_available, tuple(rows), comments,
                          len(found), query.strip(), selected)
