"""Across hosts (issue 15), on real parts: two `cxroi serve` app servers on addresses of their own (127.0.0.2 and
127.0.0.3) behind Debian's haproxy, on one PostgreSQL schema and one Redis (the task queue and the submit limit's
counts), with a `cxroi worker` — the layout of docs/deployment.md, started with its commands.

Through the balancer only:

* a staff member signs in once and the session works on either server (the same `CXROI_SECRET_KEY`); a CSRF
  token from a page the killed server answered is still accepted by the other one afterwards;
* the respondents' submit limit is one limit for both servers (counted in Redis), per client as haproxy reports
  it in `X-Forwarded-For` (`CXROI_PROXY_HOPS=1`): a client's submissions answered by both servers count together,
  a forged `X-Forwarded-For` changes nothing, another client address has its own limit;
* 64 clients, each from an address of its own (127.0.1.x), answer the survey (two respondents each: a few hundred
  requests), and one app server is killed with SIGKILL mid-run: every acknowledged submission (its final page
  answered with the thank-you) is stored exactly once, unchanged; none is stored twice; what the kill cuts off
  fails as a 502 or a closed connection, never a 429, 500 or 503; then the survivor alone serves new respondents;
* every acknowledged submission's follow-up case is notified by the worker, from tasks both servers queued on Redis.

Plus, in process: when the limit's Redis is down (a closed port), submissions are counted in the process's memory
(the same limit, a warning logged), never let through unlimited nor refused for it; when the port opens onto the
real Redis (a relay), the counts go back there.
"""

from __future__ import annotations

import http.client
import logging
import secrets
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from benchmarks.load import (
    LOAD_SECRET,
    LOAD_SLUG,
    LoadResult,
    _Client,
    check_exactly_once,
    free_port,
    load_survey_definition,
    respond_once,
    stored_complete,
)
from surveys.definition import build_survey
from tests import services
from tests.webapp.support import hosts
from tests.webapp.support.cli import clean_redis, redis_queue_url, start_cxroi
from tests.webapp.support.results import csrf_token
from tests.webapp.support.web import migrated_database
from tests.webapp.test_hosts import limited_app, submit
from webapp.accounts.service import create_user
from webapp.services.invitations import sign_customer_id
from webapp.services.publishing import publish_survey
from webapp.storage.engine import create_engine_for, open_session

APP_HOSTS = {"app-1": "127.0.0.2", "app-2": "127.0.0.3"}
KILLED, SURVIVOR = "app-2", "app-1"
CLIENTS = 64
ROUNDS = 2
"""Respondents per client: 64 × 2 × 4 requests (two pages, each read and submitted) = 512 requests at most."""
LIMIT = 5
"""Submissions per minute (and per second) per client: above a load client's 2 × 2 submissions, low enough to
reach in a few requests."""
AFTER = 8
"""Respondents answering after the load, when the killed server is known to be down."""
KILL_AFTER = 24
"""Acknowledged submissions before the kill: the load is well under way, most of it still to come."""
STAFF = "lead@example.com"
PASSWORD = "correct horse battery staple"
WAIT_SECONDS = 120.0
"""Bound on waiting for the worker to notify every case (not a timing assertion: it usually takes seconds)."""


def _token(body: bytes) -> str:
    return csrf_token(body.decode("utf-8", "replace"))


class Site:
    """The running site of the test: its balancer's port, the database, and the app servers by name."""

    def __init__(self, port: int, database_url: str, servers: dict[str, Any], balancer: Any, *, redis_url: str,
                 limit_prefix: str) -> None:
        self.port, self.database_url, self.servers, self.balancer = port, database_url, servers, balancer
        self.redis_url, self.limit_prefix = redis_url, limit_prefix

    def limit_clients(self) -> set[str]:
        """The client addresses the submit limit counts in Redis (under this site's CXROI_RATELIMIT_KEY_PREFIX)."""
        import redis

        connection = redis.Redis.from_url(self.redis_url)
        try:
            pattern = f"LIMITS:LIMITER/{self.limit_prefix}/*"
            return {key.decode().split("/")[2] for key in connection.scan_iter(pattern)}
        finally:
            connection.close()

    def client(self, source: str) -> _Client:
        """A client of the balancer connecting from address `source` (its own client address)."""
        return _Client(self.port, LoadResult(), source=source)


