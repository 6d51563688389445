"""The authoring pages through the Flask test client, on SQLite (and PostgreSQL when configured): a CX lead
builds a survey from the library, sees and fixes lint findings, previews, publishes, closes and reopens.
Refused edits answer 400 with the path-named problem and leave the stored draft exactly as it was."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from surveys.library import library_entry
from tests.webapp.support.author import count_rows, page_token, signed_in, stored_draft
from tests.webapp.support.web import FormReader


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def summary(response: Any) -> list[str]:
    """The items of the page's error summary as plain text ("path: message")."""
    page = response.get_data(as_text=True)
    box = page.split('class="error-summary"', 1)[1].split("</div>", 1)[0] if 'class="error-summary"' in page else ""
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in re.findall(r"<li>(.*?)</li>", box, re.S)]


def create(client: FlaskClient, slug: str = "acme", start: str = "blank", title: str = "Acme check-in") -> str:
    token = page_token(client, "/author/new")
    response = client.post("/author/new", data={"survey_id": slug, "title": title, "start": start,
                                               "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == f"/author/{slug}"
    return token


def question_ids(db_url: str, slug: str = "acme") -> list[list[str]]:
    definition = stored_draft(db_url, slug)[0]
    return [[q["id"] for q in s["questions"]] for s in definition["sections"]]


def test_a_cx_lead_builds_checks_previews_and_publishes_a_survey(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    assert "No surveys yet" in text(client.get("/author/"))
    token = create(client)
    listing = text(client.get("/author/"))
    assert "Acme check-in" in listing and "<td>draft</td>" in listing
    assert question_ids(db_url) == [["q_one_change"]]  # the blank start: one open question
    saved_at = stored_draft(db_url, "acme")[1]
    saved_at = saved_at if isinstance(saved_at, str) else saved_at.isoformat(sep=" ")
    assert f"draft saved {saved_at[:16]} UTC by author@example.com" in text(client.get("/author/acme"))

    # the library with each question's rationale, and adding two questions
    editor = text(client.get("/author/acme"))
    assert library_entry("nps").rationale in editor and library_entry("ces").rationale in editor
    assert client.post("/author/acme/questions", data={"key": "nps", "section": "main",
                                                       "csrf_token": token}).status_code == 302
    assert question_ids(db_url) == [["q_one_change", "q_nps"]]

    # NPS as the only number is an error-level finding, shown next to the question, and publishing is refused
    editor = text(client.get("/author/acme"))
    assert "nps_only_outcome" in editor
    refused = client.post("/author/acme/publish", data={"csrf_token": token})
    assert refused.status_code == 400 and "error-level finding" in summary(refused)[0]
    assert count_rows(db_url, "survey_versions") == 0

    # a leading rewording is flagged next to that question with the suggested rewrite
    edited = client.post("/author/acme/questions/q_one_change", data={
        "text": "Don't you agree that our excellent service made things easy?", "help": "", "show_if": "",
        "settings": "", "csrf_token": token})
    assert edited.status_code == 302
    editor = text(client.get("/author/acme"))
    box = editor.split('id="q-q_one_change"')[1].split("</li>")[0]
    assert "leading_wording" in box and "State the claim neutrally" in box

    # fix both: add a CES (a better outcome measure) and reword neutrally
    client.post("/author/acme/questions", data={"key": "ces", "section": "main", "csrf_token": token})
    client.post("/author/acme/questions/q_one_change", data={
        "text": "If you could change one thing about dealing with us, what would it be?", "help": "",
        "show_if": "", "settings": "multiline: true", "csrf_token": token})
    editor = text(client.get("/author/acme"))
    assert "nps_only_outcome" not in editor and "leading_wording" not in editor

    # reorder: CES up to the top of the page
    for _ in range(2):
        assert client.post("/author/acme/questions/q_ces/move/up", data={"csrf_token": token}).status_code == 302
    assert question_ids(db_url) == [["q_ces", "q_one_change", "q_nps"]]

    # preview exactly as a respondent sees it: the respondent page, checked but never stored
    preview = text(client.get("/author/acme/preview"))
    assert "Preview of the draft" in preview and "Page 1 of 1" not in preview  # one page: no progress bar
    assert library_entry("ces").question.text.split("<")[0][:20] in preview
    missing = client.post("/author/acme/preview", data={"page": "0", "csrf_token": token, "q_nps": "11"})
    assert missing.status_code == 400 and "11 is outside the scale 0..10" in text(missing)
    done = client.post("/author/acme/preview", data={"page": "0", "csrf_token": token, "q_ces": "6"})
    assert done.status_code == 303 and done.headers["Location"] == "/author/acme"
    assert count_rows(db_url, "responses") == 0

    # publish: version 1, live; the list shows it
    assert client.post("/author/acme/publish", data={"csrf_token": token}).status_code == 302
    assert count_rows(db_url, "survey_versions") == 1
    listing = text(client.get("/author/"))
    assert "<td>live</td>" in listing and "<td>1</td>" in listing

    # close and reopen; the public link answers 410 while closed
    assert client.post("/author/acme/close", data={"csrf_token": token}).status_code == 302
    assert "<td>closed</td>" in text(client.get("/author/"))
    assert app.test_client().get("/p/acme").status_code == 410
    assert client.post("/author/acme/reopen", data={"csrf_token": token}).status_code == 302
    assert "<td>live</td>" in text(client.get("/author/"))
    assert app.test_client().get("/p/acme").status_code == 200


def test_promises_touchpoints_and_channels_drive_the_grid_questions(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = create(client)
    response = client.post("/author/acme/rows", data={
        "brand_promises": "easy: We make things easy\npartner: We treat you as a partner",
        "touchpoints": "ordering: Ordering", "channels": "phone: Phone\nchat: Chat", "csrf_token": token})
    assert response.status_code == 302
    definition = stored_draft(db_url, "acme")[0]
    assert definition["brand_promises"] == [{"id": "easy", "label": "We make things easy"},
                                            {"id": "partner", "label": "We treat you as a partner"}]
    assert definition["channels"] == [{"id": "phone", "label": "Phone"}, {"id": "chat", "label": "Chat"}]
    client.post("/author/acme/questions", data={"key": "brand_alignment", "section": "main", "csrf_token": token})
    preview = text(client.get("/author/acme/preview"))
    assert "We make things easy" in preview and "We treat you as a partner" in preview  # one row per promise

    # removing every promise while the alignment grid uses them is refused, naming the grid's path
    before = stored_draft(db_url, "acme")
    refused = client.post("/author/acme/rows", data={"brand_promises": "", "touchpoints": "ordering: Ordering",
                                                     "channels": "phone: Phone", "csrf_token": token})
    assert refused.status_code == 400
    # the place is named by the page's and question's titles, linked, with the definition path beside it
    assert summary(refused) == ["page 1 “Your experience”, question q_align “Based on your own experience, how much do you "
                                "agree with ea…”: this grid needs at least one of the survey's brand_promises as "
                                "rows (sections[0].questions[1])"]
    assert 'href="#q-q_align"' in refused.get_data(as_text=True)
    assert stored_draft(db_url, "acme") == before


def test_an_edit_that_makes_the_definition_invalid_changes_nothing(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = create(client)
    client.post("/author/acme/questions", data={"key": "reach_human", "section": "main", "csrf_token": token})
    before = stored_draft(db_url, "acme")

    bad_scale = client.post("/author/acme/questions/q_reach_human", data={
        "text": "How easy was it to reach a person?", "help": "", "show_if": "",
        "settings": "scale: {min: 5, max: 3}", "csrf_token": token})
    page = text(bad_scale)
    assert bad_scale.status_code == 400
    assert "sections[0].questions[1].scale.max" in page and "must be greater than its min" in page
    assert 'href="#settings"' in page and 'aria-invalid="true"' in page  # the summary links to the field
    assert "scale: {min: 5, max: 3}" in page  # what was typed is kept for correction

    later = client.post("/author/acme/questions/q_one_change", data={
        "text": "What would you change?", "help": "", "show_if": "q_reach_human >= 3", "settings": "",
        "csrf_token": token})
    assert later.status_code == 400
    assert summary(later) == ["sections[0].questions[0].show_if: refers to 'q_reach_human', which is not an earlier "
                              "question"]

    empty = client.post("/author/acme/questions/q_one_change", data={
        "text": "", "help": "", "show_if": "", "settings": "", "csrf_token": token})
    assert empty.status_code == 400 and "sections[0].questions[0].text" in text(empty)

    confirm = text(client.get("/author/acme/questions/q_one_change/delete"))  # asks first, changes nothing
    assert "Remove question q_one_change?" in confirm and before == stored_draft(db_url, "acme")
    only_page = client.post("/author/acme/questions/q_one_change/delete", data={"csrf_token": token})
    assert only_page.status_code == 302  # one question remains on the page
    last = client.post("/author/acme/questions/q_reach_human/delete", data={"csrf_token": token})
    assert last.status_code == 400 and "sections[0].questions" in text(last)

    assert stored_draft(db_url, "acme")[0] == {**before[0], "sections": [
        {**before[0]["sections"][0], "questions": before[0]["sections"][0]["questions"][1:]}]}


def test_refused_edits_leave_the_draft_row_untouched(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = create(client)
    before = stored_draft(db_url, "acme")
    attempts = [  # (form, fields, path named in the summary, where its link leads)
        ("/author/acme/rows", {"brand_promises": "easy We make things easy", "touchpoints": "", "channels": ""},
         "brand_promises[0]", "brand_promises"),
        ("/author/acme/settings", {"title": "Acme", "intro": "", "language": "English", "customer_id_param": "",
                                   "time_budget_minutes": "8"}, "language", "language"),
        ("/author/acme/settings", {"title": "Acme", "intro": "", "language": "en", "customer_id_param": "",
                                   "time_budget_minutes": "-1"}, "time_budget_minutes", "time_budget_minutes"),
        ("/author/acme/sections", {"new_section-section_id": "main", "new_section-title": "Again",
                                   "new_section-first_key": "ces"}, "the new page, id", "new-page-title"),
    ]
    for path, data, where, anchor in attempts:
        response = client.post(path, data=data | {"csrf_token": token})
        assert response.status_code == 400, (path, response.status_code)
        assert [item.split(":")[0] for item in summary(response)] == [where], path
        assert f'<li><a href="#{anchor}">' in response.get_data(as_text=True), path
        assert stored_draft(db_url, "acme") == before, path
    assert client.post("/author/acme/questions/q_nope/move/up", data={"csrf_token": token}).status_code == 404
    assert client.post("/author/acme/questions/q_one_change/move/sideways",
                       data={"csrf_token": token}).status_code == 404
    assert client.post("/author/acme/questions", data={"key": "no_such_key", "section": "main",
                                                       "csrf_token": token}).status_code == 404
    assert stored_draft(db_url, "acme") == before


def test_pages_can_be_added_edited_and_reordered(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = create(client)
    added = client.post("/author/acme/sections", data={"new_section-section_id": "effort",
                                                       "new_section-title": "Getting things done",
                                                       "new_section-first_key": "ces", "csrf_token": token})
    assert added.status_code == 302
    assert client.post("/author/acme/sections/effort/move/up", data={"csrf_token": token}).status_code == 302
    assert question_ids(db_url) == [["q_ces"], ["q_one_change"]]
    page_token(client, "/author/acme/sections/effort")
    client.post("/author/acme/sections/effort", data={"title": "Effort", "intro": "Two minutes",
                                                      "csrf_token": token})
    definition = stored_draft(db_url, "acme")[0]
    assert (definition["sections"][0]["title"], definition["sections"][0]["intro"]) == ("Effort", "Two minutes")
    assert "with its 1 question" in text(client.get("/author/acme/sections/main/delete"))
    assert client.post("/author/acme/sections/main/delete", data={"csrf_token": token}).status_code == 302
    assert question_ids(db_url) == [["q_ces"]]


def test_new_survey_needs_a_free_valid_id(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = create(client, start="relationship")
    assert stored_draft(db_url, "acme")[0]["title"] == "Acme check-in"
    again = client.post("/author/new", data={"survey_id": "acme", "title": "Other", "start": "blank",
                                             "csrf_token": token})
    assert again.status_code == 400 and "already exists" in text(again)
    bad = client.post("/author/new", data={"survey_id": "9 lives", "title": "Other", "start": "blank",
                                           "csrf_token": token})
    assert bad.status_code == 400 and "start with a letter" in text(bad)
    assert count_rows(db_url, "surveys") == 1


def test_preview_follows_conditions_across_pages_and_stores_nothing(app: Flask, db_url: str) -> None:
    import io
    from pathlib import Path

    client = signed_in(app, db_url, "author")
    token = create(client)
    example = (Path(__file__).resolve().parents[2] / "examples" / "relationship.yaml").read_text(encoding="utf-8")
    uploaded = client.post("/author/acme/upload", content_type="multipart/form-data", data={
        "csrf_token": token,
        "definition": (io.BytesIO(example.replace("id: acme_relationship", "id: acme", 1).encode()), "r.yaml")})
    assert uploaded.status_code == 302
    why = "What is the one thing we should change?"  # q_why, on page 2, shown only if q_ces <= 4 (page 1)

    for ces, shown in (("6", False), ("3", True)):
        first = text(client.get("/author/acme/preview"))  # without a page: a fresh preview
        assert "Page 1 of 2" in first
        nxt = client.post("/author/acme/preview", data={"page": "0", "csrf_token": token, "q_align.easy": "4",
                                                         "q_align.partner": "5", "q_ces": ces})
        assert nxt.status_code == 303 and nxt.headers["Location"] == "/author/acme/preview?page=1"
        second = text(client.get("/author/acme/preview?page=1"))
        assert "Page 2 of 2" in second and (why in second) is shown, ces
        back = client.get("/author/acme/preview?page=0").get_data(as_text=True)
        assert FormReader(back).values.get("q_ces") == [ces]  # going back shows the choice made
    assert count_rows(db_url, "responses") == 0 and count_rows(db_url, "survey_versions") == 0


def test_unknown_surveys_questions_and_pages_answer_404(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = create(client)
    for path in ("/author/nope", "/author/nope/preview", "/author/nope/links", "/author/acme/questions/q_nope",
                 "/author/acme/sections/nope", "/author/acme/definition.pdf"):
        assert client.get(path).status_code == 404, path
    assert client.post("/author/nope/publish", data={"csrf_token": token}).status_code == 404
    assert client.post("/author/acme/sections/nope/move/up", data={"csrf_token": token}).status_code == 404


# The question editor with deeply nested settings YAML or show_if: a 400 naming the field, the draft
# unchanged (both were a RecursionError, a 500).
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


def test_preview_follows_page_logic_counts_shown_pages_and_goes_back(app: Flask, db_url: str) -> None:
    """The page-logic survey of tests/webapp/test_respond_page_logic.py as a draft: four pages, "What was hard"
    shown when effort_index = (q_wait + q_fix) / 2 < 3, "A call back" when q_hard (open text) is answered."""
    import io

    import yaml

    from surveys.definition import to_data
    from tests.webapp.test_respond_page_logic import logic_survey

    client = signed_in(app, db_url, "author")
    token = create(client)
    definition = to_data(logic_survey()) | {"id": "acme"}
    uploaded = client.post("/author/acme/upload", content_type="multipart/form-data", data={
        "csrf_token": token, "definition": (io.BytesIO(yaml.safe_dump(definition).encode()), "logic.yaml")})
    assert uploaded.status_code == 302
    assert "Page 1 of 2" in text(client.get("/author/acme/preview"))
    easy = client.post("/author/acme/preview", data={"page": "0", "csrf_token": token, "q_customer": "yes",
                                                      "q_wait": "4", "q_fix": "5"})  # 4.5: both pages hidden
    assert easy.headers["Location"] == "/author/acme/preview?page=3"
    last = text(client.get("/author/acme/preview?page=3"))
    assert "Page 2 of 2" in last and "Back to page 1</button>" in last
    back = client.post("/author/acme/preview", data={"page": "3", "csrf_token": token, "back": "1"})
    assert back.headers["Location"] == "/author/acme/preview?page=0"
    hard = client.post("/author/acme/preview", data={"page": "0", "csrf_token": token, "q_customer": "yes",
                                                      "q_wait": "1", "q_fix": "2"})  # 1.5: "hard" shown
    assert hard.headers["Location"] == "/author/acme/preview?page=1"
    assert "Page 2 of 3" in text(client.get("/author/acme/preview?page=1"))
    answered = client.post("/author/acme/preview", data={"page": "1", "csrf_token": token,
                                                          "q_hard": "Nobody picked up"})
    assert answered.headers["Location"] == "/author/acme/preview?page=2"  # the open-text answer counts
    assert "Page 3 of 4" in text(client.get("/author/acme/preview?page=2"))
    assert count_rows(db_url, "responses") == 0


def test_publishing_a_draft_whose_mail_text_does_not_render_says_which_and_publishes_nothing(
        app: Flask, db_url: str) -> None:
    """The draft accepts the text (its check runs on publishing); publishing answers 400 naming the field and
    the language, instead of sending the author back to the editor with nothing said."""
    import io

    import yaml

    client = signed_in(app, db_url, "author")
    token = create(client)
    definition = {"id": "acme", "title": "Acme check-in", "languages": ["en"],
                  "mail": {"text_body": "Hello {{ nom }}, {{ link }} {{ unsubscribe_link }}"},
                  "sections": [{"id": "s", "title": "S", "questions": [{"id": "q", "type": "rating",
                                                                         "text": "How was it?"}]}]}
    uploaded = client.post("/author/acme/upload", content_type="multipart/form-data", data={
        "csrf_token": token, "definition": (io.BytesIO(yaml.safe_dump(definition).encode()), "mail.yaml")})
    assert uploaded.status_code == 302
    refused = client.post("/author/acme/publish", data={"csrf_token": token})
    assert refused.status_code == 400 and "mail.text_body: 'nom' is undefined" in text(refused)
    assert count_rows(db_url, "survey_versions") == 0
