"""The export's rows as `webapp/services/export_rows.py` makes them (issue 15): each answer taken out of the stored
answers by the database as its JSON text and reused by that text, cells worked out by hand for answers of every
kind of value (numbers of each type, dates, lists, formulas, missing answers); the same files when the answers are
decoded whole instead, when the per-question cache forgets at once, across two versions, and through the web's
streamed CSV. On SQLite and PostgreSQL (the `db` fixture)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.definition import build_survey
from webapp.services import export, export_rows, publish_survey
from webapp.storage.models import Response

SLUG = "shop"
DEFINITION: dict[str, Any] = {
    "id": SLUG, "title": "Shop",
    "sections": [{"id": "visit", "title": "Visit", "questions": [
        {"id": "q_spend", "type": "number", "text": "How much did you spend?"},
        {"id": "q_count", "type": "number", "text": "How many items?", "integer": True},
        {"id": "q_when", "type": "date", "text": "When?"},
        {"id": "q_pick", "type": "multi_choice", "text": "Which?",
         "choices": [{"code": "a", "label": "A"}, {"code": "b", "label": "B"}]},
        {"id": "q_rank", "type": "ranking", "text": "Order these.",
         "choices": [{"code": "x", "label": "X"}, {"code": "y", "label": "Y"}]},
        {"id": "q_note", "type": "text", "text": "Why?"},
    ]}],
}
QUESTIONS = ["q_spend", "q_count", "q_when", "q_pick.a", "q_pick.b", "q_rank.x", "q_rank.y", "q_note"]
OWN = ["response_id", "customer_id", "channel", "survey_version", "started_at", "submitted_at", "status", "wave",
       "language"]
STARTED = datetime(2026, 1, 2, 3, 4, 5, 678901)
# (customer id, language, stored answers) of each response, in id order
STORED: list[tuple[str | None, str | None, dict[str, Any]]] = [
    ("C1", "fr", {"q_spend": 12.5, "q_count": 2, "q_when": "2026-03-04", "q_pick": ["b"], "q_rank": ["y", "x"],
                  "q_note": "=SUM(A1)"}),
    ("=cmd", None, {"q_spend": 1e300, "q_count": 2.0, "q_pick": [], "q_note": "plain"}),
    ("C3", None, {"q_spend": 3, "q_count": "7", "q_note": "-3", "q_when": "not a date"}),
    ("C4", None, {"q_spend": 0.12345678901234566, "q_note": "tab\tinside", "q_rank": ["x"]}),
    (None, None, {}),
    ("C6", "fr", {"q_spend": 12.5, "q_count": 2, "q_when": "2026-03-04", "q_pick": ["b"], "q_rank": ["y", "x"],
                  "q_note": "=SUM(A1)"}),
]
# The question cells of the CSV, worked out by hand: a number question's whole number is written as the float it
# is (3 -> 3.0); an integer question keeps the type stored (2 and 2.0 differ, "7" is text); a list of choices gives
# 0/1, a ranking each choice's place; text starting with = + - @ gets an apostrophe; no answer is an empty cell.
EXPECTED_CSV = [
    ["12.5", "2", "2026-03-04", "0", "1", "2", "1", "'=SUM(A1)"],
    ["1e+300", "2.0", "", "0", "0", "", "", "plain"],
    ["3.0", "7", "not a date", "", "", "", "", "'-3"],
    ["0.12345678901234566", "", "", "", "", "1", "", "tab\tinside"],
    ["", "", "", "", "", "", "", ""],
    ["12.5", "2", "2026-03-04", "0", "1", "2", "1", "'=SUM(A1)"],
]


def _insert(db: Session, version_id: int, stored: list[tuple[str | None, str | None, dict[str, Any]]]) -> list[int]:
    ids = []
    for customer, language, answers in stored:
        ids.append(db.execute(sa.insert(Response).values(
            version_id=version_id, customer_id=customer, channel="email", status="partial" if not answers else
            "complete", answers=answers, current_page=0, started_at=STARTED, updated_at=STARTED,
            submitted_at=None if not answers else STARTED, language=language).returning(Response.id)).scalar_one())
    db.commit()
    return ids


@pytest.fixture
def stored(db: Session) -> list[int]:
    version = publish_survey(db, build_survey(DEFINITION))
    return _insert(db, version.id, STORED)


def _csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_csv_cells_of_every_kind_of_answer(db: Session, stored: list[int], tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert export.export_responses(db, SLUG, path) == len(STORED)
    header, *rows = _csv(path)
    assert header == OWN + QUESTIONS
    assert [row[len(OWN):] for row in rows] == EXPECTED_CSV
    own = [row[:len(OWN)] for row in rows]
    assert own[0] == [str(stored[0]), "C1", "email", "1", "2026-01-02 03:04:05", "2026-01-02 03:04:05", "complete",
                      "", "fr"]
    assert own[1][1] == "'=cmd"  # a customer id goes through the formula guard too
    assert own[4] == [str(stored[4]), "", "email", "1", "2026-01-02 03:04:05", "", "partial", "", ""]


def test_the_same_files_with_the_answers_decoded_whole_or_no_cache(
        db: Session, stored: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database's `->` gives each answer's exact text; decoding the whole answers in Python (the way for a
    survey of very many questions) and a cache that forgets every answer at once give the very same files."""
    written: dict[tuple[str, str], Any] = {}
    for way in ("texts", "whole", "no cache"):
        if way == "whole":
            monkeypatch.setattr(export_rows, "ANSWERS_IN_SQL", 0)
        if way == "no cache":
            monkeypatch.setattr(export_rows, "SEEN", 1)
        for suffix in (".csv", ".xlsx"):
            path = tmp_path / f"{way}{suffix}"
            assert export.export_responses(db, SLUG, path) == len(STORED)
            written[way, suffix] = path.read_bytes() if suffix == ".csv" else [list(row) for row in openpyxl.load_workbook(
                path, read_only=True)["responses"].iter_rows(values_only=True)]
    assert written["whole", ".csv"] == written["texts", ".csv"] == written["no cache", ".csv"]
    assert written["whole", ".xlsx"] == written["texts", ".xlsx"] == written["no cache", ".xlsx"]
    assert [row[len(OWN):] for row in written["texts", ".xlsx"][1:3]] == [
        [12.5, 2, datetime(2026, 3, 4), 0, 1, 2, 1, "'=SUM(A1)"],
        [1e300, 2, None, 0, 0, None, None, "plain"]]  # 2.0 is a number cell 2 in a sheet


