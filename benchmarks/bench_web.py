"""The respondent path under gunicorn on 127.0.0.1, on SQLite and on PostgreSQL, against a bare Flask endpoint
served with the same settings in the same run; then exactly-once and crash (kill -9) checks.

Full mode: 64 concurrent clients for 60 s; quick mode: 8 clients for 5 s. PostgreSQL is used when
`CXROI_TEST_DATABASE_URL` names a reachable server (a fresh schema per run, dropped afterwards).
"""

from __future__ import annotations

import os
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.load import (
    LoadResult,
    ServerProcess,
    check_exactly_once,
    cxroi_server,
    load_survey_definition,
    run_bare,
    run_respondents,
    stored_complete,
)
from benchmarks.profile_respondent import RespondentProfile, measure, table

WORKERS = 4
"""gunicorn sync workers for both servers (2 × the machine's 2 cores): the same settings for app and baseline."""
NO_LIMIT = {"CXROI_SUBMIT_RATE_PER_MINUTE": "0"}
"""Every load client comes from 127.0.0.1: the per-client submit limit would measure itself, so it is off."""
PG_ENV = "CXROI_TEST_DATABASE_URL"


@dataclass
class BackendReport:
    """What one backend's run measured and found."""

    backend: str
    bare: LoadResult
    respondents: LoadResult
    exactly_once_problems: list[str]
    stored: int
    crash_acknowledged: int
    crash_problems: list[str]
    crash_unacknowledged_stored: int


def postgres_base() -> str | None:
    """The PostgreSQL URL from the environment when the server answers, else None."""
    url = os.environ.get(PG_ENV)
    if not url:
        return None
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
        engine.dispose()
    except Exception:  # unreachable: the PostgreSQL half is reported as skipped
        return None
    return url


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """A new, migrated database with the load survey published: a SQLite file, or a PostgreSQL schema with a
    random name, dropped afterwards."""
    import sqlalchemy as sa

    from surveys.definition import build_survey
    from webapp.services.publishing import publish_survey
    from webapp.storage.engine import open_session

    if backend == "sqlite":
        url = f"sqlite:///{folder / 'cxroi.sqlite3'}"
        with open_session(url) as session:
            publish_survey(session, build_survey(load_survey_definition()))
        yield url
        return
    base = postgres_base()
    assert base is not None
    schema = f"cxroi_bench_{secrets.token_hex(6)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        separator = "&" if "?" in base else "?"
        url = f"{base}{separator}options=-csearch_path%3D{schema}"
        with open_session(url) as session:
            publish_survey(session, build_survey(load_survey_definition()))
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


ROUNDS = 6
"""The bare endpoint and the respondent path are measured in turns (bare, respondents, bare, …), `seconds` / ROUNDS
each, so that both see the machine as it was in the same minutes: on this shared machine the bare endpoint's own
rate moved by a third within an hour, which made a ratio of two back-to-back 60 s runs swing with it."""


def measure_backend(backend: str, folder: Path, *, clients: int, seconds: float,
                    crash_seconds: float, kill_after: int) -> BackendReport:
    """Bare endpoint and respondent path with the same gunicorn settings, in turns, exactly-once, then the crash
    run."""
    folder.mkdir(parents=True, exist_ok=True)
    with fresh_database(backend, folder) as url:
        bare_server = ServerProcess("benchmarks.load:bare_app", env={}, workers=WORKERS,
                                    log_path=folder / "bare.log")
        server = cxroi_server(url, folder / "instance", workers=WORKERS, log_path=folder / "server.log",
                              extra_env=NO_LIMIT)
        bare, respondents = LoadResult(), LoadResult()
        try:
            bare_server.wait_ready("/bare")
            server.wait_ready()
            run_bare(bare_server.port, clients=WORKERS, seconds=1)  # warm-up: every worker has served once
            run_respondents(server.port, clients=WORKERS, seconds=2, prefix="warm")  # warm-up, not counted
            for round_ in range(ROUNDS):
                _add(bare, run_bare(bare_server.port, clients=clients, seconds=seconds / ROUNDS))
                _add(respondents, run_respondents(server.port, clients=clients, seconds=seconds / ROUNDS,
                                                  prefix=f"load-r{round_}"))
        finally:
            bare_server.stop()
            server.stop()
        stored = stored_complete(url, "load")
        problems = check_exactly_once(respondents, stored)
        problems += [f"{c}: stored complete but never acknowledged" for c in stored
                     if c not in set(respondents.acknowledged)]  # no crash here: every submit was answered

        crash_result, crash_problems, extra = crash_run(url, folder, clients=clients, seconds=crash_seconds,
                                                        acknowledged_before_kill=kill_after)
    return BackendReport(backend, bare, respondents, problems, sum(len(v) for v in stored.values()),
                         len(crash_result.acknowledged), crash_problems, extra)


