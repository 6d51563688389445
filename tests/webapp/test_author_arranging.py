"""Reordering keeps the author's place (issue 16): every move, edit, addition and removal redirects to the
anchor of the item concerned; a drop (the move form with `to_page` and `to_position`, as the editor's
drag-and-drop script sends it) places a question in one step; bad drop fields are a 400 or 404 with the draft
unchanged. The side preview (`embed=1`) may be framed by this site only, and the editor frames it.

Expected orders are worked out by hand from the three-page survey built below."""

from __future__ import annotations

import html
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.support.author import page_token, signed_in, stored_draft


def build(client: FlaskClient) -> str:
    """acme: page main [q_one_change, q_nps, q_ces], page extra [q_csat]."""
    token = page_token(client, "/author/new")
    assert client.post("/author/new", data={"survey_id": "acme", "title": "Acme", "start": "blank",
                                            "csrf_token": token}).status_code == 302
    for key in ("nps", "ces"):
        added = client.post("/author/acme/questions", data={"key": key, "section": "main", "csrf_token": token})
        assert added.status_code == 302 and added.headers["Location"] == f"/author/acme#q-q_{key}"
    page = client.post("/author/acme/sections", data={"new_section-section_id": "extra", "new_section-title": "More",
                                                      "new_section-first_key": "csat", "csrf_token": token})
    assert page.status_code == 302 and page.headers["Location"] == "/author/acme#s-extra"
    return token


def order(db_url: str) -> list[list[str]]:
    return [[q["id"] for q in s["questions"]] for s in stored_draft(db_url, "acme")[0]["sections"]]


def test_moves_and_edits_come_back_at_the_item(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = build(client)
    assert order(db_url) == [["q_one_change", "q_nps", "q_ces"], ["q_csat"]]
    moved = client.post("/author/acme/questions/q_ces/move/up", data={"csrf_token": token})
    assert moved.status_code == 302 and moved.headers["Location"] == "/author/acme#q-q_ces"
    assert order(db_url) == [["q_one_change", "q_ces", "q_nps"], ["q_csat"]]
    moved = client.post("/author/acme/sections/extra/move/up", data={"csrf_token": token})
    assert moved.headers["Location"] == "/author/acme#s-extra"
    saved = client.post("/author/acme/sections/extra", data={"title": "Last bits", "intro": "", "csrf_token": token})
    assert saved.headers["Location"] == "/author/acme#s-extra"
    removed = client.post("/author/acme/questions/q_nps/delete", data={"csrf_token": token})
    assert removed.headers["Location"] == "/author/acme#s-main"  # the page the question was on
    rows = client.post("/author/acme/rows", data={"brand_promises": "easy: Easy", "touchpoints": "",
                                                  "channels": "", "csrf_token": token})
    assert rows.headers["Location"] == "/author/acme#rows-title"
    settings = client.post("/author/acme/settings", data={"title": "Acme", "intro": "", "language": "en",
                                                          "customer_id_param": "", "time_budget_minutes": "5",
                                                          "csrf_token": token})
    assert settings.headers["Location"] == "/author/acme#settings-title"
    gone = client.post("/author/acme/sections/extra/delete", data={"csrf_token": token})
    assert gone.headers["Location"] == "/author/acme#pages-title"
    editor = client.get("/author/acme").get_data(as_text=True)
    for anchor in ('id="s-main"', 'id="q-q_one_change"', 'id="q-q_ces"'):
        assert anchor in editor


def test_a_drop_places_the_question_in_one_step(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = build(client)
    dropped = client.post("/author/acme/questions/q_ces/move/down",
                          data={"csrf_token": token, "to_page": "main", "to_position": "0"})
    assert dropped.status_code == 302 and dropped.headers["Location"] == "/author/acme#q-q_ces"
    assert order(db_url) == [["q_ces", "q_one_change", "q_nps"], ["q_csat"]]
    # onto another page, between its questions; a position past the end means last
    client.post("/author/acme/questions/q_one_change/move/up",
                data={"csrf_token": token, "to_page": "extra", "to_position": "1"})
    assert order(db_url) == [["q_ces", "q_nps"], ["q_csat", "q_one_change"]]
    client.post("/author/acme/questions/q_ces/move/up",
                data={"csrf_token": token, "to_page": "extra", "to_position": "9"})
    assert order(db_url) == [["q_nps"], ["q_csat", "q_one_change", "q_ces"]]


def test_bad_drops_change_nothing(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = build(client)
    before = stored_draft(db_url, "acme")[0]
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"to_page": "nowhere", "to_position": "0"}, 400, "no page 'nowhere' in this survey"),
        ({"to_page": "main", "to_position": "first"}, 400, "to_position"),
        ({"to_page": "main", "to_position": "-1"}, 400, "to_position"),
        ({"to_page": "main", "to_position": "99999"}, 400, "to_position"),
        ({"to_page": "x" * 65, "to_position": "0"}, 400, "to_page"),
    ]
    for fields, status, message in cases:
        response = client.post("/author/acme/questions/q_nps/move/up", data={"csrf_token": token, **fields})
        assert response.status_code == status, fields
        assert message in html.unescape(response.get_data(as_text=True)), fields
    # the only question of a page dropped elsewhere would leave the page empty: refused, named, nothing stored
    emptied = client.post("/author/acme/questions/q_csat/move/up",
                          data={"csrf_token": token, "to_page": "main", "to_position": "0"})
    assert emptied.status_code == 400 and "sections[1].questions" in emptied.get_data(as_text=True)
    assert stored_draft(db_url, "acme")[0] == before


def test_the_editor_frames_the_side_preview_and_nothing_else_may(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    build(client)
    editor = client.get("/author/acme")
    page = editor.get_data(as_text=True)
    assert 'src="/author/acme/preview?page=0&amp;embed=1"' in page  # the iframe, first page
    assert 'href="/author/acme/preview?page=1&amp;embed=1" target="side-preview"' in page
    assert '<script src="/static/author.js" defer></script>' in page
    assert "frame-ancestors 'none'" in editor.headers["Content-Security-Policy"]
    framed = client.get("/author/acme/preview?page=1&embed=1")
    assert framed.status_code == 200
    assert framed.headers["Content-Security-Policy"].endswith("frame-ancestors 'self'")
    assert "script-src 'self'" in framed.headers["Content-Security-Policy"]
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"
    body = framed.get_data(as_text=True)
    assert "Preview of page 2." in body and 'target="_top"' in body
    assert 'action="/author/acme/preview?embed=1"' in body  # Next stays in the frame
    plain = client.get("/author/acme/preview?page=1")
    assert "frame-ancestors 'none'" in plain.headers["Content-Security-Policy"]
    assert plain.headers["X-Frame-Options"] == "DENY"
    assert 'id="side-preview" title="Preview of the page as respondents see it"\n          src="/author/acme/preview?page=1&amp;embed=1"' in client.get("/author/acme?page=1").get_data(as_text=True)
