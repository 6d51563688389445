"""The authoring upload with "leave out what cxroi cannot represent" (issue 13): an XLSForm with a geopoint and a
photo is shown with what would be left out before anything is saved; confirming saves the rest; without the box
the same file is refused as before."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

import openpyxl
from flask.testing import FlaskClient

from tests.webapp import test_author_files
from tests.webapp.support.author import stored_draft
from tests.webapp.test_author_accessibility import check

author = test_author_files.author  # the fixture: a signed-in author and a blank draft 'acme'


def field_form(tmp_path: Path, form_id: str = "acme") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "survey"
    for row in [["type", "name", "label"], ["text", "q_store", "Which store did you visit?"],
                ["geopoint", "q_gps", "Where are you?"], ["image", "q_photo", "A photo of the shelf"],
                ["select_one agree", "q_easy", "Finding what I needed was easy."]]:
        sheet.append(row)
    settings = workbook.create_sheet("settings")
    settings.append(["form_id", "form_title"])
    settings.append([form_id, "Store visit"])
    choices = workbook.create_sheet("choices")
    for row in [["list_name", "name", "label"], ["agree", "1", "Strongly disagree"], ["agree", "2", "Disagree"],
                ["agree", "3", "Neither agree nor disagree"], ["agree", "4", "Agree"],
                ["agree", "5", "Strongly agree"]]:
        choices.append(row)
    path = tmp_path / "store.xlsx"
    workbook.save(path)
    return path.read_bytes()


def post(client: FlaskClient, token: str, content: bytes, **extra: str) -> Any:
    return client.post("/author/acme/upload", content_type="multipart/form-data",
                       data={"csrf_token": token, "definition": (io.BytesIO(content), "store.xlsx"), **extra})


def texts(page: str, list_id: str) -> list[str]:
    block = page.split(f'id="{list_id}"', 1)[1].split("</ul>", 1)[0]
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_what_is_left_out_is_shown_before_saving_and_confirming_saves_the_rest(
        author: tuple[FlaskClient, str], db_url: str, tmp_path: Path) -> None:
    client, token = author
    before = stored_draft(db_url, "acme")[0]
    shown = post(client, token, field_form(tmp_path), skip_unsupported="y")
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    assert texts(page, "dropped") == ["survey sheet, row 3, type: q_gps: 'geopoint' is not supported",
                                      "survey sheet, row 4, type: q_photo: 'image' is not supported"]
    assert texts(page, "notes")[0].startswith("survey sheet, row 5: the choices of list 'agree' are read as a "
                                              "likert 5-point scale: 1=1 (Strongly disagree)")
    assert stored_draft(db_url, "acme")[0] == before  # nothing saved yet
    check(page)  # labels, unique ids, one h1, no script: as every authoring page (test_author_accessibility)
    definition = _hidden(page, "definition")
    saved = client.post("/author/acme/upload/confirm", data={"csrf_token": token, "definition": definition,
                                                             "name": "store.xlsx"})
    assert saved.status_code == 302
    draft = stored_draft(db_url, "acme")[0]
    questions = [q for section in draft["sections"] for q in section["questions"]]
    assert [(q["id"], q["type"]) for q in questions] == [("q_store", "text"), ("q_easy", "likert")]


def _hidden(page: str, name: str) -> str:
    for tag in re.findall(r"<input[^>]*>", page):
        if f'name="{name}"' in tag:
            return html.unescape(re.search(r'value="([^"]*)"', tag).group(1))  # type: ignore[union-attr]
    raise AssertionError(f"no hidden field {name}")


def test_without_the_box_the_workbook_is_refused_and_nothing_changes(
        author: tuple[FlaskClient, str], db_url: str, tmp_path: Path) -> None:
    client, token = author
    before = stored_draft(db_url, "acme")[0]
    refused = post(client, token, field_form(tmp_path))
    assert refused.status_code == 400
    assert "'geopoint' is not supported" in html.unescape(refused.get_data(as_text=True))
    assert stored_draft(db_url, "acme")[0] == before


def test_a_confirmation_without_csrf_or_with_an_invalid_definition_saves_nothing(
        author: tuple[FlaskClient, str], db_url: str) -> None:
    client, token = author
    before = stored_draft(db_url, "acme")[0]
    assert client.post("/author/acme/upload/confirm", data={"definition": "{}"}).status_code == 400
    bad = client.post("/author/acme/upload/confirm", data={"csrf_token": token, "definition": '{"id": "acme"}',
                                                           "name": "x.xlsx"})
    assert bad.status_code == 400
    assert stored_draft(db_url, "acme")[0] == before


def test_a_workbook_of_another_survey_is_refused_before_the_list(author: tuple[FlaskClient, str], db_url: str,
                                                                 tmp_path: Path) -> None:
    client, token = author
    refused = post(client, token, field_form(tmp_path, form_id="store_visit"), skip_unsupported="y")
    assert refused.status_code == 400
    assert "'store_visit': must be 'acme', the id of this survey" in html.unescape(refused.get_data(as_text=True))


def test_the_editor_offers_the_box(author: tuple[FlaskClient, str]) -> None:
    client, _ = author
    page = client.get("/author/acme").get_data(as_text=True)
    assert 'name="skip_unsupported"' in page and 'type="checkbox"' in page
    check(page)
