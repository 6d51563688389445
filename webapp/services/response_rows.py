"""The respondent path's reads and writes of response rows, as Core statements built once at import.

Every request of a respondent runs one or two of these (`responding` decides which and owns the transactions).
They are built once, with bound parameters, so SQLAlchemy finds each compiled form in its cache instead of
building and hashing a new `select` on every request, and they return plain rows: no ORM identity map, no
unit of work, no attribute instrumentation for rows that are read once and thrown away. (Measured with
`benchmarks/profile_respondent.py`: an ORM select with its joined version and survey cost about four times the
CPU of the same Core select.)

The page views still receive `Response` objects: `response_of` makes a transient one (never added to a session)
whose `version` is a transient `SurveyVersion` kept per version for the life of the process — versions are
immutable once published — carrying the definition that `publishing.survey_of` parses once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from ..storage.churn_risk import ChurnRiskRule
from ..storage.models import Response, SurveyRecord, SurveyVersion
from ..webhooks.models import WebhookSubscription

_responses = Response.__table__
_versions = SurveyVersion.__table__
_surveys = SurveyRecord.__table__

RESPONSE_COLUMNS = ("id", "version_id", "invitation_id", "session_key", "customer_id", "channel", "status",
                    "answers", "current_page", "started_at", "updated_at", "submitted_at", "wave_id", "language")
"""The columns of a response the pages and the submit read (every column of the table)."""

BY_SESSION_KEY = (
    sa.select(*(_responses.c[name] for name in RESPONSE_COLUMNS), _versions.c.survey_id, _versions.c.published_at,
              _surveys.c.slug, _surveys.c.closed_at, _surveys.c.public_link)
    .join(_versions, _versions.c.id == _responses.c.version_id)
    .join(_surveys, _surveys.c.id == _versions.c.survey_id)
    .where(_responses.c.session_key == sa.bindparam("session_key"))
)
"""A public respondent's response by session key, with what the checks need of its version and survey."""

LATEST_VERSION = (
    sa.select(_versions.c.id, _versions.c.survey_id, _versions.c.published_at, _surveys.c.closed_at,
              _surveys.c.public_link)
    .join(_surveys, _surveys.c.id == _versions.c.survey_id)
    .where(_surveys.c.slug == sa.bindparam("slug"))
    .order_by(_versions.c.number.desc()).limit(1)
)
"""The newest version of a survey by slug, with the survey's open/closed and public-link switches."""

DEFINITION = sa.select(_versions.c.number, _versions.c.definition).where(_versions.c.id == sa.bindparam("version_id"))

_RISK_RULE = sa.exists().where(ChurnRiskRule.__table__.c.survey_id == _versions.c.survey_id)
_SUBSCRIBED = sa.exists().where(
    WebhookSubscription.__table__.c.active.is_(True),
    WebhookSubscription.__table__.c.team_id == sa.select(_surveys.c.team_id)
    .where(_surveys.c.id == _versions.c.survey_id).correlate(_versions).scalar_subquery())

LOCKED = (
    sa.select(*(_responses.c[name] for name in RESPONSE_COLUMNS), _versions.c.survey_id, _versions.c.published_at,
              _RISK_RULE.label("risk_rule"), _SUBSCRIBED.label("subscribed"))
    .join(_versions, _versions.c.id == _responses.c.version_id)
    .where(_responses.c.id == sa.bindparam("response_id"))
    .with_for_update(of=_responses)
)
"""A response by id, its row locked until the transaction ends (PostgreSQL; SQLite's write transaction is the
lock), with its version's keys, and who listens to its submit: `risk_rule` (a churn-risk rule is set for the
survey) and `subscribed` (its team has an active webhook subscription), so a submit asks the churn-risk scorer
and the webhooks only when one is there to hear it."""

LOCKED_BY_SESSION_KEY = (
    BY_SESSION_KEY.add_columns(_RISK_RULE.label("risk_rule"), _SUBSCRIBED.label("subscribed"))
    .with_for_update(of=_responses)
)
"""A public respondent's response by session key, locked as `LOCKED` locks it, with the columns of both
`BY_SESSION_KEY` (the link's checks) and `LOCKED` (the submit's listeners): a POST's one read."""

UPDATE_PARTIAL = (
    _responses.update()
    .where(_responses.c.id == sa.bindparam("response_id"), _responses.c.status == "partial")
)
"""UPDATE a response while it is partial; the values are the execution's other parameters (named as columns)."""

INSERT = _responses.insert()

_VERSIONS: dict[tuple[int, int, datetime], SurveyVersion] = {}


def version_of(session: Session, version_id: int, survey_id: int, published_at: datetime) -> SurveyVersion:
    """A transient `SurveyVersion` with its definition, read once per process (versions are immutable; the key
    tells apart equal ids of different databases, as `publishing.survey_of` does). Never add it to a session."""
    key = (version_id, survey_id, published_at)
    version = _VERSIONS.get(key)
    if version is None:
        number, definition = session.execute(DEFINITION, {"version_id": version_id}).one()
        version = SurveyVersion(id=version_id, survey_id=survey_id, number=number, definition=definition,
                                published_at=published_at)
        if len(_VERSIONS) > 256:
            _VERSIONS.clear()
        _VERSIONS[key] = version
    return version


def response_of(session: Session, row: Row[Any]) -> Response:
    """A transient `Response` of a row read with `RESPONSE_COLUMNS` and its version's keys. Never add it to a
    session: the row exists; changes go through `UPDATE_PARTIAL`."""
    response = Response(**{name: row._mapping[name] for name in RESPONSE_COLUMNS})
    response.version = version_of(session, row.version_id, row.survey_id, row.published_at)
    return response


def update_partial(session: Session, response_id: int, **values: Any) -> bool:
    """UPDATE the response only while it is partial; False when it was already complete (or is gone)."""
    result = session.connection().execute(UPDATE_PARTIAL, {"response_id": response_id, **values})
    return bool(result.rowcount)


def insert_response(session: Session, **values: Any) -> int:
    """INSERT a response row; its id. Raises IntegrityError when its session key or invitation has one."""
    result = session.connection().execute(INSERT, values)
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
