"""The route × role × team matrix: people of team red (an author, an analyst, an agent) and red's API key reach
nothing of team blue. Every staff URL of the app (from its URL map, so a new route cannot be forgotten) is
visited with team blue's survey, response, case and report job in it: each answers 404 (not found: it does not
reveal that the thing exists) or 403 where the role itself is refused; the pages that list things answer 200
without a word of blue's survey. Nothing of blue's changes. An admin still sees blue's survey."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from surveys.definition import build_survey
from tests.security.support import ROUTE_ARGUMENTS, example_data, table_snapshot
from tests.webapp.support.author import PASSWORD, page_token, sign_in_as
from webapp.accounts.guard import ALLOWED, is_public
from webapp.accounts.service import create_user
from webapp.api.keys import create_key
from webapp.services.publishing import publish_survey
from webapp.storage.engine import open_session
from webapp.storage.models import FollowUpCase, Response, utcnow
from webapp.storage.reports import ReportJob
from webapp.teams.scope import set_home_team
from webapp.teams.service import add_member, create_team, remove_member

BLUE_TITLE = "Blue team launch plan"
ROLES = ("author", "analyst", "agent")


def _blue_world(db_url: str) -> dict[str, Any]:
    """Teams red and blue; red's author, analyst and agent; blue's survey with a response, a case and a report
    job; a read and write API key of each team. Returns the URL arguments naming blue's things and the keys."""
    with open_session(db_url) as session:
        red, blue = create_team(session, "red"), create_team(session, "blue")
        for role in (*ROLES, "admin"):
            create_user(session, f"{role}@example.com", role, PASSWORD)
        for role in ROLES:
            remove_member(session, f"{role}@example.com", "default")
            add_member(session, f"{role}@example.com", "red")
        set_home_team(session, blue.id)
        data = example_data() | {"id": "blue_survey", "title": BLUE_TITLE}
        version = publish_survey(session, build_survey(data))
        response = Response(version_id=version.id, customer_id="C-1", status="complete", answers={},
                            submitted_at=utcnow())
        session.add(response)
        session.flush()
        case = FollowUpCase(response_id=response.id, survey_id=version.survey_id, rule_id="r1", rule_when="true",
                            customer_id="C-1")
        job = ReportJob(survey_slug="blue_survey", survey_title=BLUE_TITLE, outcomes_name="crm.csv",
                        outcomes_sha256="0" * 64, outcomes_bytes=1, outcomes_file=b"x", config={})
        session.add_all([case, job])
        session.commit()
        red_key = create_key(session, "red sync", "write", actor="admin@example.com", team_id=red.id)[1]
        blue_key = create_key(session, "blue sync", "read", actor="admin@example.com", team_id=blue.id)[1]
        assert version.survey.team_id == blue.id
        return {"arguments": ROUTE_ARGUMENTS | {"slug": "blue_survey", "number": version.number,
                                                "response_id": response.id, "case_id": case.id, "job_id": job.id},
                "red_key": red_key, "blue_key": blue_key}


def _urls(app: Flask, arguments: dict[str, Any], *, api: bool) -> list[tuple[str, str, str, bool]]:
    """(endpoint, method, path, names a thing) of every non-public route (or every API route), filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if (rule.endpoint.startswith("api.") != api) or (not api and is_public(rule.endpoint)):
            continue
        if rule.endpoint in ("api.openapi", "api.unknown"):
            continue
        missing = set(rule.arguments) - set(arguments)
        assert not missing, f"{rule.endpoint}: give ROUTE_ARGUMENTS a value for {missing}"
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(arguments[m.group(1)]), rule.rule)
        names_a_thing = bool(set(rule.arguments) & {"slug", "job_id", "case_id", "response_id"})
        for method in sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, path, names_a_thing))
    return found


def _expected_refusal(app: Flask, endpoint: str, role: str) -> int:
    declared = getattr(app.view_functions[endpoint], "cxroi_role", None)
    return 404 if declared is not None and role in ALLOWED[declared] else 403


def _stored(db_url: str, snapshot: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every stored row but the audit log's and the keys' last use (which a refused request may record)."""
    rows = table_snapshot(db_url) if snapshot is None else snapshot
    return {name: value for name, value in rows.items() if name not in ("audit_events", "api_keys")}


@pytest.fixture
def world(app: Flask, db_url: str) -> dict[str, Any]:
    return _blue_world(db_url)


