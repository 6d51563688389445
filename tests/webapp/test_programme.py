"""The whole CX programme on real parts (issue 11): a definition with a follow-up rule published with `cxroi
survey publish`, three customers invited by e-mail with `cxroi invite --send`, a real `cxroi worker --burst`
subprocess sending through a real SMTP server (aiosmtpd on 127.0.0.1), one customer following the link in the
mail she received and answering so that the rule fires, the case on the cases page and in `cxroi cases list`,
the owner's notification mail, `cxroi remind` reminding exactly the two others, one of them unsubscribing
through the link in his mail and never being mailed again. With the queue on SQLite and on Redis.

The worker is a real subprocess each time; the other commands run in this process through the real entry point
with the same environment (`cxroi_in_process`): a fresh interpreter per command costs seconds (the command line
imports the whole analysis stack), nine of them per queue."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from tests.webapp.support.author import PASSWORD, page_token, sign_in_as
from tests.webapp.support.cli import cxroi, subprocess_env
from tests.webapp.support.smtp import Sink, address_of, body, personal_link, unsubscribe_path
from tests.webapp.support.web import EXAMPLE, answer_all
from tests.webapp.test_mail_worker import cxroi_in_process
from webapp.app import create_app
from webapp.storage.engine import create_engine_for

SLUG = "acme_relationship"
BASE = "http://localhost"
SECRET = "programme-test-secret"
CUSTOMERS = "customer_id,email,name\nC1,ann@example.com,Ann\nC2,bob@example.com,Bob\nC3,cat@example.com,Cat\n"
RULE = {"id": "hard_to_deal_with", "when": "q_ces <= 3", "priority": "high", "owner": "agent@example.com",
        "note": "Call the customer back within a day"}
"""answer_all answers q_ces = 3 (tests.webapp.support.web.PAGE_1): the rule fires for the one who answers."""


@pytest.fixture(params=["sqlite", "redis"])
def env(request: pytest.FixtureRequest, tmp_path: Path, smtp: tuple[Sink, str]) -> Iterator[dict[str, str]]:
    redis = request.getfixturevalue("redis_url") if request.param == "redis" else None
    with subprocess_env(request.param, tmp_path, redis_server=redis, secret=SECRET, base_url=BASE,
                        mail_url=smtp[1], CXROI_CONTACT_DAYS="90") as values:
        yield values


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, (done.stdout, done.stderr)
    return done.stdout


def test_the_whole_programme(env: dict[str, str], smtp: tuple[Sink, str], tmp_path: Path) -> None:
    sink, _ = smtp
    ok(cxroi_in_process(env, "db", "upgrade"))
    ok(cxroi_in_process(env, "user", "create", "agent@example.com", "--role", "agent", "--password-stdin",
                        stdin=PASSWORD + "\n"))
    definition = tmp_path / "survey.yaml"
    definition.write_text(yaml.safe_dump(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
                                         | {"follow_up": [RULE]}), encoding="utf-8")
    assert SLUG in ok(cxroi_in_process(env, "survey", "publish", str(definition)))
    customers = tmp_path / "customers.csv"
    customers.write_text(CUSTOMERS, encoding="utf-8")

    # invite three customers by e-mail: queued by the command, sent by the worker, once each
    invited = ok(cxroi_in_process(env, "invite", SLUG, "--customers", str(customers), "--channel", "email", "--send"))
    assert "queued 3 invitation e-mails" in invited
    assert sink.messages == []
    ok(cxroi(env, "worker", "--burst"))
    assert sink.recipients() == ["ann@example.com", "bob@example.com", "cat@example.com"]
    invitations = {address_of(m): m for m in sink.messages}

    # Ann follows the link in her mail and answers; her answers match the rule: a case opens
    app = create_app({"DATABASE_URL": env["CXROI_DATABASE_URL"], "INSTANCE_PATH": str(tmp_path / "app"),
                      "TESTING": True, "SECRET_KEY": SECRET, "QUEUE_URL": env["CXROI_QUEUE_URL"],
                      "QUEUE_NAME": env["CXROI_QUEUE_NAME"]})
    respondent = app.test_client()
    assert respondent.get(personal_link(invitations["ann@example.com"], BASE)).status_code == 200
    answer_all(respondent, personal_link(invitations["ann@example.com"], BASE))
    engine = create_engine_for(env["CXROI_DATABASE_URL"])
    with engine.connect() as connection:
        assert connection.execute(sa.text("select customer_id, status from responses")).all() == [
            ("C1", "complete")]
    engine.dispose()
    cases = json.loads(ok(cxroi_in_process(env, "cases", "list", "--survey", SLUG, "--format", "json")))
    assert [(c["customer_id"], c["rule_id"], c["owner"], c["priority"], c["status"]) for c in cases] == [
        ("C1", "hard_to_deal_with", "agent@example.com", "high", "open")]
    case_id = cases[0]["id"]
    agent = sign_in_as(app, "agent@example.com")
    listing = agent.get("/cases/").get_data(as_text=True)
    assert f"Case {case_id}" in listing and "hard_to_deal_with" in listing

    # the worker notifies the owner by e-mail, with a link to the case
    ok(cxroi(env, "worker", "--burst"))
    notification = sink.to("agent@example.com")
    assert len(notification) == 1 and len(sink.messages) == 4
    assert f"{BASE}/cases/{case_id}" in notification[0].get_content()
    assert "Customer: C1" in notification[0].get_content()

    # a reminder: exactly the two who have not answered
    reminded = ok(cxroi_in_process(env, "remind", SLUG, "--after-days", "0"))
    assert "queued 2 reminder e-mails" in reminded and "left out 1 who answered" in reminded
    ok(cxroi(env, "worker", "--burst"))
    reminders = sink.messages[4:]
    assert sorted(address_of(m) for m in reminders) == ["bob@example.com", "cat@example.com"]
    assert all(m["Subject"].startswith("Reminder: ") for m in reminders)
    assert {personal_link(m, BASE) for m in reminders} == {  # the same personal links as the invitations
        personal_link(invitations["bob@example.com"], BASE), personal_link(invitations["cat@example.com"], BASE)}

    # Bob follows the unsubscribe link in his mail and confirms, as in a browser
    reader = app.test_client()
    path = unsubscribe_path(reminders[0] if address_of(reminders[0]) == "bob@example.com" else reminders[1], BASE)
    assert "bob@example.com" in reader.get(path).get_data(as_text=True)
    confirmed = reader.post(path, data={"csrf_token": page_token(reader, path)})
    assert confirmed.status_code == 200 and "You are unsubscribed" in confirmed.get_data(as_text=True)
    assert path in body(invitations["bob@example.com"])  # the same link is in the invitation's text

    # Bob is never mailed again: not by a second reminder, not by another survey's invitation
    assert "queued 0 reminder" in ok(cxroi_in_process(env, "remind", SLUG, "--after-days", "0"))
    other = tmp_path / "other.yaml"
    other.write_text(definition.read_text(encoding="utf-8").replace(f"id: {SLUG}", "id: acme_next"),
                     encoding="utf-8")
    assert "acme_next" in ok(cxroi_in_process(env, "survey", "publish", str(other)))
    invited = ok(cxroi_in_process(env, "invite", "acme_next", "--customers", str(customers), "--channel", "email",
                                  "--send", "--contact-days", "0"))  # the same customers at once: the 90-day
    # contact rule off here
    assert "queued 2 invitation e-mails" in invited and "opted out: C2" in invited
    ok(cxroi(env, "worker", "--burst"))
    assert sink.recipients().count("bob@example.com") == 2  # his invitation and his reminder, nothing after
    assert sorted(address_of(m) for m in sink.messages[6:]) == ["ann@example.com", "cat@example.com"]
