"""Follow-up cases: a completed response that matches a `follow_up` rule of its survey opens a case for the
rule's owner or team, who is notified by e-mail through the queue and works the case on `/cases`.

* `open_cases` runs in the transaction that marks the response complete (`services.responding.answer_page`):
  the status changes from partial to complete once, and the unique (response, rule) constraint makes a second
  attempt a no-op, so a double submit never opens two cases.
* The notification is sent by the queue (`cases.notifications`), claimed on the case row so that a retried team
  notification mails nobody twice.
* Owners are checked when a version is published (`check_owners`, installed as a `before_flush` hook on every
  session): an owner that is not an active author, agent or admin account, or a team without such a member, is
  refused naming the rule's path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surveys.model import FollowUpRule, Survey

from ..accounts.models import User
from ..services.errors import HostingError
from ..services.publishing import find_survey
from ..storage.models import (
    CASE_STATUSES,
    CLOSED_CASE_STATUSES,
    CaseNote,
    FollowUpCase,
    Response,
    SurveyRecord,
    SurveyVersion,
    utcnow,
)
from .owners import owner_account, owner_problems, survey_team

log = logging.getLogger("cxroi.cases")

NOTE_LIMIT = 5000
_TEAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
"""What a team name can be (as `FollowUpRule.team`)."""


class CaseError(HostingError):
    """Bad input about cases: an unknown owner or team, a status or note that cannot be recorded."""

    title = "The follow-up case cannot be changed"


class UnknownCase(CaseError):
    status = 404
    title = "Case not found"


# --- owners --------------------------------------------------------------------------------------------------


def check_owners(session: Session, survey: Survey) -> None:
    """Refuse (`CaseError`, every problem named) a survey whose follow-up rules name an unknown owner or team."""
    team = session.scalar(sa.select(SurveyRecord.team_id).where(SurveyRecord.slug == survey.id))
    _refuse_unknown_owners(session, survey.id, survey.follow_up, team)


def _refuse_unknown_owners(session: Session, slug: str, rules: Sequence[FollowUpRule],
                           team_id: int | None) -> None:
    with session.no_autoflush:
        problems = owner_problems(session, rules, team_id)
    if problems:
        raise CaseError(f"the survey {slug!r} cannot be published: " + "; ".join(problems))


@event.listens_for(Session, "before_flush")
def _check_published_owners(session: Session, _context: Any, _instances: Any) -> None:
    """Publishing stores a new `SurveyVersion` (`services.publishing.publish_survey`, whatever calls it); its
    follow-up owners are checked before it is written, so a version naming an unknown owner is never stored."""
    for item in list(session.new):
        if isinstance(item, SurveyVersion) and (item.definition or {}).get("follow_up"):
            rules = [FollowUpRule.model_validate(rule) for rule in item.definition["follow_up"]]
            with session.no_autoflush:
                team = item.survey.team_id if item.survey is not None else survey_team(session, item.survey_id)
            _refuse_unknown_owners(session, str(item.definition.get("id")), rules, team)


# --- opening cases -------------------------------------------------------------------------------------------


def open_cases(session: Session, response_id: int, survey: Survey, answers: Mapping[str, Any], *,
               now: datetime | None = None) -> list[int]:
    """Open one case per follow-up rule the completed response matches; ids of the cases opened now. Runs in
    the caller's transaction (the one that marks the response complete) and does not commit; a case that exists
    already for (response, rule) is left as it is."""
    from .churn_risk import open_risk_case

    now = now or utcnow()
    risk_case = open_risk_case(session, response_id, survey, answers, now=now)  # when a threshold is set
    rules = survey.matching_follow_ups(answers)
    if not rules:
        return [risk_case] if risk_case is not None else []
    row = session.execute(sa.select(Response.customer_id, SurveyVersion.survey_id)
                          .join(SurveyVersion, Response.version_id == SurveyVersion.id)
                          .where(Response.id == response_id)).one()
    opened: list[int] = []
    for rule in rules:
        case = FollowUpCase(response_id=response_id, survey_id=row.survey_id, rule_id=rule.id, rule_when=rule.when,
                            rule_note=rule.note, priority=rule.priority, owner=rule.owner, team=rule.team,
                            customer_id=row.customer_id, status="open", created_at=now, updated_at=now,
                            due_at=now + timedelta(hours=rule.hours_to_due), notify_state="queued")
        try:
            with session.begin_nested():
                session.add(case)
        except IntegrityError:  # opened already (a retried completion): one case per response and rule
            continue
        opened.append(case.id)
    if risk_case is not None:
        opened.append(risk_case)
    if opened:
        log.info("response %s opened follow-up case(s) %s", response_id, opened)
    return opened


# --- reading and working cases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRow:
    """One case as the list, the command line and the exports show it."""

    id: int
    survey: str
    survey_title: str
    customer_id: str | None
    response_id: int
    rule_id: str
    priority: str
    status: str
    owner: str | None
    team: str | None
    created_at: datetime
    due_at: datetime
    first_contact_at: datetime | None
    closed_at: datetime | None
    notify_state: str
    risk: float | None = None
    """Churn-risk cases: the predicted risk, its interval and the customer's revenue (docs/cases.md)."""
    risk_low: float | None = None
    risk_high: float | None = None
    revenue: float | None = None

    def overdue(self, now: datetime) -> bool:
        return self.status not in CLOSED_CASE_STATUSES and self.due_at < now

    def as_dict(self) -> dict[str, Any]:
        return {name: (value.isoformat(timespec="seconds") if isinstance(value, datetime) else value)
                for name, value in self.__dict__.items()}


