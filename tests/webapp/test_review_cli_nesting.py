"""A pathologically nested input file gives one line and exit 2, never a RecursionError traceback, whichever
reader meets it (here `cxroi report --results`, whose JSON reader does not guard against it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_web_cli_hosting import run


def test_a_deeply_nested_results_file_is_one_line_and_exit_2(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results.json"
    results.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    code, _, err = run(["report", "--results", str(results), "-o", str(tmp_path / "report.pdf")], capsys)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "report.pdf").exists()