def _publish(database_url: str) -> None:
    """The load survey (customer id in a signed `cid`), with a follow-up rule every load respondent meets."""
    definition = load_survey_definition() | {"follow_up": [
        {"id": "promoter", "when": "q_nps >= 9", "priority": "low", "owner": STAFF, "note": "Ask for a referral"}]}
    with open_session(database_url, upgrade=False) as session:
        create_user(session, STAFF, "author", PASSWORD)
        publish_survey(session, build_survey(definition))


@pytest.fixture
def site(tmp_path: Path, redis_url: str) -> Any:
    """Two app servers, the balancer and a worker over a fresh PostgreSQL schema and a queue name of their own on
    Redis; everything stopped and removed afterwards."""
    haproxy = services.HAPROXY.path()  # skips, with the reason, without haproxy
    for host in APP_HOSTS.values():
        if problem := hosts.address_problem(host):
            pytest.skip(f"multi-host tests skipped: {problem}")
    run = f"cxroi-hosts-{secrets.token_hex(6)}"
    queue_url = redis_queue_url(redis_url)
    with migrated_database("postgresql", tmp_path) as database_url:  # `cxroi db upgrade`'s work
        _publish(database_url)
        port, app_port = free_port(), free_port()
        env = {
            "CXROI_DATABASE_URL": database_url, "CXROI_SECRET_KEY": LOAD_SECRET,
            "CXROI_QUEUE_URL": queue_url, "CXROI_QUEUE_NAME": run,
            "CXROI_REDIS_URL": "",  # the limit's counts go where the queue is
            "CXROI_RATELIMIT_KEY_PREFIX": run, "CXROI_PROXY_HOPS": "1",
            "CXROI_SUBMIT_RATE_PER_MINUTE": str(LIMIT), "CXROI_SUBMIT_BURST": str(LIMIT),
            "CXROI_BASE_URL": f"http://127.0.0.1:{port}", "CXROI_AUTO_UPGRADE": "", "CXROI_MAIL_URL": "",
        }
        started: list[Any] = []
        worker = None
        try:
            servers = {}
            for name, host in APP_HOSTS.items():  # each host with an instance folder of its own: nothing shared
                folder = tmp_path / name
                folder.mkdir()
                servers[name] = hosts.app_server(host, app_port, env | {"CXROI_INSTANCE_PATH": str(folder)},
                                                 tmp_path / f"{name}.log")
                started.append(servers[name])
            worker = start_cxroi(env | {"CXROI_INSTANCE_PATH": str(tmp_path / "worker")}, "worker", "--workers", "2",
                                 log=tmp_path / "worker.log")
            for server in servers.values():
                server.wait_ready()
            config = hosts.haproxy_config(f"127.0.0.1:{port}", {name: f"{host}:{app_port}"
                                                                for name, host in APP_HOSTS.items()})
            front = hosts.balancer(haproxy, config, port, tmp_path)
            started.append(front)
            front.wait_ready()
            yield Site(port, database_url, servers, front, redis_url=queue_url, limit_prefix=run)
        finally:
            for process in reversed(started):
                process.kill()  # SIGKILL: nothing of theirs is checked after the test
            if worker is not None:
                hosts.stop_worker(worker)
            clean_redis(queue_url, run)  # the limit's keys expire with their one-minute window


def _served_by(reply: tuple[int, Any, bytes]) -> str:
    return str(reply[1].get(hosts.SERVED_BY.lower(), "?"))


def _sign_in(site: Site) -> tuple[_Client, dict[str, str]]:
    """Sign the staff member in through the balancer, then read the cases list until both servers have answered
    it; returns the client and, per server, a CSRF token from a page that server rendered."""
    staff = site.client("127.0.3.1")
    token = _token(staff.request("GET", "/login")[2])
    reply = staff.request("POST", "/login", urllib.parse.urlencode(
        {"email": STAFF, "password": PASSWORD, "csrf_token": token}).encode())
    assert reply[0] == 302, reply[2][:500]
    tokens: dict[str, str] = {}
    for _ in range(8):  # round robin: both servers within a few requests
        status, _headers, body = reply = staff.request("GET", "/cases/")
        assert status == 200 and STAFF in body.decode(), (status, body[:300])  # signed in, whichever server
        tokens[_served_by(reply)] = _token(body)
        if set(tokens) == set(APP_HOSTS):
            return staff, tokens
    pytest.fail(f"the balancer did not spread requests over both servers: {sorted(tokens)}")


