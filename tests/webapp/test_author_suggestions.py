"""'Apply suggestion' on the editor (issue 16): a finding with a correct rewrite gets a button, a finding
without none; applying replaces the text (or splits a double-barrelled question in two) with the linter's own
rewrite, recomputed on the stored draft, so a stale or made-up request is refused (409) with nothing stored.
The texts expected are written out by hand."""

from __future__ import annotations

import html
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.support.author import page_token, signed_in, stored_draft


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def build(client: FlaskClient) -> str:
    """acme with three rated questions whose texts the linter has something to say about."""
    token = page_token(client, "/author/new")
    client.post("/author/new", data={"survey_id": "acme", "title": "Acme", "start": "blank", "csrf_token": token})
    for key in ("valued", "reach_human", "channel_consistency"):
        assert client.post("/author/acme/questions", data={"key": key, "section": "main",
                                                           "csrf_token": token}).status_code == 302
    for question_id, wording in (
            ("q_valued", "How satisfied are you with the help from our helpful and knowledgeable team?"),
            ("q_reach_human", "How fast and friendly was the agent?"),
            ("q_consistency", "How easy was it to switch between channels?")):
        saved = client.post(f"/author/acme/questions/{question_id}", data={
            "csrf_token": token, "text": wording, "help": "", "show_if": "", "settings": _settings(question_id)})
        assert saved.status_code == 302, text(saved)[:2000]
    return token


def _settings(question_id: str) -> str:
    return {"q_valued": "scale: {min: 1, max: 5, min_label: Poor, max_label: Excellent}",
            "q_reach_human": "scale: {min: 1, max: 5, min_label: Poor, max_label: Excellent}",
            "q_consistency": "points: 5"}[question_id]


def questions(db_url: str) -> list[dict[str, Any]]:
    return [q for s in stored_draft(db_url, "acme")[0]["sections"] for q in s["questions"]]


def apply(client: FlaskClient, token: str, code: str, question_id: str, path: str) -> Any:
    return client.post("/author/acme/findings/apply", data={"csrf_token": token, "code": code, "path": path,
                                                            "question_id": question_id})


def test_a_correct_rewrite_has_a_button_and_is_applied(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = build(client)
    ids = [q["id"] for q in questions(db_url)]
    assert ids == ["q_one_change", "q_valued", "q_reach_human", "q_consistency"]
    editor = text(client.get("/author/acme"))
    # praise: the neutral rewrite is offered; the split of the praising pair is not (it would keep the praise)
    assert "Apply suggestion (leading_wording, q_valued)" in editor.replace('<span class="visually-hidden">', "")
    assert "(double_barrelled, q_valued)" not in editor
    assert "Split into these two questions" in editor  # q_reach_human

    path = "sections[0].questions[1].text"
    applied = apply(client, token, "leading_wording", "q_valued", path)
    assert applied.status_code == 302 and applied.headers["Location"] == "/author/acme#q-q_valued"
    assert questions(db_url)[1]["text"] == "How satisfied are you with the help from our team?"

    split = apply(client, token, "double_barrelled", "q_reach_human", "sections[0].questions[2].text")
    assert split.status_code == 302
    after = questions(db_url)
    assert [(q["id"], q["text"]) for q in after[2:4]] == [("q_reach_human", "How fast was the agent?"),
                                                          ("q_reach_human_2", "How friendly was the agent?")]
    assert after[3]["type"] == after[2]["type"] == "rating" and after[3]["scale"] == after[2]["scale"]

    statement = apply(client, token, "question_on_agreement_scale", "q_consistency",
                      "sections[0].questions[4].text")
    assert statement.status_code == 302
    assert questions(db_url)[4]["text"] == "It was easy to switch between channels."
    assert "Apply suggestion" not in text(client.get("/author/acme")).split('id="rows-title"')[0].split(
        'id="q-q_valued"')[1].split("</li>")[0]  # nothing left to apply on q_valued


def test_a_stale_or_made_up_suggestion_is_refused(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = build(client)
    before = stored_draft(db_url, "acme")[0]
    for code, question_id, path in (
            ("leading_wording", "q_valued", "sections[0].questions[2].text"),  # the wrong place
            ("leading_wording", "q_reach_human", "sections[0].questions[2].text"),  # no such finding there
            ("no_low_score_follow_up", "q_valued", "sections[0].questions[1]"),  # a finding without a rewrite
            ("", "", "")):
        refused = apply(client, token, code, question_id, path)
        assert refused.status_code == 409, (code, question_id)
        assert "this suggestion no longer applies" in text(refused)
    assert stored_draft(db_url, "acme")[0] == before
    # applied once, the same button on a stale page finds nothing to apply
    assert apply(client, token, "leading_wording", "q_valued", "sections[0].questions[1].text").status_code == 302
    assert apply(client, token, "leading_wording", "q_valued", "sections[0].questions[1].text").status_code == 409
