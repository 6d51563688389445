"""Closing the loop (issue 11): follow-up rules open one case per (response, rule) when a response completes, the
owner is notified by e-mail through the queue (a real aiosmtpd server; the queue drained here as `cxroi worker
--burst` drains it, and once by a real `cxroi worker --burst` subprocess on SQLite and Redis), and the cases
pages and `cxroi cases list` show and work the cases. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner
from flask import Flask

from surveys.definition import build_survey
from surveys.errors import InvalidDefinition
from tests.webapp.support.author import PASSWORD, page_token, sign_in_as
from tests.webapp.support.cli import cxroi, subprocess_env
from tests.webapp.support.smtp import Sink
from tests.webapp.support.web import EXAMPLE, PAGE_1, PAGE_2, answer_all, example_survey
from webapp import queue
from webapp.accounts.service import create_user
from webapp.app import create_app
from webapp.cases import service
from webapp.cli.root import cli
from webapp.queue import drain
from webapp.services import create_invitations, publish_survey
from webapp.storage.engine import create_engine_for, open_session

SLUG = "acme_relationship"
BASE = "https://cx.example.com"
SECRET = "cases-test-secret"
RULES = [
    # the example's answers (tests.webapp.support.web.PAGE_1/PAGE_2): q_ces 3; BAS (4 and 2 of 5) = 50
    {"id": "hard_to_deal_with", "when": "q_ces <= 3", "priority": "high", "owner": "agent@example.com",
     "note": "Call the customer back within a day"},
    {"id": "misaligned", "when": "bas < 60", "team": "care"},
    {"id": "never_fires", "when": "q_nps <= 2", "owner": "agent@example.com"},
]


def count(db_url: str, sql: str) -> int:
    engine = create_engine_for(db_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(sql)).scalar() or 0)
    finally:
        engine.dispose()


def staff(db_url: str) -> None:
    with open_session(db_url) as session:
        for email, role in (("agent@example.com", "agent"), ("author@example.com", "author"),
                            ("analyst@example.com", "analyst"), ("carer@example.com", "agent")):
            create_user(session, email, role, PASSWORD)
        service.set_team(session, "carer@example.com", "care")


def personal_link(db_url: str, customer: str) -> str:
    with open_session(db_url) as session:
        return f"/s/{create_invitations(session, SLUG, [customer], 'email')[0].token}"


@pytest.fixture
def loop(app: Flask, db_url: str, tmp_path: Path, smtp: tuple[Sink, str],
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Sink]:
    """Staff accounts, the example survey published with follow-up rules, the app's queue on a SQLite file that
    `drain` (burst mode) runs here with the SMTP server's settings."""
    for name, value in (("CXROI_MAIL_URL", smtp[1]), ("CXROI_MAIL_FROM", "CX team <cx@example.com>"),
                        ("CXROI_BASE_URL", BASE), ("CXROI_SECRET_KEY", SECRET)):
        monkeypatch.setenv(name, value)
    app.config.update(QUEUE_URL=f"sqlite:///{tmp_path / 'queue.sqlite3'}", QUEUE_NAME=f"t-{uuid.uuid4().hex[:8]}")
    queue.configure(queue_url=app.config["QUEUE_URL"], queue_name=app.config["QUEUE_NAME"], database_url=db_url)
    staff(db_url)
    with open_session(db_url) as session:
        publish_survey(session, example_survey(follow_up=RULES))
    try:
        yield smtp[0]
    finally:
        queue.configure()


def cases_of(db_url: str) -> list[service.CaseRow]:
    with open_session(db_url) as session:
        return service.list_cases(session)


