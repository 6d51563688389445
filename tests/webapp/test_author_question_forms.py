"""The question editor's settings form (generated from each type's declaration) and condition builder, through
the Flask test client: what each writes into the stored draft, per-field messages for refused input (400,
nothing stored), and the raw YAML box still there for experts. Expected definitions are written by hand."""

from __future__ import annotations

import html
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from surveys.questions import QUESTION_TYPES
from tests.webapp.support.author import page_token, signed_in, stored_draft
from webapp.author.edits import COMMON_FIELDS


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def build(client: FlaskClient) -> str:
    """acme: page main [q_one_change (text), q_nps, q_channel (channel rating), q_csat] with channels."""
    token = page_token(client, "/author/new")
    client.post("/author/new", data={"survey_id": "acme", "title": "Acme", "start": "blank", "csrf_token": token})
    client.post("/author/acme/rows", data={"brand_promises": "", "touchpoints": "",
                                           "channels": "phone: Phone\nchat: Chat", "csrf_token": token})
    for key in ("nps", "channel_experience", "csat"):
        assert client.post("/author/acme/questions", data={"key": key, "section": "main",
                                                           "csrf_token": token}).status_code == 302
    return token


def question(db_url: str, question_id: str) -> dict[str, Any]:
    data = stored_draft(db_url, "acme")[0]
    return next(q for s in data["sections"] for q in s["questions"] if q["id"] == question_id)


def field_error(page: str, ident: str) -> str:
    match = re.search(rf'<p class="error" id="{ident}-error">(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)).strip() if match else ""


def test_the_settings_form_has_a_field_per_declared_setting(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    build(client)
    page = text(client.get("/author/acme/questions/q_channel"))
    for name in ("not_applicable", "scale.min", "scale.max", "scale.min_label", "scale.max_label", "scale.labels",
                 "channels", "used_channels_from"):
        assert f'name="{name}"' in page, name
    assert "<legend>Scale</legend>" in page
    assert 'value="Very poor"' in page  # the type's default scale is shown
    assert "For experts: the settings as YAML" in page and 'name="settings"' in page
    # every type's declared settings, and only those, appear on its form (the declaration is the one source)
    declared = {name for name in QUESTION_TYPES["nps"].model_fields if name not in COMMON_FIELDS}
    nps = text(client.get("/author/acme/questions/q_nps"))
    assert set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([a-z_.]+)"', nps.split(
        "settings-form-title", 1)[1].split("</form>", 1)[0])) - {"csrf_token"} == declared == {"not_applicable"}


