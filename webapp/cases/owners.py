"""Who may own follow-up cases: active agents, authors and admins, one by e-mail or a team's members; and why a
rule's owner or team cannot receive cases (for publishing and the churn-risk rule alike)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.model import FollowUpRule

from ..accounts.models import User

CASE_ROLES = ("agent", "author", "admin")


def case_accounts(session: Session) -> list[User]:
    """Active accounts that may own cases, by e-mail."""
    return list(session.scalars(sa.select(User).where(User.active.is_(True), User.role.in_(CASE_ROLES))
                                .order_by(User.email)))


def team_members(session: Session, team: str) -> list[str]:
    return list(session.scalars(sa.select(User.email).where(User.active.is_(True), User.role.in_(CASE_ROLES),
                                                            User.team == team).order_by(User.email)))


def owner_account(session: Session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == email.strip().lower(), User.active.is_(True),
                                                User.role.in_(CASE_ROLES)))


def owner_problems(session: Session, rules: Sequence[FollowUpRule]) -> list[str]:
    """Why each rule's owner or team cannot receive cases, as `follow_up[i].owner: …` lines."""
    problems = []
    for index, rule in enumerate(rules):
        if rule.owner is not None and owner_account(session, rule.owner) is None:
            problems.append(f"follow_up[{index}].owner: {rule.owner!r} is not an active author, agent or admin "
                            f"account; create it first (cxroi user create {rule.owner} --role agent)")
        if rule.team is not None and not team_members(session, rule.team):
            problems.append(f"follow_up[{index}].team: no active author, agent or admin is in the team "
                            f"{rule.team!r}; add one first (cxroi cases team EMAIL {rule.team})")
    return problems
