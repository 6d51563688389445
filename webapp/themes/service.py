"""Codebooks stored with their survey: every change saved as a new version (`save_codebook`), the highest
version in use; import and export as YAML; themes discovered from the survey's comments. Services own their
commits. The coding of responses is in `webapp.themes.coded`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from roi.themes.codebook import Codebook, InvalidCodebook, parse_codebook, to_yaml
from roi.themes.discovery import DEFAULT_THEMES, Discovery, TooFewComments, discover_themes

from ..services.errors import HostingError
from ..services.publishing import find_survey
from .coded import code_responses, comments_frame, current_record
from .models import CodebookRecord

__all__ = ["CodebookConflict", "HostingError", "code_responses", "codebook_versions", "codebook_yaml",
           "current_codebook", "current_record", "discover", "import_codebook", "save_codebook"]


class CodebookConflict(HostingError):
    status = 409
    title = "The codebook changed meanwhile"


# --- codebook versions -----------------------------------------------------------------------------------

def current_codebook(session: Session, slug: str) -> Codebook | None:
    """The codebook in use for `slug`, or None when none was saved."""
    record = current_record(session, slug)
    return parse_codebook(record.definition, source=f"codebook {record.version}") if record else None


def codebook_versions(session: Session, slug: str) -> list[CodebookRecord]:
    record = find_survey(session, slug)
    return list(session.scalars(sa.select(CodebookRecord).where(CodebookRecord.survey_id == record.id)
                                .order_by(CodebookRecord.version.desc())))


def codebook_yaml(session: Session, slug: str, version: int | None = None) -> str:
    """The YAML of version `version` (default: the one in use); HostingError 404 when there is none."""
    record = find_survey(session, slug)
    query = sa.select(CodebookRecord).where(CodebookRecord.survey_id == record.id)
    query = query.where(CodebookRecord.version == version) if version is not None else \
        query.order_by(CodebookRecord.version.desc()).limit(1)
    found = session.scalar(query)
    if found is None:
        error = HostingError(f"survey {slug!r} has no codebook{f' version {version}' if version else ''} yet")
        error.status = 404
        raise error
    return found.definition


def save_codebook(session: Session, slug: str, codebook: Codebook, *, by: str | None = None,
                  note: str | None = None, based_on: int | None = None) -> CodebookRecord:
    """Store `codebook` as the next version of `slug`'s codebook and commit.

    `based_on` is the version the edit started from: when another version was saved since, `CodebookConflict`
    (409) is raised and nothing is stored, so two editors never overwrite each other silently.
    """
    record = find_survey(session, slug)
    latest = current_record(session, slug)
    if based_on is not None and (latest.version if latest else 0) != based_on:
        raise CodebookConflict(f"the codebook of {slug!r} is now at version {latest.version if latest else 0}, "
                               f"not {based_on}: reload the page and make the change again")
    number = (latest.version if latest else 0) + 1
    stored = codebook.model_copy(update={"version": number, "survey": slug})
    row = CodebookRecord(survey_id=record.id, version=number, definition=to_yaml(stored), note=note, created_by=by)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise CodebookConflict(f"another codebook version of {slug!r} was saved at the same moment: reload the "
                               "page and make the change again") from None
    return row


def import_codebook(session: Session, slug: str, text: str, *, by: str | None = None,
                    source: str = "codebook") -> CodebookRecord:
    """Check YAML text as a codebook and save it as the next version; HostingError names the problem."""
    try:
        codebook = parse_codebook(text, source=source)
    except InvalidCodebook as error:
        raise HostingError(str(error)) from None
    return save_codebook(session, slug, codebook, by=by, note=f"imported from {source}"[:500])


def discover(session: Session, slug: str, *, themes: int = DEFAULT_THEMES, seed: int = 0,
             by: str | None = None) -> tuple[CodebookRecord, Discovery]:
    """Find themes in the complete responses' comments and save them as the next codebook version."""
    frame = comments_frame(session, slug)
    try:
        found = discover_themes(list(frame["comment"]), themes=themes, seed=seed, survey=slug)
    except TooFewComments as error:
        raise HostingError(f"{slug}: {error}") from None
    return save_codebook(session, slug, found.codebook, by=by,
                         note=f"discovered: {len(found.codebook.themes)} themes, seed {seed}"), found


