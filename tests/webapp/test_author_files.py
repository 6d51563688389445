"""Definition upload and download on the authoring pages: YAML, JSON and XLSForm out; YAML and XLSForm in.
An invalid upload lists every problem with its path (400) and leaves the stored draft exactly as it was."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from surveys.definition import build_survey, to_data
from surveys.files import read_survey, write_survey
from surveys.library import load_template
from tests.webapp.support.author import page_token, signed_in, stored_draft

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "relationship.yaml"


def summary(response: Any) -> list[str]:
    page = response.get_data(as_text=True)
    box = page.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in re.findall(r"<li>(.*?)</li>", box, re.S)]


@pytest.fixture
def author(app: Flask, db_url: str) -> tuple[FlaskClient, str]:
    client = signed_in(app, db_url, "author")
    token = page_token(client, "/author/new")
    assert client.post("/author/new", data={"survey_id": "acme", "title": "Acme", "start": "blank",
                                            "csrf_token": token}).status_code == 302
    return client, token


def upload(client: FlaskClient, token: str, content: bytes, name: str) -> Any:
    return client.post("/author/acme/upload", data={"csrf_token": token, "definition": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def example_text(survey_id: str = "acme") -> str:
    return EXAMPLE.read_text(encoding="utf-8").replace("id: acme_relationship", f"id: {survey_id}", 1)


def test_download_gives_the_draft_in_each_format(author: tuple[FlaskClient, str], db_url: str,
                                                 tmp_path: Path) -> None:
    client, _ = author
    stored = stored_draft(db_url, "acme")[0]
    as_yaml = client.get("/author/acme/definition.yaml")
    assert as_yaml.status_code == 200
    assert as_yaml.headers["Content-Disposition"] == 'attachment; filename="acme.yaml"'
    assert yaml.safe_load(as_yaml.data) == stored
    as_json = client.get("/author/acme/definition.json")
    assert as_json.get_json() == stored
    as_xlsx = client.get("/author/acme/definition.xlsx")
    (tmp_path / "acme.xlsx").write_bytes(as_xlsx.data)
    assert to_data(read_survey(tmp_path / "acme.xlsx")) == stored
    assert client.get("/author/acme/definition.csv").status_code == 404


def test_a_valid_upload_replaces_the_draft(author: tuple[FlaskClient, str], db_url: str, tmp_path: Path) -> None:
    client, token = author
    response = upload(client, token, example_text().encode("utf-8"), "relationship.yaml")
    assert response.status_code == 302
    expected = to_data(build_survey(yaml.safe_load(example_text())))
    assert stored_draft(db_url, "acme")[0] == expected
    assert stored_draft(db_url, "acme")[2] == "author@example.com"  # who changed it

    template = load_template("post_support", survey_id="acme", title="After your support call")
    write_survey(template, tmp_path / "support.xlsx")
    response = upload(client, token, (tmp_path / "support.xlsx").read_bytes(), "support.xlsx")
    assert response.status_code == 302
    assert stored_draft(db_url, "acme")[0] == to_data(template)
    assert "After your support call" in client.get("/author/").get_data(as_text=True)  # the list follows the title


BAD_TYPE = """
id: acme
title: Acme
sections:
  - id: main
    title: Main
    questions:
      - {id: q1, type: stars, text: "How many stars?"}
      - {id: q2, type: rating, text: "How was it?", scale: {min: 5, max: 3}}
"""


@pytest.mark.parametrize(("content", "name", "expected"), [
    (BAD_TYPE.encode(), "bad.yaml", [
        "sections[0].questions[0]: unknown question type 'stars'; known: text, number, single_choice, multi_choice, "
        "rating, likert, csat, ces, nps, alignment, friction, channel_rating, date, note, ranking",
        "sections[0].questions[1].scale.max: the scale's max (3) must be greater than its min (5)"]),
    (example_text("someone_else").encode(), "other.yaml", [
        "id: must stay 'acme', the id of this survey (links and exports use it)"]),
    (b"id: acme\ntitle: [unclosed\n", "broken.yaml", ["line 3, column 1: expected ',' or ']', but got '<stream end>'"]),
    (b"\xff\xfe not text", "latin.yaml", ["not UTF-8 text (invalid start byte at byte 0)"]),
    (b"id,title\n", "survey.csv", ["expected a .yaml, .yml, .json or .xlsx file"]),
    (b"not a workbook", "survey.xlsx",
     ["not a readable XLSForm workbook: the file is not an Excel .xlsx workbook (or it is damaged)"]),
])
def test_an_invalid_upload_shows_every_problem_and_changes_nothing(
        author: tuple[FlaskClient, str], db_url: str, content: bytes, name: str, expected: list[str]) -> None:
    client, token = author
    before = stored_draft(db_url, "acme")
    response = upload(client, token, content, name)
    assert response.status_code == 400
    assert summary(response) == expected
    assert stored_draft(db_url, "acme") == before


def test_an_upload_without_a_file_is_refused(author: tuple[FlaskClient, str], db_url: str) -> None:
    client, token = author
    before = stored_draft(db_url, "acme")
    response = client.post("/author/acme/upload", data={"csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 400 and summary(response) == ["choose a definition file to upload"]
    assert stored_draft(db_url, "acme") == before


def test_an_upload_over_the_size_limit_is_explained_and_changes_nothing(author: tuple[FlaskClient, str],
                                                                        db_url: str) -> None:
    client, token = author
    before = stored_draft(db_url, "acme")
    huge = b"# padding\n" * 110_000  # 1.1 MB, over the app's 1 MiB request limit
    response = upload(client, token, huge, "huge.yaml")
    assert response.status_code == 413
    assert summary(response)[0].startswith("the upload is larger than 1024 KB")
    assert stored_draft(db_url, "acme") == before


def test_a_stored_draft_that_no_longer_validates_can_be_replaced(author: tuple[FlaskClient, str],
                                                                 db_url: str) -> None:
    import json

    import sqlalchemy as sa

    from webapp.storage.engine import create_engine_for

    client, token = author
    stale = {"id": "acme", "title": "Acme", "sections": [{"id": "main", "title": "Main", "questions": [
        {"id": "q1", "type": "rating", "text": "How was it?", "scale": {"min": 1, "max": 40}}]}]}
    engine = create_engine_for(db_url)  # as if saved when the rules allowed 40-point scales
    with engine.begin() as connection:
        connection.execute(sa.text("update survey_drafts set definition = :d"), {"d": json.dumps(stale)})
    engine.dispose()
    page = client.get("/author/acme")
    assert page.status_code == 409
    assert summary(page) == ["sections[0].questions[0].scale.max: a scale may have at most 21 points"]
    assert client.get("/author/acme/stored-draft.json").get_json() == stale
    for path in ("/author/acme/questions/q1", "/author/acme/preview", "/author/acme/definition.yaml"):
        assert client.get(path).headers.get("Location") == "/author/acme", path  # sent to the explanation
    assert upload(client, token, example_text().encode(), "fixed.yaml").status_code == 302
    assert client.get("/author/acme").status_code == 200
