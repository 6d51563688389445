"""What the themes page shows: per theme of the codebook in use, how many complete responses mention it, its
share of the commenters, its sentiment (English comments only; the rest counted as "not available"), its trend
by wave, and its comments (searchable). Computed from the stored codings (`coded.code_responses` first) in SQL:
counts and sentiment by aggregates over each coding's themes (`response_themes.themes`, a JSON list, read with
SQLite's `json_each` or PostgreSQL's `json_array_elements_text`), the comments filtered and cut to one page in
the database (`webapp.results.comments`), so a page view's memory does not grow with the number of comments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from statsmodels.stats.proportion import proportion_confint

from roi.sentiment import NEGATIVE, POSITIVE

from ..results.comments import answer_text, column_versions, contains
from ..services.publishing import find_survey
from ..storage.models import Response, SurveyVersion, Wave
from .coded import code_responses, comment_columns, current_record
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


def comment_text(session: Session, slug: str) -> sa.ColumnElement[Any]:
    """A response's comment as `coded.comments_frame` makes it, in SQL: its non-blank open-text answers (every
    version's columns, latest version's first) joined by a new line; "" when it has none."""
    record = find_survey(session, slug)
    versions = list(session.scalars(sa.select(SurveyVersion).where(SurveyVersion.survey_id == record.id)))
    parts = []
    for column in comment_columns(session, slug):
        ids = column_versions(column, versions)
        text = answer_text(column)
        if len(ids) < len(versions):
            text = sa.case((Response.version_id.in_(ids), text), else_=sa.null())
        parts.append(sa.case((text != "", "\n" + text), else_=""))
    if not parts:
        return sa.literal("")
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + part
    return sa.func.substr(joined, 2)


def _theme_elements(session: Session) -> Any:
    """Each theme id of a coding (`ResponseThemes.themes`) as a row with a `value` column."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.json_array_elements_text(ResponseThemes.themes).table_valued(
            "value", joins_implicitly=True).render_derived()
    return sa.func.json_each(ResponseThemes.themes).table_valued("value", joins_implicitly=True)


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def build_themes_overview(session: Session, slug: str, *, query: str = "", theme: str | None = None
                          ) -> ThemesOverview:
    """The themes page of `slug` (UnknownSurvey for an unknown slug); codes new responses first."""
    record = find_survey(session, slug)
    codebook = current_codebook(session, slug)
    comment = comment_text(session, slug)
    version_ids = sa.select(SurveyVersion.id).where(SurveyVersion.survey_id == record.id).scalar_subquery()
    complete = sa.and_(Response.version_id.in_(version_ids), Response.status == "complete")
    if codebook is None:
        commenters = session.scalar(sa.select(sa.func.count()).select_from(Response).where(complete, comment != ""))
        return ThemesOverview(slug, record.title, None, int(commenters or 0), 0, (), (), 0, query, None)
    code_responses(session, slug)
    stored = current_record(session, slug)
    assert stored is not None
    # Every response has its coding now; "blank" is the status of a response without a comment.
    coded = sa.and_(complete, ResponseThemes.sentiment_status != "blank")
    joined = sa.select().select_from(Response).join(
        ResponseThemes, sa.and_(ResponseThemes.response_id == Response.id, ResponseThemes.codebook_id == stored.id))
    commenters, not_available = session.execute(joined.add_columns(
        sa.func.count(), _count_if(ResponseThemes.sentiment_status == "not_available")).where(coded)).one()
    waves = session.execute(joined.add_columns(Wave.name, sa.func.count()).join(Wave, Response.wave_id == Wave.id)
                            .where(coded).group_by(Wave.name).order_by(sa.func.min(Response.id))).all()
    element = _theme_elements(session)
    with_themes = joined.join(element, sa.true()).where(coded)
    scored = ResponseThemes.sentiment_status == "scored"
    per_theme = {row[0]: row[1:] for row in session.execute(with_themes.add_columns(
        element.c.value, sa.func.count(), _count_if(scored), sa.func.avg(sa.case((scored, ResponseThemes.sentiment))),
        _count_if(scored & (ResponseThemes.sentiment >= POSITIVE)),
        _count_if(scored & (ResponseThemes.sentiment <= NEGATIVE)),
        _count_if(ResponseThemes.sentiment_status == "not_available")).group_by(element.c.value))}
    per_wave = {(row[0], row[1]): int(row[2]) for row in session.execute(with_themes.add_columns(
        element.c.value, Wave.name, sa.func.count()).join(Wave, Response.wave_id == Wave.id)
        .group_by(element.c.value, Wave.name))}
    rows = []
    for item in codebook.themes:
        mentions, count_scored, mean, positive, negative, unscored = per_theme.get(item.id, (0, 0, None, 0, 0, 0))
        share, _ = _share(int(mentions), int(commenters))
        trend = []
        for wave, total in waves:
            count = per_wave.get((item.id, wave), 0)
            wave_share, ci = _share(count, int(total))
            trend.append(WaveShare(str(wave), int(total), count, wave_share, ci))
        rows.append(ThemeRow(
            item.id, item.name, item.top_words, item.keywords, item.exclude, int(mentions), share,
            int(count_scored), int(unscored), float(mean) if count_scored else None,
            int(positive) / int(count_scored) if count_scored else None,
            int(negative) / int(count_scored) if count_scored else None, tuple(trend)))
    selected = theme if theme in {t.id for t in codebook.themes} else None
    listed = joined.where(coded)
    if query.strip():
        listed = listed.where(contains(session, comment, query.strip()))
    if selected is not None:
        chosen = _theme_elements(session)
        listed = listed.join(chosen, sa.true()).where(chosen.c.value == selected)
    matching = session.scalar(listed.add_columns(sa.func.count())) or 0
    found = session.execute(listed.add_columns(
        Response.id, comment.label("comment"), ResponseThemes.themes, ResponseThemes.language,
        ResponseThemes.sentiment, ResponseThemes.sentiment_status, Response.channel, Response.submitted_at)
        .order_by(Response.submitted_at.desc().nulls_last(), Response.id.desc()).limit(COMMENT_LIMIT)).all()
    comments = tuple(
        ThemeComment(int(r.id), str(r.comment), tuple(r.themes) if isinstance(r.themes, list) else (),
                     r.language, None if r.sentiment is None else float(r.sentiment), str(r.sentiment_status),
                     r.channel, r.submitted_at)
        for r in found)
    return ThemesOverview(slug, record.title, codebook.version, int(commenters), int(not_available), tuple(rows),
                          comments, int(matching), query.strip(), selected)
