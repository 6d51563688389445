"""A small, bounded load generator and server runner for the respondent path (used by `bench_web`, the load
smoke tests and the browser tests).

* `ServerProcess` runs the cxroi app (or the bare Flask baseline, `bare_app`) under gunicorn on a free
  127.0.0.1 port in its own process group, waits until it answers, and can be stopped or killed with
  SIGKILL (a crash: no graceful shutdown, no flushing).
* `run_respondents` drives N threads for a fixed duration; each thread plays respondents one after another
  over http.client: GET the first page of the public link, POST it, GET the second page, POST it (the final
  submit). A submission is *acknowledged* when the final POST answers 303 to the thank-you page: that is the
  moment the respondent is told their answers are kept, so only those are checked against the database.
* `run_bare` drives the same threads against the bare endpoint, for the ratio.

Every socket has a timeout; every run has a deadline; threads are joined.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
SOCKET_TIMEOUT = 30.0
LOAD_SLUG = "acme_relationship"
CUSTOMER_PARAM = "cid"
LOAD_SECRET = "load-test-secret"
"""The cxroi server's SECRET_KEY in these runs: clients sign their customer ids with it, as `cxroi invite` does."""

bare_app = Flask("bare")
"""The baseline: one endpoint doing no work, served by the same gunicorn settings as the cxroi app."""


@bare_app.get("/bare")
def _bare() -> str:
    return "ok"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServerProcess:
    """gunicorn serving `app_spec` ("webapp.wsgi:app" or "benchmarks.load:bare_app") on `host` (127.0.0.1), or
    `command` (e.g. `cxroi serve`) told to listen on host:port."""

    def __init__(self, app_spec: str, *, env: Mapping[str, str], workers: int, log_path: Path,
                 threads: int = 1, port: int | None = None, command: list[str] | None = None,
                 host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port or free_port()
        self.base_url = f"http://{host}:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("a")
        argv = command or [
            sys.executable, "-m", "gunicorn", app_spec, "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(workers), "--threads", str(threads), "--preload", "--timeout", "60",
            "--graceful-timeout", "10", "--backlog", "2048",
        ]
        # Its own session, so a crash can SIGKILL the master and every worker at once.
        self.process = subprocess.Popen(argv, env=dict(os.environ) | dict(env), stdout=self._log,
                                        stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)

    def wait_ready(self, path: str = "/static/respond.css", attempts: int = 600) -> None:
        """Poll `path` until it answers (bounded: `attempts` × 0.1 s); raise with the log tail otherwise."""
        for _ in range(attempts):
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_tail()}")
            try:
                connection = http.client.HTTPConnection(self.host, self.port, timeout=2)
                connection.request("GET", path)
                status = connection.getresponse().status
                connection.close()
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not answer on {self.base_url}{path}: {self.log_tail()}")

    def log_tail(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")[-2000:]

    def kill(self) -> None:
        """SIGKILL the master and all workers (a crash)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._log.close()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not stop within 20 s."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)
            except ProcessLookupError:
                pass
        if not self._log.closed:
            self._log.close()


def cxroi_server(database_url: str, instance: Path, *, workers: int, log_path: Path,
                 extra_env: Mapping[str, str] | None = None) -> ServerProcess:
    """The cxroi app under gunicorn over `database_url` (the schema must exist), not yet waited for."""
    env = {"CXROI_DATABASE_URL": database_url, "CXROI_INSTANCE_PATH": str(instance),
           "CXROI_SECRET_KEY": LOAD_SECRET} | dict(extra_env or {})
    return ServerProcess("webapp.wsgi:app", env=env, workers=workers, log_path=log_path)


def load_survey_definition() -> dict[str, Any]:
    """The example relationship survey, taking the customer id from the `cid` query parameter."""
    import yaml

    data: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "relationship.yaml").read_text(encoding="utf-8"))
    data["customer_id_param"] = CUSTOMER_PARAM
    return data


def expected_answers(customer_id: str) -> dict[str, Any]:
    """What a load respondent's two pages must be stored as (worked out from the example's rules by hand:
    q_ces 3 ≤ 4 shows q_why; friction 'no' keeps only hesitated=False)."""
    return {
        "q_align": {"easy": 4, "partner": 2},
        "q_ces": 3,
        "q_friction": {"ordering": {"hesitated": False}, "billing": {"hesitated": False}},
        "q_channels": ["phone"],
        "q_channel": {"phone": 5},
        "q_why": f"answer of {customer_id}",
        "q_nps": 9,
    }


def _pages(customer_id: str) -> list[list[tuple[str, str]]]:
    return [
        [("page", "0"), ("q_align.easy", "4"), ("q_align.partner", "2"), ("q_ces", "3"), ("q_channels", "phone")],
        [("page", "1"), ("q_friction.ordering", "no"), ("q_friction.billing", "no"), ("q_channel.phone", "5"),
         ("q_why", f"answer of {customer_id}"), ("q_nps", "9")],
    ]


_TOKEN = re.compile(rb'name="csrf_token" value="([^"]+)"')


@dataclass
class LoadResult:
    """What one run measured; latencies in seconds, one per request."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    acknowledged: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_error(self, kind: str) -> None:
        with self.lock:
            self.errors += 1
            self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


