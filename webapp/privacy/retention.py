"""Retention of responses per survey (docs/privacy.md): responses started more than N months ago are deleted or
anonymised by the queue's daily task (`webapp.privacy.tasks`), in batches of `BATCH` (each its own transaction,
so respondents' submits never wait long), with one audit event `retention_applied` per run.

Deleting takes with a response its follow-up cases and their notes, coded themes, webhook deliveries about it,
and its invitation with the invitation's e-mails; the tallies lose what it had added. Anonymising keeps the
response without customer id, invitation, public-link session and open-text answers (`anonymising`), deletes
the same dependants (a case, its notes and the e-mails are about the person), and corrects the tallies by the
difference (its comment counts). Invitations never answered are not touched.

The settings live on `surveys` (`SurveyRecord.retention_*`, migration 0017).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.errors import CxroiError

from ..audit.service import record
from ..services.publishing import find_survey
from ..storage.models import (
    CaseNote,
    FollowUpCase,
    Invitation,
    MailMessage,
    Response,
    SurveyRecord,
    SurveyVersion,
    utcnow,
)
from ..themes.models import ResponseThemes
from ..webhooks.models import WebhookDelivery
from .anonymising import without_open_text
from .counting import VersionSurveys, apply_change, keys_of
from .erasure import delete_responses, delete_rows, deliveries_about

ACTIONS = ("delete", "anonymise")
MONTHS_LIMIT = 1200
BATCH = 500
QUEUE_ACTOR = "queue"
surveys_table = SurveyRecord.__table__


class RetentionError(CxroiError):
    """A retention setting that cannot be stored; nothing was changed."""

    exit_code = 2


@dataclass(frozen=True)
class Retention:
    months: int | None
    action: str


def retention_of(session: Session, slug: str) -> Retention:
    """The survey's setting (months None: kept for ever). Raises `UnknownSurvey`."""
    survey_id = find_survey(session, slug).id
    row = session.execute(sa.select(surveys_table.c.retention_months, surveys_table.c.retention_action)
                          .where(surveys_table.c.id == survey_id)).one()
    return Retention(row.retention_months, row.retention_action or "delete")


def set_retention(session: Session, slug: str, months: int | None, action: str = "delete", *, actor: str,
                  client: str = "") -> Retention:
    """Keep the responses of `slug` for `months` months (None or 0: for ever), then `action` them; commits with
    an audit event `retention_set`. Raises `RetentionError` for a bad value, `UnknownSurvey`."""
    if action not in ACTIONS:
        raise RetentionError(f"retention action: choose {' or '.join(ACTIONS)}, not {str(action)[:40]!r}")
    if months is not None and not 0 <= months <= MONTHS_LIMIT:
        raise RetentionError(f"retention months: a whole number from 1 to {MONTHS_LIMIT} (0 keeps responses)")
    survey_id = find_survey(session, slug).id
    months = months or None
    session.execute(surveys_table.update().where(surveys_table.c.id == survey_id).values(
        retention_months=months, retention_action=action if months else None, retention_done_until=None))
    record(session, "retention_set", actor=actor, client=client, target=slug,
           detail={"months": months, "action": action if months else None})
    session.commit()
    return Retention(months, action)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day when it is shorter)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def apply_retention(session: Session, *, now: datetime | None = None, batch: int = BATCH,
                    actor: str = QUEUE_ACTOR) -> dict[str, dict[str, Any]]:
    """Apply every survey's retention as of `now` (naive UTC); returns, per survey slug with a setting, its
    action, cutoff and the responses deleted or anonymised. Commits after each batch, then records one
    `retention_applied` event with that summary."""
    now = now or utcnow()
    done: dict[str, dict[str, Any]] = {}
    settings = session.execute(sa.select(surveys_table).where(surveys_table.c.retention_months.is_not(None))
                               .order_by(surveys_table.c.slug)).all()
    session.rollback()
    for setting in settings:
        cutoff = months_before(now, setting.retention_months)
        action = setting.retention_action or "delete"
        if action == "anonymise":
            count = _anonymise_before(session, setting.id, setting.retention_done_until, cutoff, batch)
        else:
            count = _delete_before(session, setting.id, cutoff, batch)
        done[setting.slug] = {"action": action, "before": cutoff.isoformat(timespec="seconds") + "Z",
                              "responses": count}
    record(session, "retention_applied", actor=actor, target="", detail={"surveys": done})
    session.commit()
    return done


