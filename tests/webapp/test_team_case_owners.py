"""A follow-up case goes only to people who may open it (review finding): its owner must be a member of the
survey's team, or an admin; the owner list on the case page offers only them; a case owned by someone moved out
of the team notifies nobody; a definition or churn-risk rule naming another team's person is refused."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from surveys.model import FollowUpRule
from tests.webapp.support.author import sign_in_as
from tests.webapp.test_team_access import _blue_world
from webapp.cases import notifications, service
from webapp.cases.owners import owner_problems
from webapp.storage.engine import open_session
from webapp.storage.models import FollowUpCase, SurveyRecord
from webapp.teams.service import add_member, remove_member


@pytest.fixture
def blue(db_url: str) -> dict[str, Any]:
    return _blue_world(db_url)  # red's author, analyst and agent; blue's survey with one case


def test_a_case_cannot_be_given_to_another_teams_agent(db_url: str, blue: dict[str, Any]) -> None:
    case_id = blue["arguments"]["case_id"]
    with open_session(db_url) as session:
        with pytest.raises(service.CaseError, match="'agent@example.com' is not an active author, agent or admin "
                                                     "account of the survey's team"):
            service.set_owner(session, case_id, "agent@example.com", by="admin@example.com")
        assert session.get(FollowUpCase, case_id).owner is None  # nothing changed
        assert service.set_owner(session, case_id, "admin@example.com", by="admin@example.com") == [case_id]
        add_member(session, "agent@example.com", "blue")  # now in blue too: may own blue's cases
        assert service.set_owner(session, case_id, "agent@example.com", by="admin@example.com") == [case_id]
        case = session.get(FollowUpCase, case_id)
        assert notifications.recipients(session, case) == ["agent@example.com"]
        remove_member(session, "agent@example.com", "blue")  # moved out of blue: hears nothing more of it
        assert notifications.recipients(session, session.get(FollowUpCase, case_id)) == []


def test_the_case_page_offers_only_the_surveys_team(app: Flask, db_url: str, blue: dict[str, Any]) -> None:
    admin = sign_in_as(app, "admin@example.com")
    page = admin.get(f"/cases/{blue['arguments']['case_id']}").get_data(as_text=True)
    assert 'value="admin@example.com"' in page
    assert "agent@example.com\"" not in page.replace('value="admin@example.com"', "")


def test_rules_naming_another_teams_person_are_refused(db_url: str, blue: dict[str, Any]) -> None:
    with open_session(db_url) as session:
        blue_team = session.scalar(sa.select(SurveyRecord.team_id).where(SurveyRecord.slug == "blue_survey"))
        rule = FollowUpRule(id="r", when="q_ces <= 2", owner="agent@example.com")
        problems = owner_problems(session, [rule], blue_team)
        assert len(problems) == 1 and problems[0].startswith(
            "follow_up[0].owner: 'agent@example.com' is not an active author, agent or admin account (among those "
            "who may see this survey's team)")
        assert owner_problems(session, [rule]) == []  # without a team (no survey yet): any active account