def test_a_completed_response_opens_one_case_per_matching_rule_and_notifies_the_owner(
        app: Flask, db_url: str, loop: Sink) -> None:
    client = app.test_client()
    link = personal_link(db_url, "C1")
    token = page_token(client, link)
    assert client.post(link, data=PAGE_1 | {"csrf_token": token}).status_code == 303
    assert client.post(link, data=PAGE_2 | {"csrf_token": token}).status_code == 303
    # the last page sent again (a double click, the back button): the response is complete once, no new case
    assert client.post(link, data=PAGE_2 | {"csrf_token": token}).status_code in (200, 303)
    rows = cases_of(db_url)
    assert sorted((r.rule_id, r.customer_id, r.priority, r.owner, r.team, r.status) for r in rows) == [
        ("hard_to_deal_with", "C1", "high", "agent@example.com", None, "open"),
        ("misaligned", "C1", "normal", None, "care", "open")]
    assert count(db_url, "select count(*) from follow_up_cases") == 2
    assert loop.messages == []  # queued, not sent: the worker sends

    assert drain(periodic=False) == 2  # the queue's tasks, run as `cxroi worker --burst` runs them
    agent_mail = loop.to("agent@example.com")
    assert len(agent_mail) == 1 and len(loop.to("carer@example.com")) == 1  # the team's member
    text = agent_mail[0].get_content()
    case_id = next(r.id for r in rows if r.rule_id == "hard_to_deal_with")
    assert agent_mail[0]["Subject"].startswith(f"[high] Follow-up case {case_id}")
    assert f"{BASE}/cases/{case_id}" in text and "Customer: C1" in text and "Call the customer back" in text
    assert "q_ces" in text and ": 3" in text
    assert "summary score bas: 50.0" in loop.to("carer@example.com")[0].get_content()
    assert drain(periodic=False) == 0 and len(loop.messages) == 2  # nothing notified twice
    assert {r.notify_state for r in cases_of(db_url)} == {"sent"}

    # a response that matches no rule opens no case
    other = app.test_client()
    calm = personal_link(db_url, "C2")
    token = page_token(other, calm)
    page_1 = {"page": "0", "q_align.easy": "5", "q_align.partner": "5", "q_ces": "7", "q_channels": ["phone"],
              "csrf_token": token}
    assert other.post(calm, data=page_1).status_code == 303
    assert other.post(calm, data={"page": "1", "q_channel.phone": "5", "q_nps": "10",
                                  "csrf_token": token}).status_code == 303
    assert count(db_url, "select count(*) from responses where status = 'complete'") == 2
    assert len(cases_of(db_url)) == 2


def test_the_case_is_opened_once_however_often_the_completion_runs(db_url: str, loop: Sink) -> None:
    """The unique (response, rule) constraint: opening the cases of a response again adds none."""
    app_client = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": SECRET}).test_client()
    answer_all(app_client, personal_link(db_url, "C9"))
    with open_session(db_url) as session:
        response_id = session.scalar(sa.text("select id from responses"))
        answers = session.scalar(sa.text("select answers from responses"))
        answers = json.loads(answers) if isinstance(answers, str) else answers
        survey = example_survey(follow_up=RULES)
        assert service.open_cases(session, response_id, survey, answers) == []
        session.commit()
    assert count(db_url, "select count(*) from follow_up_cases") == 2