def test_settings_are_saved_from_the_form(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = build(client)
    saved = client.post("/author/acme/questions/q_channel/settings", data={
        "csrf_token": token, "not_applicable": "yes", "scale.min": "1", "scale.max": "7",
        "scale.min_label": "Awful", "scale.max_label": "Superb", "scale.labels": "", "channels": "phone",
        "used_channels_from": ""})
    assert saved.status_code == 302 and saved.headers["Location"] == "/author/acme#q-q_channel"
    stored = question(db_url, "q_channel")
    assert stored["scale"] == {"max": 7, "min_label": "Awful", "max_label": "Superb"}  # min 1: the default
    assert stored["channels"] == ["phone"] and stored["not_applicable"] is True
    assert "used_channels_from" not in stored
    # the text question: a check box left unticked and a number
    client.post("/author/acme/questions/q_one_change/settings",
                data={"csrf_token": token, "not_applicable": "", "max_length": "300"})
    stored = question(db_url, "q_one_change")
    assert stored.get("multiline") is False and stored["max_length"] == 300


def test_refused_settings_are_named_at_their_field(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = build(client)
    before = stored_draft(db_url, "acme")[0]
    typed = client.post("/author/acme/questions/q_channel/settings", data={
        "csrf_token": token, "scale.min": "1", "scale.max": "seven", "channels": ""})
    assert typed.status_code == 400
    page = text(typed)
    assert "<title>Error: " in page
    assert field_error(page, "set-scale-max") == "enter a whole number, not 'seven'"
    assert 'value="seven"' in page  # what was typed is shown again
    judged = client.post("/author/acme/questions/q_channel/settings", data={
        "csrf_token": token, "scale.min": "5", "scale.max": "3", "channels": ""})
    assert judged.status_code == 400
    assert "must be greater than its min (5)" in field_error(text(judged), "set-scale-max")
    unknown = client.post("/author/acme/questions/q_channel/settings", data={
        "csrf_token": token, "channels": "phone, fax"})
    assert unknown.status_code == 400 and "fax" in field_error(text(unknown), "set-channels")
    too_long = client.post("/author/acme/questions/q_one_change/settings",
                           data={"csrf_token": token, "multiline": "y", "max_length": "999999"})
    assert too_long.status_code == 400 and field_error(text(too_long), "set-max_length")
    assert stored_draft(db_url, "acme")[0] == before


def test_the_condition_builder_writes_show_if(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = build(client)
    page = text(client.get("/author/acme/questions/q_csat"))
    assert '<option value="q_nps">' in page and '<option value="q_channel.phone">' in page
    assert '<option value="q_csat">' not in page  # only earlier questions
    set_it = client.post("/author/acme/questions/q_csat/condition", data={
        "csrf_token": token, "cond-question": "q_nps", "cond-operator": "<=", "cond-value": "6"})
    assert set_it.status_code == 302 and set_it.headers["Location"] == "/author/acme#q-q_csat"
    assert question(db_url, "q_csat")["show_if"] == "q_nps <= 6"
    client.post("/author/acme/questions/q_csat/condition", data={
        "csrf_token": token, "cond-question": "q_channel.phone", "cond-operator": "answered", "cond-value": "",
        "cond-combine": "and"})
    assert question(db_url, "q_csat")["show_if"] == "(q_nps <= 6) and answered(q_channel.phone)"
    client.post("/author/acme/questions/q_csat/condition", data={
        "csrf_token": token, "cond-question": "q_one_change", "cond-operator": "!=", "cond-value": "it's fine",
        "cond-combine": "replace"})
    assert question(db_url, "q_csat")["show_if"] == "q_one_change != 'it\\'s fine'"
    assert "q_one_change != 'it\\'s fine'" in text(client.get("/author/acme/questions/q_csat"))  # text box


def test_the_condition_builder_refuses_what_cannot_work(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = build(client)
    before = stored_draft(db_url, "acme")[0]
    cases = [
        ({"cond-question": "q_csat", "cond-operator": "==", "cond-value": "1"}, "question",
         "choose one of the questions before q_nps"),
        ({"cond-question": "q_one_change", "cond-operator": "<", "cond-value": "3"}, "operator",
         "“is below” does not suit the answers of q_one_change"),
        ({"cond-question": "q_one_change", "cond-operator": "==", "cond-value": " "}, "value",
         "enter the answer of q_one_change to compare with"),
    ]
    for fields, name, message in cases:
        response = client.post("/author/acme/questions/q_nps/condition", data={"csrf_token": token, **fields})
        assert response.status_code == 400, fields
        assert field_error(text(response), f"cond-{name}").startswith(message), (fields, text(response)[:300])
    off_scale = client.post("/author/acme/questions/q_csat/condition", data={
        "csrf_token": token, "cond-question": "q_nps", "cond-operator": ">=", "cond-value": "11"})
    assert off_scale.status_code == 400
    assert field_error(text(off_scale), "cond-value").startswith("'11' is not an answer of q_nps; it can be 0, 1, 2")
    words = client.post("/author/acme/questions/q_csat/condition", data={
        "csrf_token": token, "cond-question": "q_channel", "cond-operator": "==", "cond-value": "5"})
    assert words.status_code == 400 and "does not suit the answers of q_channel" in field_error(text(words),
                                                                                                "cond-operator")
    first = text(client.get("/author/acme/questions/q_one_change"))
    assert "This is the first question" in first
    assert stored_draft(db_url, "acme")[0] == before


def test_the_form_as_shown_saves_unchanged_values(app: Flask, db_url: str) -> None:
    """Submitting a settings form exactly as the page fills it, with one number changed, saves that change only."""
    client = signed_in(app, db_url, "author")
    token = page_token(client, "/author/new")
    client.post("/author/new", data={"survey_id": "acme", "title": "Acme", "start": "relationship",
                                     "csrf_token": token})
    before = question(db_url, "q_channel")
    page = client.get("/author/acme/questions/q_channel").get_data(as_text=True)
    form = page.split('id="settings-form-title"', 1)[1].split("</form>", 1)[0]
    fields = {name: html.unescape(value) for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)}
    fields |= {name: html.unescape(value) for name, value in re.findall(
        r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', form)}
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options) or re.search(r'<option value="([^"]*)"', options)
        fields[name] = chosen.group(1) if chosen else ""
    assert fields["scale.labels"].count("\n") == 4  # the template labels its five points
    fields["scale.max"] = "7"
    refused = client.post("/author/acme/questions/q_channel/settings", data=fields)
    assert refused.status_code == 400
    assert field_error(text(refused), "set-scale-labels") == "labels must name every point: 7 labels for 1..7, got 5"
    fields["scale.labels"] = ""
    saved = client.post("/author/acme/questions/q_channel/settings", data=fields)
    assert saved.status_code == 302, text(saved)[text(saved).find("error-summary"):][:800]
    after = question(db_url, "q_channel")
    scale = {name: value for name, value in before["scale"].items() if name != "labels"} | {"max": 7}
    assert after == before | {"scale": scale}


def test_the_forms_and_their_errors_pass_the_page_checks(app: Flask, db_url: str) -> None:
    """Labels, unique ids, described-by and in-page links pointing at real ids, the error summary first."""
    from tests.webapp.test_author_accessibility import check

    client = signed_in(app, db_url, "author")
    token = build(client)
    check(client.get("/author/acme/questions/q_channel").get_data(as_text=True))
    check(client.get("/author/acme/questions/q_csat").get_data(as_text=True))
    refused = client.post("/author/acme/questions/q_channel/settings", data={
        "csrf_token": token, "scale.min": "x", "scale.max": "seven", "channels": ""})
    check(refused.get_data(as_text=True), error=True)
    condition = client.post("/author/acme/questions/q_csat/condition", data={
        "csrf_token": token, "cond-question": "q_nps", "cond-operator": "in", "cond-value": "1"})
    assert condition.status_code == 400
    check(condition.get_data(as_text=True), error=True)
