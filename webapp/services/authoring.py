"""Authoring: surveys being designed in the browser, their drafts, publishing, closing and reopening.

Every change goes through `save_draft`, which stores a definition only when `build_survey` accepts it; an
invalid one raises `InvalidDefinition` and the stored draft stays as it was. Each function owns its commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surveys.definition import InvalidDefinition, Problem, build_survey, to_data
from surveys.lint import lint_survey
from surveys.model import Survey

from ..storage.drafts import SurveyDraft
from ..storage.models import Response, SurveyRecord, SurveyVersion, utcnow
from .customer_lists import CustomerList as CustomerList  # re-exported: the authoring pages preview lists
from .customer_lists import CustomerRow as CustomerRow
from .customer_lists import read_customer_list as read_customer_list
from .errors import HostingError
from .publishing import find_survey, locked_survey, publish_survey, survey_of

Status = Literal["draft", "live", "closed"]


class AuthoringError(HostingError):
    """A request the authoring pages cannot carry out (a taken id, publishing a survey with errors …)."""


@dataclass(frozen=True)
class SurveySummary:
    """One line of the survey list."""

    slug: str
    title: str
    status: Status
    versions: int
    responses: int
    unpublished_changes: bool
    updated_at: datetime | None


def status_of(record: SurveyRecord, versions: int) -> Status:
    """draft: never published; live: published and open; closed: takes no more answers."""
    if versions == 0:
        return "draft"
    return "closed" if record.closed_at is not None else "live"


def list_surveys(session: Session) -> list[SurveySummary]:
    """Every survey, newest first, with its status, number of versions and of responses (all versions)."""
    versions: dict[int, int] = {survey_id: count for survey_id, count in session.execute(
        sa.select(SurveyVersion.survey_id, sa.func.count()).group_by(SurveyVersion.survey_id))}
    responses: dict[int, int] = {survey_id: count for survey_id, count in session.execute(
        sa.select(SurveyVersion.survey_id, sa.func.count(Response.id))
        .join(Response, Response.version_id == SurveyVersion.id)
        .group_by(SurveyVersion.survey_id))}
    drafts = {draft.survey_id: draft for draft in session.scalars(sa.select(SurveyDraft))}
    latest = _latest_definitions(session)
    summaries = []
    for record in session.scalars(sa.select(SurveyRecord).order_by(SurveyRecord.created_at.desc(),
                                                                   SurveyRecord.id.desc())):
        count = versions.get(record.id, 0)
        draft = drafts.get(record.id)
        changed = draft is not None and count > 0 and draft.definition != latest.get(record.id)
        summaries.append(SurveySummary(record.slug, record.title, status_of(record, count), count,
                                       responses.get(record.id, 0), changed,
                                       draft.updated_at if draft is not None else None))
    return summaries


def _latest_definitions(session: Session) -> dict[int, dict[str, Any]]:
    newest = (sa.select(SurveyVersion.survey_id, sa.func.max(SurveyVersion.number).label("number"))
              .group_by(SurveyVersion.survey_id).subquery())
    rows = session.execute(sa.select(SurveyVersion.survey_id, SurveyVersion.definition).join(
        newest, sa.and_(newest.c.survey_id == SurveyVersion.survey_id, newest.c.number == SurveyVersion.number)))
    return {survey_id: definition for survey_id, definition in rows}


def create_survey(session: Session, survey: Survey, *, author: str | None = None) -> SurveyRecord:
    """A new survey (no version yet: status draft) whose draft is `survey`. Commits.

    `AuthoringError` when a survey with the same id exists (the database's unique slug decides races).
    """
    taken = AuthoringError(f"a survey with the id {survey.id!r} already exists; choose another id")
    if session.scalar(sa.select(SurveyRecord.id).where(SurveyRecord.slug == survey.id)) is not None:
        raise taken
    record = SurveyRecord(slug=survey.id, title=survey.title)
    session.add(record)
    session.add(SurveyDraft(survey=record, definition=to_data(survey), updated_by=author))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise taken from None
    return record


def read_draft(session: Session, slug: str) -> Survey:
    """The survey as being edited: its draft, else (published from the command line) its latest version."""
    return build_survey(draft_definition(session, slug), source=f"draft of {slug}")


def draft_definition(session: Session, slug: str, *, lock: bool = False) -> dict[str, Any]:
    """The stored draft's definition data (`UnknownSurvey` if there is no such survey).

    With `lock`, the draft row stays locked until the transaction ends, so an edit based on it cannot be
    overwritten by a concurrent one (PostgreSQL row lock; SQLite transactions are serialised anyway).
    """
    record = find_survey(session, slug)
    draft = _draft_of(session, record, lock=lock)
    if draft is not None:
        return draft.definition
    version = session.scalar(sa.select(SurveyVersion).where(SurveyVersion.survey_id == record.id)
                             .order_by(SurveyVersion.number.desc()))
    if version is None:  # a survey row without draft or version: cannot happen through the services
        raise AuthoringError(f"the survey {slug!r} has neither a draft nor a published version")
    return version.definition


def _draft_of(session: Session, record: SurveyRecord, *, lock: bool = False) -> SurveyDraft | None:
    query = sa.select(SurveyDraft).where(SurveyDraft.survey_id == record.id)
    return session.scalar(query.with_for_update() if lock else query)


def save_draft(session: Session, slug: str, data: Any, *, author: str | None = None) -> Survey:
    """Store `data` as the draft of `slug` if it is a valid definition with the same id. Commits.

    Raises `InvalidDefinition` (every problem with its path) and then stores nothing.
    """
    record = find_survey(session, slug)
    if isinstance(data, dict) and data.get("id") != slug:
        raise InvalidDefinition(f"draft of {slug}", [Problem("id", f"must stay {slug!r}, the id of this survey "
                                                                   "(links and exports use it)")])
    survey = build_survey(data, source=f"draft of {slug}")
    definition = to_data(survey)
    draft = _draft_of(session, record)
    if draft is None:
        session.add(SurveyDraft(survey=record, definition=definition, updated_by=author))
    else:
        draft.definition = definition
        draft.updated_at = utcnow()
        draft.updated_by = author
    record.title = survey.title
    try:
        session.commit()
    except IntegrityError:  # two first edits of a command-line survey raced to create its draft
        session.rollback()
        raise AuthoringError("someone else changed this survey at the same moment; reload and try again") from None
    return survey


def apply_edit(session: Session, slug: str, edit: Callable[[dict[str, Any]], dict[str, Any]], *,
               author: str | None = None) -> Survey:
    """Apply one pure edit (`webapp.author.edits`) to the draft and store the result if valid. Commits.

    The draft is read locked, so concurrent edits are applied one after the other and none is lost.
    """
    try:
        return save_draft(session, slug, edit(draft_definition(session, slug, lock=True)), author=author)
    except BaseException:
        session.rollback()  # release the lock of a refused edit at once
        raise


def publish_draft(session: Session, slug: str) -> SurveyVersion:
    """Store the draft as the next immutable version (status live unless closed). Commits.

    Refused with `AuthoringError` while the linter reports error-level findings.
    """
    return publish_checked(session, read_draft(session, slug))


def publish_checked(session: Session, survey: Survey) -> SurveyVersion:
    """Publish `survey` unless the linter reports error-level findings (`AuthoringError`): the rule of the
    authoring pages and of the API alike. Commits."""
    errors = [finding for finding in lint_survey(survey) if finding.severity == "error"]
    if errors:
        raise AuthoringError(f"fix the {len(errors)} error-level finding(s) first, e.g. {errors[0].path}: "
                             f"{errors[0].message}")
    try:
        return publish_survey(session, survey)
    except InvalidDefinition as error:  # publishing checks the mail texts (`mail_problems`): said, path named
        raise AuthoringError(f"fix the mail texts first: {error.problems[0]}") from None


@dataclass(frozen=True)
class PublishPreview:
    """What publishing the draft would change for respondents, shown before the author confirms."""

    number: int
    """The version number publishing would create."""
    closed: bool
    added: list[tuple[str, str]]
    """(question id, text) of questions the latest published version does not have."""
    removed: list[tuple[str, str]]
    reworded: list[tuple[str, str]]
    """(question id, new text) of questions whose wording changed."""
    changed: list[str]
    """Ids of questions whose settings, choices or condition changed (wording aside)."""
    pages_before: int
    pages_after: int

    @property
    def same(self) -> bool:
        return self.number > 1 and not (self.added or self.removed or self.reworded or self.changed
                                        or self.pages_before != self.pages_after)


def publish_preview(session: Session, slug: str) -> PublishPreview:
    """Compare the draft with the latest published version, question by question."""
    draft = read_draft(session, slug)
    record = find_survey(session, slug)
    latest = session.scalar(sa.select(SurveyVersion).where(SurveyVersion.survey_id == record.id)
                            .order_by(SurveyVersion.number.desc()).limit(1))
    now = {question.id: question for question in draft.questions()}
    if latest is None:
        return PublishPreview(1, record.closed_at is not None, [(key, q.text) for key, q in now.items()], [], [],
                              [], 0, len(draft.sections))
    published = survey_of(latest)
    before = {question.id: question for question in published.questions()}
    shared = [key for key in now if key in before]
    return PublishPreview(
        number=latest.number + 1, closed=record.closed_at is not None,
        added=[(key, q.text) for key, q in now.items() if key not in before],
        removed=[(key, q.text) for key, q in before.items() if key not in now],
        reworded=[(key, now[key].text) for key in shared
                  if now[key].model_dump(mode="json", include={"text"})
                  != before[key].model_dump(mode="json", include={"text"})],
        changed=[key for key in shared if now[key].model_dump(mode="json", exclude={"text"})
                 != before[key].model_dump(mode="json", exclude={"text"})],
        pages_before=len(published.sections), pages_after=len(draft.sections))


def reopen_survey(session: Session, slug: str) -> bool:
    """Take answers again for a closed survey (its links work again). Idempotent: True when this call reopened
    it, False when it was open already (so only a real change is audited). Commits."""
    record = locked_survey(session, slug)
    changed = record.closed_at is not None
    record.closed_at = None
    session.commit()
    return changed


def last_change(session: Session, slug: str) -> tuple[datetime, str | None] | None:
    """When and by whom the draft was last saved; None while it has never been saved in the browser."""
    draft = _draft_of(session, find_survey(session, slug))
    return (draft.updated_at, draft.updated_by) if draft is not None else None


def survey_status(session: Session, slug: str) -> tuple[SurveyRecord, Status, int]:
    """The survey record, its status and its number of versions."""
    record = find_survey(session, slug)
    count = session.scalar(sa.select(sa.func.count()).select_from(SurveyVersion)
                           .where(SurveyVersion.survey_id == record.id)) or 0
    return record, status_of(record, count), count


