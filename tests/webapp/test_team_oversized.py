"""An oversized POST (a body over the limit) to any staff page, sent by a visitor or by people of team red,
must not reach a page that shows team blue's things: the sign-in guard and the team limit run before anything
reads the body, so a blueprint's "too large" page (which lists surveys, report jobs or a codebook) is only ever
rendered for a signed-in user whose session is already limited to their teams (review finding: the reports and
themes pages' 413 answers listed every team's surveys and report jobs to anyone)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.webapp.support.author import sign_in_as
from tests.webapp.test_team_access import BLUE_TITLE, ROLES, _blue_world, _urls

BIG = {"title": "x" * (2 * 1024 * 1024)}
BLUE_WORDS = (BLUE_TITLE, "blue_survey", "crm.csv")


@pytest.fixture
def blue(db_url: str) -> dict[str, Any]:
    return _blue_world(db_url)


def _posts(app: Flask, blue: dict[str, Any]) -> list[tuple[str, str]]:
    return [(endpoint, path) for endpoint, method, path, _ in _urls(app, blue["arguments"], api=False)
            if method == "POST"]


def test_a_visitor_sending_an_oversized_post_is_turned_away_before_the_body_is_read(
        app: Flask, blue: dict[str, Any]) -> None:
    client = app.test_client()
    posts = _posts(app, blue)
    assert any(endpoint.startswith("reports.") for endpoint, _ in posts)  # the sweep reaches the pages at fault
    for endpoint, path in posts:
        reply = client.post(path, data=BIG)
        page = reply.get_data(as_text=True)
        assert reply.status_code == 401, (endpoint, reply.status_code)
        assert not any(word in page for word in BLUE_WORDS), endpoint


@pytest.mark.parametrize("role", ROLES)
def test_red_people_sending_an_oversized_post_see_nothing_of_blue(app: Flask, blue: dict[str, Any],
                                                                 role: str) -> None:
    client = sign_in_as(app, f"{role}@example.com")
    for endpoint, path in _posts(app, blue):
        reply = client.post(path, data=BIG)
        page = reply.get_data(as_text=True)
        assert reply.status_code in (400, 403, 404, 413), (endpoint, reply.status_code)
        assert not any(word in page for word in BLUE_WORDS), (endpoint, reply.status_code)
