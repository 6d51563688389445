"""Who may own follow-up cases: active agents, authors and admins, one by e-mail or a team's members; and why a
rule's owner or team cannot receive cases (for publishing and the churn-risk rule alike).

Given the owning team of the case's survey (`team_id`), only that team's members — and admins, who see every
team — may own its cases or hear about them: a case (the customer's id and answers) never goes to someone who
cannot open it."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.model import FollowUpRule

from ..accounts.models import User
from ..storage.models import SurveyRecord
from ..storage.teams import TeamMember

CASE_ROLES = ("agent", "author", "admin")


def _may_see(team_id: int | None) -> sa.ColumnElement[bool]:
    if team_id is None:
        return sa.true()
    members = sa.select(TeamMember.user_id).where(TeamMember.team_id == team_id)
    return sa.or_(User.role == "admin", User.id.in_(members))


def survey_team(session: Session, survey_id: int | None) -> int | None:
    """The team owning the survey (None for an unknown survey)."""
    if survey_id is None:
        return None
    return session.scalar(sa.select(SurveyRecord.team_id).where(SurveyRecord.id == survey_id))


def case_accounts(session: Session, team_id: int | None = None) -> list[User]:
    """Active accounts that may own cases (of the team's surveys), by e-mail."""
    return list(session.scalars(sa.select(User).where(User.active.is_(True), User.role.in_(CASE_ROLES),
                                                      _may_see(team_id)).order_by(User.email)))


def team_members(session: Session, team: str, team_id: int | None = None) -> list[str]:
    """The case-routing team's active members (who may see the team `team_id`'s surveys, when given)."""
    return list(session.scalars(sa.select(User.email).where(User.active.is_(True), User.role.in_(CASE_ROLES),
                                                            User.team == team, _may_see(team_id))
                                .order_by(User.email)))


def owner_account(session: Session, email: str, team_id: int | None = None) -> User | None:
    return session.scalar(sa.select(User).where(User.email == email.strip().lower(), User.active.is_(True),
                                                User.role.in_(CASE_ROLES), _may_see(team_id)))


def owner_problems(session: Session, rules: Sequence[FollowUpRule], team_id: int | None = None) -> list[str]:
    """Why each rule's owner or team cannot receive cases (of the team `team_id`'s survey, when given), as
    `follow_up[i].owner: …` lines."""
    problems = []
    among = " (among those who may see this survey's team)" if team_id is not None else ""
    for index, rule in enumerate(rules):
        if rule.owner is not None and owner_account(session, rule.owner, team_id) is None:
            problems.append(f"follow_up[{index}].owner: {rule.owner!r} is not an active author, agent or admin "
                            f"account{among}; create it first (cxroi user create {rule.owner} --role agent)"
                            + ("; or add it to the team (cxroi team add EMAIL TEAM)" if among else ""))
        if rule.team is not None and not team_members(session, rule.team, team_id):
            problems.append(f"follow_up[{index}].team: no active author, agent or admin is in the team "
                            f"{rule.team!r}{among}; add one first (cxroi cases team EMAIL {rule.team})")
    return problems
