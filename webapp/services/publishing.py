"""Publishing: a survey definition becomes a new immutable, numbered version."""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from surveys.definition import build_survey, to_data
from surveys.errors import InvalidDefinition
from surveys.mail_texts import mail_problems
from surveys.model import Survey

from ..storage.models import SurveyRecord, SurveyVersion, utcnow
from ..teams import scope as _team_scope  # noqa: F401  (every new survey joins a team; queries see only theirs)
from ..webhooks import service as webhooks
from ..webhooks import tasks as webhook_tasks
from .errors import ClosedSurvey, UnknownSurvey


def publish_survey(session: Session, survey: Survey) -> SurveyVersion:
    """Store `survey` as the next version of the survey with its id (slug), creating the survey if new.

    Versions are numbered 1, 2, …; two publishers racing for the same number are told apart by the unique
    (survey, number) constraint and the loser retries once. Commits; returns the stored version.
    """
    problems = mail_problems(survey)  # the definition's mail texts, checked as `cxroi survey validate` checks them
    if problems:
        raise InvalidDefinition(survey.id, problems)
    definition = to_data(survey)
    for attempt in range(3):
        record = session.scalar(sa.select(SurveyRecord).where(SurveyRecord.slug == survey.id))
        try:
            if record is None:
                record = SurveyRecord(slug=survey.id, title=survey.title)
                session.add(record)
                session.flush()
        except IntegrityError:  # another publisher created the survey first
            session.rollback()
            continue
        record.title = survey.title
        number = session.scalar(
            sa.select(sa.func.max(SurveyVersion.number)).where(SurveyVersion.survey_id == record.id)
        ) or 0
        version = SurveyVersion(survey=record, number=number + 1, definition=definition)
        session.add(version)
        try:
            session.flush()
            deliveries = webhooks.emit(session, "survey.published", {
                "survey": survey.id, "title": survey.title, "version": version.number})
            session.commit()
        except IntegrityError:
            session.rollback()
            if attempt == 2:
                raise
            continue
        webhook_tasks.deliver_later(deliveries)
        return version
    raise AssertionError("unreachable")


def survey_of(version: SurveyVersion) -> Survey:
    """The `Survey` model of a stored version (its definition was checked when published)."""
    # Versions never change, so their parsed model is kept for the life of the process; the key tells apart
    # equal version ids of different databases (tests, several apps in one process).
    key = (version.id, version.survey_id, version.published_at)
    survey = _SURVEYS.get(key)
    if survey is None:
        survey = build_survey(version.definition, source=f"survey version {version.id}")
        if len(_SURVEYS) > 256:
            _SURVEYS.clear()
        _SURVEYS[key] = survey
    return survey


_SURVEYS: dict[tuple[int, int, datetime], Survey] = {}
_SLUG = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
"""What a survey id can be (`surveys.questions.Identifier`)."""


def find_survey(session: Session, slug: str) -> SurveyRecord:
    """The survey with this slug, or `UnknownSurvey`."""
    # A slug from a URL is anything; one that is not an id (a NUL byte, say) would be a PostgreSQL error.
    record = session.scalar(sa.select(SurveyRecord).where(SurveyRecord.slug == slug)) if _SLUG.match(slug) else None
    if record is None:
        raise UnknownSurvey(f"no published survey is called {slug[:64]!r}")
    return record


def latest_version(session: Session, slug: str, *, open_only: bool = False) -> SurveyVersion:
    """The newest version of the survey `slug`; `UnknownSurvey` if none, `ClosedSurvey` if closed and
    `open_only`."""
    # One SELECT for the version with its survey (every public-link request asks); the errors are told apart
    # only when there is none.
    version = session.scalar(
        sa.select(SurveyVersion).join(SurveyVersion.survey).options(contains_eager(SurveyVersion.survey))
        .where(SurveyRecord.slug == slug).order_by(SurveyVersion.number.desc()).limit(1)
    ) if _SLUG.match(slug) else None
    record = find_survey(session, slug) if version is None else version.survey
    if open_only and record.closed_at is not None:
        raise ClosedSurvey(f"the survey {slug!r} is closed and takes no more answers")
    if version is None:
        raise UnknownSurvey(f"the survey {slug!r} has no published version")
    return version


def locked_survey(session: Session, slug: str) -> SurveyRecord:
    """`find_survey` with the row locked until the transaction ends (PostgreSQL; SQLite's write transaction
    already serialises): two requests changing the same survey at once take turns and see each other's change."""
    record = session.scalar(sa.select(SurveyRecord).where(SurveyRecord.slug == slug).with_for_update()
                            .execution_options(populate_existing=True)) if _SLUG.match(slug) else None
    if record is None:
        session.rollback()
        raise UnknownSurvey(f"no published survey is called {slug[:64]!r}")
    return record


def close_survey(session: Session, slug: str) -> bool:
    """Stop taking answers for `slug`: its personal and public links answer 410 from now on. Idempotent: True
    when this call closed it, False when it was closed already (so only a real change is audited). Commits."""
    record = locked_survey(session, slug)
    changed = record.closed_at is None
    if changed:
        record.closed_at = utcnow()
    session.commit()
    return changed
