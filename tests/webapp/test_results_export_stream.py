"""The results page's export download streams: CSV rows go out in pieces as they are read (a generator behind
the response, never the whole file in memory), XLSX and Parquet are written to a temporary file on disk that is
sent from its open handle (the server's file wrapper) and removed. 20,000 responses with planted answers: the file has
every one, with the cells worked out from the plant."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.wsgi import FileWrapper

from tests.webapp.support.results import add_staff, sign_in
from tests.webapp.support.web import example_survey
from webapp.app import create_app
from webapp.services import publish_survey
from webapp.storage.engine import open_session
from webapp.storage.models import Response, utcnow

COUNT = 20_000


def planted(n: int) -> dict[str, object]:
    """The answers of response number n: CES cycles 1..7, NPS cycles 0..10, every 5th says something."""
    answers: dict[str, object] = {"q_ces": n % 7 + 1, "q_nps": n % 11, "q_align": {"easy": n % 5 + 1, "partner": 3}}
    if n % 5 == 0:
        answers["q_why"] = f"=comment {n}"  # a formula-looking text: exported with a leading apostrophe
    return answers


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Flask, str]:
    folder = tmp_path_factory.mktemp("export-stream")
    url = f"sqlite:///{folder / 'cxroi.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance"), "TESTING": True,
                      "SECRET_KEY": "test-secret"})
    add_staff(url)
    with open_session(url) as session:
        version = publish_survey(session, example_survey())
        now = utcnow()
        session.execute(sa.insert(Response), [
            {"version_id": version.id, "customer_id": f"C{n:05d}", "channel": "email", "status": "complete",
             "answers": planted(n), "current_page": 1, "started_at": now, "updated_at": now, "submitted_at": now}
            for n in range(COUNT)])
        session.commit()
    return app, url


def test_a_large_csv_export_streams_every_row(seeded: tuple[Flask, str]) -> None:
    client = seeded[0].test_client()
    sign_in(client, "analyst@example.com")
    response = client.get("/results/acme_relationship/responses.csv", buffered=False)
    assert response.status_code == 200
    assert response.is_streamed  # a generator behind the response, not a body built beforehand
    assert response.headers["Content-Disposition"] == "attachment; filename=acme_relationship-responses.csv"
    assert response.headers["Cache-Control"] == "no-store"
    pieces = list(response.response)
    response.close()
    assert len(pieces) >= COUNT // 1000  # sent in pieces of at most 1,000 rows, not as one body
    rows = list(csv.DictReader(io.StringIO(b"".join(pieces).decode("utf-8"))))
    assert len(rows) == COUNT
    by_customer = {row["customer_id"]: row for row in rows}
    for n in (0, 1, 6, 10, 4_999, COUNT - 1):
        row, answers = by_customer[f"C{n:05d}"], planted(n)
        assert row["q_ces"] == str(answers["q_ces"]) and row["q_nps"] == str(answers["q_nps"])
        assert row["q_align.easy"] == str(n % 5 + 1) and row["status"] == "complete"
        assert row["q_why"] == (f"'=comment {n}" if n % 5 == 0 else "")
    # Σ CES over n = 0..19,999 of (n mod 7) + 1: 2,857 whole cycles of 1..7 (28 each) and n = 19,999 (19,999 mod 7
    # = 0, so CES 1): 2,857 × 28 + 1 = 79,997.
    assert sum(int(row["q_ces"]) for row in rows) == 79_997


@pytest.mark.parametrize("kind", ["xlsx", "parquet"])
def test_xlsx_and_parquet_are_sent_from_a_temporary_file_that_is_removed(
        seeded: tuple[Flask, str], kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the export's temporary folder goes
    client = seeded[0].test_client()
    sign_in(client, "analyst@example.com")
    handed: list[object] = []

    def file_wrapper(file: io.BufferedReader, buffer_size: int = 8192) -> FileWrapper:
        """The server's `wsgi.file_wrapper` (PEP 3333): what the app hands over to be sent as a file."""
        handed.append(file)
        return FileWrapper(file, buffer_size)

    response = client.get(f"/results/acme_relationship/responses.{kind}", buffered=False,
                          environ_overrides={"wsgi.file_wrapper": file_wrapper})
    assert response.status_code == 200
    [file] = handed  # sent from an open file on disk, not from bytes in memory
    assert isinstance(file, io.BufferedReader) and not Path(file.name).exists()
    assert response.headers["Cache-Control"] == "no-store"
    assert list(tmp_path.iterdir()) == []  # the file's name is gone already; the open handle keeps its bytes
    content = b"".join(response.response)
    response.close()
    assert file.closed
    if kind == "parquet":
        table = pq.read_table(io.BytesIO(content))
        assert table.num_rows == COUNT
        assert sum(table.column("q_ces").to_pylist()) == 79_997
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
        values = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert len(values) == COUNT


def test_a_download_in_progress_does_not_keep_respondents_waiting(seeded: tuple[Flask, str]) -> None:
    """On SQLite an open write transaction would lock every respondent out while the CSV is being sent."""
    client = seeded[0].test_client()
    sign_in(client, "analyst@example.com")
    response = client.get("/results/acme_relationship/responses.csv", buffered=False)
    pieces = iter(response.response)
    assert next(pieces).startswith(b"response_id,")  # the download has started and is not finished
    with open_session(seeded[1]) as session:  # a respondent's write goes through meanwhile
        session.execute(sa.update(Response).where(Response.customer_id == "C00000").values(channel="web"))
        session.commit()
    assert sum(piece.count(b"\n") for piece in pieces) >= COUNT - 1000  # the rest still comes
    response.close()


def test_an_unknown_survey_or_format_sends_nothing(seeded: tuple[Flask, str]) -> None:
    client = seeded[0].test_client()
    sign_in(client, "analyst@example.com")
    assert client.get("/results/nobody/responses.csv").status_code == 404
    assert client.get("/results/acme_relationship/responses.pdf").status_code == 404
