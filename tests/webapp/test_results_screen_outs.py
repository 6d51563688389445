"""The results pages count screened-out responses apart (docs/web-results.md, "Screened-out responses"): stored
complete, they are neither a completion nor a drop-off, so the cards show complete (went to the end), screened
out and partial, and the completion rate is complete ÷ (complete + partial). Through the real respondent pages on
each database backend; the expected counts are worked out from the responses made here."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from surveys.definition import build_survey
from tests.webapp.support.author import signed_in
from tests.webapp.test_respond_page_logic import _post, _start, logic_survey
from webapp.services import create_invitations, publish_survey


def _respond(app: Flask, url: str, *pages: tuple[int, dict[str, Any]]) -> None:
    client = app.test_client()
    token = _start(client, url)
    for page, fields in pages:
        assert _post(client, url, token, page, **fields).status_code == 303


def _make_responses(app: Flask, db: Session) -> None:
    """By email: one went to the end, one screened out, one stopped on page 2 (partial); on the web: one
    screened out, one went to the end."""
    publish_survey(db, logic_survey())
    links = [f"/s/{i.token}" for i in create_invitations(db, "page_logic", ["C1", "C2", "C3"], "email")]
    _respond(app, links[0], (0, {"q_customer": "yes", "q_wait": "5", "q_fix": "4"}), (3, {"q_more": "Fine"}))
    _respond(app, links[1], (0, {"q_customer": "no"}))
    _respond(app, links[2], (0, {"q_customer": "yes", "q_wait": "1", "q_fix": "1"}))  # page 2 not sent
    web = "/p/page_logic?channel=web"
    _respond(app, web, (0, {"q_customer": "no", "q_wait": "2"}))
    _respond(app, web, (0, {"q_customer": "yes", "q_wait": "4", "q_fix": "4"}), (3, {}))


def _count(html: str, name: str) -> str:
    found = re.search(rf'<dd class="value" data-count="{name}">([^<]*)</dd>', html)
    assert found, name
    return found.group(1)


def test_the_results_page_shows_screen_outs_apart(app: Flask, db: Session, db_url: str) -> None:
    _make_responses(app, db)
    analyst = signed_in(app, db_url, "analyst")
    html = analyst.get("/results/page_logic").get_data(as_text=True)
    assert [_count(html, name) for name in ("total", "complete", "screened_out", "partial", "completion")] == \
        ["5", "2", "2", "1", "66.7%"]  # 2 of the 3 eligible respondents (2 complete + 1 partial) went to the end
    assert '<tr data-rule="not_customer"><th scope="row"><code>not_customer</code></th><td data-count>2</td>' in html
    # the channels table: complete, screened out, partial
    assert re.search(r"<th[^>]*>email</th>\s*<td>1</td>\s*<td>1</td>\s*<td>1</td>", html)
    assert re.search(r"<th[^>]*>web</th>\s*<td>1</td>\s*<td>1</td>\s*<td>0</td>", html)
    # the scores say the screened-out answers are in them
    assert "data-screened-out-included" in html and "include the 2 screened-out response(s)" in html


def test_the_filters_apply_to_the_screen_outs(app: Flask, db: Session, db_url: str) -> None:
    _make_responses(app, db)
    html = signed_in(app, db_url, "analyst").get("/results/page_logic?channel=web").get_data(as_text=True)
    assert [_count(html, name) for name in ("total", "complete", "screened_out", "partial", "completion")] == \
        ["2", "1", "1", "0", "100.0%"]
    assert "(1 complete,\n  1 screened out, 0 partial)" in html


def test_the_list_of_results_shows_screen_outs_apart(app: Flask, db: Session, db_url: str) -> None:
    _make_responses(app, db)
    html = signed_in(app, db_url, "analyst").get("/results/").get_data(as_text=True)
    assert re.search(r'<td>2</td>\s*<td data-count="screened_out">2</td>\s*<td>1</td>', html)


def test_a_survey_without_screen_out_rules_shows_none(app: Flask, db: Session, db_url: str) -> None:
    publish_survey(db, build_survey({"id": "plain", "title": "Plain", "sections": [{"id": "s", "title": "S",
                                     "questions": [{"id": "q1", "type": "rating", "text": "How was it?"}]}]}))
    _respond(app, "/p/plain", (0, {"q1": "4"}))
    _respond(app, "/p/plain", (0, {"q1": "2"}))
    html = signed_in(app, db_url, "analyst").get("/results/plain").get_data(as_text=True)
    assert [_count(html, name) for name in ("total", "complete", "screened_out", "partial", "completion")] == \
        ["2", "2", "0", "0", "100.0%"]
    assert "data-screened-out-included" not in html and 'id="screen-outs"' not in html


def _screen_out_tallies(db_url: str) -> dict[tuple[str, str], int]:
    from webapp.storage.engine import create_engine_for

    engine = create_engine_for(db_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT channel, answer, count FROM answer_tallies WHERE question_id = :key"), {"key": ":screened_out"}).all()
    finally:
        engine.dispose()
    return {(channel, answer): count for channel, answer, count in rows}


def test_screen_outs_are_counted_in_the_tallies_by_the_submit_and_by_migration_0022(app: Flask, db: Session,
                                                                                    db_url: str) -> None:
    """The page reads no response for its screen-outs: the submit tallies the rule (one email, one web response
    were screened out by `not_customer` in `_make_responses`), and migration 0022 counts the ones stored before
    (the rows removed here, then the schema taken down to 0021 and up again)."""
    from alembic import command

    from webapp.storage.engine import alembic_config, create_engine_for

    _make_responses(app, db)
    expected = {("email", "not_customer"): 1, ("web", "not_customer"): 1}
    assert _screen_out_tallies(db_url) == expected
    db.close()
    engine = create_engine_for(db_url)
    try:
        config = alembic_config(engine)
        command.downgrade(config, "0021_report_sharing")
        assert _screen_out_tallies(db_url) == {}
        command.upgrade(config, "head")
    finally:
        engine.dispose()
    assert _screen_out_tallies(db_url) == expected
    html = signed_in(app, db_url, "analyst").get("/results/page_logic").get_data(as_text=True)
    assert _count(html, "screened_out") == "2"