def _old(survey_id: int, cutoff: datetime) -> sa.Select[Any]:
    return (sa.select(Response.id).join(SurveyVersion, Response.version_id == SurveyVersion.id)
            .where(SurveyVersion.survey_id == survey_id, Response.started_at < cutoff).order_by(Response.id))


def _delete_before(session: Session, survey_id: int, cutoff: datetime, batch: int) -> int:
    count = 0
    surveys = VersionSurveys(session)
    while True:
        ids = list(session.scalars(_old(survey_id, cutoff).limit(batch)))
        if not ids:
            return count
        invitations = _forget_dependants(session, ids)
        count += delete_responses(session, ids, surveys=surveys)
        _delete_invitations(session, invitations)
        session.commit()


def _anonymise_before(session: Session, survey_id: int, done_until: datetime | None, cutoff: datetime,
                      batch: int) -> int:
    count, last_id = 0, 0
    surveys = VersionSurveys(session)
    while True:
        query = _old(survey_id, cutoff).where(Response.id > last_id).limit(batch)
        if done_until is not None:
            query = query.where(Response.started_at >= done_until)
        ids = list(session.scalars(query))
        if not ids:
            break
        last_id = ids[-1]
        invitations = _forget_dependants(session, ids)
        count += _anonymise(session, ids, surveys)
        _delete_invitations(session, invitations)
        session.commit()
    if done_until is None or cutoff > done_until:
        session.execute(surveys_table.update().where(surveys_table.c.id == survey_id)
                        .values(retention_done_until=cutoff))
        session.commit()
    return count


def _forget_dependants(session: Session, response_ids: Sequence[int]) -> list[int]:
    """Delete the cases (and notes), coded themes and webhook deliveries of these responses; returns the ids of
    their invitations (deleted by the caller once no response refers to them)."""
    cases = list(session.scalars(sa.select(FollowUpCase.id).where(FollowUpCase.response_id.in_(response_ids))))
    delete_rows(session, CaseNote, list(session.scalars(sa.select(CaseNote.id).where(CaseNote.case_id.in_(cases)))))
    delete_rows(session, FollowUpCase, cases)
    delete_rows(session, ResponseThemes, list(session.scalars(
        sa.select(ResponseThemes.id).where(ResponseThemes.response_id.in_(response_ids)))))
    delete_rows(session, WebhookDelivery, deliveries_about(session, response_ids, cases))
    return [i for i in session.scalars(sa.select(Response.invitation_id).where(
        Response.id.in_(response_ids), Response.invitation_id.is_not(None))) if i is not None]


def _delete_invitations(session: Session, invitation_ids: list[int]) -> None:
    delete_rows(session, MailMessage, list(session.scalars(
        sa.select(MailMessage.id).where(MailMessage.invitation_id.in_(invitation_ids)))))
    delete_rows(session, Invitation, invitation_ids)


def _anonymise(session: Session, response_ids: Sequence[int], surveys: VersionSurveys) -> int:
    table = Response.__table__
    rows = session.execute(sa.select(table).where(table.c.id.in_(list(response_ids)))
                           .with_for_update()).mappings().all()
    change: dict[tuple[Any, ...], int] = {}
    for row in rows:
        survey = surveys(row["version_id"])
        answers = without_open_text(survey, row["answers"] or {})
        if survey is not None and row["status"] == "complete":
            for key, n in keys_of(survey, row, row["answers"] or {}).items():
                change[key] = change.get(key, 0) - n
            for key, n in keys_of(survey, row, answers).items():
                change[key] = change.get(key, 0) + n
        session.execute(table.update().where(table.c.id == row["id"]).values(
            customer_id=None, session_key=None, invitation_id=None, answers=answers))
    apply_change(session, change)
    return len(rows)
