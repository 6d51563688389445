"""Teams and who sits in them (migration 0019_teams).

A survey belongs to one team (`surveys.team_id`); its drafts, versions, responses, report jobs and cases belong
to that team through it. API keys and webhook subscriptions belong to a team directly. A person may sit in
several teams (`team_members`); admins see every team whether they sit in it or not.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from .models import Base, utcnow

DEFAULT_TEAM = "default"
"""The team that migration 0019 puts every existing survey, key and subscription into (and every user too)."""


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TeamMember(Base):
    """One person in one team."""

    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


def default_team_id(session: Session) -> int:
    """The team called `default` (else the oldest team; made when there is none): where surveys, keys and
    subscriptions go when nobody chose a team (the command line, an admin with one team in mind)."""
    teams = Team.__table__
    connection = session.connection()
    team_id = connection.scalar(sa.select(teams.c.id).order_by(teams.c.name != DEFAULT_TEAM, teams.c.id).limit(1))
    if team_id is None:
        team_id = connection.execute(teams.insert().values(name=DEFAULT_TEAM, created_at=utcnow())
                                     .returning(teams.c.id)).scalar_one()
    return int(team_id)
