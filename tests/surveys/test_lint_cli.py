"""`cxroi survey lint` through the real command line entry point: exit codes 0/1/2, text and JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from webapp.cli import main

CLEAN = {
    "id": "clean", "title": "Your visit", "customer_id_param": "cid",
    "sections": [
        {"id": "visit", "title": "Your visit", "questions": [
            {"id": "q_ces", "type": "ces", "text": "Acme made it easy to get what I needed."}]},
        {"id": "more", "title": "A little more", "questions": [
            {"id": "q_why", "type": "text", "text": "What could we have done better?", "show_if": "q_ces <= 4"}]},
    ],
}
NPS_ONLY = {
    "id": "nps_only", "title": "Your visit", "customer_id_param": "cid",
    "sections": [{"id": "visit", "title": "Your visit", "questions": [
        {"id": "q_nps", "type": "nps", "text": "How likely are you to recommend us?"},
        {"id": "q_why", "type": "text", "text": "What is the main reason for your score?"}]}],
}


def run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as done:
        return int(done.code or 0)
    return 0


def write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_a_clean_survey_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "clean.yaml", CLEAN)
    assert run(["survey", "lint", str(path)]) == 0
    out = capsys.readouterr().out
    assert "0 error(s), 0 warning(s), 0 info" in out


def test_an_error_level_finding_exits_1_and_is_printed_with_its_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "nps.yaml", NPS_ONLY)
    assert run(["survey", "lint", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:sections[0].questions[0] [q_nps]: error nps_only_outcome:" in out
    assert "1 error(s)" in out


def test_warnings_alone_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "anon.yaml", CLEAN | {"customer_id_param": None})
    assert run(["survey", "lint", str(path)]) == 0
    assert "warning no_customer_link" in capsys.readouterr().out


def test_json_output_has_every_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "nps.json", NPS_ONLY)
    path.write_text(json.dumps(NPS_ONLY), encoding="utf-8")
    assert run(["survey", "lint", str(path), "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["summary"]["errors"] == 1
    [error] = [item for item in document["findings"] if item["severity"] == "error"]
    assert error == {
        "code": "nps_only_outcome", "severity": "error", "path": "sections[0].questions[0]", "question_id": "q_nps",
        "message": error["message"], "suggestion": error["suggestion"], "rewrites": [],
    }
    assert error["message"] and error["suggestion"]
    for item in document["findings"]:
        assert set(item) == {"code", "severity", "path", "question_id", "message", "suggestion", "rewrites"}


def test_json_for_a_clean_survey_is_an_empty_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "clean.yaml", CLEAN)
    assert run(["survey", "lint", str(path), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["findings"] == [] and document["summary"]["time_budget_minutes"] == 8


def test_an_invalid_file_exits_2_naming_the_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = json.loads(json.dumps(CLEAN))
    broken["sections"][1]["questions"][0]["type"] = "essay"
    path = write(tmp_path, "broken.yaml", broken)
    assert run(["survey", "lint", str(path)]) == 2
    captured = capsys.readouterr()
    assert "sections[1].questions[0]" in captured.err and "essay" in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["survey", "lint", str(tmp_path / "nowhere.yaml")]) == 2
    assert "nowhere.yaml" in capsys.readouterr().err


def test_an_unknown_format_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "clean.yaml", CLEAN)
    assert run(["survey", "lint", str(path), "--format", "xml"]) == 2
    assert "xml" in capsys.readouterr().err