def _add(total: LoadResult, part: LoadResult) -> None:
    """Add one turn's measurement to the run's."""
    total.latencies += part.latencies
    total.requests += part.requests
    total.seconds += part.seconds
    total.acknowledged += part.acknowledged
    total.errors += part.errors
    for kind, count in part.error_kinds.items():
        total.error_kinds[kind] = total.error_kinds.get(kind, 0) + count


def crash_run(url: str, folder: Path, *, clients: int, seconds: float,
              acknowledged_before_kill: int = 5) -> tuple[LoadResult, list[str], int]:
    """Load until `acknowledged_before_kill` submissions are acknowledged (at most `seconds`), SIGKILL the whole
    server mid-run, restart it on the same database: every acknowledged submission must be stored once,
    intact, and the restarted server must take new ones."""
    server = cxroi_server(url, folder / "instance", workers=WORKERS, log_path=folder / "crash.log",
                          extra_env=NO_LIMIT)
    server.wait_ready()
    stop = threading.Event()
    result = LoadResult()
    runner = threading.Thread(target=run_respondents, args=(server.port,), kwargs={
        "clients": clients, "seconds": seconds + 60, "prefix": "crash", "stop": stop, "result": result})
    runner.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(result.acknowledged) < acknowledged_before_kill:
        time.sleep(0.05)
    server.kill()  # mid-run: other clients are between requests or waiting for answers
    time.sleep(0.5)  # let clients meet the dead server, then stop them
    stop.set()
    runner.join(timeout=180)

    restarted = cxroi_server(url, folder / "instance", workers=WORKERS, log_path=folder / "restart.log",
                             extra_env=NO_LIMIT)
    try:
        restarted.wait_ready()
        after = run_respondents(restarted.port, clients=2, seconds=2, prefix="after")
    finally:
        restarted.stop()
    stored = stored_complete(url, "crash")
    problems = check_exactly_once(result, stored)
    if not result.acknowledged:
        problems.append("no submission was acknowledged before the kill: the crash check proved nothing")
    if not after.acknowledged:
        problems.append(f"the restarted server acknowledged no submission ({after.error_kinds})")
    # A submit committed just before the kill whose answer never reached the client: allowed, counted.
    extra = sum(1 for c in stored if c not in set(result.acknowledged))
    return result, problems, extra


def _row(backend: str, path: str, result: LoadResult, clients: int) -> str:
    return (f"| {backend} | {path} | {clients} | {result.seconds:.1f} | {result.requests} | {result.rate:.1f} | "
            f"{result.percentile(50) * 1000:.1f} | {result.percentile(99) * 1000:.1f} | {result.errors} |")


BEFORE_IN_PROCESS = (
    "Before issue 15's work on the respondent path (the code of 6716633, same harness, 200 respondents, SQLite, "
    "measured 19:20 UTC with a load average of 4.7): 50.6 CPU ms per respondent (GET page 1 8.3, POST page 1 "
    "17.3, GET page 2 9.6, POST final 15.1) and 23 statements per respondent (BEGIN 8, SELECT 11, INSERT 2, "
    "UPDATE 2); the bare endpoint took 0.29 CPU ms per request through the same test client."
)
TARGET_RATIO = 0.25
TARGET_P99_SECONDS = 0.150


def target_verdict(report: BackendReport) -> str:
    """Whether the respondent path meets issue 15's targets on this backend, said plainly."""
    ratio = report.respondents.rate / report.bare.rate if report.bare.rate else float("nan")
    p99 = report.respondents.percentile(99)
    met = ratio >= TARGET_RATIO and p99 < TARGET_P99_SECONDS
    return (f"{report.backend}: {'met' if met else 'NOT met'} — {ratio:.3f}× the bare endpoint (target ≥ "
            f"{TARGET_RATIO}×), p99 {p99 * 1000:.0f} ms (target < {TARGET_P99_SECONDS * 1000:.0f} ms)")