def test_parquet_and_xlsx_types(db: Session, tmp_path: Path) -> None:
    version = publish_survey(db, build_survey(DEFINITION))
    _insert(db, version.id, [STORED[0], STORED[1], STORED[3]])  # answers every column type can hold
    export.export_responses(db, SLUG, tmp_path / "out.parquet")
    table = pq.read_table(tmp_path / "out.parquet")
    assert [str(table.schema.field(c).type) for c in ("started_at", "q_spend", "q_count", "q_when", "q_note")] == [
        "timestamp[us]", "double", "int64", "date32[day]", "string"]
    assert table.column("q_spend").to_pylist() == [12.5, 1e300, 0.12345678901234566]
    assert table.column("q_count").to_pylist() == [2, 2, None]
    assert table.column("q_when").to_pylist() == [date(2026, 3, 4), None, None]
    assert table.column("q_note").to_pylist() == ["=SUM(A1)", "plain", "tab\tinside"]  # not a spreadsheet
    assert table.column("started_at").to_pylist() == [STARTED] * 3
    export.export_responses(db, SLUG, tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx", read_only=True)["responses"]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    first = dict(zip(header, rows[0], strict=True))
    assert first["q_when"] == datetime(2026, 3, 4)  # an Excel date cell
    assert first["q_note"] == "'=SUM(A1)" and first["q_spend"] == 12.5 and first["q_rank.x"] == 2
    assert dict(zip(header, rows[1], strict=True))["customer_id"] == "'=cmd"


def test_two_versions_put_each_answer_in_its_column(db: Session, tmp_path: Path) -> None:
    """Version 2 drops q_count and asks q_first first: the table has version 2's columns in its order, then
    q_count; each version's rows leave the other's columns empty."""
    old = publish_survey(db, build_survey(DEFINITION))
    second = {**DEFINITION, "sections": [{**DEFINITION["sections"][0], "questions": [
        {"id": "q_first", "type": "text", "text": "First?"},
        *(q for q in DEFINITION["sections"][0]["questions"] if q["id"] != "q_count")]}]}
    new = publish_survey(db, build_survey(second))
    _insert(db, old.id, [STORED[0]])
    _insert(db, new.id, [("N1", None, {"q_first": "+1", "q_spend": 4, "q_count": 9, "q_rank": ["x", "y"]})])
    _insert(db, old.id, [STORED[2]])
    path = tmp_path / "out.csv"
    assert export.export_responses(db, SLUG, path) == 3
    header, *rows = _csv(path)
    assert header == OWN + ["q_first", *(c for c in QUESTIONS if c != "q_count"), "q_count"]
    cells = [dict(zip(header, row, strict=True)) for row in rows]
    assert [c["survey_version"] for c in cells] == ["1", "2", "1"]
    assert {k: cells[0][k] for k in ("q_first", "q_spend", "q_count", "q_rank.x", "q_note")} == {
        "q_first": "", "q_spend": "12.5", "q_count": "2", "q_rank.x": "2", "q_note": "'=SUM(A1)"}
    # q_count is not a question of version 2: its stored answer 9 is not exported
    assert {k: cells[1][k] for k in ("q_first", "q_spend", "q_count", "q_rank.x", "q_rank.y", "q_note")} == {
        "q_first": "'+1", "q_spend": "4.0", "q_count": "", "q_rank.x": "1", "q_rank.y": "2", "q_note": ""}
    assert {k: cells[2][k] for k in ("q_first", "q_spend", "q_count", "q_when")} == {
        "q_first": "", "q_spend": "3.0", "q_count": "7", "q_when": "not a date"}


def test_the_streamed_csv_is_the_file(db: Session, stored: list[int], tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    export.export_responses(db, SLUG, path, language="fr")
    streamed = b"".join(export.stream_csv(db, SLUG, language="fr"))
    assert streamed == path.read_bytes()
    assert [row[0] for row in csv.reader(io.StringIO(streamed.decode("utf-8")))] == [
        "response_id", str(stored[0]), str(stored[5])]


def test_dict_rows_hold_the_stored_values(db: Session, stored: list[int]) -> None:
    rows = list(export.iter_response_rows(db, SLUG))
    assert [row["q_spend"] for row in rows] == [12.5, 1e300, 3.0, 0.12345678901234566, None, 12.5]
    assert [type(row["q_count"]) for row in rows[:3]] == [int, float, str]
    assert rows[0]["started_at"] == STARTED and rows[4]["submitted_at"] is None
    assert rows[0]["customer_id"] == "C1" and rows[1]["customer_id"] == "=cmd"  # no formula guard: not a sheet
