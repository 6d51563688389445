"""A monthly report mailed as links (docs/sharing.md): a link is made with its message, so when the message does
not go out — deferred by the SMTP server (4xx), or refused for good (5xx) — the link is revoked at once and
audited, leaving no live link that nobody received; the next round makes a new one. Through a real SMTP server
(aiosmtpd), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.webapp.support.reports import ReportWorld as World
from tests.webapp.support.reports import report_world
from tests.webapp.support.smtp import Sink, address_of, body
from tests.webapp.support.web import BACKENDS
from tests.webapp.test_report_schedules import FIRST, SECOND, schedule, settings, state, stop
from webapp.services import report_schedules
from webapp.storage.engine import open_session


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with report_world(request.param, tmp_path_factory.mktemp("unsent")) as made:
        yield made


def last_share(world: World) -> int:
    with open_session(world.url, upgrade=False) as session:
        return int(session.scalar(sa.text("SELECT max(id) FROM report_shares")) or 0)


def shares(world: World, schedule_id: int, after: int) -> list[dict[str, Any]]:
    """The links the schedule made after link number `after` (a removed schedule's number may come again on
    SQLite), oldest first: label, revoked (bool), revoked_by."""
    with open_session(world.url, upgrade=False) as session:
        rows = session.execute(sa.text("SELECT id, label, revoked_at, revoked_by FROM report_shares "
                                       "WHERE created_by = :who AND id > :after ORDER BY id"),
                               {"who": f"report-schedule:{schedule_id}", "after": after}).all()
    return [{"id": row[0], "label": row[1], "revoked": row[2] is not None, "revoked_by": row[3]} for row in rows]


def revocations(world: World, schedule_id: int, after: int) -> dict[int, str]:
    """Share number (after `after`) → the reason of its audited revocation by the schedule."""
    with open_session(world.url, upgrade=False) as session:
        details = session.scalars(sa.text("SELECT detail FROM audit_events WHERE action = 'report_share_revoked' "
                                          "AND actor = :who"), {"who": f"report-schedule:{schedule_id}"}).all()
    return {json.loads(d)["share"]: json.loads(d)["reason"] for d in details if json.loads(d)["share"] > after}


def link_of(message: Any) -> str:
    found = re.search(r"http://cxroi\.example(/shared/[A-Za-z0-9_-]{43})", body(message))
    assert found, body(message)
    return found.group(1)


def test_a_deferred_message_leaves_no_live_link(world: World, smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    before = last_share(world)
    schedule_id = schedule(world, datetime(2027, 6, 1, 9, 0), day=7, delivery="link")
    sink.refuse[FIRST] = "451 4.7.1 greylisted, try again later"
    first_round = datetime(2027, 6, 7, 0, 23)
    assert report_schedules.run_due_schedules(world.url, settings(url), now=first_round) == 0
    assert sink.messages == []
    [made] = shares(world, schedule_id, before)  # the first address's link, made with its message: revoked
    assert (made["label"], made["revoked"], made["revoked_by"]) == (
        f"monthly mail to {FIRST}", True, f"report-schedule:{schedule_id}")
    assert revocations(world, schedule_id, before)[made["id"]].startswith("deferred: 451 4.7.1 greylisted")
    assert "(tried again in a later round)" in (state(world, schedule_id).run_error or "")

    sink.refuse.clear()  # the server takes mail again: the next round after the lease sends both, new links
    assert report_schedules.run_due_schedules(world.url, settings(url), now=first_round + timedelta(minutes=31)) == 1
    assert sink.recipients() == sorted([FIRST, SECOND])
    every = shares(world, schedule_id, before)
    assert [(s["label"], s["revoked"]) for s in every] == [
        (f"monthly mail to {FIRST}", True), (f"monthly mail to {FIRST}", False), (f"monthly mail to {SECOND}", False)]
    reader = world.app.test_client()
    for message in sink.messages:  # each mailed link works
        assert reader.get(link_of(message)).status_code == 200
    stop(world, schedule_id)


def test_a_refused_address_leaves_no_live_link(world: World, smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    before = last_share(world)
    schedule_id = schedule(world, datetime(2027, 7, 1, 9, 0), day=8, delivery="link")
    sink.refuse[SECOND] = "550 5.1.1 no such mailbox"
    assert report_schedules.run_due_schedules(world.url, settings(url), now=datetime(2027, 7, 8, 0, 23)) == 1
    assert [address_of(m) for m in sink.messages] == [FIRST]
    run = state(world, schedule_id)
    assert report_schedules.outcomes(run) == {FIRST: "sent", SECOND: "bounced"} and run.run_state == "sent"
    made = shares(world, schedule_id, before)
    assert [(s["label"], s["revoked"]) for s in made] == [(f"monthly mail to {FIRST}", False),
                                                          (f"monthly mail to {SECOND}", True)]
    assert revocations(world, schedule_id, before) == {made[1]["id"]: "bounced: 550 5.1.1 no such mailbox"}
    assert world.app.test_client().get(link_of(sink.messages[0])).status_code == 200
    stop(world, schedule_id)


def test_without_a_mail_server_no_link_is_left(world: World) -> None:
    before = last_share(world)
    schedule_id = schedule(world, datetime(2027, 8, 1, 9, 0), day=9, delivery="link")
    no_server = settings("")
    assert report_schedules.run_due_schedules(world.url, no_server, now=datetime(2027, 8, 9, 0, 23)) == 1
    assert report_schedules.outcomes(state(world, schedule_id)) == {FIRST: "not_sent", SECOND: "not_sent"}
    assert [s["revoked"] for s in shares(world, schedule_id, before)] == [True, True]
    stop(world, schedule_id)
