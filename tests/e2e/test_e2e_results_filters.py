"""An analyst filters the results page in Chromium (issue 16): the GET form narrows every figure to the chosen
channel and dates, the page says which filters are on and how many responses they leave, a cross-tab is shown,
and the filtered page passes axe-core on a desktop and a phone. Screenshots of both go with the other e2e
screenshots. The responses are the planted ones of tests/webapp/support/filtered.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.support import DESKTOP, PHONE, LiveSite, assert_accessible, shot, sign_in
from tests.webapp.support.filtered import SLUG, plant_filtered
from webapp.storage.engine import open_session


@pytest.fixture(scope="module")
def planted(site: LiveSite) -> str:
    with open_session(site.database_url, upgrade=False) as session:
        plant_filtered(session)
    return SLUG


def test_analyst_filters_the_results_page(site: LiveSite, new_page: Any, planted: str) -> None:
    page = new_page(DESKTOP)
    sign_in(page, site, "analyst@example.com")
    page.goto(site.url(f"/results/{planted}"))
    assert page.locator("#filter-summary").inner_text().startswith("No filter: every response (7).")
    page.fill("#filter-since", "2026-02-01")
    page.select_option("#filter-channel", "email")
    with page.expect_navigation():
        page.locator("#results-filters button[type=submit]").press("Enter")
    assert "since=2026-02-01" in page.url and "channel=email" in page.url  # a bookmarkable address
    summary = page.locator("#filter-summary").inner_text()
    assert "channel email" in summary and "2 response(s) match (1 complete, 1 partial)" in summary
    assert page.locator('[data-count="complete"]').inner_text() == "1"
    page.select_option("#cross-metric", "q_csat")
    page.select_option("#cross-by", "channel")
    with page.expect_navigation():
        page.locator("#cross-tab-form button[type=submit]").press("Enter")
    assert "channel=email" in page.url and "metric=q_csat" in page.url  # the filters are kept
    row = page.locator('#cross-tab tr[data-segment="email"]')
    assert row.locator("[data-n]").inner_text() == "1" and "too few to compare" in row.inner_text()
    assert_accessible(page, "the filtered results page")
    shot(page, "results-filtered-desktop")

    phone = new_page(PHONE)
    sign_in(phone, site, "analyst@example.com")
    phone.goto(page.url)
    assert phone.locator('[data-count="matching"]').inner_text() == "2"
    assert_accessible(phone, "the filtered results page on a phone")
    shot(phone, "results-filtered-phone")
