"""The question editor with deeply nested settings YAML or show_if: a 400 naming the field, the draft
unchanged (both were a RecursionError, a 500)."""

from __future__ import annotations

import pytest
from author_support import page_token, signed_in, stored_draft
from flask import Flask


@pytest.mark.parametrize(("fields", "message"), [
    ({"settings": "[" * 5000}, "nested too deeply"),
    ({"show_if": "(" * 400 + "answered(q_ces)" + ")" * 400}, "nested more than 50 levels deep"),
])
def test_deep_nesting_in_the_question_editor_is_refused(app: Flask, db_url: str, fields: dict,
                                                        message: str) -> None:
    author = signed_in(app, db_url, "author")
    token = page_token(author, "/author/new")
    assert author.post("/author/new", data={"survey_id": "acme", "title": "Acme", "start": "relationship",
                                            "csrf_token": token}).status_code == 302
    before = stored_draft(db_url, "acme")
    form = {"csrf_token": token, "text": "How easy was it?", "help": "", "show_if": "", "settings": ""} | fields
    response = author.post("/author/acme/questions/q_one_change", data=form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert stored_draft(db_url, "acme") == before
