"""Managing teams: `cxroi team create|add|remove|list`, the admins' Teams page, keys and webhooks per team, and
`cxroi customers erase --team` (SQLite and PostgreSQL)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask

from surveys.definition import build_survey
from tests.security.support import example_data
from tests.webapp.support.author import PASSWORD, page_token, sign_in_as
from tests.webapp.support.cli import run
from webapp.accounts.service import create_user
from webapp.api.keys import ApiKey
from webapp.services.publishing import publish_survey
from webapp.storage.engine import open_session
from webapp.storage.models import Response, utcnow
from webapp.storage.teams import Team
from webapp.teams.scope import set_home_team
from webapp.teams.service import add_member, create_team, remove_member
from webapp.webhooks.models import WebhookDelivery, WebhookSubscription
from webapp.webhooks.service import subscribe


def _members(db_url: str) -> set[tuple[str, str]]:
    with open_session(db_url) as session:
        return {tuple(row) for row in session.execute(sa.text(
            "SELECT t.name, u.email FROM team_members m JOIN teams t ON t.id = m.team_id "
            "JOIN users u ON u.id = m.user_id"))}


def test_the_team_commands(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    with open_session(db_url) as session:
        create_user(session, "Lead@Example.com", "author", PASSWORD)  # the only team then: default
    assert run(["team", "create", "support"], capsys) == (0, "created team support\n", "")
    assert run(["team", "add", "lead@example.com", "support"], capsys)[:2] == (
        0, "lead@example.com is now in the team support\n")
    assert run(["team", "add", "LEAD@example.com", "support"], capsys)[1] == (
        "lead@example.com is already in the team support\n")
    assert run(["team", "list"], capsys)[1] == "default\tlead@example.com\nsupport\tlead@example.com\n"
    assert run(["team", "remove", "lead@example.com", "default"], capsys)[1] == (
        "lead@example.com left the team default\n")
    assert _members(db_url) == {("support", "lead@example.com")}
    code, out, err = run(["team", "create", "support"], capsys)
    assert (code, out) == (2, "") and err == "error: a team called 'support' already exists\n"
    code, _, err = run(["team", "add", "nobody@example.com", "support"], capsys)
    assert code == 2 and err == "error: there is no user 'nobody@example.com'\n"
    code, _, err = run(["team", "add", "lead@example.com", "sales"], capsys)
    assert code == 2 and "there is no team called 'sales'" in err
    code, _, err = run(["team", "create", "a/b"], capsys)
    assert code == 2 and "'a/b' is not a team name" in err
    code, out, _ = run(["api-key", "create", "CRM", "--scope", "read", "--team", "support"], capsys)
    assert code == 0 and out.startswith("cxroi_")
    with open_session(db_url) as session:
        key_team = session.scalar(sa.select(Team.name).join(ApiKey, ApiKey.team_id == Team.id))
    assert key_team == "support"


def test_the_teams_page(app: Flask, db_url: str) -> None:
    with open_session(db_url) as session:
        for email, role in (("admin@example.com", "admin"), ("lead@example.com", "author")):
            create_user(session, email, role, PASSWORD)
    assert sign_in_as(app, "lead@example.com").get("/admin/teams/").status_code == 403
    admin = sign_in_as(app, "admin@example.com")
    token = page_token(admin, "/admin/teams/")
    assert admin.post("/admin/teams/", data={"name": "Support EMEA", "csrf_token": token}).status_code == 302
    again = admin.post("/admin/teams/", data={"name": "Support EMEA", "csrf_token": token})
    assert again.status_code == 400 and "a team called &#39;Support EMEA&#39; already exists" in again.get_data(
        as_text=True)
    added = admin.post("/admin/teams/Support EMEA/members", data={"email": "lead@example.com", "csrf_token": token})
    assert added.status_code == 302
    assert ("Support EMEA", "lead@example.com") in _members(db_url)
    unknown = admin.post("/admin/teams/Sales/members", data={"email": "lead@example.com", "csrf_token": token})
    assert unknown.status_code == 404
    page = admin.get("/admin/teams/").get_data(as_text=True)
    assert re.search(r"<h2[^>]*>Support EMEA</h2>\s*<ul>\s*<li>lead@example.com", page)
    removed = admin.post("/admin/teams/default/members/remove", data={"email": "lead@example.com",
                                                                      "csrf_token": token})
    assert removed.status_code == 302
    assert _members(db_url) == {("default", "admin@example.com"), ("Support EMEA", "lead@example.com")}


def test_an_admin_makes_a_key_of_a_chosen_team(app: Flask, db_url: str) -> None:
    with open_session(db_url) as session:
        create_user(session, "admin@example.com", "admin", PASSWORD)
        red = create_team(session, "red").id
    admin = sign_in_as(app, "admin@example.com")
    token = page_token(admin, "/admin/api-keys/")
    made = admin.post("/admin/api-keys/", data={"name": "red sync", "scope": "read", "team": str(red),
                                                "csrf_token": token})
    assert made.status_code == 201
    wrong = admin.post("/admin/api-keys/", data={"name": "x", "scope": "read", "team": "999", "csrf_token": token})
    assert wrong.status_code == 400 and "there is no team number 999" in wrong.get_data(as_text=True)
    with open_session(db_url) as session:
        assert session.scalars(sa.select(ApiKey.team_id)).all() == [red]


def test_webhooks_fire_only_for_their_teams_surveys(db_url: str) -> None:
    with open_session(db_url) as session:
        red, blue = create_team(session, "red"), create_team(session, "blue")
        hooks = {team.name: subscribe(session, f"http://127.0.0.1:9/{team.name}", ["survey.published"],
                                      created_by="admin@example.com", allow_private=True, team_id=team.id).id
                 for team in (red, blue)}
        set_home_team(session, blue.id)
        publish_survey(session, build_survey(example_data() | {"id": "blue_survey"}))
        delivered_to = session.scalars(sa.select(WebhookDelivery.subscription_id)).all()
        assert delivered_to == [hooks["blue"]]
        assert session.get(WebhookSubscription, hooks["red"]) is not None


def test_erase_with_a_team_touches_only_that_teams_surveys(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    with open_session(db_url) as session:
        for name in ("red", "blue"):
            team = create_team(session, name)
            set_home_team(session, team.id)
            version = publish_survey(session, build_survey(example_data() | {"id": f"{name}_survey"}))
            session.add(Response(version_id=version.id, customer_id="C-9", status="complete", answers={},
                                 submitted_at=utcnow()))
        session.commit()
    code, out, _ = run(["customers", "erase", "C-9", "--team", "red"], capsys)
    assert code == 0 and out.startswith("erased: 1 responses")
    with open_session(db_url) as session:
        left = session.execute(sa.text("SELECT s.slug FROM responses r JOIN survey_versions v ON v.id = r.version_id "
                                       "JOIN surveys s ON s.id = v.survey_id")).scalars().all()
    assert left == ["blue_survey"]


def test_a_person_in_two_teams_sees_both_and_loses_one(app: Flask, db_url: str) -> None:
    with open_session(db_url) as session:
        create_user(session, "lead@example.com", "analyst", PASSWORD)
        for name in ("red", "blue"):
            team = create_team(session, name)
            add_member(session, "lead@example.com", name)
            set_home_team(session, team.id)
            publish_survey(session, build_survey(example_data() | {"id": f"{name}_survey",
                                                                   "title": f"{name.title()} survey"}))
    lead = sign_in_as(app, "lead@example.com")
    listing = lead.get("/results/").get_data(as_text=True)
    assert "Red survey" in listing and "Blue survey" in listing
    with open_session(db_url) as session:
        remove_member(session, "lead@example.com", "blue")
    assert lead.get("/results/blue_survey").status_code == 404
    assert lead.get("/results/red_survey").status_code == 200
    assert "Blue survey" not in lead.get("/results/").get_data(as_text=True)


def test_an_author_in_two_teams_chooses_where_a_new_survey_goes(app: Flask, db_url: str) -> None:
    with open_session(db_url) as session:
        create_user(session, "lead@example.com", "author", PASSWORD)
        ids = {name: create_team(session, name).id for name in ("red", "blue")}
        for name in ids:
            add_member(session, "lead@example.com", name)
        remove_member(session, "lead@example.com", "default")
    lead = sign_in_as(app, "lead@example.com")
    page = lead.get("/author/new").get_data(as_text=True)
    assert re.findall(r'<option value="(\d+)"[^>]*>(\w+)</option>', page[page.index('name="team"'):]) == [
        (str(ids["blue"]), "blue"), (str(ids["red"]), "red")]
    token = page_token(lead, "/author/new")
    for slug, team in (("in_blue", str(ids["blue"])), ("in_red", str(ids["red"])), ("first", "")):
        made = lead.post("/author/new", data={"survey_id": slug, "title": slug, "start": "blank", "team": team,
                                              "csrf_token": token})
        assert made.status_code == 302, made.get_data(as_text=True)[:500]
    with open_session(db_url) as session:
        owners = dict(session.execute(sa.text(
            "SELECT s.slug, t.name FROM surveys s JOIN teams t ON t.id = s.team_id")).tuples().all())
    assert owners == {"in_blue": "blue", "in_red": "red", "first": "blue"}  # no choice: the first by name