def _limit_probe(site: Site) -> None:
    """One client's submissions, answered by both servers, reach one shared limit; the client is the address
    haproxy reports, not one the client forges, and another client address is not held back."""
    path = f"/p/{LOAD_SLUG}"
    start = f"{path}?{urllib.parse.urlencode({'cid': sign_customer_id(LOAD_SECRET, LOAD_SLUG, 'probe')})}"
    probe = site.client("127.0.2.1")
    token = _token(probe.request("GET", start)[2])
    incomplete = urllib.parse.urlencode({"page": "0", "q_align.easy": "4", "csrf_token": token}).encode()
    replies = [probe.request("POST", path, incomplete, {"X-Forwarded-For": f"203.0.113.{n + 1}"})
               for n in range(LIMIT + 1)]  # a different forged address each time
    statuses = [status for status, _, _ in replies]
    assert statuses == [400] * LIMIT + [429], statuses  # validated (and counted) five times, then refused
    assert {_served_by(reply) for reply in replies[:LIMIT]} == set(APP_HOSTS)  # both servers counted them
    assert "Wait" in replies[-1][2].decode()
    other = site.client("127.0.2.2")
    other_token = _token(other.request("GET", start)[2])
    status = other.request("POST", path, urllib.parse.urlencode(
        {"page": "0", "csrf_token": other_token}).encode())[0]
    assert status == 400  # its own limit: the app sees the client, not the balancer's address
    assert site.limit_clients() == {"127.0.2.1", "127.0.2.2"}  # counted in Redis, by the addresses haproxy saw


def _load_with_a_kill(site: Site) -> tuple[LoadResult, int]:
    """64 clients × 2 respondents through the balancer; app-2 killed with SIGKILL after KILL_AFTER acknowledged
    submissions. Returns the result and the number acknowledged when the kill came."""
    result = LoadResult()

    def respondent(number: int) -> None:
        client = _Client(site.port, result, source=f"127.0.1.{number + 1}")
        for round_ in range(ROUNDS):
            try:
                respond_once(client, f"hosts-{number}-{round_}")
            except (OSError, http.client.HTTPException) as error:  # cut off by the kill: not acknowledged
                result.add_error(type(error).__name__)
        client.close()

    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(respondent, number) for number in range(CLIENTS)]
        deadline = time.monotonic() + 600  # bounded: the load itself is bounded by its request count
        while len(result.acknowledged) < KILL_AFTER and not all(f.done() for f in futures):
            assert time.monotonic() < deadline, result.error_kinds
            time.sleep(0.02)
        at_kill = len(result.acknowledged)
        site.servers[KILLED].kill()  # master and workers at once, mid-run: a host gone
        for future in futures:
            future.result(timeout=600)
    return result, at_kill


def _rows(database_url: str, sql: str, **params: Any) -> list[Any]:
    """The rows of one query, read with a fresh engine: what is really in the database."""
    engine = create_engine_for(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(sql), params).all())
    finally:
        engine.dispose()


def _cases(database_url: str) -> dict[str, list[str]]:
    """The follow-up cases of the load's customers: customer id → notification state of each case."""
    found: dict[str, list[str]] = {}
    for customer_id, state in _rows(database_url, "select customer_id, notify_state from follow_up_cases "
                                                  "where customer_id like 'hosts-%'"):
        found.setdefault(customer_id, []).append(state)
    return found


