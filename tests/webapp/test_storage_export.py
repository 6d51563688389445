"""Export of the wide responses table (CSV, XLSX, Parquet) and `response_frame`, with known answers; across
versions; guarded against spreadsheet formulas; streamed in chunks."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from surveys.definition import build_survey
from tests.webapp.support.web import example_survey
from webapp.services import HostingError, create_invitations, export, publish_survey, response_frame
from webapp.services.responding import answer_page, start_personal
from webapp.storage.models import Response

RAW_1 = {"q_align": {"easy": "4", "partner": "2"}, "q_ces": "3", "q_channels": ["phone", "chat"]}
RAW_2 = {"q_friction": {"ordering": {"hesitated": "yes", "what": "=HYPERLINK(\"http://evil\")"},
                        "billing": {"hesitated": "no"}},
         "q_channel": {"phone": "5", "chat": "2"}, "q_why": "@once more", "q_nps": "8"}


def _answer(db: Session, customer: str, pages: list[dict[str, Any]]) -> int:
    [link] = create_invitations(db, "acme_relationship", [customer], "email")
    response = start_personal(db, link.token)
    for index, raw in enumerate(pages):
        outcome = answer_page(db, response.id, index, raw)
        assert outcome.kind in ("saved", "complete"), outcome
    return response.id


# The first response's question cells, worked out by hand from RAW_1/RAW_2 and the example's columns.
EXPECTED_CELLS = {
    "q_align.easy": 4, "q_align.partner": 2, "q_ces": 3,
    "q_channels.phone": 1, "q_channels.email": 0, "q_channels.chat": 1,  # asked on page 1, before the grid
    "q_friction.ordering": 1, "q_friction.ordering.what": "=HYPERLINK(\"http://evil\")",
    "q_friction.billing": 0, "q_friction.billing.what": None,
    "q_channel.phone": 5, "q_channel.email": None, "q_channel.chat": 2,
    "q_why": "@once more", "q_nps": 8,
}
RESERVED = ["response_id", "customer_id", "channel", "survey_version", "started_at", "submitted_at", "status",
            "wave", "language"]  # the reserved columns, the wave and language columns, then the questions'


@pytest.fixture
def answered(db: Session) -> tuple[int, int]:
    publish_survey(db, example_survey())
    complete = _answer(db, "C1", [RAW_1, RAW_2])
    partial = _answer(db, "-C2", [RAW_1])
    return complete, partial


def test_csv_export_has_the_reserved_then_question_columns_and_guards_formulas(
        db: Session, answered: tuple[int, int], tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert export.export_responses(db, "acme_relationship", path) == 2
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == RESERVED + list(EXPECTED_CELLS)
    first, second = rows
    assert first["response_id"] == str(answered[0]) and first["customer_id"] == "C1"
    assert first["status"] == "complete" and first["survey_version"] == "1" and first["submitted_at"]
    assert first["q_friction.ordering.what"] == "'=HYPERLINK(\"http://evil\")"
    assert first["q_why"] == "'@once more"
    assert first["q_nps"] == "8" and first["q_channel.email"] == ""
    assert second["customer_id"] == "'-C2" and second["status"] == "partial" and second["submitted_at"] == ""
    assert second["q_ces"] == "3" and second["q_nps"] == ""


def test_xlsx_export(db: Session, answered: tuple[int, int], tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    export.export_responses(db, "acme_relationship", path, status="complete")
    sheet = openpyxl.load_workbook(path, read_only=True)["responses"]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == RESERVED + list(EXPECTED_CELLS) and len(rows) == 1
    cells = dict(zip(header, rows[0], strict=True))
    expected = EXPECTED_CELLS | {"q_friction.ordering.what": "'=HYPERLINK(\"http://evil\")", "q_why": "'@once more"}
    assert {k: cells[k] for k in EXPECTED_CELLS} == expected


def test_parquet_export_keeps_types(db: Session, answered: tuple[int, int], tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    export.export_responses(db, "acme_relationship", path)
    table = pq.read_table(path)
    assert table.column_names == RESERVED + list(EXPECTED_CELLS)
    assert str(table.schema.field("q_nps").type) == "int64"
    assert str(table.schema.field("q_why").type) == "string"
    first = table.to_pylist()[0]
    assert {k: first[k] for k in EXPECTED_CELLS} == EXPECTED_CELLS  # Parquet is not a spreadsheet: text as is


def test_several_versions_give_the_union_of_columns_in_the_latest_order(db: Session, tmp_path: Path) -> None:
    publish_survey(db, example_survey())
    _answer(db, "old", [RAW_1, RAW_2])
    v2 = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples" / "relationship.yaml").read_text())
    v2["sections"][1]["questions"] = [q for q in v2["sections"][1]["questions"] if q["id"] != "q_nps"]
    v2["sections"][0]["questions"].insert(0, {"id": "q_csat", "type": "csat", "text": "Overall satisfaction"})
    publish_survey(db, build_survey(v2))
    _answer(db, "new", [{"q_csat": "4"} | RAW_1, {k: v for k, v in RAW_2.items() if k != "q_nps"}])
    frame = response_frame(db, "acme_relationship")
    questions = list(frame.columns[len(RESERVED):])
    # version 2's columns in its order, then q_nps which only version 1 had
    assert questions == ["q_csat", *[c for c in EXPECTED_CELLS if c != "q_nps"], "q_nps"]
    old, new = frame.to_dict("records")
    assert old["survey_version"] == 1 and old["q_nps"] == 8 and old["q_csat"] != old["q_csat"]  # NaN
    assert new["survey_version"] == 2 and new["q_csat"] == 4 and new["q_nps"] != new["q_nps"]


def test_streaming_in_chunks_writes_every_row(db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    publish_survey(db, example_survey())
    ids = [_answer(db, f"C{n}", [RAW_1]) for n in range(7)]
    monkeypatch.setattr(export, "CHUNK", 3)  # 7 rows = chunks of 3, 3 and 1
    path = tmp_path / "chunks.parquet"
    assert export.export_responses(db, "acme_relationship", path) == 7
    assert pq.read_table(path).column("response_id").to_pylist() == ids
    assert pq.ParquetFile(path).num_row_groups == 3


def test_export_refuses_an_unknown_format_or_survey(db: Session, answered: tuple[int, int], tmp_path: Path) -> None:
    with pytest.raises(HostingError, match="expected a .csv, .xlsx or .parquet"):
        export.export_responses(db, "acme_relationship", tmp_path / "out.json")
    with pytest.raises(HostingError, match="no published survey is called 'other'"):
        export.export_responses(db, "other", tmp_path / "out.csv")
    assert db.scalar(sa.select(sa.func.count()).select_from(Response)) == 2


def test_export_memory_does_not_grow_with_the_number_of_responses(tmp_path: Path) -> None:
    """Peak memory while exporting 10,000 responses stays near that of 1,000 (it would be ~10× if rows were
    all held at once)."""
    import tracemalloc

    from webapp.storage.engine import create_engine_for, session_factory, upgrade_database
    from webapp.storage.models import utcnow

    peaks = []
    for count in (1_000, 10_000):
        url = f"sqlite:///{tmp_path / f'big{count}.sqlite3'}"
        upgrade_database(url)
        engine = create_engine_for(url)
        with session_factory(engine)() as session:
            version = publish_survey(session, example_survey())
            answers = {"q_align": {"easy": 4, "partner": 2}, "q_ces": 3, "q_why": "x" * 200, "q_nps": 8}
            now = utcnow()
            session.execute(sa.insert(Response), [
                {"version_id": version.id, "customer_id": f"C{n}", "status": "complete", "answers": answers,
                 "current_page": 1, "started_at": now, "updated_at": now, "submitted_at": now}
                for n in range(count)])
            session.commit()
            tracemalloc.start()
            assert export.export_responses(session, "acme_relationship", tmp_path / f"big{count}.csv") == count
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        engine.dispose()
    assert peaks[1] < 3 * peaks[0], peaks  # measured: about 1.7x streamed, 10x with every row fetched at once


def test_control_characters_in_answers_do_not_break_any_format(db: Session, tmp_path: Path) -> None:
    publish_survey(db, example_survey())
    _answer(db, "C1", [RAW_1, {"q_why": "tab\there\x0bvertical\x00nul"}])
    for suffix in (".csv", ".xlsx", ".parquet"):
        assert export.export_responses(db, "acme_relationship", tmp_path / f"out{suffix}") == 1
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx", read_only=True)["responses"]
    header, row = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert dict(zip(header, row, strict=False))["q_why"] == "tab\therevertical" + "nul"
    # NUL itself is never stored (PostgreSQL's JSONB cannot hold it; webapp.storage.engine.strict_json)
    assert pq.read_table(tmp_path / "out.parquet").column("q_why").to_pylist() == ["tab\there\x0bverticalnul"]


def test_a_long_export_does_not_lock_out_respondents_on_sqlite(sqlite_url: str) -> None:
    """While an export is half-way through its rows, a respondent's write still goes through at once."""
    from webapp.storage.engine import create_engine_for, session_factory

    engine = create_engine_for(sqlite_url)
    with session_factory(engine)() as session:
        publish_survey(session, example_survey())
        for n in range(3):
            _answer(session, f"C{n}", [RAW_1])
        rows = export.iter_response_rows(session, "acme_relationship")
        assert next(rows)["customer_id"] == "C0"  # the export's read transaction is open now
        writer = create_engine_for(sqlite_url)
        with writer.connect() as connection:
            connection.exec_driver_sql("PRAGMA busy_timeout = 200")  # fail fast instead of waiting 30 s
            connection.execute(sa.update(Response).values(current_page=1))
            connection.commit()
        writer.dispose()
        assert [row["customer_id"] for row in rows] == ["C1", "C2"]
    engine.dispose()