COLUMNS = tuple(CaseRow.__dataclass_fields__)


def list_cases(session: Session, *, survey: str | None = None, status: str | None = None,
               owner: str | None = None, limit: int | None = None) -> list[CaseRow]:
    """Cases, newest first, filtered by survey slug, status and owner (an e-mail, or `team:NAME`). An unknown
    status is a `CaseError`; an unknown survey an `UnknownSurvey`."""
    query = (sa.select(FollowUpCase, SurveyRecord.slug, SurveyRecord.title)
             .join(SurveyRecord, FollowUpCase.survey_id == SurveyRecord.id)
             .order_by(FollowUpCase.created_at.desc(), FollowUpCase.id.desc()))
    if survey:
        query = query.where(FollowUpCase.survey_id == find_survey(session, survey).id)
    if status:
        if status not in CASE_STATUSES:
            raise CaseError(f"unknown case status {status!r}; known: {', '.join(CASE_STATUSES)}")
        query = query.where(FollowUpCase.status == status)
    if owner:
        query = query.where(FollowUpCase.team == owner.removeprefix("team:")) if owner.startswith("team:") \
            else query.where(FollowUpCase.owner == owner.strip().lower())
    if limit is not None:
        query = query.limit(limit)
    rows = [CaseRow(case.id, slug, title, case.customer_id, case.response_id, case.rule_id, case.priority,
                    case.status, case.owner, case.team, case.created_at, case.due_at, case.first_contact_at,
                    case.closed_at, case.notify_state, case.risk, case.risk_low, case.risk_high, case.revenue)
            for case, slug, title in session.execute(query).all()]
    session.commit()
    return rows


def get_case(session: Session, case_id: int) -> FollowUpCase:
    case = session.get(FollowUpCase, case_id)
    if case is None:
        raise UnknownCase(f"there is no follow-up case {case_id}")
    return case


def _locked(session: Session, case_id: int) -> FollowUpCase:
    case = session.scalar(sa.select(FollowUpCase).where(FollowUpCase.id == case_id).with_for_update()
                          .execution_options(populate_existing=True))
    if case is None:
        session.rollback()
        raise UnknownCase(f"there is no follow-up case {case_id}")
    return case