@pytest.mark.slow
@pytest.mark.postgres
def test_two_app_servers_behind_haproxy_survive_a_kill_and_share_sessions_and_limits(site: Site) -> None:
    staff, tokens = _sign_in(site)
    _limit_probe(site)

    result, at_kill = _load_with_a_kill(site)
    stored = stored_complete(site.database_url, "hosts")
    assert check_exactly_once(result, stored) == []  # each acknowledged one stored once, as answered
    assert all(len(copies) == 1 for copies in stored.values())  # and nothing stored twice, acknowledged or not
    assert at_kill >= KILL_AFTER and len(result.acknowledged) > at_kill, (at_kill, result.error_kinds)
    # what the kill cost: requests cut off (502, connection closed), never a 429, a 500 or no server at all (503)
    assert not [kind for kind in result.error_kinds if any(code in kind for code in ("429", "500", "503"))], (
        result.error_kinds, site.balancer.log_tail())

    # the survivor serves the site alone: new respondents all finish, no error
    after = LoadResult()
    with ThreadPoolExecutor(AFTER) as pool:
        list(pool.map(lambda n: respond_once(_Client(site.port, after, source=f"127.0.4.{n + 1}"), f"after-{n}"),
                      range(AFTER)))
    assert (len(after.acknowledged), after.error_kinds) == (AFTER, {}), site.balancer.log_tail()
    assert check_exactly_once(after, stored_complete(site.database_url, "after")) == []

    # the worker notified every acknowledged submission's case, queued by either server
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        cases = _cases(site.database_url)
        waiting = [c for c in result.acknowledged if cases.get(c) != ["not_sent"]]
        if not waiting or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert waiting == [], {c: cases.get(c) for c in waiting[:10]}  # one case each, notified (no mail server: log)

    # the staff session goes on on the survivor, with a CSRF token from a page the killed server rendered
    [(case_id,)] = _rows(site.database_url, "select id from follow_up_cases where customer_id = :c",
                         c=result.acknowledged[0])
    staff.close()  # a new connection: the session is the cookie, nothing a server or a connection keeps
    status, headers, body = staff.request("GET", f"/cases/{case_id}")
    assert status == 200 and result.acknowledged[0] in body.decode(), (status, body[:300])
    assert _served_by((status, headers, body)) == SURVIVOR
    status, _, _ = staff.request("POST", f"/cases/{case_id}/note", urllib.parse.urlencode(
        {"text": "Called back after the failover", "csrf_token": tokens[KILLED]}).encode())
    assert status == 303
    assert [tuple(row) for row in _rows(
        site.database_url, "select author, text from follow_up_case_notes where case_id = :c and kind = 'note'",
        c=case_id)] == [(STAFF, "Called back after the failover")]


# --- the limit's Redis down --------------------------------------------------------------------------------


def test_with_the_limits_redis_down_each_process_limits_in_memory_until_it_is_back(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, redis_url: str) -> None:
    import redis

    server = urllib.parse.urlsplit(redis_url)
    relay = hosts.Relay(free_port(), (server.hostname or "127.0.0.1", server.port or 6379))  # closed: Redis down
    prefix = f"cxroi-down-{secrets.token_hex(6)}"
    tests_db = urllib.parse.urlsplit(redis_queue_url(redis_url))
    login = tests_db.netloc.rpartition("@")[0]  # a password, if the server has one, goes through the relay
    limit_url = tests_db._replace(netloc=f"{login + '@' if login else ''}127.0.0.1:{relay.port}").geturl()
    with caplog.at_level(logging.WARNING, logger="cxroi.limits"):
        app, path = limited_app(tmp_path, REDIS_URL=limit_url, RATELIMIT_KEY_PREFIX=prefix,
                                SUBMIT_RATE_PER_MINUTE=1, SUBMIT_BURST=1)
        assert [submit(app, path, None, remote="198.51.100.20") for _ in range(2)] == [400, 429]  # still limited
    assert submit(app, path, None, remote="198.51.100.21") == 400  # another client: its own count
    warnings = [r.getMessage() for r in caplog.records if r.name == "cxroi.limits"]
    assert len(warnings) == 1 and "cannot be reached" in warnings[0] and "own memory" in warnings[0]

    counts = redis.Redis.from_url(redis_queue_url(redis_url))
    relay.open()  # Redis is back: Flask-Limiter tries it again after 1, 2, 4 … s and counts there once it answers
    try:
        deadline, n = time.monotonic() + 30, 0
        while not list(counts.scan_iter(f"LIMITS:LIMITER/{prefix}/*")):
            assert time.monotonic() < deadline, "the limit did not go back to Redis"
            n += 1
            assert submit(app, path, None, remote=f"198.51.101.{n}") == 400
            time.sleep(0.5)
        assert submit(app, path, None, remote="198.51.100.20") == 400  # counted afresh, in Redis now
        assert submit(app, path, None, remote="198.51.100.20") == 429
        assert list(counts.scan_iter(f"LIMITS:LIMITER/{prefix}/198.51.100.20/*"))
    finally:
        relay.close()  # the limit's keys expire with their one-minute window
        counts.close()


def test_the_run_summary_names_haproxy() -> None:
    """The closing line of every run says whether haproxy is there (and what to install when it is not)."""
    from tests.conftest import summary_line

    line = summary_line({})
    assert services.HAPROXY.status() in line and "haproxy" in line
    missing = services.Program("no-such-balancer", "no-such-package", "multi-host")
    assert missing.problem() == ("multi-host tests skipped: no-such-balancer is missing: install Debian's "
                                 "no-such-package (apt-get install no-such-package; .ci/run does)")
