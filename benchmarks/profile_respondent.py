"""The respondent path in process, measured in CPU time and SQL statements (not wall-clock: the machine is shared).

N respondents each make the four requests of the gunicorn bench (`bench_web`, `load.respond_once`): GET the first
page of the public link (with a signed customer id), POST it, GET the second page, POST it (the final submit),
through Flask's test client on a seeded SQLite file (or a fresh PostgreSQL schema with `--backend postgresql`
and `CXROI_TEST_DATABASE_URL`). The app is built as `webapp.wsgi` builds it, with the submit limit off (as in the
bench). Every answer is checked (200 pages, 303 redirects, the final one to the thank-you page) and every
respondent's stored answers are compared with `load.expected_answers` at the end.

Reported: CPU milliseconds per respondent (`time.process_time`, this process: app and test client), split by
request, SQL statements per respondent (every statement sent to the database, BEGIN included), by kind, and
the CPU per request of a bare Flask endpoint through the same test client (the in-process baseline).

    .venv/bin/python -m benchmarks.profile_respondent -n 300
    .venv/bin/python -m benchmarks.profile_respondent -n 300 --profile /tmp/respondent.pstats --top 40
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.load import (
    CUSTOMER_PARAM,
    LOAD_SECRET,
    LOAD_SLUG,
    _pages,
    bare_app,
    expected_answers,
    stored_complete,
)

REQUESTS = ("GET page 1", "POST page 1", "GET page 2", "POST final")


@dataclass
class RespondentProfile:
    """What N respondents cost in process."""

    backend: str
    respondents: int
    cpu_seconds: float
    by_request: dict[str, float]
    statements: Counter[str]
    statements_by_request: dict[str, Counter[str]]
    bare_cpu_per_request: float
    problems: list[str] = field(default_factory=list)

    @property
    def cpu_ms_per_respondent(self) -> float:
        return 1000 * self.cpu_seconds / self.respondents

    @property
    def statements_per_respondent(self) -> float:
        return sum(self.statements.values()) / self.respondents

    @property
    def bare_ratio(self) -> float:
        """Respondent-path requests per CPU second ÷ bare requests per CPU second (in process)."""
        per_request = self.cpu_seconds / (4 * self.respondents)
        return self.bare_cpu_per_request / per_request

    def lines(self) -> list[str]:
        """A Markdown table row set (see `table`)."""
        return [f"| {self.backend} | {self.respondents} | {self.cpu_ms_per_respondent:.1f} | "
                + " | ".join(f"{1000 * self.by_request[name] / self.respondents:.1f}" for name in REQUESTS)
                + f" | {self.statements_per_respondent:.1f} | "
                + ", ".join(f"{kind} {count / self.respondents:g}" for kind, count in sorted(self.statements.items()))
                + f" | {1000 * self.bare_cpu_per_request:.2f} | {self.bare_ratio:.3f} |"]


def table(profiles: list[RespondentProfile]) -> list[str]:
    """The Markdown table of in-process figures."""
    head = ("| backend | respondents | CPU ms / respondent | " + " | ".join(f"{name} ms" for name in REQUESTS)
            + " | SQL statements / respondent | by kind | bare endpoint CPU ms / request | "
            "in-process ratio (bare CPU ÷ respondent request CPU) |")
    return [head, "|" + "---|" * (head.count("|") - 1)] + [line for p in profiles for line in p.lines()]


class _Statements:
    """Counts every statement sent to the database (BEGIN included), by first word, into `current`."""

    def __init__(self) -> None:
        self.current: Counter[str] = Counter()

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.current[statement.lstrip().split(None, 1)[0].upper()] += 1


@contextmanager
def _counting() -> Iterator[_Statements]:
    counter = _Statements()
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", counter)


def _respond(browser: Any, customer_id: str, counter: _Statements, cpu: dict[str, float],
             statements: dict[str, Counter[str]], problems: list[str]) -> None:
    """The four requests of one respondent, each timed and counted; a wrong answer is a problem."""
    from webapp.services.invitations import sign_customer_id

    browser._cookies.clear()  # a new respondent: no session cookie
    signed = sign_customer_id(LOAD_SECRET, LOAD_SLUG, customer_id)
    first, second = _pages(customer_id)
    token = ""
    location = ""

    def step(name: str, method: str, path: str, data: list[tuple[str, str]] | None = None) -> Any:
        counter.current = statements.setdefault(name, Counter())
        started = time.process_time()
        reply = browser.open(path, method=method, data=urllib.parse.urlencode(data) if data else None,
                             content_type="application/x-www-form-urlencoded" if data else None)
        body = reply.get_data()
        cpu[name] = cpu.get(name, 0.0) + time.process_time() - started
        return reply, body

    reply, body = step("GET page 1", "GET", f"/p/{LOAD_SLUG}?{urllib.parse.urlencode({CUSTOMER_PARAM: signed})}")
    marker = b'name="csrf_token" value="'
    if reply.status_code != 200 or marker not in body:
        problems.append(f"{customer_id}: GET page 1 answered {reply.status_code}")
        return
    token = body.split(marker, 1)[1].split(b'"', 1)[0].decode()
    reply, _ = step("POST page 1", "POST", f"/p/{LOAD_SLUG}", first + [("csrf_token", token)])
    location = reply.headers.get("Location", "")
    if reply.status_code != 303 or "page=1" not in location:
        problems.append(f"{customer_id}: POST page 1 answered {reply.status_code} {location}")
        return
    reply, _ = step("GET page 2", "GET", location)
    if reply.status_code != 200:
        problems.append(f"{customer_id}: GET page 2 answered {reply.status_code}")
        return
    reply, _ = step("POST final", "POST", f"/p/{LOAD_SLUG}", second + [("csrf_token", token)])
    if reply.status_code != 303 or "/thanks" not in reply.headers.get("Location", ""):
        problems.append(f"{customer_id}: final submit answered {reply.status_code}")


def _bare_cpu_per_request(requests: int) -> float:
    browser = bare_app.test_client()
    for _ in range(50):
        browser.get("/bare")
    started = time.process_time()
    for _ in range(requests):
        browser.get("/bare").get_data()
    return (time.process_time() - started) / requests


def measure(respondents: int = 300, *, backend: str = "sqlite", warm_up: int = 20,
            profile_path: Path | None = None) -> RespondentProfile:
    """Seed a database, build the app, run `warm_up` respondents (not counted), then `respondents` counted
    (profiled with cProfile into `profile_path` when given)."""
    from benchmarks.bench_web import fresh_database
    from webapp.app import create_app

    with tempfile.TemporaryDirectory(prefix="cxroi-profile-") as folder, \
            fresh_database(backend, Path(folder)) as url:
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(Path(folder) / "instance"),
                          "SECRET_KEY": LOAD_SECRET, "SUBMIT_RATE_PER_MINUTE": 0})
        browser = app.test_client()
        problems: list[str] = []
        with _counting() as counter:
            for number in range(warm_up):
                _respond(browser, f"warm-{number}", counter, {}, {}, problems)
            cpu: dict[str, float] = {}
            statements: dict[str, Counter[str]] = {}
            profiler = cProfile.Profile() if profile_path else None
            started = time.process_time()
            if profiler:
                profiler.enable()
            for number in range(respondents):
                _respond(browser, f"load-{number}", counter, cpu, statements, problems)
            if profiler:
                profiler.disable()
            spent = time.process_time() - started
        if profiler and profile_path:
            profiler.dump_stats(str(profile_path))
        stored = stored_complete(url, "load")
        for number in range(respondents):
            customer_id = f"load-{number}"
            copies = stored.get(customer_id, [])
            if len(copies) != 1 or copies[0] != expected_answers(customer_id):
                problems.append(f"{customer_id}: stored {copies!r}")
        with app.app_context():  # the engine's pool, so the temporary folder can go
            from webapp.extensions import get_db

            get_db().get_bind().dispose()
    total: Counter[str] = Counter()
    for counts in statements.values():
        total.update(counts)
    return RespondentProfile(backend, respondents, spent, cpu, total, statements,
                             _bare_cpu_per_request(2000), problems)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_respondent", description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--respondents", type=int, default=300)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--profile", type=Path, help="write cProfile stats of the counted respondents here")
    parser.add_argument("--top", type=int, default=30, help="with --profile: print this many functions")
    parser.add_argument("--sort", default="cumulative", help="with --profile: pstats sort key (cumulative, tottime)")
    args = parser.parse_args(argv)
    if args.backend == "postgresql" and not os.environ.get("CXROI_TEST_DATABASE_URL"):
        parser.error("--backend postgresql needs CXROI_TEST_DATABASE_URL")
    result = measure(args.respondents, backend=args.backend, profile_path=args.profile)
    print("\n".join(table([result])))
    for name in REQUESTS:
        counts = result.statements_by_request.get(name, Counter())
        print(f"{name}: {sum(counts.values()) / result.respondents:g} statements "
              f"({', '.join(f'{k} {v / result.respondents:g}' for k, v in sorted(counts.items()))})")
    if args.profile:
        pstats.Stats(str(args.profile)).sort_stats(args.sort).print_stats(args.top)
    if result.problems:
        print(f"{len(result.problems)} problem(s):", *result.problems[:10], sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