def test_red_people_get_404_or_403_on_every_blue_page_and_change_nothing(app: Flask, db_url: str,
                                                                          world: dict[str, Any]) -> None:
    before = _stored(db_url)
    urls = _urls(app, world["arguments"], api=False)
    assert len(urls) > 60
    for role in ROLES:
        client: FlaskClient = sign_in_as(app, f"{role}@example.com")
        home = client.get("/", follow_redirects=True).get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', home)[1]  # type: ignore[index]
        for endpoint, method, path, names_a_thing in urls:
            reply = client.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
            body = reply.get_data(as_text=True)
            if names_a_thing:
                assert reply.status_code == _expected_refusal(app, endpoint, role), (role, endpoint, method,
                                                                                     reply.status_code)
            else:  # a listing or a form without a survey in its address: never a 5xx, never blue's survey
                assert reply.status_code < 500, (role, endpoint, method, reply.status_code)
            assert BLUE_TITLE not in body, (role, endpoint, method)
            assert names_a_thing or "blue_survey" not in body, (role, endpoint, method)
    assert _stored(db_url) == _stored(db_url, before)  # sign-ins are audited; nothing else changes


def test_a_red_api_key_gets_404_on_every_blue_resource(app: Flask, db_url: str, world: dict[str, Any]) -> None:
    before = _stored(db_url)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world['red_key']}"}
    urls = _urls(app, world["arguments"], api=True)
    assert len(urls) >= 14
    for endpoint, method, path, names_a_thing in urls:
        reply = client.open(path, method=method, headers=headers, json={} if method == "POST" else None)
        body = reply.get_data(as_text=True)
        if names_a_thing:
            assert reply.status_code == 404, (endpoint, method, reply.status_code, body[:300])
        else:
            assert reply.status_code == 200, (endpoint, method, reply.status_code, body[:300])
        assert BLUE_TITLE not in body and (names_a_thing or "blue_survey" not in body), (endpoint, method)
    assert _stored(db_url) == before


def test_blue_sees_its_own_and_admins_see_everything(app: Flask, db_url: str, world: dict[str, Any]) -> None:
    client = app.test_client()
    listed = client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {world['blue_key']}"})
    assert listed.status_code == 200 and "blue_survey" in listed.get_data(as_text=True)
    one = client.get(f"/api/v1/responses/{world['arguments']['response_id']}",
                     headers={"Authorization": f"Bearer {world['blue_key']}"})
    assert one.status_code == 200
    admin = sign_in_as(app, "admin@example.com")
    assert BLUE_TITLE in admin.get("/author/").get_data(as_text=True)
    assert admin.get("/results/blue_survey").status_code == 200
    assert admin.get(f"/cases/{world['arguments']['case_id']}").status_code == 200


def test_a_red_author_creates_surveys_in_red_and_cannot_take_blues_id(app: Flask, db_url: str,
                                                                      world: dict[str, Any]) -> None:
    author = sign_in_as(app, "author@example.com")
    token = page_token(author, "/author/new")
    made = author.post("/author/new", data={"survey_id": "red_survey", "title": "Red", "start": "blank",
                                            "csrf_token": token})
    assert made.status_code == 302
    taken = author.post("/author/new", data={"survey_id": "blue_survey", "title": "Mine", "start": "blank",
                                             "csrf_token": token})
    assert taken.status_code in (400, 409) and BLUE_TITLE not in taken.get_data(as_text=True)
    with open_session(db_url) as session:
        owners = dict(session.execute(sa.text(
            "select s.slug, t.name from surveys s join teams t on t.id = s.team_id")).tuples().all())
    assert owners == {"red_survey": "red", "blue_survey": "blue"}
    assert "Red" in author.get("/author/").get_data(as_text=True)


def test_an_oversized_post_to_a_blue_page_does_not_show_blues_draft(app: Flask, world: dict[str, Any]) -> None:
    # The guard runs before anything reads the body: blue's survey is not found for red (404), however large
    # the body, and no page about it is rendered.
    author = sign_in_as(app, "author@example.com")
    for path in ("/author/blue_survey/settings", "/author/blue_survey/upload"):
        reply = author.post(path, data={"title": "x" * (1024 * 1024 + 10)})
        assert reply.status_code == 404 and BLUE_TITLE not in reply.get_data(as_text=True), path


def test_a_red_key_publishes_a_new_survey_into_red(app: Flask, db_url: str, world: dict[str, Any]) -> None:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world['red_key']}"}
    definition = example_data() | {"id": "red_api_survey", "title": "Red from the CRM"}
    made = client.post("/api/v1/surveys/red_api_survey/versions", headers=headers, json=definition)
    assert made.status_code == 201, made.get_data(as_text=True)[:500]
    assert client.get("/api/v1/surveys/red_api_survey", headers=headers).status_code == 200
    with open_session(db_url) as session:
        owner = session.scalar(sa.text("SELECT t.name FROM surveys s JOIN teams t ON t.id = s.team_id "
                                       "WHERE s.slug = 'red_api_survey'"))
    assert owner == "red"
    assert client.get("/api/v1/surveys/red_api_survey", headers={
        "Authorization": f"Bearer {world['blue_key']}"}).status_code == 404