def test_agents_work_cases_on_the_pages(app: Flask, db_url: str, loop: Sink) -> None:
    answer_all(app.test_client(), personal_link(db_url, "C1"))
    case_id = next(r.id for r in cases_of(db_url) if r.rule_id == "hard_to_deal_with")
    drain(periodic=False)
    agent = sign_in_as(app, "agent@example.com")

    listing = agent.get("/cases/")
    page = listing.get_data(as_text=True)
    assert listing.status_code == 200 and f"Case {case_id}" in page and "hard_to_deal_with" in page
    assert "none contacted yet" in page  # the loop's figures per survey
    assert f"Case {case_id}" not in agent.get("/cases/?status=resolved").get_data(as_text=True)
    assert "misaligned" not in agent.get("/cases/?owner=agent@example.com").get_data(as_text=True)
    assert "misaligned" in agent.get("/cases/?owner=team:care").get_data(as_text=True)
    assert agent.get("/cases/?status=bogus").status_code == 400
    assert agent.get("/cases/?survey=nope").status_code in (400, 404)

    detail = agent.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "C1" in detail and "q_ces &lt;= 3" in detail and "Call the customer back within a day" in detail
    assert re.search(r"q_ces: [^<]*</dt><dd>3</dd>", detail), detail  # the answer that triggered it
    token = page_token(agent, f"/cases/{case_id}")

    assert agent.post(f"/cases/{case_id}/status", data={"status": "contacted"}).status_code == 400  # no CSRF
    assert agent.post(f"/cases/{case_id}/status", data={"status": "contacted", "csrf_token": token}).status_code == 303
    assert agent.post(f"/cases/{case_id}/note", data={"text": "Called, will ring back Monday",
                                                      "csrf_token": token}).status_code == 303
    assert agent.post(f"/cases/{case_id}/note", data={"text": "  ", "csrf_token": token}).status_code == 400
    assert agent.post(f"/cases/{case_id}/status", data={"status": "nonsense", "csrf_token": token}).status_code == 400
    assert agent.post(f"/cases/{case_id}/status", data={"status": "won_back", "csrf_token": token}).status_code == 303
    detail = agent.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Called, will ring back Monday" in detail and "open → contacted" in detail and "contacted → won_back" in detail
    row = next(r for r in cases_of(db_url) if r.id == case_id)
    assert row.status == "won_back" and row.first_contact_at is not None and row.closed_at is not None
    assert "(n = 1)" in agent.get("/cases/").get_data(as_text=True)  # time to first contact and to close

    # the owner changes: the new owner is notified once
    assert agent.post(f"/cases/{case_id}/owner", data={"owner": "nobody@example.com",
                                                       "csrf_token": token}).status_code == 400
    assert agent.post(f"/cases/{case_id}/owner", data={"owner": "author@example.com",
                                                       "csrf_token": token}).status_code == 303
    drain(periodic=False)
    assert len(loop.to("author@example.com")) == 1
    assert agent.get("/cases/999999").status_code == 404


def test_roles_analysts_are_refused_agents_and_authors_see_cases(app: Flask, db_url: str, loop: Sink) -> None:
    answer_all(app.test_client(), personal_link(db_url, "C1"))
    case_id = cases_of(db_url)[0].id
    analyst = sign_in_as(app, "analyst@example.com")
    assert analyst.get("/cases/").status_code == 403
    assert analyst.get(f"/cases/{case_id}").status_code == 403
    assert sign_in_as(app, "author@example.com").get(f"/cases/{case_id}").status_code == 200
    agent = sign_in_as(app, "agent@example.com")
    assert agent.get("/cases/").status_code == 200
    assert agent.get("/author/").status_code == 403  # an agent works cases only
    assert app.test_client().get("/cases/").status_code == 302  # signed out: to the sign-in page


def test_cases_list_command_in_json_and_csv(app: Flask, db_url: str, loop: Sink) -> None:
    answer_all(app.test_client(), personal_link(db_url, "C1"))
    runner = CliRunner()
    env = {"CXROI_DATABASE_URL": db_url}
    listed = runner.invoke(cli, ["cases", "list", "--survey", SLUG, "--format", "json"], env=env)
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.stdout)
    assert sorted(item["rule_id"] for item in data) == ["hard_to_deal_with", "misaligned"]
    assert data[0]["survey"] == SLUG and data[0]["customer_id"] == "C1" and data[0]["status"] == "open"
    table = runner.invoke(cli, ["cases", "list", "--status", "open", "--format", "csv"], env=env)
    assert table.exit_code == 0, table.output
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert len(rows) == 2 and tuple(rows[0]) == service.COLUMNS
    assert runner.invoke(cli, ["cases", "list", "--status", "resolved", "--format", "json"],
                         env=env).stdout.strip() == "[]"
    assert runner.invoke(cli, ["cases", "list", "--status", "bogus"], env=env).exit_code == 2


