"""A worker killed (SIGKILL) in the middle of a send batch, then started again (issue 11): every invitation
reaches the SMTP server (aiosmtpd on 127.0.0.1, which records what it received) exactly once when the kill
comes before the message itself went out, and at most once, recorded as `unknown`, when it comes while the
server had the message but had not answered. A slow worker overtaken by another one gives up before DATA.
docs/distribution.md states these guarantees."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.webapp.support.cli import cxroi, start_cxroi, subprocess_env
from tests.webapp.support.smtp import Sink
from tests.webapp.support.web import example_survey
from webapp.app import create_app
from webapp.services import publish_survey
from webapp.services.customer_lists import read_customer_list
from webapp.services.mailing import MailSettings, queue_invitations, send_message
from webapp.storage.engine import create_engine_for, session_factory
from webapp.storage.models import MailMessage

SLUG = "acme_relationship"
SECRET = "kill-test-secret"
LEASE = 2.0
ADDRESSES = [f"c{n}@example.com" for n in range(1, 7)]


def states(db_url: str) -> dict[str, str]:
    engine = create_engine_for(db_url)
    try:
        with engine.connect() as connection:
            return dict(connection.execute(sa.text("select email, state from mail_messages")).all())  # type: ignore[arg-type]
    finally:
        engine.dispose()


def invite_six(env: dict[str, str], tmp_path: Path) -> None:
    create_app({"DATABASE_URL": env["CXROI_DATABASE_URL"], "INSTANCE_PATH": str(tmp_path / "app"), "TESTING": True,
                "SECRET_KEY": SECRET})  # creates the schema
    engine = create_engine_for(env["CXROI_DATABASE_URL"])
    with session_factory(engine)() as session:
        publish_survey(session, example_survey())
    engine.dispose()
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id,email\n" + "".join(f"C{n},{a}\n" for n, a in enumerate(ADDRESSES, 1)))
    done = cxroi(env, "invite", SLUG, "--customers", str(customers), "--channel", "email", "--send")
    assert done.returncode == 0 and "queued 6 invitation e-mails" in done.stdout, done.stderr


def kill_when_held(env: dict[str, str], sink: Sink, tmp_path: Path) -> str:
    """Start `cxroi worker --burst` (one at a time), SIGKILL it once the SMTP server holds the delivery chosen
    by `sink.hold`, then let the server go on; the worker's output."""
    log = tmp_path / "killed-worker.log"
    worker = start_cxroi(env, "worker", "--burst", "--workers", "1", log=log)
    try:
        if not sink.held.wait(timeout=180):  # bounded wait for the worker to get there (not a timing assertion)
            pytest.fail(f"the worker never reached the held delivery: {log.read_text()[-2000:]}")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=60)
    assert worker.returncode == -signal.SIGKILL
    sink.release.set()
    time.sleep(LEASE + 0.5)  # the dead worker's claim must outlive its lease before another takes it over
    return log.read_text()


@pytest.mark.parametrize("storage", ["sqlite", "redis"])
def test_killed_before_the_data_every_invitation_is_sent_exactly_once(
        storage: str, request: pytest.FixtureRequest, tmp_path: Path, smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    redis = request.getfixturevalue("redis_url") if storage == "redis" else None
    with subprocess_env(storage, tmp_path, redis_server=redis, secret=SECRET, mail_url=url,
                        CXROI_MAIL_LEASE_SECONDS=str(LEASE)) as env:
        invite_six(env, tmp_path)
        sink.hold("rcpt", 3)  # the third message: envelope accepted, the worker killed before DATA
        kill_when_held(env, sink, tmp_path)
        db_url = env["CXROI_DATABASE_URL"]
        assert sink.recipients() == ADDRESSES[:2]
        assert list(states(db_url).values()).count("sending") == 1  # the dead worker's claim
        again = cxroi(env, "worker", "--burst")
        assert again.returncode == 0, again.stderr
        assert sink.recipients() == ADDRESSES  # each once: the held one sent again, the rest of the batch sent
        assert set(states(db_url).values()) == {"sent"}
        assert cxroi(env, "worker", "--burst").returncode == 0 and len(sink.messages) == 6


def test_killed_during_the_data_the_message_is_not_sent_twice(tmp_path: Path, smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    with subprocess_env("sqlite", tmp_path, secret=SECRET, mail_url=url,
                        CXROI_MAIL_LEASE_SECONDS=str(LEASE)) as env:
        invite_six(env, tmp_path)
        sink.hold("data", 3)  # the third message received by the server, its 250 reply not yet given
        kill_when_held(env, sink, tmp_path)
        db_url = env["CXROI_DATABASE_URL"]
        assert states(db_url)[ADDRESSES[2]] == "transmitting"
        again = cxroi(env, "worker", "--burst")
        assert again.returncode == 0, again.stderr
        assert sink.recipients() == ADDRESSES  # the server got the third one once, and it was not sent again
        final = states(db_url)
        assert final[ADDRESSES[2]] == "unknown" and {final[a] for a in ADDRESSES if a != ADDRESSES[2]} == {"sent"}
        # the reminder treats it as sent: the customer still gets the one reminder with the same link
        reminded = cxroi(env, "remind", SLUG, "--after-days", "0")
        assert reminded.returncode == 0 and "queued 6 reminder e-mails" in reminded.stdout, reminded.stderr


def test_a_slow_worker_overtaken_after_its_lease_gives_up_before_the_data(db: Session, db_url: str,
                                                                         smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    publish_survey(db, example_survey())
    [message_id] = queue_invitations(db, SLUG, read_customer_list(b"customer_id,email\nC1,ann@example.com\n"),
                                     "email", SECRET).message_ids
    sink.hold("rcpt", 1)  # the first worker's envelope is held: it looks dead to the others
    engine = create_engine_for(db_url)
    slow: list[str] = []

    def first_worker() -> None:
        with session_factory(engine)() as session:
            slow.append(send_message(session, message_id, MailSettings(url, "cx@example.com", "http://x", SECRET,
                                                                       lease_seconds=LEASE)))

    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        assert sink.held.wait(timeout=60)
        time.sleep(LEASE + 0.5)
        # another worker: the claim has outlived its lease, so it takes the message over and sends it
        assert send_message(db, message_id, MailSettings(url, "cx@example.com", "http://x", SECRET,
                                                         lease_seconds=LEASE)) == "sent"
    finally:
        sink.release.set()
        thread.join(timeout=120)
    engine.dispose()
    assert slow == ["sent"]  # the slow one found its claim gone, sent nothing, and reports the row's state
    assert sink.recipients() == ["ann@example.com"]
    assert db.scalar(sa.select(MailMessage.state).where(MailMessage.id == message_id)) == "sent"

