"""Who may use the authoring pages: authors and admins; analysts get 403 on every one of them (GET and
POST, with a valid CSRF token, on a survey that exists), anonymous visitors are sent to sign in, and a
refused POST changes nothing."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from flask import Flask

from tests.webapp.support.author import count_rows, page_token, signed_in, stored_draft

SLUG = "acme"
VALUES = {"slug": SLUG, "question_id": "q_one_change", "section_id": "main", "direction": "up", "fmt": "yaml"}


def author_rules(app: Flask) -> list[tuple[str, str, set[str]]]:
    """Every authoring route with its placeholders filled to name things that exist."""
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("author."):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: VALUES[m.group(1)], rule.rule)
            rules.append((rule.endpoint, path, set(rule.methods or ()) - {"HEAD", "OPTIONS"}))
    return rules


def make_survey(app: Flask, db_url: str) -> None:
    author = signed_in(app, db_url, "author")
    token = page_token(author, "/author/new")
    created = author.post("/author/new", data={"survey_id": SLUG, "title": "Acme", "start": "blank",
                                               "csrf_token": token})
    assert created.status_code == 302


def test_the_author_pages_are_all_covered_here(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _, _ in author_rules(app)}
    # the pages the issue asks for; a new page is covered automatically by the loops below
    assert {"author.surveys", "author.new", "author.editor", "author.question", "author.preview", "author.publish",
            "author.close", "author.reopen", "author.upload", "author.download", "author.links",
            "author.links_preview", "author.links_create"} <= endpoints
    assert all(getattr(app.view_functions[e], "cxroi_role", None) == "author" for e in endpoints)
    assert "author.surveys" in app.config["CXROI_NAV_ENDPOINTS"]


def test_analysts_are_refused_everywhere_and_change_nothing(app: Flask, db_url: str) -> None:
    make_survey(app, db_url)
    before = stored_draft(db_url, SLUG)
    analyst = signed_in(app, db_url, "analyst")
    token = page_token(analyst, "/login")  # a valid token of the analyst's session: only the role refuses
    seen = 0
    for endpoint, path, methods in author_rules(app):
        for method in methods:
            response = analyst.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
            assert response.status_code == 403, (endpoint, method, response.status_code)
            seen += 1
    assert seen >= 25
    assert stored_draft(db_url, SLUG) == before
    assert count_rows(db_url, "survey_versions") == 0 and count_rows(db_url, "surveys") == 1


def test_anonymous_visitors_are_sent_to_sign_in(app: Flask, db_url: str) -> None:
    make_survey(app, db_url)
    before = stored_draft(db_url, SLUG)
    visitor = app.test_client()
    token = page_token(visitor, "/login")
    for endpoint, path, methods in author_rules(app):
        for method in methods:
            response = visitor.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
            if method == "GET":
                assert response.status_code == 302, endpoint
                location = urlsplit(response.headers["Location"])
                assert (location.path, parse_qs(location.query)["next"]) == ("/login", [path]), endpoint
            else:
                assert response.status_code == 401, (endpoint, response.status_code)
    assert stored_draft(db_url, SLUG) == before


def test_admins_may_author(app: Flask, db_url: str) -> None:
    admin = signed_in(app, db_url, "admin")
    page = admin.get("/author/")
    assert page.status_code == 200 and 'href="/author/"' in page.get_data(as_text=True)  # the nav link


# A request body over the limit on an authoring page: the CSRF check reads the body before the sign-in
# guard runs, so the 413 page must not show the editor (the draft) to anyone but an author, and an unknown
# survey gives a 4xx, not a 500.
OVER_LIMIT = {"title": "x" * (1024 * 1024 + 10)}  # one field alone is over the 1 MiB body limit


def make_secret_survey(app: Flask, db_url: str):
    author = signed_in(app, db_url, "author")
    token = page_token(author, "/author/new")
    created = author.post("/author/new", data={"survey_id": SLUG, "title": "Secret launch plan",
                                               "start": "blank", "csrf_token": token})
    assert created.status_code == 302
    return author


def test_oversized_post_does_not_show_the_draft_to_visitors_or_analysts(app: Flask, db_url: str) -> None:
    make_secret_survey(app, db_url)
    before = stored_draft(db_url, SLUG)
    analyst = signed_in(app, db_url, "analyst")
    # the sign-in guard runs before anything reads the body: a visitor is turned away (401) and an analyst
    # refused (403) without the body being read, so no page about the survey is ever rendered for them
    for client, refused in ((app.test_client(), 401), (analyst, 403)):
        for path in (f"/author/{SLUG}/settings", f"/author/{SLUG}/upload", f"/author/{SLUG}/publish"):
            response = client.post(path, data=OVER_LIMIT)
            body = response.get_data(as_text=True)
            assert response.status_code == refused, (path, response.status_code)
            assert "Secret launch plan" not in body, path
    assert stored_draft(db_url, SLUG) == before
    assert count_rows(db_url, "survey_versions") == 0


def test_oversized_post_still_explains_itself_to_the_author(app: Flask, db_url: str) -> None:
    author = make_secret_survey(app, db_url)
    response = author.post(f"/author/{SLUG}/upload", data=OVER_LIMIT)
    body = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "the upload is larger than 1024 KB" in body and "Secret launch plan" in body


def test_oversized_post_for_an_unknown_survey_is_not_a_500(app: Flask, db_url: str) -> None:
    author = make_secret_survey(app, db_url)
    response = author.post("/author/no_such_survey/settings", data=OVER_LIMIT)
    assert response.status_code == 413
