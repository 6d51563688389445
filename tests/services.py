"""What some tests need beyond Python: the PostgreSQL and Redis servers, found once per run (tests/conftest.py
calls `discover`), Debian's Chromium with axe-core for the browser tests, and Debian's haproxy for the
multi-host test (the load balancer in front of two app servers).

Each is named by a variable (`CXROI_TEST_DATABASE_URL`, `CXROI_TEST_REDIS_URL`). When the variable is set, it
is used as it is. When it is unset, the usual local address is probed with a short timeout, and when something
answers there the variable is set to it for the rest of the run (so subprocesses and the benchmark harness see
it too). Tests that need a server skip, with the reason, only when nothing usable answers.
"""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; nothing is downloaded
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # `npm ci` (make test runs it) installs it
PG_ENV = "CXROI_TEST_DATABASE_URL"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_ENV = "CXROI_TEST_REDIS_URL"
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"
TIMEOUT = 2.0  # seconds: a local server answers at once; nothing listening is refused at once


@dataclass
class Service:
    """One server: where the tests look for it, and what was found."""

    name: str
    env: str
    default: str
    url: str | None = None  # what the tests use; None when nothing usable answers
    source: str = ""  # "set" (from the variable) or "found" (the local default answered)
    problem: str = ""  # why `url` is None
    used: bool = False  # a test asked for it

    def shown(self) -> str:
        """Where it is, without a password."""
        parts = urlsplit(self.url or os.environ.get(self.env) or self.default)
        netloc = parts.netloc.rsplit("@", 1)
        if len(netloc) == 2 and ":" in netloc[0]:
            netloc[0] = netloc[0].split(":", 1)[0] + ":***"
        return parts._replace(netloc="@".join(netloc)).geturl()

    def skip_reason(self) -> str:
        return f"{self.name} tests skipped: {self.problem}"

    def status(self) -> str:
        """One phrase for the run's summary."""
        if self.url is None:
            return f"{self.name}: unavailable, {self.problem}"
        how = f"from {self.env}" if self.source == "set" else f"{self.env} unset, found there"
        use = "used" if self.used else "available, no selected test needs it"
        return f"{self.name} at {self.shown()} ({how}): {use}"


SERVICES = {
    "postgresql": Service("PostgreSQL", PG_ENV, PG_DEFAULT),
    "redis": Service("Redis", REDIS_ENV, REDIS_DEFAULT),
}


def _tcp_answers(host: str, port: int) -> str:
    """'' when something accepts a connection at host:port, else why not."""
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT):
            return ""
    except OSError as error:
        return f"nothing answers at {host}:{port} ({error.strerror or error})"


def _postgres_problem(url: str) -> str:
    import sqlalchemy as sa

    parsed = sa.engine.make_url(url)
    unreachable = _tcp_answers(parsed.host or "127.0.0.1", parsed.port or 5432)
    if unreachable:
        return unreachable
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": int(TIMEOUT) + 1})
        try:
            with engine.connect() as connection:
                connection.execute(sa.text("select 1"))
        finally:
            engine.dispose()
    except Exception as error:  # any failure to use the server means: not used, with the reason
        return f"the server at {parsed.host}:{parsed.port or 5432} refused: {str(error).strip().splitlines()[0]}"
    return ""


def _redis_problem(url: str) -> str:
    """A PING in Redis's protocol (with AUTH first when the URL has a password): '' on PONG."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    commands = []
    if parts.password:
        words = [parts.username, parts.password] if parts.username else [parts.password]
        commands.append(["AUTH", *words])
    commands.append(["PING"])
    request = b"".join(b"*%d\r\n" % len(c) + b"".join(b"$%d\r\n%s\r\n" % (len(w.encode()), w.encode()) for w in c)
                       for c in commands)
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT) as connection:
            connection.sendall(request)
            reply = b""
            while reply.count(b"\r\n") < len(commands):
                chunk = connection.recv(4096)
                if not chunk:
                    break
                reply += chunk
    except OSError as error:
        return f"nothing answers at {host}:{port} ({error.strerror or error})"
    last = reply.split(b"\r\n")[len(commands) - 1] if reply.count(b"\r\n") >= len(commands) else reply
    if last != b"+PONG":
        return f"the server at {host}:{port} did not answer PING with PONG: {reply[:200]!r}"
    return ""


PROBES = {"postgresql": _postgres_problem, "redis": _redis_problem}


def discover() -> None:
    """Find each server (see the module's docstring); call once, before any test runs."""
    for key, service in SERVICES.items():
        url = os.environ.get(service.env)
        if url:
            problem = PROBES[key](url)
            service.source = "set"
            if problem:
                service.problem = f"{service.env} is set but {problem}"
            else:
                service.url = url
            continue
        problem = PROBES[key](service.default)
        if problem:
            service.problem = f"{service.env} is unset and {problem}; start one there or set {service.env}"
        else:
            service.url, service.source = service.default, "found"
            os.environ[service.env] = service.default


def postgres_url() -> str:
    """The PostgreSQL server's URL; skips the calling test, with the reason, when there is none."""
    service = SERVICES["postgresql"]
    if service.url is None:
        pytest.skip(service.skip_reason())
    service.used = True
    return service.url


def redis_url() -> str:
    """The Redis server's URL; skips the calling test, with the reason, when there is none."""
    service = SERVICES["redis"]
    if service.url is None:
        pytest.skip(service.skip_reason())
    service.used = True
    return service.url


@dataclass
class Program:
    """A program from Debian that some tests run, found on PATH; the tests skip, with the reason, without it."""

    name: str
    package: str  # Debian's package that installs it
    tests: str  # which tests need it, for the reason
    used: bool = False  # a test asked for it

    def found(self) -> str | None:
        """Its path: on PATH, or in the system folders (Debian puts haproxy in /usr/sbin, off a user's PATH)."""
        return shutil.which(self.name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))

    def problem(self) -> str:
        """'' when it is installed, else what to install (one line)."""
        if self.found() is None:
            return (f"{self.tests} tests skipped: {self.name} is missing: install Debian's {self.package} "
                    f"(apt-get install {self.package}; .ci/run does)")
        return ""

    def path(self) -> str:
        """Where it is; skips the calling test, with the reason, when it is missing."""
        found = self.found()
        if found is None:
            pytest.skip(self.problem())
        self.used = True
        return found

    def status(self) -> str:
        """One phrase for the run's summary."""
        return self.problem() or (f"{self.name} {self.found()}: "
                                  f"{'used' if self.used else 'available, no selected test needs it'}")


HAPROXY = Program("haproxy", "haproxy", "multi-host")


def browser_problem() -> str:
    """'' when the browser tests can run, else what to install (one line)."""
    if not CHROMIUM.exists():
        return f"browser tests skipped: {CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
    if not AXE.exists():
        if shutil.which("npm") is None:
            return ("browser tests skipped: axe-core is missing and npm is not installed: install npm "
                    "(apt-get install npm), then `make test` runs `npm ci`")
        return "browser tests skipped: axe-core is missing: run `npm ci` at the repository root (make test does)"
    return ""
