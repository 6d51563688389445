"""Publishing asks for confirmation first and says what changes for respondents: the version number, the new,
removed and reworded questions and those whose choices or settings changed (issue 16); each publication is in
the audit log."""

from __future__ import annotations

import html
from typing import Any

import sqlalchemy as sa
from flask import Flask

from tests.webapp.support.author import count_rows, page_token, signed_in
from webapp.audit.models import AuditEvent
from webapp.services import authoring
from webapp.storage.engine import open_session


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_publishing_shows_what_changes_and_waits_for_confirmation(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = page_token(client, "/author/new")
    client.post("/author/new", data={"survey_id": "acme", "title": "Acme check-in", "start": "blank",
                                     "csrf_token": token})
    client.post("/author/acme/questions", data={"key": "ces", "section": "main", "csrf_token": token})
    editor = _text(client.get("/author/acme"))
    assert 'href="/author/acme/publish"' in editor  # a link to the confirmation, not a one-click button

    first = _text(client.get("/author/acme/publish"))
    assert "Publish version 1 of Acme check-in?" in first and "2 questions" in first
    assert count_rows(db_url, "survey_versions") == 0  # looking publishes nothing
    assert client.post("/author/acme/publish", data={"csrf_token": token}).status_code == 302

    with open_session(db_url) as session:
        data = authoring.draft_definition(session, "acme")
        questions = data["sections"][0]["questions"]
        reworded = questions[0]["text"] = "What one thing should we change first?"
        questions[1]["required"] = not questions[1].get("required", False)
        questions.append({"id": "q_extra", "type": "text", "text": "Anything else?"})
        authoring.save_draft(session, "acme", data)
    second = _text(client.get("/author/acme/publish"))
    assert "Publish version 2 of Acme check-in?" in second
    assert "New questions" in second and "q_extra</code>: Anything else?" in second
    assert "Reworded questions" in second and reworded in second
    assert "changed choices, settings or conditions" in second and "q_ces" in second.split("changed choices")[1]
    assert "Removed questions" not in second
    assert count_rows(db_url, "survey_versions") == 1

    client.post("/author/acme/publish", data={"csrf_token": token})
    unchanged = _text(client.get("/author/acme/publish"))
    assert "Nothing respondents see has changed since version 2." in unchanged
    with open_session(db_url) as session:
        published = [(e.actor, e.target, e.detail) for e in session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "survey_published").order_by(AuditEvent.id))]
    assert published == [("author@example.com", "acme", '{"version": 1}'),
                         ("author@example.com", "acme", '{"version": 2}')]


def test_the_confirmation_of_an_unknown_survey_is_a_404(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    assert client.get("/author/nope/publish").status_code == 404