def render(reports: list[BackendReport], *, clients: int, seconds: float, skipped: list[str],
           profiles: list[RespondentProfile] | None = None, load: tuple[str, str] | None = None) -> str:
    """The Markdown section of RESULTS.md."""
    lines = [
        "## Web: respondent path under gunicorn",
        "",
        f"{clients} concurrent clients for {seconds:g} s per measurement, in {ROUNDS} turns of "
        f"{seconds / ROUNDS:g} s taken alternately with the baseline, gunicorn with {WORKERS} sync workers, "
        "`--preload`, on 127.0.0.1, client and server on the same machine. A respondent = GET page 1, POST "
        "page 1, GET page 2, POST page 2 (the final submit), each with its own session and customer id. The "
        "baseline is a bare Flask endpoint returning \"ok\" under the same gunicorn settings, measured in the "
        "same run. The per-client submit limit is off for the run (every client is 127.0.0.1).",
        "",
        "| backend | path | clients | s | requests | req/s | p50 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for report in reports:
        lines.append(_row(report.backend, "bare Flask endpoint", report.bare, clients))
        lines.append(_row(report.backend, "respondent path", report.respondents, clients))
    lines += ["", "| backend | respondent req/s ÷ bare req/s | submissions acknowledged | complete responses stored "
              "| exactly once |", "|---|---|---|---|---|"]
    for report in reports:
        ratio = report.respondents.rate / report.bare.rate if report.bare.rate else float("nan")
        verdict = "yes" if not report.exactly_once_problems else "NO: " + "; ".join(report.exactly_once_problems[:3])
        lines.append(f"| {report.backend} | {ratio:.3f} | {len(report.respondents.acknowledged)} | {report.stored} | "
                     f"{verdict} |")
    lines += ["", f"Crash: while {clients} clients are answering, the server (master and every worker) is killed "
              "with SIGKILL once a set number of submissions has been acknowledged (quick mode 5, full 100), then "
              "restarted on the same database, which must take new submissions.", "",
              "| backend | acknowledged before the kill | all stored once, intact | committed but unacknowledged |",
              "|---|---|---|---|"]
    for report in reports:
        verdict = "yes" if not report.crash_problems else "NO: " + "; ".join(report.crash_problems[:3])
        lines.append(f"| {report.backend} | {report.crash_acknowledged} | {verdict} | "
                     f"{report.crash_unacknowledged_stored} |")
    for report in reports:
        kinds = dict(report.respondents.error_kinds)
        if kinds:
            lines.append(f"\nErrors on {report.backend}: {kinds}")
    lines += [f"\n{note}" for note in skipped]
    if load:
        lines.append(f"\nLoad average (1, 5, 15 min) when the run began: {load[0]}; when it ended: {load[1]}. The "
                     "machine is shared: other engineers' tests run beside it, so req/s and latencies are lower "
                     "than on a quiet machine.")
    if reports:
        lines += ["", "Targets (issue 15, at 64 clients):", ""] + [f"- {target_verdict(report)}" for report in reports]
    if profiles:
        lines += ["", "### In-process CPU per respondent", "",
                  "`python -m benchmarks.profile_respondent` (in this run): the same four requests through Flask's "
                  "test client on a seeded database, one process, no server and no network; CPU time of that "
                  "process (`time.process_time`: app and test client) and every SQL statement sent (BEGIN "
                  "included), per respondent. These are CPU figures, not wall-clock ones: they vary much less "
                  "with the machine's load than the req/s above.", ""]
        lines += table(profiles)
        lines += ["", BEFORE_IN_PROCESS]
    return "\n".join(lines) + "\n"


def run(*, quick: bool) -> str:
    """Benchmark suite entry point (see benchmarks/__main__.py)."""
    clients, seconds = (8, 5.0) if quick else (64, 60.0)
    crash_seconds = 30.0 if quick else 60.0  # the most to wait for acknowledgements before the kill
    reports, skipped = [], []
    load_before = _load_average()
    with tempfile.TemporaryDirectory(prefix="cxroi-bench-web-") as folder:
        for backend in ("sqlite", "postgresql"):
            if backend == "postgresql" and postgres_base() is None:
                skipped.append(f"PostgreSQL: skipped ({PG_ENV} unset or its server unreachable).")
                continue
            reports.append(measure_backend(backend, Path(folder) / backend, clients=clients, seconds=seconds,
                                           crash_seconds=crash_seconds, kill_after=5 if quick else 100))
    load = (load_before, _load_average())
    profiles = [measure(50 if quick else 300, backend=report.backend) for report in reports]
    text = render(reports, clients=clients, seconds=seconds, skipped=skipped, profiles=profiles, load=load)
    failures = [p for r in reports for p in r.exactly_once_problems + r.crash_problems]
    if failures:  # the numbers are written, and the run fails
        raise AssertionError(text + "\n" + "\n".join(failures[:20]))
    return text


def _load_average() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())