class _Client:
    """One keep-alive connection with a small cookie jar (the session, and e.g. the sign-in's known-device
    cookie); `source` is the local address it connects from (a client address of its own, e.g. 127.0.1.7)."""

    def __init__(self, port: int, result: LoadResult, *, source: str | None = None) -> None:
        self.port, self.result, self.source = port, result, source
        self.connection: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                extra_headers: Mapping[str, str] | None = None) -> tuple[int, Mapping[str, str], bytes]:
        headers = {"Connection": "keep-alive"} | dict(extra_headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=SOCKET_TIMEOUT,
                                                         source_address=(self.source, 0) if self.source else None)
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            reply = self.connection.getresponse()
            data = reply.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        elapsed = time.perf_counter() - started
        with self.result.lock:
            self.result.latencies.append(elapsed)
            self.result.requests += 1
        for cookie in reply.msg.get_all("Set-Cookie") or ():  # every cookie set, each on its own header
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        if reply.getheader("Connection", "").lower() == "close":
            self.close()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, data

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def respond_once(client: _Client, customer_id: str, slug: str = LOAD_SLUG) -> bool:
    """One respondent's whole path; True when the final submit was acknowledged (303 to thanks)."""
    from webapp.services.invitations import sign_customer_id

    client.cookies.clear()
    signed = sign_customer_id(LOAD_SECRET, slug, customer_id)  # public links carry signed customer ids
    start = f"/p/{slug}?{urllib.parse.urlencode({CUSTOMER_PARAM: signed})}"
    status, _, body = client.request("GET", start)
    if status != 200:
        client.result.add_error(f"GET first page {status}")
        return False
    match = _TOKEN.search(body)
    if not match:
        client.result.add_error("no CSRF token")
        return False
    token = match.group(1).decode()
    first, second = _pages(customer_id)
    status, headers, _ = client.request("POST", f"/p/{slug}", urllib.parse.urlencode(
        first + [("csrf_token", token)]).encode())
    if status != 303:
        client.result.add_error(f"POST page 1 {status}")
        return False
    next_path = urllib.parse.urlsplit(headers.get("location", "")).path or f"/p/{slug}"
    query = urllib.parse.urlsplit(headers.get("location", "")).query
    status, _, _ = client.request("GET", f"{next_path}?{query}" if query else next_path)
    if status != 200:
        client.result.add_error(f"GET page 2 {status}")
        return False
    status, headers, _ = client.request("POST", f"/p/{slug}", urllib.parse.urlencode(
        second + [("csrf_token", token)]).encode())
    if status == 303 and "/thanks" in headers.get("location", ""):
        with client.result.lock:
            client.result.acknowledged.append(customer_id)
        return True
    client.result.add_error(f"final submit {status}")
    return False


def _drive(clients: int, seconds: float, port: int, one: Callable[[_Client, int, int], None],
           stop: threading.Event | None = None, result: LoadResult | None = None) -> LoadResult:
    result = result if result is not None else LoadResult()
    deadline = time.monotonic() + seconds
    stop = stop or threading.Event()

    def worker(number: int) -> None:
        client = _Client(port, result)
        round_ = 0
        while time.monotonic() < deadline and not stop.is_set():
            try:
                one(client, number, round_)
            except (OSError, http.client.HTTPException) as error:
                result.add_error(type(error).__name__)
                time.sleep(0.05)  # a refused connection (server down) must not spin the CPU
            round_ += 1
        client.close()

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 2 * SOCKET_TIMEOUT + 10)
    result.seconds = time.perf_counter() - started
    return result


def run_respondents(port: int, *, clients: int, seconds: float, prefix: str,
                    stop: threading.Event | None = None, result: LoadResult | None = None) -> LoadResult:
    """`clients` threads playing respondents for `seconds` (or until `stop` is set); customer ids are
    `<prefix>-<thread>-<round>`. Pass `result` to watch it fill while the run goes on."""
    return _drive(clients, seconds, port,
                  lambda client, n, r: respond_once(client, f"{prefix}-{n}-{r}") and None, stop, result)


def run_bare(port: int, *, clients: int, seconds: float) -> LoadResult:
    """`clients` threads calling GET /bare for `seconds`."""

    def one(client: _Client, _n: int, _r: int) -> None:
        status, _, _ = client.request("GET", "/bare")
        if status != 200:
            client.result.add_error(f"bare {status}")

    return _drive(clients, seconds, port, one)


def stored_complete(database_url: str, prefix: str) -> dict[str, list[dict[str, Any]]]:
    """Every complete response whose customer id starts with `prefix-`, by customer id (a list, so a
    duplicate shows as two entries), read with a fresh engine."""
    import json

    import sqlalchemy as sa

    from webapp.storage.engine import create_engine_for

    engine = create_engine_for(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "select customer_id, answers from responses where status = 'complete' and customer_id like :p"),
                {"p": f"{prefix}-%"}).all()
    finally:
        engine.dispose()
    found: dict[str, list[dict[str, Any]]] = {}
    for customer_id, answers in rows:
        found.setdefault(customer_id, []).append(json.loads(answers) if isinstance(answers, str) else answers)
    return found


def check_exactly_once(result: LoadResult, stored: Mapping[str, list[dict[str, Any]]]) -> list[str]:
    """Problems (empty when none): an acknowledged submission missing, stored twice, or changed; a complete
    response that was never acknowledged is counted by the caller (a submit whose answer was lost in a
    crash may be stored — that is allowed, losing an acknowledged one is not)."""
    problems = []
    for customer_id in result.acknowledged:
        copies = stored.get(customer_id, [])
        if not copies:
            problems.append(f"{customer_id}: acknowledged but not stored")
        elif len(copies) > 1:
            problems.append(f"{customer_id}: stored {len(copies)} times")
        elif copies[0] != expected_answers(customer_id):
            problems.append(f"{customer_id}: stored answers differ: {copies[0]!r}")
    if len(set(result.acknowledged)) != len(result.acknowledged):
        problems.append("a customer id was acknowledged twice")
    return problems
