"""Accessibility of the authoring pages on the rendered HTML, with and without errors: a label for every
input, select and textarea; unique ids; aria-describedby and in-page links pointing at real ids; an error
summary (role alert, first in the page, "Error:" in the title) on every refused form; no inline JavaScript (the
editor's drag and drop is a file of its own, and the page works without it)."""

from __future__ import annotations

import io
import re
from collections import Counter

from flask import Flask

from tests.webapp.support.author import page_token, signed_in
from tests.webapp.support.web import FormReader


def check(html: str, *, error: bool = False) -> None:
    page = FormReader(html)
    assert page.unlabelled() == []
    selects = re.findall(r'<select[^>]*\bid="([^"]+)"', html)
    assert [s for s in selects if s not in page.label_for] == []
    ids = Counter(re.findall(r'\bid="([^"]+)"', html))
    assert [ident for ident, count in ids.items() if count > 1] == []
    for target in re.findall(r'aria-describedby="([^"]+)"', html):
        for ident in target.split():
            assert ident in ids, f"aria-describedby points at a missing id {ident!r}"
    for anchor in re.findall(r'href="#([^"]+)"', html):
        assert anchor in ids, f"a link points at a missing id {anchor!r}"
    # no inline script (the CSP allows none): only this site's own files, e.g. the editor's drag and drop
    assert [tag for tag in re.findall(r"<script[^>]*>(?:.*?)</script>", html, re.S | re.I)
            if not re.fullmatch(r'<script src="/static/[a-z_-]+\.js" defer></script>', tag)] == []
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert html.count("<h1") == 1
    if error:
        assert "<title>Error: " in html
        assert 'role="alert"' in html
        assert html.index('class="error-summary"') < html.index("<form", html.index("<main"))


def test_authoring_pages_are_accessible_with_and_without_errors(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    check(client.get("/author/").get_data(as_text=True))
    token = page_token(client, "/author/new")
    check(client.get("/author/new").get_data(as_text=True))
    bad_new = client.post("/author/new", data={"survey_id": "", "title": "", "start": "blank", "csrf_token": token})
    assert bad_new.status_code == 400
    check(bad_new.get_data(as_text=True), error=True)

    client.post("/author/new", data={"survey_id": "acme", "title": "Acme", "start": "relationship",
                                     "csrf_token": token})
    for path in ("/author/", "/author/acme", "/author/acme/questions/q_ces", "/author/acme/sections/promises",
                 "/author/acme/links", "/author/acme/questions/q_ces/delete", "/author/acme/sections/promises/delete"):
        response = client.get(path)
        assert response.status_code == 200, path
        check(response.get_data(as_text=True))

    bad_question = client.post("/author/acme/questions/q_ces", data={
        "text": "", "help": "", "show_if": "q_nowhere = 1", "settings": "colour: red", "csrf_token": token})
    assert bad_question.status_code == 400
    check(bad_question.get_data(as_text=True), error=True)

    bad_rows = client.post("/author/acme/rows", data={"brand_promises": "no label here", "touchpoints": "",
                                                      "channels": "", "csrf_token": token})
    assert bad_rows.status_code == 400
    html = bad_rows.get_data(as_text=True)
    check(html, error=True)
    assert 'href="#brand_promises"' in html  # the summary leads to the textarea to fix

    bad_upload = client.post("/author/acme/upload", content_type="multipart/form-data", data={
        "csrf_token": token, "definition": (io.BytesIO(b"id: acme\ntitle: Acme\nsections: []\n"), "s.yaml")})
    assert bad_upload.status_code == 400
    check(bad_upload.get_data(as_text=True), error=True)

    assert client.post("/author/acme/publish", data={"csrf_token": token}).status_code == 302
    check(client.get("/author/acme/links").get_data(as_text=True))
    bad_list = client.post("/author/acme/links/preview", content_type="multipart/form-data", data={
        "csrf_token": token, "channel": "", "customers": (io.BytesIO(b"customer_id\nC1\nC1\n"), "c.csv")})
    assert bad_list.status_code == 400
    html = bad_list.get_data(as_text=True)
    check(html, error=True)
    assert 'href="#row-3"' in html  # each bad row is linked from the summary

    preview = client.get("/author/acme/preview").get_data(as_text=True)
    assert "Preview of the draft" in preview and "<script" not in preview.lower()
