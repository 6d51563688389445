"""Teams and their members: create a team, add and remove a person, list them (admin page and `cxroi team`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..services.errors import HostingError
from ..storage.models import utcnow
from ..storage.teams import DEFAULT_TEAM, Team, TeamMember

TEAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")
"""A team name: 1 to 64 letters, digits, spaces, `_`, `.` or `-`, starting with a letter or digit."""


class TeamError(HostingError):
    title = "Team problem"


@dataclass(frozen=True)
class TeamSummary:
    id: int
    name: str
    members: list[str]
    """E-mail addresses, sorted."""


def create_team(session: Session, name: str) -> Team:
    """A new team called `name` (unique); commits."""
    name = name.strip()
    if not TEAM_NAME.match(name):
        raise TeamError(f"{name[:70]!r} is not a team name: use 1 to 64 letters, digits, spaces, '_', '.' or '-', "
                        "starting with a letter or digit")
    team = Team(name=name, created_at=utcnow())
    session.add(team)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise TeamError(f"a team called {name!r} already exists") from None
    return team


def find_team(session: Session, name: str) -> Team:
    team = session.scalar(sa.select(Team).where(Team.name == name.strip()))
    if team is None:
        raise TeamError(f"there is no team called {name.strip()[:64]!r} (cxroi team list shows them)")
    return team


def _user(session: Session, email: str) -> User:
    user = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise TeamError(f"there is no user {email.strip()[:320]!r}")
    return user


def add_member(session: Session, email: str, team_name: str) -> bool:
    """Put the user into the team; False when they were in it already. Commits."""
    user, team = _user(session, email), find_team(session, team_name)
    if session.get(TeamMember, (team.id, user.id)) is not None:
        return False
    session.add(TeamMember(team_id=team.id, user_id=user.id, added_at=utcnow()))
    try:
        session.commit()
    except IntegrityError:  # added by someone else at the same moment
        session.rollback()
        return False
    return True


def remove_member(session: Session, email: str, team_name: str) -> bool:
    """Take the user out of the team; False when they were not in it. Commits."""
    user, team = _user(session, email), find_team(session, team_name)
    removed = session.execute(sa.delete(TeamMember).where(TeamMember.team_id == team.id,
                                                          TeamMember.user_id == user.id)).rowcount
    session.commit()
    return bool(removed)


def teams_of(session: Session, user_id: int) -> list[Team]:
    """The teams a person sits in: the team called `default` first (where a new survey goes when they do not
    choose: after the upgrade to teams, a case-routing team such as "billing" must not take that place), then
    by name."""
    return list(session.scalars(sa.select(Team).join(TeamMember, TeamMember.team_id == Team.id)
                                .where(TeamMember.user_id == user_id)
                                .order_by(Team.name != DEFAULT_TEAM, Team.name)))


def all_teams(session: Session) -> list[Team]:
    return list(session.scalars(sa.select(Team).order_by(Team.name)))


def list_teams(session: Session) -> list[TeamSummary]:
    """Every team with its members' e-mail addresses."""
    members: dict[int, list[str]] = {}
    for team_id, email in session.execute(sa.select(TeamMember.team_id, User.email)
                                          .join(User, User.id == TeamMember.user_id).order_by(User.email)):
        members.setdefault(team_id, []).append(email)
    return [TeamSummary(team.id, team.name, members.get(team.id, [])) for team in all_teams(session)]


def team_names(session: Session) -> dict[int, str]:
    """Team id → name, for pages that show which team owns something."""
    return {team.id: team.name for team in all_teams(session)}


def team_choice(value: object) -> int | None:
    """A team select's value as a team id; None when none was chosen (or it is not a number)."""
    try:
        return int(str(value))
    except ValueError:
        return None


def teams_for_new_surveys(session: Session, user: User | None) -> list[Team]:
    """The teams a person may create a survey in: their own (an admin: every team)."""
    if user is None:
        return []
    return all_teams(session) if user.role == "admin" else teams_of(session, user.id)
