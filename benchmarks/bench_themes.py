"""Open-text themes at scale (issue 17): 100,000 planted comments (quick mode: 10,000) themed and coded.

Measured in a child process each (peak memory is the step's own):
* discovery (`roi.themes.discovery.discover_themes`: TF-IDF, NMF fitted on a seeded sample of at most 20,000
  comments, every comment coded with the themes found),
* coding every comment with the saved codebook, language and VADER sentiment included
  (`roi.themes.coding.code_comments`), which is what a new wave or a recode costs,
* a bare baseline: scikit-learn's `TfidfVectorizer` and `NMF` on all the comments, nothing else.

Target from the issue (2 cores): 100,000 comments themed (discovery and coding together) in < 60 s. The
adjusted Rand index against the planted themes says the speed was not bought with quality.
"""

from __future__ import annotations

import resource
import time
from typing import Any

from .child import measure_in_child

THEMES = 5
"""The planted data have five themes (roi.themes.planted); discovery is asked for five."""


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
    if kind == "bare":
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
    return "\n".join(lines)
