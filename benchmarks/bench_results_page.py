"""The results page (`/results/<slug>`) at a large number of responses, against the bare Flask endpoint.

The database (SQLite) is seeded with a bulk insert of complete responses to the example survey (as the export
benchmark does, varied answers over a year of submit days) and a few thousand partial ones; the tallies are
counted with `rebuild_tallies` (what `cxroi results rebuild` runs; timed). Then, in this process through Flask's
test client, a signed-in analyst opens the results page repeatedly and the bare endpoint (`benchmarks.load.bare_app`)
is called as many times: the median of each and their ratio. For comparison at the smaller size, the page's scores
as they were computed before the tallies (`score_survey` over every complete response read into pandas) are timed
once. The page's count of complete responses is checked against the seed.

Full mode: 100,000 and 1,000,000 responses; quick mode: 2,000 and 20,000.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from benchmarks.bench_export import seed
from benchmarks.load import bare_app

REQUESTS = 15
PARTIAL = 3_000
PASSWORD = "correct horse battery"


def add_partials(url: str, count: int) -> None:
    """`count` partial responses, stopped on the first or second page, on the latest version."""
    import sqlalchemy as sa

    from webapp.storage.engine import create_engine_for

    engine = create_engine_for(url)
    start = datetime(2026, 6, 1)
    try:
        with engine.begin() as connection:
            version_id = connection.execute(sa.text("select max(id) from survey_versions")).scalar_one()
            connection.execute(sa.text(
                "insert into responses (version_id, customer_id, channel, status, answers, current_page, "
                "started_at, updated_at) values (:v, :c, 'email', 'partial', '{}', :p, :s, :s)"),
                [{"v": version_id, "c": f"P{n}", "p": n % 2, "s": start + timedelta(minutes=n)} for n in range(count)])
    finally:
        engine.dispose()


def median_seconds(call: object, count: int) -> float:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(folder: Path, size: int, *, before: bool) -> dict[str, float]:
    """Seed `size` complete responses, count the tallies, time the page and the bare endpoint."""
    from surveys.scoring import score_survey
    from webapp.accounts.service import create_user
    from webapp.app import create_app
    from webapp.services import response_frame
    from webapp.services.publishing import latest_version, survey_of
    from webapp.services.tallies import rebuild_tallies
    from webapp.storage.engine import create_engine_for, open_session

    url = f"sqlite:///{folder / f'results-{size}.sqlite3'}"
    started = time.perf_counter()
    seed(url, size)
    add_partials(url, PARTIAL)
    seeding = time.perf_counter() - started
    engine = create_engine_for(url)
    started = time.perf_counter()
    with engine.begin() as connection:
        counted = rebuild_tallies(connection)
    rebuild = time.perf_counter() - started
    engine.dispose()
    if counted != size:
        raise AssertionError(f"the rebuild counted {counted} complete responses, {size} were seeded")
    with open_session(url) as session:
        create_user(session, "analyst@example.com", "analyst", PASSWORD)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance"), "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    signed = client.post("/login", data={"email": "analyst@example.com", "password": PASSWORD})
    if signed.status_code != 302:
        raise RuntimeError(f"sign-in failed: {signed.status_code}")

    def page() -> None:
        response = client.get("/results/acme_relationship")
        if response.status_code != 200 or f'data-count="complete">{size}<' not in response.get_data(as_text=True):
            raise AssertionError(f"results page: {response.status_code}, no count of {size:,} complete responses")

    bare = bare_app.test_client()
    page()  # warm-up: definitions parsed, templates compiled
    bare.get("/bare")
    figures = {"size": size, "seeding": seeding, "rebuild": rebuild, "page": median_seconds(page, REQUESTS),
               "bare": median_seconds(lambda: bare.get("/bare"), REQUESTS), "before": float("nan")}
    if before:
        with open_session(url) as session:
            started = time.perf_counter()
            survey = survey_of(latest_version(session, "acme_relationship"))
            score_survey(response_frame(session, "acme_relationship", status="complete"), survey)
            figures["before"] = time.perf_counter() - started
    return figures


def run(*, quick: bool) -> str:
    """Benchmark suite entry point (see benchmarks/__main__.py)."""
    full = 20_000 if quick else 1_000_000
    rows = []
    with tempfile.TemporaryDirectory(prefix="cxroi-bench-results-") as folder:
        for size in (full // 10, full):
            rows.append(measure(Path(folder), size, before=size < full))
    lines = [
        "## Results page at scale (tallies)",
        "",
        "`GET /results/<slug>` for a signed-in analyst, in process (Flask test client), over SQLite seeded with "
        f"complete responses to the example survey and {PARTIAL:,} partial ones; the median of {REQUESTS} requests, "
        "against the bare Flask endpoint called the same way in the same run. *Before* is the page's scoring as "
        "it was before the tallies (every complete response read into pandas, then `score_survey`), timed once at "
        "the smaller size only.",
        "",
        "| responses | seeding s | tallies rebuilt s | page ms (median) | bare ms (median) | page ÷ bare | "
        "before: scores from every response, s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        before = "—" if r["before"] != r["before"] else f"{r['before']:.2f}"
        lines.append(f"| {int(r['size']):,} | {r['seeding']:.1f} | {r['rebuild']:.1f} | {r['page'] * 1000:.1f} | "
                     f"{r['bare'] * 1000:.2f} | {r['page'] / r['bare']:.0f}× | {before} |")
    small, large = rows
    lines += ["", f"The page takes {large['page'] / small['page']:.2f}× as long at {int(large['size']):,} responses as "
              f"at {int(small['size']):,} (the partial responses and the tallies' distinct answers set its cost, "
              "not the number of complete responses)."]
    return "\n".join(lines) + "\n"
