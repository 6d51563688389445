"""E-mail distribution on the command line and a real `cxroi worker --burst` subprocess, with the queue on SQLite
and on Redis, through a real SMTP server (aiosmtpd on 127.0.0.1): bad input refused before anything is stored,
an SMTP server that is down. The whole programme (invite, answer, case, remind, unsubscribe) is in
test_programme.py.

Commands whose subject is not the separate process run in this process (`cxroi_in_process`, through
`webapp.cli.main` with the same environment): a fresh interpreter per command costs seconds (importing the
command line pulls in the whole analysis stack), and the bad-input test alone ran nine of them per queue."""

from __future__ import annotations

import contextlib
import io
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.webapp.support.cli import cxroi, subprocess_env
from tests.webapp.support.smtp import Sink
from tests.webapp.support.web import example_survey, free_port
from tests.webapp.test_mail import BASE, SECRET, SLUG
from webapp import queue
from webapp.app import create_app
from webapp.cli import main
from webapp.services import publish_survey
from webapp.storage.engine import create_engine_for, session_factory

CUSTOMERS = "customer_id,email,name\nC1,ann@example.com,Ann\nC2,bob@example.com,Bob\nC3,cat@example.com,Cat\n"


def cxroi_in_process(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`cxroi ARGS` run in this process through the real entry point (`webapp.cli.main`), with `env` added to the
    environment and `stdin` as standard input for the call only; the same result as `cxroi` in a subprocess
    (exit code, stdout, stderr). An exception the command line does not explain propagates and fails the test
    (a subprocess would have printed its traceback). What `cxroi worker` sets up for its process (the queue,
    `webapp.queue.configure`, and the root logger, `logging.basicConfig`) is put back afterwards, so no later
    test in this process uses this test's queue or logs into this call's captured output."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.setattr(queue, "_settings", dict(queue._settings))
        patch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        patch.setattr(logging.root, "handlers", list(logging.root.handlers))
        level = logging.root.level
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else 1
            finally:
                logging.root.setLevel(level)  # through setLevel: the loggers' cached levels are cleared too
    return subprocess.CompletedProcess(["cxroi", *args], code, out.getvalue(), err.getvalue())


@pytest.fixture(params=["sqlite", "redis"])
def env(request: pytest.FixtureRequest, tmp_path: Path, smtp: tuple[Sink, str]) -> Iterator[dict[str, str]]:
    """The environment of the `cxroi` subprocesses: a SQLite database, the queue on each storage, the SMTP
    server, the same secret key and public address as the test's app."""
    redis = request.getfixturevalue("redis_url") if request.param == "redis" else None
    with subprocess_env(request.param, tmp_path, redis_server=redis, secret=SECRET, base_url=BASE,
                        mail_url=smtp[1]) as values:
        yield values


def published(env: dict[str, str], tmp_path: Path) -> tuple[Engine, Path]:
    """The schema made (by the app, as `cxroi serve` would), the example survey published, the three customers'
    file written: (an engine on the database, the file)."""
    create_app({"DATABASE_URL": env["CXROI_DATABASE_URL"], "INSTANCE_PATH": str(tmp_path / "app"), "TESTING": True,
                "SECRET_KEY": SECRET})
    engine = create_engine_for(env["CXROI_DATABASE_URL"])
    with session_factory(engine)() as session:
        publish_survey(session, example_survey())
    customers = tmp_path / "customers.csv"
    customers.write_text(CUSTOMERS)
    return engine, customers


def test_bad_input_on_the_command_line(env: dict[str, str], tmp_path: Path, smtp: tuple[Sink, str]) -> None:
    """Each command refuses before doing anything, so it runs in this process (no separate process is under
    test here)."""
    engine, good = published(env, tmp_path)
    plain = tmp_path / "plain.csv"
    plain.write_text("customer_id\nC1\n")
    done = cxroi_in_process(env, "invite", SLUG, "--customers", str(plain), "--channel", "email", "--send")
    assert done.returncode == 2 and "has no email column" in done.stderr and "Traceback" not in done.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,email\nC1,ann@example.com\nC2,bob at example.com\n")
    done = cxroi_in_process(env, "invite", SLUG, "--customers", str(bad), "--channel", "email", "--send")
    assert done.returncode == 2 and "row 3: malformed e-mail address 'bob at example.com'" in done.stderr
    done = cxroi_in_process(env, "invite", SLUG, "--customers", str(plain), "--channel", "email")
    assert done.returncode == 2 and "-o links.csv" in done.stderr
    for command in (["invite", SLUG, "--customers", str(good), "--channel", "email", "--send"],
                    ["wave", "start", SLUG, "--customers", str(good), "--send"],
                    ["remind", SLUG], ["worker", "--burst"]):
        done = cxroi_in_process(env | {"CXROI_MAIL_URL": "mailto:cx@example.com"}, *command)
        assert done.returncode != 0 and "CXROI_MAIL_URL must be smtp://host:port" in done.stderr, (command, done)
        assert "Traceback" not in done.stderr
    for command in (["invite", "no_such_survey", "--customers", str(good), "--channel", "email", "--send"],
                    ["remind", "no_such_survey"]):
        done = cxroi_in_process(env, *command)
        assert done.returncode == 2 and "no_such_survey" in done.stderr and "Traceback" not in done.stderr, done
    with engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from invitations")).scalar() == 0
    engine.dispose()


def test_a_queue_that_cannot_be_reached_loses_no_message(env: dict[str, str], tmp_path: Path,
                                                         smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    engine, customers = published(env, tmp_path)
    down = env | {"CXROI_QUEUE_URL": f"redis://127.0.0.1:{free_port()}/0"}  # nothing listens there
    done = cxroi_in_process(down, "invite", SLUG, "--customers", str(customers), "--channel", "email", "--send")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done
    assert "3 invitation e-mail(s) are stored but the task queue at redis://127.0.0.1:" in done.stderr
    # kept as queued: the worker's sweep (every 15 minutes, for rows queued 15 minutes ago) finds them
    from webapp.services.mailing import MailSettings, due_messages, send_pending

    with session_factory(engine)() as session:
        assert len(due_messages(session)) == 3
        assert send_pending(session, MailSettings(url, "cx@example.com", BASE, SECRET)) == {"sent": 3}
    assert sink.recipients() == ["ann@example.com", "bob@example.com", "cat@example.com"]
    engine.dispose()


def test_smtp_down_is_deferred_then_sent_once(env: dict[str, str], tmp_path: Path,
                                              smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    engine, customers = published(env, tmp_path)
    down = env | {"CXROI_MAIL_URL": f"smtp://127.0.0.1:{free_port()}"}
    invited = cxroi_in_process(down, "invite", SLUG, "--customers", str(customers), "--channel", "email", "--send")
    assert invited.returncode == 0
    assert cxroi(down, "worker", "--burst").returncode == 0  # the real worker process meets the server down
    with engine.connect() as connection:
        assert connection.execute(sa.text("select state, count(*) from mail_messages group by state")).all() == [
            ("deferred", 3)]
    # the retries wait for their delay; the messages are kept, and sent once when the server answers
    from webapp.services.mailing import MailSettings, send_pending

    with session_factory(engine)() as session:
        assert send_pending(session, MailSettings(url, "cx@example.com", BASE, SECRET)) == {"sent": 3}
    assert cxroi(env, "worker", "--burst").returncode == 0
    assert sink.recipients() == ["ann@example.com", "bob@example.com", "cat@example.com"]
    engine.dispose()
