"""Through a real server (`cxroi serve`: gunicorn, 2 worker processes) on SQLite and PostgreSQL: bad input
gets a 4xx and changes nothing stored; the same link submitted from several threads at once is stored once;
many links at once are all stored; never a 500."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.webapp.support.web import PAGE_1, PAGE_2, Browser, csrf_token, example_survey, response_rows
from webapp.services import IssuedLink, create_invitations, publish_survey
from webapp.storage.engine import open_session

pytestmark = pytest.mark.slow
THREADS = 8


def _links(db_url: str, slug: str, customers: list[str]) -> list[IssuedLink]:
    """Publish the example survey under `slug` (the server is shared by this module's tests) with links."""
    with open_session(db_url, upgrade=False) as db:
        publish_survey(db, example_survey(id=slug))
        return create_invitations(db, slug, customers, "email")


def _start(server: str, path: str) -> tuple[Browser, str]:
    browser = Browser(server)
    status, html = browser.get(path)
    assert status == 200, html[:500]
    return browser, csrf_token(html)


def test_bad_input_over_http(served: tuple[str, str]) -> None:
    server, db_url = served
    [link] = _links(db_url, "bad_input", ["C1"])
    url = f"/s/{link.token}"
    browser, token = _start(server, url)
    assert browser.post(url, data=PAGE_1 | {"csrf_token": token})[0] == 303
    before = response_rows(db_url, "bad_input")
    cases: list[tuple[dict[str, Any], int, str]] = [
        (PAGE_2 | {"csrf_token": token, "evil": "1"}, 400, "&#39;evil&#39;"),
        (PAGE_2 | {"csrf_token": token, "q_nps": "12"}, 400, "12 is outside the scale 0..10"),
        (PAGE_2 | {"csrf_token": token, "q_nps": "ten"}, 400, "expected a whole number"),
        (PAGE_2 | {"csrf_token": token, "q_why": "w" * 2001}, 400, "the limit is 2000"),
        (PAGE_2 | {"csrf_token": token, "q_why": "w" * (1024 * 1024)}, 413, "larger than 1024 KB"),
        (PAGE_2, 400, "security token"),
        (PAGE_2 | {"csrf_token": "forged"}, 400, "security token"),
    ]
    for data, status, message in cases:
        got, body = browser.post(url, data=data)
        assert (got, message in body) == (status, True), body[:800]
    assert response_rows(db_url, "bad_input") == before
    assert Browser(server).get("/s/no-such-token")[0] == 404
    # complete it, then the used link: 410 to a visit, the thank-you page to a repeated submit
    assert browser.post(url, data=PAGE_2 | {"csrf_token": token})[0] == 303
    assert browser.get(url)[0] == 410
    assert browser.post(url, data=PAGE_2 | {"csrf_token": token, "q_nps": "1"})[0] == 303
    assert response_rows(db_url, "bad_input")[0]["answers"]["q_nps"] == 8


def test_same_link_from_several_threads_is_stored_once(served: tuple[str, str]) -> None:
    server, db_url = served
    [link] = _links(db_url, "same_link", ["C1"])
    url = f"/s/{link.token}"
    browsers = [_start(server, url) for _ in range(THREADS)]
    browser, token = browsers[0]
    assert browser.post(url, data=PAGE_1 | {"csrf_token": token})[0] == 303
    barrier = threading.Barrier(THREADS)

    def submit(n: int) -> tuple[int, str]:
        tab, tab_token = browsers[n]
        barrier.wait()
        return tab.post(url, data=PAGE_2 | {"csrf_token": tab_token, "q_nps": str(n)})

    with ThreadPoolExecutor(THREADS) as pool:
        replies = list(pool.map(submit, range(THREADS)))
    statuses = [status for status, _ in replies]
    assert 500 not in statuses
    assert all(status == 303 or 400 <= status < 500 for status in statuses), statuses
    assert 303 in statuses
    [row] = response_rows(db_url, "same_link")
    assert row["status"] == "complete" and row["answers"]["q_nps"] in range(THREADS)


def test_many_links_at_once_are_all_stored(served: tuple[str, str]) -> None:
    server, db_url = served
    links = _links(db_url, "many_links", [f"C{n}" for n in range(THREADS)])
    barrier = threading.Barrier(THREADS)

    def respond(n: int) -> list[int]:
        url = f"/s/{links[n].token}"
        browser, token = _start(server, url)
        barrier.wait()
        first = browser.post(url, data=PAGE_1 | {"csrf_token": token, "q_ces": str(n % 4 + 1)})
        second = browser.post(url, data=PAGE_2 | {"csrf_token": token})
        thanks = browser.get(f"{url}/thanks")
        assert re.search(r"<h1>Thank you</h1>", thanks[1])
        return [first[0], second[0], thanks[0]]

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(respond, range(THREADS)))
    assert outcomes == [[303, 303, 200]] * THREADS
    rows = response_rows(db_url, "many_links")
    assert len(rows) == THREADS and all(row["status"] == "complete" for row in rows)
    assert sorted(row["answers"]["q_ces"] for row in rows) == sorted(n % 4 + 1 for n in range(THREADS))
