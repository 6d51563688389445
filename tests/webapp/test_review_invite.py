"""Personal links are never made without being handed over (the database keeps only the tokens' hashes),
and the command line and the authoring page judge a customer list by the same rules."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from author_support import count_rows, page_token, signed_in
from flask import Flask
from test_web_cli_hosting import run
from web_support import EXAMPLE

from webapp.services.authoring import read_customer_list
from webapp.services.invitations import read_customer_ids


@pytest.fixture
def published(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    assert run(["survey", "publish", str(EXAMPLE)], capsys)[0] == 0
    return db_url


def test_invite_to_an_unwritable_place_makes_no_link(published: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id\nC1\nC2\n", encoding="utf-8")
    links = tmp_path / "no such folder" / "links.csv"
    code, _, err = run(["invite", "acme_relationship", "--customers", str(customers), "--channel", "email",
                        "-o", str(links)], capsys)
    assert code == 2 and str(links) in err and "no link was made" in err and "Traceback" not in err
    assert count_rows(published, "invitations") == 0


def test_a_failed_invite_keeps_the_links_file_of_an_earlier_run(published: str, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id\nC1\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    links = out / "links.csv"
    links.write_text("customer_id,channel,url\nC0,email,https://x/s/earlier\n", encoding="utf-8")
    code, _, err = run(["invite", "acme_relationship", "--customers", str(customers), "--channel", "fax",
                        "-o", str(links)], capsys)
    assert code == 2 and "unknown channel 'fax'" in err
    assert links.read_text(encoding="utf-8") == "customer_id,channel,url\nC0,email,https://x/s/earlier\n"
    assert [p.name for p in out.iterdir()] == ["links.csv"]  # no temporary file left
    assert count_rows(published, "invitations") == 0


def test_control_characters_are_flagged_on_their_row_in_both_readers(tmp_path: Path) -> None:
    content = b"customer_id\nC1\nC\x072\nC3\n"  # row 3 holds a BEL character
    listed = read_customer_list(content, name="customers.csv")
    assert [(row.line, row.problem) for row in listed.rows] == [
        (2, None), (3, "customer id with control characters"), (4, None)]
    path = tmp_path / "customers.csv"
    path.write_bytes(content)
    with pytest.raises(Exception, match=r"customers.csv: row 3: customer id with control characters$"):
        read_customer_ids(path)


def test_the_links_preview_flags_a_control_character_and_offers_no_confirmation(app: Flask, db_url: str) -> None:
    client = signed_in(app, db_url, "author")
    token = page_token(client, "/author/new")
    assert client.post("/author/new", data={"survey_id": "acme", "title": "Acme", "start": "relationship",
                                            "csrf_token": token}).status_code == 302
    assert client.post("/author/acme/publish", data={"csrf_token": token}).status_code == 302
    response = client.post("/author/acme/links/preview", content_type="multipart/form-data", data={
        "csrf_token": token, "channel": "email", "customers": (io.BytesIO(b"customer_id\nC1\nC\x072\n"), "c.csv")})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "customer id with control characters" in page and "links/create" not in page
    assert count_rows(db_url, "invitations") == 0


def test_an_excel_workbook_given_as_the_customer_list_is_named_as_such(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["customer_id"])
    workbook.active.append(["C1"])
    path = tmp_path / "customers.xlsx"
    workbook.save(path)
    with pytest.raises(Exception, match=r"customers.xlsx: a spreadsheet workbook, not a CSV file; save the sheet as CSV"):
        read_customer_ids(path)
