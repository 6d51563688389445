"""Files built to exhaust a reader are refused with a clear message, within a memory cap: each case runs the real
reader in a child process limited by `resource.setrlimit(RLIMIT_AS)` (far below what the file would expand to
without the checks), and expects the refusal, not a MemoryError, a kill or a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from surveys.bounded import MAX_SHEET_COLUMNS, MAX_TABLE_CELLS, load_yaml
from surveys.definition import parse_survey_text
from surveys.errors import PROBLEMS_SHOWN, InvalidDefinition

ROOT = Path(__file__).resolve().parents[2]
MEMORY_CAP = 1536 * 1024 * 1024  # enough to import pandas and pyarrow; far less than any of these files expands to


def run_capped(code: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh Python limited to MEMORY_CAP of address space; it prints its result as JSON."""
    prelude = f"import resource\nresource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP}, {MEMORY_CAP}))\n"
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def refusal(code: str) -> str:
    """The message of the CxroiError the capped child caught, failing the test on anything else."""
    done = run_capped(code)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["refused"], result
    return str(result["message"])


READ_TABLE = """
from roi.inputs.tables import read_table, TableError
import json
try:
    frame = read_table({path!r})
    print(json.dumps({{"refused": False, "rows": len(frame), "columns": len(frame.columns)}}))
except TableError as error:
    print(json.dumps({{"refused": True, "message": str(error)}}))
"""


def forged_dimension_workbook(path: Path, far_row: int, far_column: int) -> None:
    """A small outcomes workbook with one far cell: a reader that pads every row to the widest would allocate
    far_row × far_column cells."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["customer_id", "churned"])
    sheet.append(["C1", 0])
    sheet.cell(row=far_row, column=far_column, value="x")
    book.save(path)


def test_a_far_column_is_refused_before_any_row_is_padded(tmp_path: Path) -> None:
    path = tmp_path / "outcomes.xlsx"
    forged_dimension_workbook(path, far_row=3, far_column=16384)  # XFD3
    assert path.stat().st_size < 20_000
    message = refusal(READ_TABLE.format(path=str(path)))
    assert f"at most {MAX_SHEET_COLUMNS:,} columns are read" in message and "outcomes.xlsx" in message


def test_a_far_corner_is_refused_as_too_many_cells(tmp_path: Path) -> None:
    path = tmp_path / "outcomes.xlsx"
    forged_dimension_workbook(path, far_row=1_048_576, far_column=900)  # 943M cells if padded
    message = refusal(READ_TABLE.format(path=str(path)))
    assert f"more than {MAX_TABLE_CELLS:,} cells" in message


def test_a_workbook_within_bounds_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "outcomes.xlsx"
    forged_dimension_workbook(path, far_row=5, far_column=3)
    done = run_capped(READ_TABLE.format(path=str(path)))
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"refused": False, "rows": 4, "columns": 3}


def test_a_parquet_file_expanding_to_forty_million_rows_is_refused_from_its_metadata(tmp_path: Path) -> None:
    path = tmp_path / "outcomes.parquet"
    chunk = pa.table({"customer_id": pa.array(["C1"] * 1_000_000), "churned": pa.array([0] * 1_000_000, pa.int8())})
    with pq.ParquetWriter(path, chunk.schema, compression="zstd") as writer:
        for _ in range(40):
            writer.write_table(chunk)
    assert path.stat().st_size < 2_000_000  # a small upload that would need gigabytes as text
    message = refusal(READ_TABLE.format(path=str(path)))
    assert "40,000,000 rows" in message


def test_a_zip_bomb_xlsform_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    sheet.append(["type", "name", "label"])
    sheet.append(["text", "q1", "Hello"])
    book.save(path)
    bomb = tmp_path / "bomb.xlsx"  # the same workbook with a 60 MB part of one repeated character
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/padding.xml", "a" * 60_000_000)
    assert bomb.stat().st_size < 1_000_000
    message = refusal(f"""
from surveys.files import read_survey
from surveys.errors import InvalidDefinition
import json
try:
    read_survey({str(bomb)!r})
    print(json.dumps({{"refused": False}}))
except InvalidDefinition as error:
    print(json.dumps({{"refused": True, "message": str(error)}}))
""")
    assert "possible zip bomb" in message and "xl/padding.xml" in message


def test_a_forged_settings_sheet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    sheet.append(["type", "name", "label"])
    sheet.append(["text", "q1", "Hello"])
    settings = book.create_sheet("cxroi")
    settings.append(["key", "value"])
    settings.cell(row=1_048_576, column=16_384, value="x")  # the whole sheet, declared and reached
    book.save(path)
    message = refusal(f"""
from surveys.files import read_survey
from surveys.errors import InvalidDefinition
import json
try:
    read_survey({str(path)!r})
    print(json.dumps({{"refused": False}}))
except InvalidDefinition as error:
    print(json.dumps({{"refused": True, "message": str(error)}}))
""")
    assert "sheet 'cxroi'" in message and "columns are read" in message


BILLION_LAUGHS = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    + ["id: laughs", "title: Laughs", "sections: *a8"]
)


def test_yaml_anchors_and_aliases_are_refused_within_the_cap() -> None:
    message = refusal(f"""
from surveys.definition import parse_survey_text
from surveys.errors import InvalidDefinition
import json
try:
    parse_survey_text({BILLION_LAUGHS!r})
    print(json.dumps({{"refused": False}}))
except InvalidDefinition as error:
    print(json.dumps({{"refused": True, "message": str(error)}}))
""")
    assert "line 1, column 5" in message and "anchors and aliases" in message


def test_an_anchor_alone_is_refused_too() -> None:
    with pytest.raises(Exception, match="anchors and aliases"):
        load_yaml("id: &name survey\n")
    assert load_yaml("id: survey # & and * in a comment are fine\ntitle: '*not an alias*'\n") == {
        "id": "survey", "title": "*not an alias*"}


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_a_number_of_thousands_of_digits_is_a_clear_problem(fmt: str) -> None:
    text = ('{"id": "s", "time_budget_minutes": ' + "9" * 5000 + "}") if fmt == "json" else \
        "id: s\ntime_budget_minutes: " + "9" * 5000 + "\n"
    with pytest.raises(InvalidDefinition, match="a number is too long"):
        parse_survey_text(text, fmt=fmt)


def test_at_most_a_hundred_problems_are_listed() -> None:
    questions = [{"id": f"q{i}", "type": "no_such_type", "text": "?"} for i in range(150)]
    definition = json.dumps({"id": "s", "title": "S", "sections": [{"id": "p", "title": "P", "questions": questions}]})
    with pytest.raises(InvalidDefinition) as caught:
        parse_survey_text(definition, fmt="json")
    assert len(caught.value.problems) == PROBLEMS_SHOWN + 1
    assert str(caught.value).splitlines()[-1] == "<definition>: … and 50 more problems"


def test_a_definition_has_bounded_pages_and_questions() -> None:
    questions = [{"id": f"q{i}", "type": "text", "text": "?"} for i in range(201)]
    definition = json.dumps({"id": "s", "title": "S", "sections": [{"id": "p", "title": "P", "questions": questions}]})
    with pytest.raises(InvalidDefinition, match=r"sections\[0\]\.questions: List should have at most 200 items"):
        parse_survey_text(definition, fmt="json")
