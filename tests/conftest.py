"""Shared fixtures and the run's setup and summary. Tests write real files under pytest's tmp_path; nothing is
mocked that can run here.

Before any test runs, the PostgreSQL and Redis servers are found (`tests.services`: the variables
CXROI_TEST_DATABASE_URL / CXROI_TEST_REDIS_URL, else the usual local address when it answers). Every run ends
with one line saying what was skipped and why, and which servers, browser and load balancer were used.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests import services

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / "tests" / "data"


def pytest_configure(config: pytest.Config) -> None:
    services.discover()


@pytest.fixture
def example_path() -> Path:
    return ROOT / "examples" / "relationship.yaml"


@pytest.fixture
def postgres_server_url() -> str:
    """The PostgreSQL server's URL (the test skips, with the reason, when there is none). Tests that write
    should use a schema of their own (see tests.webapp.support.migrated_database)."""
    return services.postgres_url()


@pytest.fixture
def redis_url() -> str:
    """The Redis server's URL (the test skips, with the reason, when there is none)."""
    return services.redis_url()


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason.removeprefix("Skipped: ")


def summary_line(stats: dict[str, list[Any]]) -> str:
    """'skipped: N — …' with the skip reasons grouped and counted, then the servers and the browser."""
    skipped = [r for r in stats.get("skipped", []) if getattr(r, "longrepr", None) is not None]
    reasons = Counter(_skip_reason(r) for r in skipped)
    browser_ran = any("e2e" in getattr(r, "keywords", {}) and r.when == "call"
                      for key in ("passed", "failed") for r in stats.get(key, []))
    parts = [f"{count} × {reason}" for reason, count in reasons.most_common()]
    # then the servers and the browser, unless a skip reason above already says why one is unavailable
    parts += [service.status() for service in services.SERVICES.values()
              if service.url is not None or service.skip_reason() not in reasons]
    problem = services.browser_problem()
    if not problem:
        parts.append(f"Chromium {services.CHROMIUM} with axe-core: "
                     f"{'used' if browser_ran else 'available, no selected test needs it'}")
    elif problem not in reasons:
        parts.append(problem)
    if services.HAPROXY.problem() not in reasons:
        parts.append(services.HAPROXY.status())
    if shutil.which("pdftoppm") is None:
        parts.append("pdftoppm: missing (apt-get install poppler-utils) — the report-page rendering test skips")
    return f"skipped: {len(skipped)} — " + "; ".join(parts)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: Any) -> Any:
    yield  # after pytest's own summary sections, just before the final counts
    line = summary_line(terminalreporter.stats)
    terminalreporter.write_line(line, yellow=line.startswith("skipped: ") and not line.startswith("skipped: 0 "))
