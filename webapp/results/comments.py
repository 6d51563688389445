"""Comments read in SQL: the results page's latest comments and their search, and the pieces the themes page
builds on (`webapp.themes.overview`), so that one page view costs the same memory whatever the number of
comments: filtering, counting and paging happen in the database, and Python sees one page of comments.

An open-text column's name is its path in a response's stored `answers` (`q_comment` is `answers['q_comment']`,
a friction follow-up `q_friction.delivery.what` is `answers['q_friction']['delivery']['what']`): `answer_text`
reads it with the database's JSON functions (SQLite's `json_extract`, PostgreSQL's `->>`/`#>>`). A column counts
only for the versions whose questions have it as open text, as `Survey.to_row` would give it.

A search is a `LIKE` on the case-folded text with `%`, `_` and the escape character escaped, so what the user
types is matched literally; on SQLite the folding is Python's `str.casefold` (registered on the connection, so
"ÉTÉ" finds "été" as before), on PostgreSQL `lower()` under the database's locale.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.model import Survey

from ..services.publishing import survey_of
from ..storage.models import Response, SurveyVersion

COMMENT_LIMIT = 50
"""Comments shown on one page (the newest first)."""
CASEFOLD = "cxroi_casefold"


@dataclass(frozen=True)
class Comment:
    response_id: int
    question: str
    text: str
    channel: str | None
    submitted_at: datetime | None


def answer_text(column: str) -> sa.ColumnElement[Any]:
    """The text stored at open-text `column` of a response, as an SQL expression (NULL when not answered)."""
    parts = column.split(".")
    element = Response.answers[parts[0]] if len(parts) == 1 else Response.answers[tuple(parts)]
    return element.as_string()


def column_versions(column: str, versions: Iterable[SurveyVersion]) -> list[int]:
    """The ids of the versions whose questions have `column` as an open-text column."""
    return [version.id for version in versions if column in open_text_columns(survey_of(version))]


def open_text_columns(survey: Survey) -> dict[str, str]:
    """Open-text columns of `survey` and the question (or touchpoint) each belongs to."""
    return {column: label for question in survey.questions()
            for column, label in question.open_text_columns(survey).items()}


def folded(session: Session, expression: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """`expression` case-folded for a search (see the module's docstring)."""
    if session.get_bind().dialect.name == "sqlite":
        connection = session.connection().connection.driver_connection
        connection.create_function(CASEFOLD, 1, _casefold, deterministic=True)  # type: ignore[union-attr]
        return getattr(sa.func, CASEFOLD)(expression)
    return sa.func.lower(expression)


def fold_query(session: Session, query: str) -> str:
    """The search text folded as `folded` folds the comments."""
    return query.casefold() if session.get_bind().dialect.name == "sqlite" else query.lower()


def _casefold(value: object) -> str | None:
    return None if value is None else str(value).casefold()


def contains(session: Session, expression: sa.ColumnElement[Any], query: str) -> sa.ColumnElement[bool]:
    """`expression` contains `query`, case-insensitively, every character of `query` taken literally."""
    return folded(session, expression).contains(fold_query(session, query), autoescape=True)


def _newest_first(rows: Any) -> Any:
    return rows.c.submitted_at.desc().nulls_last(), rows.c.response_id.desc(), rows.c.position


def latest_comments(session: Session, versions: dict[int, SurveyVersion], survey: Survey, query: str,
                    counted_comments: int, where: Sequence[sa.ColumnElement[bool]] = ()
                    ) -> tuple[tuple[Comment, ...], int]:
    """The newest `COMMENT_LIMIT` comments of the complete responses (matching `where`, the results page's
    filters, and containing `query`, case-insensitive, when given) and how many there are: without a query
    `counted_comments` (the tallies' count, of the filtered responses when filtered), with one the
    count of the matches in SQL. Each open-text column of the latest version (`survey`) is one branch, read
    newest first and cut at `COMMENT_LIMIT` in SQL; the branches are merged and cut again."""
    labels = open_text_columns(survey)
    if not labels or (not query and not counted_comments):
        return (), 0
    branches = []
    for position, column in enumerate(labels):
        version_ids = column_versions(column, versions.values())
        if not version_ids:
            continue
        text = answer_text(column)
        branch = (sa.select(Response.id.label("response_id"), sa.literal_column(str(position)).label("position"),
                            text.label("text"), Response.channel.label("channel"),
                            Response.submitted_at.label("submitted_at"))
                  .where(Response.version_id.in_(version_ids), Response.status == "complete",
                         text.is_not(None), text != "", *where))
        if query:
            branch = branch.where(contains(session, text, query))
        branches.append(branch)
    if not branches:
        return (), 0
    cut = []
    for branch in branches:
        inner = branch.subquery()
        cut.append(sa.select(inner).order_by(*_newest_first(inner)).limit(COMMENT_LIMIT).subquery())
    merged = sa.union_all(*(sa.select(piece) for piece in cut)).subquery()
    found = session.execute(sa.select(merged).order_by(*_newest_first(merged)).limit(COMMENT_LIMIT)).all()
    columns = list(labels)
    comments = tuple(Comment(row.response_id, labels[columns[row.position]], str(row.text).strip(), row.channel,
                             row.submitted_at) for row in found)
    if not query:
        return comments, counted_comments
    everything = sa.union_all(*branches).subquery()
    matching = session.scalar(sa.select(sa.func.count()).select_from(everything)) or 0
    return comments, int(matching)
