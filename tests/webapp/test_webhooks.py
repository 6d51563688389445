"""Webhooks on real parts: an HTTP receiver on 127.0.0.1 that checks every signature as docs/webhooks.md tells
receivers to, the real task queue (`drain`) and a SQLite file — events stored with what caused them, retries
after the receiver answers 500 twice, a failed delivery after the last attempt, replay, the address checks and
the admins' pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.webapp.support.author import page_token, signed_in
from tests.webapp.support.web import answer_all, example_survey
from tests.webapp.support.webhooks import Receiver, verify
from webapp import queue
from webapp.app import create_app
from webapp.queue import drain
from webapp.services.invitations import create_invitations
from webapp.services.publishing import publish_survey
from webapp.storage.engine import open_session, upgrade_database
from webapp.webhooks import service
from webapp.webhooks.models import WebhookDelivery
from webapp.webhooks.targets import TargetRefused, check_target


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.server.shutdown()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Flask, str]]:
    monkeypatch.setenv("CXROI_WEBHOOK_ALLOW_PRIVATE", "1")  # the receiver is on 127.0.0.1
    monkeypatch.setenv("CXROI_WEBHOOK_RETRY_SECONDS", "0")  # retries due at once, so one drain runs them
    url = f"sqlite:///{tmp_path / 'cxroi.sqlite3'}"
    queue_url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    upgrade_database(url)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                      "SECRET_KEY": "test-secret", "QUEUE_URL": queue_url, "QUEUE_NAME": "hooks"})
    queue.configure(queue_url=queue_url, queue_name="hooks", database_url=url)
    try:
        yield app, url
    finally:
        queue.configure()


def _subscribe(url: str, target: str, events: list[str]) -> service.WebhookSubscription:
    with open_session(url) as session:
        made = service.subscribe(session, target, events, created_by="admin@example.com", allow_private=True)
        session.expunge(made)
        return made


def _deliveries(url: str) -> list[tuple[str, str, int, int | None]]:
    with open_session(url) as session:
        return [(d.event, d.state, d.attempts, d.last_status)
                for d in session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id))]


def test_events_arrive_signed_and_a_500_is_retried_until_it_passes(site: tuple[Flask, str],
                                                                   receiver: Receiver) -> None:
    app, url = site
    receiver.failures = 2
    hook = _subscribe(url, receiver.url, ["survey.published", "response.completed"])
    with open_session(url) as session:
        publish_survey(session, example_survey())
        link = create_invitations(session, "acme_relationship", ["C7"], "email")[0]
    drain(periodic=False)  # the publication: 500, 500, then delivered
    assert answer_all(app.test_client(), f"/s/{link.token}").status_code == 303
    drain(periodic=False)
    assert _deliveries(url) == [("survey.published", "delivered", 3, 204), ("response.completed", "delivered", 1, 204)]
    assert len(receiver.received) == 4  # 500, 500, then 204 for the first event; 204 for the second
    for headers, body in receiver.received:
        assert verify(hook.secret, headers["x-cxroi-signature"], body)
        assert not verify(hook.secret + "x", headers["x-cxroi-signature"], body)
        assert headers["content-type"] == "application/json"
    published, retried_1, retried_2, completed = receiver.events()
    assert published == retried_1 == retried_2  # the same event, id and body each time
    assert published["type"] == "survey.published" and published["data"] == {
        "survey": "acme_relationship", "title": example_survey().title, "version": 1}
    assert receiver.received[0][0]["x-cxroi-delivery"] == published["id"]
    assert completed["type"] == "response.completed" and completed["data"]["customer_id"] == "C7"
    assert completed["data"]["answers"]["q_nps"] == 8


def test_a_delivery_fails_after_its_last_attempt_and_a_replay_sends_it_again(
        site: tuple[Flask, str], receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    _, url = site
    monkeypatch.setattr(service, "MAX_ATTEMPTS", 3)
    receiver.failures = 3
    _subscribe(url, receiver.url, ["survey.published"])
    with open_session(url) as session:
        publish_survey(session, example_survey())
    drain(periodic=False)
    assert _deliveries(url) == [("survey.published", "failed", 3, 500)]
    with open_session(url) as session:
        first = session.scalars(sa.select(WebhookDelivery)).one()
        assert first.last_error == "the target answered HTTP 500"
        again = service.replay(session, first.id)
        assert (again.event_id, again.body) == (first.event_id, first.body)
    from webapp.webhooks.tasks import deliver_later

    deliver_later([again.id])
    drain(periodic=False)
    assert _deliveries(url)[1] == ("survey.published", "delivered", 1, 204)
    assert len({event["id"] for event in receiver.events()}) == 1  # a replay is the same event


def test_an_unreachable_target_is_recorded_and_tried_again_later(site: tuple[Flask, str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _, url = site
    monkeypatch.setenv("CXROI_WEBHOOK_RETRY_SECONDS", "600")
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _subscribe(url, f"http://127.0.0.1:{port}/", ["survey.published"])
    with open_session(url) as session:
        publish_survey(session, example_survey())
    drain(periodic=False)
    assert _deliveries(url) == [("survey.published", "pending", 1, None)]
    with open_session(url) as session:
        delivery = session.scalars(sa.select(WebhookDelivery)).one()
        assert delivery.last_error is not None and delivery.last_error.startswith("could not deliver")
        assert delivery.next_attempt_at is not None
        # not due now; due for the sweep (or the scheduled retry) ten minutes on
        assert service.due_deliveries(session) == []
        assert service.due_deliveries(session, now=delivery.next_attempt_at) == [delivery.id]


@pytest.mark.parametrize(("url", "allow", "reason"), [
    ("http://169.254.169.254/latest/meta-data", True, "a cloud metadata address"),
    ("http://169.254.10.1/", True, "a link-local address"),
    ("http://127.0.0.1:9/", False, "an internal address"),
    ("http://10.1.2.3/", False, "an internal address"),
    ("ftp://example.com/", True, "starts with https://"),
    ("http://user:pw@127.0.0.1/", True, "without a user name or password"),
    ("http://no-such-host.invalid/", True, "cannot be resolved"),
    ("http://127.0.0.1:99999/", True, "the port is not a number"),
])
def test_targets_are_checked(url: str, allow: bool, reason: str) -> None:
    with pytest.raises(TargetRefused, match=reason):
        check_target(url, allow_private=allow)


def test_an_internal_target_is_allowed_only_when_the_admin_says_so() -> None:
    target = check_target("http://127.0.0.1:8080/x?y=1", allow_private=True)
    assert (target.address, target.port, target.path) == ("127.0.0.1", 8080, "/x?y=1")


def test_admins_add_a_webhook_read_its_log_and_replay(site: tuple[Flask, str], receiver: Receiver) -> None:
    app, url = site
    admin = signed_in(app, url, "admin")
    token = page_token(admin, "/admin/webhooks/")
    refused = admin.post("/admin/webhooks/", data={"url": "http://169.254.169.254/", "events": ["survey.published"],
                                                   "csrf_token": token})
    assert refused.status_code == 400 and "cloud metadata" in refused.get_data(as_text=True)
    no_events = admin.post("/admin/webhooks/", data={"url": receiver.url, "csrf_token": token})
    assert no_events.status_code == 400
    made = admin.post("/admin/webhooks/", data={"url": receiver.url, "events": ["survey.published"],
                                                "csrf_token": token})
    assert made.status_code == 201 and "whsec_" in made.get_data(as_text=True)
    with open_session(url) as session:
        publish_survey(session, example_survey())
    drain(periodic=False)
    log = admin.get("/admin/webhooks/1").get_data(as_text=True)
    assert "survey.published" in log and "delivered" in log
    with open_session(url) as session:
        delivery_id = session.scalars(sa.select(WebhookDelivery.id)).one()
    admin.post(f"/admin/webhooks/1/deliveries/{delivery_id}/replay", data={"csrf_token": token})
    drain(periodic=False)
    assert len(receiver.received) == 2 and receiver.events()[0] == receiver.events()[1]
    assert admin.post("/admin/webhooks/1/deliveries/999/replay", data={"csrf_token": token}).status_code == 404
    analyst = signed_in(app, url, "analyst")
    assert analyst.get("/admin/webhooks/").status_code == 403


def test_a_receiver_that_dribbles_its_answer_is_cut_off_at_the_deadline() -> None:
    """The attempt's deadline covers the whole exchange, not each read: a receiver sending a byte a second
    does not hold a worker for longer than the deadline."""
    import socket
    import threading
    import time as clock

    from webapp.webhooks.service import _post

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def dribble() -> None:
        connection, _ = listener.accept()
        connection.recv(65536)
        try:
            for char in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 30:
                connection.sendall(bytes([char]))
                clock.sleep(0.5)
        except OSError:
            pass
        connection.close()

    threading.Thread(target=dribble, daemon=True).start()
    target = check_target(f"http://127.0.0.1:{listener.getsockname()[1]}/", allow_private=True)
    with pytest.raises(TimeoutError):
        _post(target, {"Content-Type": "application/json"}, b"{}", timeout=2.0)
    listener.close()


def test_a_paused_webhook_keeps_its_deliveries_until_resumed(site: tuple[Flask, str], receiver: Receiver) -> None:
    _, url = site
    hook = _subscribe(url, receiver.url, ["survey.published"])
    with open_session(url) as session:
        publish_survey(session, example_survey())  # the event is stored (and queued) while the webhook is live
        service.set_active(session, hook.id, False)  # then the admin pauses it before it is sent
    drain(periodic=False)
    assert receiver.received == [] and _deliveries(url) == [("survey.published", "pending", 0, None)]
    with open_session(url) as session:
        assert service.due_deliveries(session) == []  # the sweep leaves it alone while paused
        service.set_active(session, hook.id, True)
        due = service.due_deliveries(session)
    from webapp.webhooks.tasks import deliver_later

    deliver_later(due)
    drain(periodic=False)
    assert _deliveries(url) == [("survey.published", "delivered", 1, 204)]


@pytest.mark.parametrize("url", ["http://[64:ff9b::a9fe:a9fe]/", "http://[::ffff:169.254.169.254]/",
                                 "http://[2002:a9fe:a9fe::]/", "http://0.0.0.0:8080/", "http://168.63.129.16/",
                                 "http://[::1", "http://127.0.0.1:0/", "http://127.0.0.1/caf\u00e9"])
def test_addresses_hidden_in_other_forms_are_refused_even_when_private_ranges_are_allowed(url: str) -> None:
    with pytest.raises(TargetRefused):
        check_target(url, allow_private=True)
