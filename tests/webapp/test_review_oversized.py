"""A request body over the limit on an authoring page: the CSRF check reads the body before the sign-in
guard runs, so the 413 page must not show the editor (the draft) to anyone but an author, and an unknown
survey gives a 4xx, not a 500."""

from __future__ import annotations

from author_support import count_rows, page_token, signed_in, stored_draft
from flask import Flask

SLUG = "acme"
OVER_LIMIT = {"title": "x" * (1024 * 1024 + 10)}  # one field alone is over the 1 MiB body limit


def make_survey(app: Flask, db_url: str):
    author = signed_in(app, db_url, "author")
    token = page_token(author, "/author/new")
    created = author.post("/author/new", data={"survey_id": SLUG, "title": "Secret launch plan",
                                               "start": "blank", "csrf_token": token})
    assert created.status_code == 302
    return author


def test_oversized_post_does_not_show_the_draft_to_visitors_or_analysts(app: Flask, db_url: str) -> None:
    make_survey(app, db_url)
    before = stored_draft(db_url, SLUG)
    analyst = signed_in(app, db_url, "analyst")
    for client in (app.test_client(), analyst):
        for path in (f"/author/{SLUG}/settings", f"/author/{SLUG}/upload", f"/author/{SLUG}/publish"):
            response = client.post(path, data=OVER_LIMIT)
            body = response.get_data(as_text=True)
            assert response.status_code == 413, (path, response.status_code)
            assert "Secret launch plan" not in body, path
            assert "The request was larger than 1024 KB; nothing was changed." in body
    assert stored_draft(db_url, SLUG) == before
    assert count_rows(db_url, "survey_versions") == 0


def test_oversized_post_still_explains_itself_to_the_author(app: Flask, db_url: str) -> None:
    author = make_survey(app, db_url)
    response = author.post(f"/author/{SLUG}/upload", data=OVER_LIMIT)
    body = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "the upload is larger than 1024 KB" in body and "Secret launch plan" in body


def test_oversized_post_for_an_unknown_survey_is_not_a_500(app: Flask, db_url: str) -> None:
    author = make_survey(app, db_url)
    response = author.post("/author/no_such_survey/settings", data=OVER_LIMIT)
    assert response.status_code == 413
