"""`cxroi report` end to end: synthetic data with planted truth → analysis → PDF/HTML, and bad input."""

from __future__ import annotations

import contextlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from roi.results import write_results
from tests.roi.report_samples import sample_results
from webapp.cli import main


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def cxroi(*args: str | Path) -> Done:
    """Run the real `cxroi` entry point in this process (a fresh interpreter per call costs seconds)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in args])
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
    return Done(code, out.getvalue(), err.getvalue())


def page_texts(pdf: Path) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(pdf).pages]


def demo(tmp_path: Path, customers: int, seed: int, bootstrap: int = 20) -> Path:
    out = tmp_path / "demo"
    done = cxroi("demo-data", "--customers", str(customers), "--seed", str(seed), "--out", out)
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load((out / "roi.yaml").read_text())
    config["bootstrap"] = bootstrap  # fewer bootstrap draws: the report, not the intervals, is under test
    (out / "roi.yaml").write_text(yaml.safe_dump(config))
    return out


def analysis_args(data: Path) -> list[str | Path]:
    return ["--responses", data / "responses.csv", "--definition", data / "survey.yaml",
            "--outcomes", data / "outcomes.csv", "--config", data / "roi.yaml"]


@pytest.mark.slow
def test_report_from_analysis_inputs_prints_the_analysis_figures(tmp_path: Path) -> None:
    data = demo(tmp_path, customers=1000, seed=11)
    pdf, html, saved = tmp_path / "report.pdf", tmp_path / "report.html", tmp_path / "results.json"
    done = cxroi("report", *analysis_args(data), "--save-results", saved, "-o", pdf, "--html", html)
    assert done.returncode == 0, done.stderr
    results = json.loads(saved.read_text())
    scenario = results["scenario"]
    # the planted truth (BAS lowers churn, truth.json) must come out as a supported effect at this size
    assert scenario["evidence"] == "supported"
    first = page_texts(pdf)[0]
    retained = scenario["retained_revenue"]
    assert f"worth ${round(retained['estimate']):,} in retained revenue" in first
    assert f"${round(retained['ci'][0]):,} to ${round(retained['ci'][1]):,}" in first
    cost = results["inputs"]["config"]["finance"]["program_cost"]
    assert f"programme cost of ${round(cost):,}" in first
    assert f"ROI of {round(scenario['roi']['estimate'] * 100)}%" in first
    assert f"Revenue at risk: ${round(results['revenue_at_risk']['total']):,} a year" in first
    sources = first + page_texts(pdf)[1]  # the data sources start on page 1 and may run over to page 2
    for role in ("responses", "outcomes", "definition", "config"):
        assert results["inputs"]["files"][role]["sha256"] in sources
    assert "How are we doing?" in html.read_text() or "survey.yaml" in html.read_text()

    # the saved results.json reproduces the very same PDF
    again = tmp_path / "again.pdf"
    done = cxroi("report", "--results", saved, "-o", again)
    assert done.returncode == 0, done.stderr
    assert again.read_bytes() == pdf.read_bytes()


@pytest.mark.slow
def test_report_for_a_tiny_real_sample_builds_with_warnings(tmp_path: Path) -> None:
    data = demo(tmp_path, customers=30, seed=5, bootstrap=10)
    pdf = tmp_path / "tiny.pdf"
    saved = tmp_path / "tiny.json"
    done = cxroi("report", *analysis_args(data), "--save-results", saved, "-o", pdf)
    assert done.returncode == 0, done.stderr
    results = json.loads(saved.read_text())
    pages = page_texts(pdf)
    text = " ".join(pages)
    assert results["warnings"], "30 customers must raise warnings"
    from roi.report.plain import in_words  # warnings print with labels instead of column names (1d90c07)

    for warning in results["warnings"]:
        assert re.sub(r"\s+", " ", in_words(results, warning["message"])) in text
    if results["scenario"] is None or results["scenario"]["evidence"] != "supported":
        assert "$" not in pages[0].split("Revenue at risk")[0]
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page


def test_report_from_saved_results(tmp_path: Path) -> None:
    saved = tmp_path / "results.json"
    write_results(sample_results(), saved)
    pdf, html = tmp_path / "r.pdf", tmp_path / "r.html"
    done = cxroi("report", "--results", saved, "-o", pdf, "--html", html, "--title", "Acme: CX and money")
    assert done.returncode == 0, done.stderr
    assert f"wrote {pdf} ({len(PdfReader(pdf).pages)} pages)" in done.stdout
    assert page_texts(pdf)[0].startswith("Acme: CX and money")
    assert "<title>Acme: CX and money</title>" in html.read_text()


def test_broken_results_file_is_named_without_traceback(tmp_path: Path) -> None:
    saved = tmp_path / "results.json"
    saved.write_text('{"inputs": {}, "data_quality": \n oops}')
    done = cxroi("report", "--results", saved, "-o", tmp_path / "r.pdf")
    assert done.returncode == 2
    assert f"{saved}: line 2" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "r.pdf").exists()


def test_results_of_something_else_are_refused(tmp_path: Path) -> None:
    saved = tmp_path / "other.json"
    saved.write_text(json.dumps({"hello": 1}))
    done = cxroi("report", "--results", saved, "-o", tmp_path / "r.pdf")
    assert done.returncode == 2
    assert "not a cxroi results file" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--results", "r.json", "--outcomes", "o.csv"], "--results takes a finished analysis; drop --outcomes"),
        (["--responses", "x.csv"], "give --results FILE, or the analysis inputs"),
        (["--outcomes", "o.csv"], "give --results FILE, or the analysis inputs"),
    ],
)
def test_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    done = cxroi("report", *args, "-o", tmp_path / "r.pdf")
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_unwritable_output_is_a_clear_error(tmp_path: Path) -> None:
    saved = tmp_path / "results.json"
    write_results(sample_results(), saved)
    done = cxroi("report", "--results", saved, "-o", tmp_path / "missing-dir" / "r.pdf")
    assert done.returncode == 2
    assert "missing-dir" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_report_from_a_published_survey_names_it_and_its_version(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from roi.synthetic import build_demo_data, write_demo_data
    from webapp.config import database_url_from_environment
    from webapp.services import publish_survey
    from webapp.services.importing import import_responses
    from webapp.storage.engine import open_session

    monkeypatch.setenv("CXROI_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("CXROI_DATABASE_URL", raising=False)
    world = build_demo_data(600, seed=4)
    data = tmp_path / "data"
    write_demo_data(world, data)
    config = yaml.safe_load((data / "roi.yaml").read_text())
    config["bootstrap"] = 10
    (data / "roi.yaml").write_text(yaml.safe_dump(config))
    with open_session(database_url_from_environment()) as session:
        version = publish_survey(session, world.survey)
        import_responses(session, world.survey.id, world.responses, source="responses.csv")
    pdf, saved = tmp_path / "r.pdf", tmp_path / "r.json"
    done = cxroi("report", "--survey", world.survey.id, "--outcomes", data / "outcomes.csv", "--config",
                 data / "roi.yaml", "--save-results", saved, "-o", pdf)
    assert done.returncode == 0, done.stderr
    expected = f"{world.survey.title} ({world.survey.id}, version {version.number})"
    for page in page_texts(pdf):
        assert expected in page
    results = json.loads(saved.read_text())
    assert results["inputs"]["files"]["responses"]["name"] == f"survey:{world.survey.id}"
    assert "no file hash (not read from a file)" in page_texts(pdf)[0]


@pytest.mark.slow
def test_nobody_left_gives_no_money_figure(tmp_path: Path) -> None:
    import pandas as pd

    data = demo(tmp_path, customers=300, seed=9, bootstrap=10)
    outcomes = pd.read_csv(data / "outcomes.csv")
    outcomes["churned"] = 0  # every customer stayed: nothing to explain
    outcomes.to_csv(data / "outcomes.csv", index=False)
    pdf, saved = tmp_path / "r.pdf", tmp_path / "r.json"
    done = cxroi("report", *analysis_args(data), "--save-results", saved, "-o", pdf)
    assert done.returncode == 0, done.stderr
    results = json.loads(saved.read_text())
    assert results["scenario"]["evidence"] == "none"
    first = page_texts(pdf)[0]
    assert "no evidence" in first and "$" not in first
