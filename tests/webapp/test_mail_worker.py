"""E-mail distribution end to end on real parts: `cxroi invite --send` and `cxroi remind` queue, a real
`cxroi worker --burst` subprocess sends through a real SMTP server (aiosmtpd on 127.0.0.1), with the queue on
SQLite and on Redis; the link in each delivered mail opens that customer's survey; unsubscribe sticks."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.webapp.support.web import ROOT, answer_all, example_survey, free_port
from tests.webapp.test_mail import BASE, SECRET, SLUG, Sink, personal_link, running_smtp, unsubscribe_path
from tests.webapp.test_queue import clean_redis, redis_queue_url
from webapp.app import create_app
from webapp.services import publish_survey
from webapp.storage.engine import create_engine_for, session_factory

CUSTOMERS = "customer_id,email,name\nC1,ann@example.com,Ann\nC2,bob@example.com,Bob\nC3,cat@example.com,Cat\n"


def addresses(sink: Sink) -> list[str]:
    return sorted(str(m["To"]).split("<")[-1].strip(">") for m in sink.messages)



@pytest.fixture
def smtp() -> Iterator[tuple[Sink, str]]:
    with running_smtp() as server:
        yield server

@pytest.fixture(params=["sqlite", "redis"])
def env(request: pytest.FixtureRequest, tmp_path: Path, smtp: tuple[Sink, str]) -> Iterator[dict[str, str]]:
    """The environment of the `cxroi` subprocesses: a SQLite database, the queue on each storage, the SMTP
    server, the same secret key and public address as the test's app."""
    name = f"test-mail-{uuid.uuid4().hex[:10]}"
    if request.param == "redis":
        queue_url = redis_queue_url(request.getfixturevalue("redis_url"))
    else:
        queue_url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    values = {"CXROI_DATABASE_URL": f"sqlite:///{tmp_path / 'cxroi.sqlite3'}", "CXROI_QUEUE_URL": queue_url,
              "CXROI_QUEUE_NAME": name, "CXROI_SECRET_KEY": SECRET, "CXROI_BASE_URL": BASE,
              "CXROI_MAIL_URL": smtp[1], "CXROI_MAIL_FROM": "CX team <cx@example.com>",
              "CXROI_INSTANCE_PATH": str(tmp_path / "instance")}
    try:
        yield values
    finally:
        if request.param == "redis":
            clean_redis(queue_url, name)


def cxroi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from webapp.cli import main; main()", *args],
                          env=os.environ | env, cwd=ROOT, capture_output=True, text=True, timeout=120)


def app_for(env: dict[str, str], tmp_path: Path) -> Flask:
    return create_app({"DATABASE_URL": env["CXROI_DATABASE_URL"], "INSTANCE_PATH": str(tmp_path / "app"),
                       "TESTING": True, "SECRET_KEY": SECRET, "QUEUE_URL": env["CXROI_QUEUE_URL"],
                       "QUEUE_NAME": env["CXROI_QUEUE_NAME"]})


