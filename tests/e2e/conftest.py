"""Fixtures of the browser tests: one live server and one Chromium for the whole run, a fresh context (no
cookies) per test. Skipped, with what to install, only when /usr/bin/chromium or axe-core is absent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import services
from tests.e2e.support import CHROMIUM_ARGS, TIMEOUT_MS, LiveSite, start_site
from tests.services import CHROMIUM


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    problem = services.browser_problem()  # Chromium or axe-core missing: say what to install
    if problem:
        pytest.skip(problem)
    live, server = start_site(tmp_path_factory.mktemp("e2e"))
    try:
        yield live
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(site: LiveSite) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """A factory of pages in fresh contexts at a given viewport; all closed after the test."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int], *, enforce_csp: bool = False) -> Any:
        # axe-core is injected as an inline script, which the site's CSP (rightly) forbids: test contexts
        # bypass the CSP unless a test checks the CSP itself
        context = browser.new_context(viewport=viewport, bypass_csp=not enforce_csp)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
