"""What a signed-in person or an API key may see: the surveys of their teams and everything that belongs to
them — the one place where team ownership is checked, for every object kind.

A request's database session is limited to some teams (`limit_to_teams`, called by the page guard for every
non-admin user and by the API for every key). From then on every ORM query of that session sees only those
teams' surveys, and the drafts, versions, waves, invitations, responses, follow-up cases and report jobs of
those surveys, whatever service runs it: a survey, case or report job of another team is simply not found (the services'
`UnknownSurvey`, `UnknownReport`, … answer 404, which does not reveal that it exists). Sessions that are not
limited — admins, the command line, the worker, respondents' pages — see everything.

A survey created in a limited session goes into the session's home team (the one the author chose, or the
API key's team); elsewhere into the team named `default` unless the caller set `team_id`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from ..services.errors import HostingError
from ..storage.drafts import SurveyDraft
from ..storage.models import (
    FollowUpCase,
    Invitation,
    Response,
    SurveyRecord,
    SurveyVersion,
    Wave,
    WaveSchedule,
)
from ..storage.reports import ReportJob
from ..storage.teams import default_team_id

TEAMS_KEY = "cxroi.teams"
HOME_KEY = "cxroi.home_team"
_surveys = SurveyRecord.__table__
_versions = SurveyVersion.__table__


class NoTeam(HostingError):
    status = 403
    title = "No team"


class SurveyIdTaken(HostingError):
    status = 409
    title = "Survey id taken"


def limit_to_teams(session: Session, team_ids: Iterable[int], *, home: int | None = None) -> None:
    """From now on `session` sees only these teams' surveys and what belongs to them; new surveys go into
    `home` (which must be one of them)."""
    teams = frozenset(team_ids)
    session.info[TEAMS_KEY] = teams
    session.info[HOME_KEY] = home if home in teams else None


def set_home_team(session: Session, team_id: int) -> None:
    """The team new surveys of an unlimited session (an admin's) go into."""
    session.info[HOME_KEY] = team_id


def visible_teams(session: Session) -> frozenset[int] | None:
    """The team ids `session` is limited to, or None when it sees every team."""
    teams: frozenset[int] | None = session.info.get(TEAMS_KEY)
    return teams


def may_see_team(session: Session, team_id: int | None) -> bool:
    teams = visible_teams(session)
    return teams is None or team_id in teams


@event.listens_for(Session, "do_orm_execute")
def _only_visible_teams(state: ORMExecuteState) -> None:
    teams = state.session.info.get(TEAMS_KEY)
    if teams is None or not state.is_select:
        return
    ids = tuple(sorted(teams))
    surveys = sa.select(_surveys.c.id).where(_surveys.c.team_id.in_(ids))
    slugs = sa.select(_surveys.c.slug).where(_surveys.c.team_id.in_(ids))
    versions = sa.select(_versions.c.id).where(_versions.c.survey_id.in_(surveys))
    state.statement = state.statement.options(
        with_loader_criteria(SurveyRecord, SurveyRecord.team_id.in_(ids), include_aliases=True),
        with_loader_criteria(SurveyVersion, SurveyVersion.survey_id.in_(surveys), include_aliases=True),
        with_loader_criteria(SurveyDraft, SurveyDraft.survey_id.in_(surveys), include_aliases=True),
        with_loader_criteria(Wave, Wave.survey_id.in_(surveys), include_aliases=True),
        with_loader_criteria(WaveSchedule, WaveSchedule.survey_id.in_(surveys), include_aliases=True),
        with_loader_criteria(Invitation, Invitation.version_id.in_(versions), include_aliases=True),
        with_loader_criteria(FollowUpCase, FollowUpCase.survey_id.in_(surveys), include_aliases=True),
        with_loader_criteria(ReportJob, ReportJob.survey_slug.in_(slugs), include_aliases=True),
        with_loader_criteria(Response, Response.version_id.in_(versions), include_aliases=True),
    )


@event.listens_for(Session, "before_flush")
def _new_surveys_join_a_team(session: Session, _context: Any, _instances: Any) -> None:
    """Every new survey gets its owning team; in a limited session, one of its teams, and a survey id that
    another team already uses is refused (ids are unique across teams) before anything is written."""
    for record in [obj for obj in session.new if isinstance(obj, SurveyRecord)]:
        if record.team_id is None:
            record.team_id = session.info.get(HOME_KEY) or default_team_id(session)
        problem = _creation_problem(session, record)
        if problem is not None:
            for pending in list(session.new):  # nothing of the refused change is written later either
                session.expunge(pending)
            raise problem


def _creation_problem(session: Session, record: SurveyRecord) -> HostingError | None:
    teams = visible_teams(session)
    if teams is None:
        return None
    if record.team_id is None or record.team_id not in teams:
        return NoTeam("you are in no team, so you cannot create surveys; ask an admin to add you to one "
                      "(cxroi team add EMAIL TEAM)")
    other = session.connection().scalar(sa.select(_surveys.c.id).where(_surveys.c.slug == record.slug))
    if other is not None:
        return SurveyIdTaken(f"the survey id {record.slug!r} is already used by another team's survey; "
                             "choose another id")
    return None


_KINDS: dict[str, Any] = {"slug": (SurveyRecord, SurveyRecord.slug), "job_id": (ReportJob, ReportJob.id),
                          "case_id": (FollowUpCase, FollowUpCase.id), "response_id": (Response, Response.id)}
"""The URL arguments that name something owned by a team, and what they name."""


def hidden_argument(session: Session, arguments: dict[str, Any] | None) -> str | None:
    """The first URL argument naming a survey, report job, case or response of a team `session` cannot see, or
    None. Checked before any view runs, so every page and API call about another team's thing answers 404 —
    before its form is even read. (What exists nowhere is left to the view: a new survey's slug, say.)"""
    if visible_teams(session) is None:
        return None
    for name, value in (arguments or {}).items():
        kind = _KINDS.get(name)
        if isinstance(value, str) and "\x00" in value:
            continue  # names nothing that can be stored (PostgreSQL refuses NUL in text): the view answers 404
        if kind is not None:
            model, key = kind
            if session.scalar(sa.select(sa.literal(1)).select_from(model).where(key == value)) is None:
                table = model.__table__  # not an ORM query, so not limited: does it exist at all?
                column = table.c[key.key]
                if session.connection().scalar(sa.select(sa.literal(1)).select_from(table).where(
                        column == value)) is not None:
                    return name
    return None
