"""Where a person's new survey goes when they do not choose (review finding): the team called `default` comes
first among their teams, so a case-routing team the upgrade to teams made (e.g. "billing", which sorts before
"default") does not take new surveys away from colleagues who are only in `default`."""

from __future__ import annotations

from webapp.accounts.service import create_user
from webapp.storage.engine import open_session
from webapp.teams.service import add_member, create_team, teams_of


def test_default_comes_first_then_by_name(db_url: str) -> None:
    with open_session(db_url) as session:
        user = create_user(session, "lead@example.com", "author", "a long enough password 1")
        for name in ("billing", "zeta"):
            create_team(session, name)
            add_member(session, "lead@example.com", name)
        if "default" not in [team.name for team in teams_of(session, user.id)]:  # a single-team install's join
            add_member(session, "lead@example.com", "default")
        assert [team.name for team in teams_of(session, user.id)] == ["default", "billing", "zeta"]