def set_status(session: Session, case_id: int, status: str, *, by: str | None) -> FollowUpCase:
    """Move a case to `status`, recording the first contact (leaving `open`) and the close (resolved, won_back,
    lost; reopening clears it). Commits."""
    if status not in CASE_STATUSES:
        raise CaseError(f"unknown case status {status!r}; known: {', '.join(CASE_STATUSES)}")
    case = _locked(session, case_id)
    if case.status == status:
        session.commit()
        return case
    now = utcnow()
    previous = case.status
    case.status, case.updated_at = status, now
    if status != "open" and case.first_contact_at is None:
        case.first_contact_at = now
    case.closed_at = (case.closed_at or now) if status in CLOSED_CASE_STATUSES else None
    session.add(CaseNote(case_id=case.id, kind="status", author=by, text=f"{previous} → {status}", created_at=now))
    session.commit()
    return case


def add_note(session: Session, case_id: int, text: str, *, by: str | None) -> CaseNote:
    text = text.replace("\x00", "").strip()
    if not text:
        raise CaseError("the note is empty")
    if len(text) > NOTE_LIMIT:
        raise CaseError(f"the note is longer than {NOTE_LIMIT} characters")
    case = _locked(session, case_id)
    note = CaseNote(case_id=case.id, kind="note", author=by, text=text, created_at=utcnow())
    case.updated_at = note.created_at
    session.add(note)
    session.commit()
    return note


def set_owner(session: Session, case_id: int, owner: str, *, by: str | None) -> list[int]:
    """Give a case to another active author, agent or admin, who is notified (returns the case ids to notify:
    the caller queues them after the commit). Only someone who may see the survey's team may own its case.
    Commits."""
    case = _locked(session, case_id)
    account = owner_account(session, owner, survey_team(session, case.survey_id))
    if account is None:
        session.rollback()
        raise CaseError(f"{owner.strip()[:320]!r} is not an active author, agent or admin account of the "
                        "survey's team")
    if case.owner == account.email:
        session.commit()
        return []
    now = utcnow()
    session.add(CaseNote(case_id=case.id, kind="owner", author=by, created_at=now,
                         text=f"{case.owner or 'team ' + (case.team or '?')} → {account.email}"))
    case.owner, case.updated_at = account.email, now
    case.notify_state, case.notified_to, case.notify_error, case.notified_at = "queued", None, None, None
    session.commit()
    return [case.id]


# --- figures -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoopFigures:
    """Per survey: how many cases, open, overdue; median hours to the first contact and to the close."""

    survey: str
    title: str
    cases: int
    open: int
    overdue: int
    contacted: int
    hours_to_first_contact: float | None
    closed: int
    hours_to_close: float | None


def loop_figures(session: Session, *, survey: str | None = None) -> list[LoopFigures]:
    now = utcnow()
    query = (sa.select(SurveyRecord.slug, SurveyRecord.title, FollowUpCase.status, FollowUpCase.created_at,
                       FollowUpCase.due_at, FollowUpCase.first_contact_at, FollowUpCase.closed_at)
             .join(SurveyRecord, FollowUpCase.survey_id == SurveyRecord.id).order_by(SurveyRecord.slug))
    if survey:
        query = query.where(SurveyRecord.slug == survey)
    by_survey: dict[tuple[str, str], list[Any]] = {}
    for row in session.execute(query):
        by_survey.setdefault((row.slug, row.title), []).append(row)
    session.commit()
    figures = []
    for (slug, title), rows in by_survey.items():
        contact = [(r.first_contact_at - r.created_at).total_seconds() / 3600 for r in rows if r.first_contact_at]
        close = [(r.closed_at - r.created_at).total_seconds() / 3600 for r in rows if r.closed_at]
        figures.append(LoopFigures(
            slug, title, len(rows), sum(r.status == "open" for r in rows),
            sum(r.status not in CLOSED_CASE_STATUSES and r.due_at < now for r in rows),
            len(contact), median(contact) if contact else None, len(close), median(close) if close else None))
    return figures


def set_team(session: Session, email: str, team: str | None) -> User:
    """Put an account in a team (None: in none). Commits."""
    user = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise CaseError(f"no account has the e-mail {email.strip()[:320]!r}")
    if team is not None and not _TEAM.match(team):
        raise CaseError(f"{team[:64]!r} is not a team name (letters, digits, _ . -; at most 64 characters)")
    user.team = team
    session.commit()
    return user