def test_invite_remind_unsubscribe_through_the_worker(env: dict[str, str], smtp: tuple[Sink, str],
                                                      tmp_path: Path) -> None:
    sink, _ = smtp
    app = app_for(env, tmp_path)  # creates the schema
    engine = create_engine_for(env["CXROI_DATABASE_URL"])
    with session_factory(engine)() as session:
        publish_survey(session, example_survey())
    customers = tmp_path / "customers.csv"
    customers.write_text(CUSTOMERS)

    done = cxroi(env, "invite", SLUG, "--customers", str(customers), "--channel", "email", "--send")
    assert done.returncode == 0, done.stderr
    assert "queued 3 invitation e-mails" in done.stdout
    assert sink.messages == []  # queued, not sent: the worker sends
    worker = cxroi(env, "worker", "--burst")
    assert worker.returncode == 0, worker.stderr
    assert addresses(sink) == ["ann@example.com", "bob@example.com", "cat@example.com"]
    again = cxroi(env, "worker", "--burst")  # a second worker run: nothing sent twice
    assert again.returncode == 0, again.stderr
    assert len(sink.messages) == 3

    client = app.test_client()
    links = {str(m["To"]).split("<")[-1].strip(">"): personal_link(m) for m in sink.messages}
    answer_all(client, links["ann@example.com"])  # Ann answers through the link in her mail
    with engine.connect() as connection:
        assert connection.execute(sa.text("select customer_id, status from responses")).all() == [
            ("C1", "complete")]

    bob = next(m for m in sink.messages if "bob@" in str(m["To"]))
    assert client.post(unsubscribe_path(bob)).status_code == 200  # Bob unsubscribes (one click)

    sink.messages.clear()
    reminded = cxroi(env, "remind", SLUG, "--after-days", "0")
    assert reminded.returncode == 0, reminded.stderr
    assert "queued 1 reminder e-mails" in reminded.stdout and "1 who answered and 1 who opted out" in reminded.stdout
    assert cxroi(env, "worker", "--burst").returncode == 0
    assert addresses(sink) == ["cat@example.com"]
    assert sink.messages[0]["Subject"].startswith("Reminder: ")
    assert cxroi(env, "remind", SLUG, "--after-days", "0").stdout.startswith("queued 0 reminder")

    # Bob is never mailed again, by any survey
    with session_factory(engine)() as session:
        publish_survey(session, example_survey(id="acme_next"))
    sink.messages.clear()
    # (--contact-days 0: the same customers again at once, which the default 90-day contact rule would refuse)
    second = cxroi(env, "invite", "acme_next", "--customers", str(customers), "--channel", "email", "--send",
                   "--contact-days", "0")
    assert second.returncode == 0 and "left out 1 customer(s) whose address opted out: C2" in second.stdout
    assert cxroi(env, "worker", "--burst").returncode == 0
    assert addresses(sink) == ["ann@example.com", "cat@example.com"]
    engine.dispose()


def test_bad_input_on_the_command_line(env: dict[str, str], tmp_path: Path, smtp: tuple[Sink, str]) -> None:
    app_for(env, tmp_path)
    engine = create_engine_for(env["CXROI_DATABASE_URL"])
    with session_factory(engine)() as session:
        publish_survey(session, example_survey())
    plain = tmp_path / "plain.csv"
    plain.write_text("customer_id\nC1\n")
    done = cxroi(env, "invite", SLUG, "--customers", str(plain), "--channel", "email", "--send")
    assert done.returncode == 2 and "has no email column" in done.stderr and "Traceback" not in done.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,email\nC1,ann@example.com\nC2,bob at example.com\n")
    done = cxroi(env, "invite", SLUG, "--customers", str(bad), "--channel", "email", "--send")
    assert done.returncode == 2 and "row 3: malformed e-mail address 'bob at example.com'" in done.stderr
    done = cxroi(env, "invite", SLUG, "--customers", str(plain), "--channel", "email")
    assert done.returncode == 2 and "-o links.csv" in done.stderr
    with engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from invitations")).scalar() == 0
    engine.dispose()


def test_smtp_down_is_deferred_then_sent_once(env: dict[str, str], tmp_path: Path,
                                              smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    app_for(env, tmp_path)
    engine = create_engine_for(env["CXROI_DATABASE_URL"])
    with session_factory(engine)() as session:
        publish_survey(session, example_survey())
    customers = tmp_path / "customers.csv"
    customers.write_text(CUSTOMERS)
    down = env | {"CXROI_MAIL_URL": f"smtp://127.0.0.1:{free_port()}"}
    assert cxroi(down, "invite", SLUG, "--customers", str(customers), "--channel", "email", "--send").returncode == 0
    assert cxroi(down, "worker", "--burst").returncode == 0
    with engine.connect() as connection:
        assert connection.execute(sa.text("select state, count(*) from mail_messages group by state")).all() == [
            ("deferred", 3)]
    # the retries wait for their delay; the messages are kept, and sent once when the server answers
    from webapp.services.mailing import MailSettings, send_pending

    with session_factory(engine)() as session:
        assert send_pending(session, MailSettings(url, "cx@example.com", BASE, SECRET)) == {"sent": 3}
    assert cxroi(env, "worker", "--burst").returncode == 0
    assert addresses(sink) == ["ann@example.com", "bob@example.com", "cat@example.com"]
    engine.dispose()