def test_a_rule_with_a_syntax_error_names_its_path(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    with pytest.raises(InvalidDefinition) as error:
        build_survey(data | {"follow_up": [{"id": "r", "when": "q_ces <=", "owner": "a@example.com"}]})
    assert "follow_up[0].when: expected a value or question id" in str(error.value)
    with pytest.raises(InvalidDefinition) as error:
        build_survey(data | {"follow_up": [{"id": "r", "when": "q_unknown == 'no'", "owner": "a@example.com"}]})
    assert "follow_up[0].when: refers to 'q_unknown'" in str(error.value)
    with pytest.raises(InvalidDefinition) as error:
        build_survey(data | {"follow_up": [{"id": "r", "when": "q_ces < 3", "owner": "a@example.com",
                                            "team": "care"}]})
    assert "follow_up[0]: give either an owner" in str(error.value)
    path = tmp_path / "survey.yaml"
    path.write_text(yaml.safe_dump(data | {"follow_up": [{"id": "r", "when": "q_ces <= (", "owner": "a@example.com"}]}))
    done = cxroi({}, "survey", "validate", str(path))
    assert done.returncode == 2 and "follow_up[0].when" in done.stderr and "Traceback" not in done.stderr


def test_rules_round_trip_through_an_xlsform_workbook(tmp_path: Path) -> None:
    from surveys.xlsform.reading import read_xlsform
    from surveys.xlsform.writing import write_xlsform

    survey = example_survey(follow_up=RULES + [{"id": "soon", "when": "q_ces <= 2", "owner": "a@example.com",
                                                 "due_hours": 2}])
    write_xlsform(survey, tmp_path / "survey.xlsx")
    assert read_xlsform(tmp_path / "survey.xlsx").follow_up == survey.follow_up


def test_an_unknown_owner_or_team_is_refused_at_publishing(db_url: str, tmp_path: Path) -> None:
    staff(db_url)
    unknown = [{"id": "r", "when": "q_ces <= 3", "owner": "who@example.com"},
               {"id": "t", "when": "q_ces <= 3", "team": "nobody_here"}]
    with open_session(db_url) as session, pytest.raises(service.CaseError) as error:
        publish_survey(session, example_survey(follow_up=unknown))
    assert "follow_up[0].owner: 'who@example.com' is not an active author, agent or admin account" in str(error.value)
    assert "follow_up[1].team: no active author, agent or admin is in the team 'nobody_here'" in str(error.value)
    assert count(db_url, "select count(*) from survey_versions") == 0  # nothing stored

    analyst_owner = [{"id": "r", "when": "q_ces <= 3", "owner": "analyst@example.com"}]  # may not own cases
    with open_session(db_url) as session, pytest.raises(service.CaseError):
        publish_survey(session, example_survey(follow_up=analyst_owner))

    path = tmp_path / "survey.yaml"
    path.write_text(yaml.safe_dump(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")) | {"follow_up": unknown}))
    done = cxroi({"CXROI_DATABASE_URL": db_url}, "survey", "publish", str(path))
    assert done.returncode == 2, done.stderr
    assert "follow_up[0].owner" in done.stderr and "Traceback" not in done.stderr
    assert count(db_url, "select count(*) from survey_versions") == 0


@pytest.fixture(params=["sqlite", "redis"])
def worker_env(request: pytest.FixtureRequest, tmp_path: Path, smtp: tuple[Sink, str]) -> Iterator[dict[str, str]]:
    redis = request.getfixturevalue("redis_url") if request.param == "redis" else None
    with subprocess_env(request.param, tmp_path, redis_server=redis, secret=SECRET, base_url=BASE,
                        mail_url=smtp[1]) as values:
        yield values


def test_the_owner_is_notified_by_a_real_worker_burst(worker_env: dict[str, str], smtp: tuple[Sink, str],
                                                      tmp_path: Path) -> None:
    sink, _ = smtp
    db_url = worker_env["CXROI_DATABASE_URL"]
    app = create_app({"DATABASE_URL": db_url, "INSTANCE_PATH": str(tmp_path / "app"), "TESTING": True,
                      "SECRET_KEY": SECRET, "QUEUE_URL": worker_env["CXROI_QUEUE_URL"],
                      "QUEUE_NAME": worker_env["CXROI_QUEUE_NAME"]})
    staff(db_url)
    with open_session(db_url) as session:
        publish_survey(session, example_survey(follow_up=RULES))
    answer_all(app.test_client(), personal_link(db_url, "C1"))

    assert cxroi(worker_env, "worker", "--burst").returncode == 0
    assert len(sink.to("agent@example.com")) == 1 and len(sink.to("carer@example.com")) == 1
    assert cxroi(worker_env, "worker", "--burst").returncode == 0 and len(sink.messages) == 2  # a second run notifies nobody twice
