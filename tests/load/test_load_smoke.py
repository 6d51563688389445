"""A short version of `benchmarks/bench_web.py` in the test suite: a few clients for a few seconds on each
backend, then the exactly-once and crash (kill -9) checks. No timing assertions: only correctness."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.bench_web import measure_backend, postgres_base, render
from tests import services

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_respondent_load_is_exactly_once_and_survives_kill_9(backend: str, tmp_path: Path) -> None:
    if backend == "postgresql":
        services.postgres_url()  # skips, with the reason, when no PostgreSQL server was found
        assert postgres_base() is not None  # the harness reads the same variable
    report = measure_backend(backend, tmp_path, clients=3, seconds=2, crash_seconds=60, kill_after=2)
    assert report.exactly_once_problems == []
    assert report.respondents.acknowledged, report.respondents.error_kinds
    # every complete "load" response was acknowledged, and every acknowledged one stored: the counts match
    assert report.stored == len(report.respondents.acknowledged)
    assert report.respondents.errors == 0, report.respondents.error_kinds
    assert report.crash_problems == []
    assert report.crash_acknowledged >= 2  # the kill came after two acknowledged submissions
    assert report.bare.requests > 0 and report.bare.errors == 0
    text = render([report], clients=3, seconds=2, skipped=[])
    assert f"| {backend} | respondent path | 3 |" in text


def test_the_exactly_once_check_catches_a_lost_a_duplicated_and_a_changed_response() -> None:
    """The checker itself, on hand-made cases (so a broken checker cannot pass the test above silently)."""
    from benchmarks.load import LoadResult, check_exactly_once, expected_answers

    result = LoadResult(acknowledged=["a", "b", "c", "d"])
    changed = expected_answers("c") | {"q_nps": 0}
    stored = {"a": [expected_answers("a")], "c": [changed], "d": [expected_answers("d")] * 2}
    problems = check_exactly_once(result, stored)
    assert problems == ["b: acknowledged but not stored", f"c: stored answers differ: {changed!r}",
                        "d: stored 2 times"]
    assert check_exactly_once(LoadResult(acknowledged=["a"]), {"a": [expected_answers("a")]}) == []

