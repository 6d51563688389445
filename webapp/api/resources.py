"""What the API reads and how it shows it: JSON shapes of surveys, versions, responses and reports, and the
cursor-paginated response listing. The rules (publishing, invitations, analyses, cases) stay in the services
the web pages use; this module only selects and shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.services.authoring import list_surveys
from webapp.services.publishing import find_survey
from webapp.storage.models import RESPONSE_STATUSES, Response, SurveyRecord, SurveyVersion, Wave
from webapp.storage.reports import ReportJob

from .problems import ApiProblem

PAGE_LIMIT = 100
MAX_PAGE_LIMIT = 1000


def stamp(value: datetime | None) -> str | None:
    """Stored times are naive UTC: shown as RFC 3339 with a Z."""
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


def surveys(session: Session) -> list[dict[str, Any]]:
    return [{"id": s.slug, "title": s.title, "status": s.status, "versions": s.versions, "responses": s.responses}
            for s in list_surveys(session)]


def survey(session: Session, slug: str) -> dict[str, Any]:
    record = find_survey(session, slug)
    versions = session.execute(sa.select(SurveyVersion.number, SurveyVersion.published_at)
                               .where(SurveyVersion.survey_id == record.id).order_by(SurveyVersion.number)).all()
    status = "draft" if not versions else ("closed" if record.closed_at is not None else "live")
    return {"id": record.slug, "title": record.title, "status": status, "public_link": record.public_link,
            "created_at": stamp(record.created_at), "closed_at": stamp(record.closed_at),
            "versions": [{"number": number, "published_at": stamp(at)} for number, at in versions]}


def version(session: Session, slug: str, number: int) -> dict[str, Any]:
    record = find_survey(session, slug)
    found = session.scalar(sa.select(SurveyVersion).where(SurveyVersion.survey_id == record.id,
                                                          SurveyVersion.number == number))
    if found is None:
        raise ApiProblem(404, "Version not found", f"the survey {slug!r} has no version {number}", kind="not-found")
    return {"survey": slug, "number": found.number, "published_at": stamp(found.published_at),
            "definition": found.definition}


def _cursor(after_id: int) -> str:
    return str(after_id)


def read_cursor(value: str) -> int:
    """The response id a cursor continues after (the last id of the previous page); a 400 problem otherwise."""
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise ApiProblem(400, "Invalid cursor", "the cursor is the next_cursor of the previous page (digits); "
                         "start without it and follow next_cursor", kind="invalid-query")
    return int(value)


def _response(row: Any) -> dict[str, Any]:
    answer, slug, number, wave = row
    return {"id": answer.id, "survey": slug, "version": number, "status": answer.status,
            "customer_id": answer.customer_id, "channel": answer.channel, "wave": wave,
            "language": answer.language, "started_at": stamp(answer.started_at),
            "updated_at": stamp(answer.updated_at), "submitted_at": stamp(answer.submitted_at),
            "answers": answer.answers}


def _response_query() -> sa.Select[Any]:
    return (sa.select(Response, SurveyRecord.slug, SurveyVersion.number, Wave.name)
            .join(SurveyVersion, Response.version_id == SurveyVersion.id)
            .join(SurveyRecord, SurveyVersion.survey_id == SurveyRecord.id)
            .outerjoin(Wave, Response.wave_id == Wave.id))


def responses_page(session: Session, *, slug: str | None, version_number: int | None, wave: str | None,
                   status: str | None, since: datetime | None, after_id: int, limit: int) -> dict[str, Any]:
    """Responses in the order they were created, `limit` at a time, after the cursor's response. `since`
    keeps those changed at or after that time (incremental sync: keep the time of the previous run)."""
    query = _response_query().where(Response.id > after_id).order_by(Response.id).limit(limit + 1)
    if slug is not None:
        query = query.where(SurveyRecord.id == find_survey(session, slug).id)
    if version_number is not None:
        query = query.where(SurveyVersion.number == version_number)
    if wave is not None:
        query = query.where(Wave.name == wave)
    if status is not None:
        if status not in RESPONSE_STATUSES:
            raise ApiProblem(400, "Invalid status", f"status must be one of {', '.join(RESPONSE_STATUSES)}",
                             kind="invalid-query")
        query = query.where(Response.status == status)
    if since is not None:
        query = query.where(Response.updated_at >= since)
    rows = session.execute(query).all()
    shown = [_response(row) for row in rows[:limit]]
    more = len(rows) > limit
    return {"data": shown, "next_cursor": _cursor(shown[-1]["id"]) if more else None}


def one_response(session: Session, response_id: int) -> dict[str, Any]:
    row = session.execute(_response_query().where(Response.id == response_id)).one_or_none()
    if row is None:
        raise ApiProblem(404, "Response not found", f"there is no response number {response_id}", kind="not-found")
    return _response(row)


def report(job: ReportJob) -> dict[str, Any]:
    done = job.status == "done"
    base = f"/api/v1/reports/{job.id}"
    return {"id": job.id, "survey": job.survey_slug, "status": job.status, "progress": job.progress,
            "error": job.error, "outcomes_name": job.outcomes_name, "created_at": stamp(job.created_at),
            "started_at": stamp(job.started_at), "finished_at": stamp(job.finished_at),
            "links": {"self": base, "results": f"{base}/results.json" if done else None,
                      "pdf": f"{base}/report.pdf" if done else None}}
