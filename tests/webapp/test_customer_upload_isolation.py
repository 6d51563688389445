"""The links page's customer list is read in a child process under the upload limits (webapp/services/uploads.py,
`read_customers`), like definitions and outcomes (tests/webapp/test_upload_isolation.py): a hostile list — a 100 MB
single-cell CSV, a zip-bomb workbook, a million empty rows — is refused with a message naming the file and what
is wrong (413 or 400, never a 500), the child is ended, nothing is stored, the page sent back does not grow with
the file, and the same web worker previews a valid list right after. The child's memory is capped low here
(`UPLOAD_MEMORY_MB` = 64) so that each file would exceed it if it were read whole."""

from __future__ import annotations

import io
import multiprocessing
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.webapp.support.author import count_rows, page_token, signed_in
from webapp.app import create_app
from webapp.services.uploads import CUSTOMER_ROWS

MEMORY_MB = 64


@pytest.fixture
def author(tmp_path: Path, sqlite_url: str) -> tuple[FlaskClient, str]:
    app = create_app({"DATABASE_URL": sqlite_url, "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                      "SECRET_KEY": "test-secret", "UPLOAD_MEMORY_MB": MEMORY_MB, "UPLOAD_SECONDS": 60})
    client = signed_in(app, sqlite_url, "author")
    token = page_token(client, "/author/new")
    assert client.post("/author/new", data={"survey_id": "acme", "title": "Acme", "start": "relationship",
                                            "csrf_token": token}).status_code == 302
    assert client.post("/author/acme/publish", data={"csrf_token": token}).status_code == 302
    return client, token


def preview(client: FlaskClient, token: str, content: bytes, name: str = "customers.csv") -> Any:
    return client.post("/author/acme/links/preview", content_type="multipart/form-data", data={
        "csrf_token": token, "channel": "email", "customers": (io.BytesIO(content), name)})


def the_worker_goes_on(client: FlaskClient, token: str, sqlite_url: str) -> None:
    """No child left behind, nothing stored, and this process (the web worker) previews a valid list."""
    assert multiprocessing.active_children() == []
    assert count_rows(sqlite_url, "invitations") == 0
    pid = os.getpid()
    valid = preview(client, token, b"customer_id\nC1\nC2\n")
    assert valid.status_code == 200 and "Create 2 personal links" in valid.get_data(as_text=True)
    assert os.getpid() == pid


def test_a_100_mb_single_cell_list_is_refused_by_the_child_memory_limit(
        author: tuple[FlaskClient, str], sqlite_url: str) -> None:
    client, token = author
    client.application.config["MAX_CONTENT_LENGTH"] = 110 * 1024 * 1024  # past the app-wide 1 MiB, as a proxy might
    content = b"customer_id\n" + b"x" * (100 * 1024 * 1024)
    response = preview(client, token, content, "huge customers.csv")
    del content
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert f"huge customers.csv needed more than {MEMORY_MB} MB of memory to read" in page
    assert "nothing was changed" in page and len(page) < 200_000
    the_worker_goes_on(client, token, sqlite_url)


def test_a_zip_bomb_workbook_is_refused_before_anything_is_unzipped(
        author: tuple[FlaskClient, str], sqlite_url: str) -> None:
    client, token = author
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("xl/worksheets/sheet1.xml", "w") as member:
        for _ in range(200):  # 200 MB of zeros, about 200 KB compressed
            member.write(bytes(1024 * 1024))
    assert len(bomb.getvalue()) < 1024 * 1024
    response = preview(client, token, bomb.getvalue(), "customers.xlsx")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "customers.xlsx: a spreadsheet workbook, not a CSV file; save the sheet as CSV (UTF-8)" in page
    the_worker_goes_on(client, token, sqlite_url)


def test_a_million_empty_rows_are_refused_naming_the_limit(author: tuple[FlaskClient, str], sqlite_url: str) -> None:
    client, token = author
    content = b"customer_id\n" + b"\n" * 1_000_000  # a million rows, within the 1 MiB request limit
    response = preview(client, token, content)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert (f"customers.csv: more than {CUSTOMER_ROWS:,} customers; split the list into files of at most "
            f"{CUSTOMER_ROWS:,} rows, or use the command line (cxroi invite)") in page
    assert 'id="row-' not in page and len(page) < 200_000  # no row of the file came back to the worker
    the_worker_goes_on(client, token, sqlite_url)


def test_a_cell_longer_than_the_csv_limit_is_refused_naming_its_row(
        author: tuple[FlaskClient, str], sqlite_url: str) -> None:
    client, token = author
    response = preview(client, token, b"customer_id,name\nC1,Ann\nC2," + b"y" * 200_000 + b"\n")
    assert response.status_code == 400
    assert "customers.csv: row 3 has a cell longer than 131,072 characters" in response.get_data(as_text=True)
    the_worker_goes_on(client, token, sqlite_url)
