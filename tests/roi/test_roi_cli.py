"""`cxroi demo-data` and `cxroi analyze` end to end: files, exit codes, determinism, results.json contents
against the demo's planted truth."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from roi.results import read_results
from roi.synthetic import PROMISES, build_demo_data
from surveys.files import read_survey
from webapp.cli import main

WARNING_CODES = {"separation", "leakage", "wrong_sign", "no_effect", "small_sample", "low_match", "collinearity",
                 "nonresponse_bias", "non_convergence", "parallel_trends", "not_identified", "no_definition",
                 "miscalibration", "non_proportional_hazards", "non_linear", "not_comparable"}


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def cxroi(*args: str | Path) -> Run:
    """Run the real `cxroi` entry point in this process (a subprocess per call would re-import statsmodels)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in args])
        except SystemExit as done:
            code = int(done.code or 0)
    return Run(code, out.getvalue(), err.getvalue())


def test_installed_entry_point_runs() -> None:
    done = subprocess.run([str(Path(sys.executable).parent / "cxroi"), "demo-data", "--help"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0 and "--customers" in done.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    done = cxroi("demo-data", "--customers", "2000", "--seed", "11", "--out", out)
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load((out / "roi.yaml").read_text())
    config["bootstrap"] = 40  # fewer replicates keep the test quick; the CI is still a 95% interval
    (out / "roi.yaml").write_text(yaml.safe_dump(config))
    return out


@pytest.fixture(scope="module")
def results(demo: Path) -> dict:
    done = cxroi("analyze", "--responses", demo / "responses.csv", "--definition", demo / "survey.yaml",
                 "--outcomes", demo / "outcomes.csv", "--config", demo / "roi.yaml", "--seed", "4",
                 "-o", demo / "results.json")
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout
    return read_results(demo / "results.json")


def test_demo_data_files_follow_the_definition(demo: Path) -> None:
    assert sorted(p.name for p in demo.iterdir()) == ["outcomes.csv", "responses.csv", "roi.yaml", "survey.yaml",
                                                      "truth.json"]
    survey = read_survey(demo / "survey.yaml")
    header = (demo / "responses.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == survey.columns()
    outcomes_header = (demo / "outcomes.csv").read_text().splitlines()[0].split(",")
    assert outcomes_header == ["customer_id", "churned", "tenure_months", "end_date", "revenue", "revenue_prior",
                               "account_id", "region", "plan"]
    truth = json.loads((demo / "truth.json").read_text())
    assert truth["best_metric"] == "bas" and truth["retention"]["bas_coef"] == pytest.approx(-0.03)
    assert truth["respondents"] < truth["customers"]  # outcomes cover non-respondents
    text = (demo / "responses.csv").read_text(encoding="utf-8")
    assert "<script>" in text and "<b>" in text and ",partial," in text


def test_demo_truth_scenario_is_the_true_model_sum() -> None:
    # recompute the true retained revenue from the planted model and the generated data, independently
    import numpy as np

    demo = build_demo_data(300, seed=2)
    latest = demo.responses.drop_duplicates("customer_id", keep="first")  # the later answers come first
    items = latest[[f"q_align.{p}" for p, _ in PROMISES]].to_numpy(dtype=float)
    bas = 100 * (items.mean(axis=1) - 1) / 4
    outcomes = demo.outcomes.set_index("customer_id").loc[latest["customer_id"]]
    tenure, revenue = outcomes["tenure_months"].to_numpy(), outcomes["revenue"].to_numpy()

    def p(b: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-(0.6 - 0.03 * b - 0.015 * tenure)))

    expected = float(np.sum(revenue * (p(bas) - p(np.minimum(bas + 10, 100)))))
    assert demo.truth["scenario"]["retained_revenue"] == pytest.approx(expected)


def test_results_core_fields(results: dict, demo: Path) -> None:
    truth = json.loads((demo / "truth.json").read_text())
    quality = results["data_quality"]
    assert quality["customers"] == 2000 and quality["respondents"] == truth["respondents"]
    assert quality["matched"] == truth["respondents"] and quality["match_rate"] == 1.0
    assert quality["responses"] > quality["respondents"]  # some customers answered twice
    assert all(set(w) == {"code", "subject", "message"} and w["code"] in WARNING_CODES for w in results["warnings"])
    bas = next(m for m in results["retention"]["models"] if m["name"] == "bas")
    assert bas["method"] == "mle" and bas["n"] == quality["matched"] and bas["events"] > 0
    term = next(t for t in bas["terms"] if t["name"] == "bas")
    assert set(term) >= {"name", "coef", "se", "ci", "odds_ratio", "p"}
    assert term["ci"][0] <= -0.03 <= term["ci"][1]
    assert results["survival"]["models"][0]["terms"][0]["hazard_ratio"] < 1
    revenue_bas = next(m for m in results["revenue"]["models"] if m["name"] == "bas")
    assert results["revenue"]["outcome"] == "revenue_change" and revenue_bas["method"] == "ols_cluster"
    files = results["inputs"]["files"]
    assert set(files) == {"responses", "outcomes", "definition", "config"}
    import hashlib

    assert files["outcomes"]["sha256"] == hashlib.sha256((demo / "outcomes.csv").read_bytes()).hexdigest()
    assert results["inputs"]["seed"] == 4 and results["inputs"]["bootstrap"] == 40


def test_planted_best_metric_ranks_first_and_true_scenario_is_covered(results: dict, demo: Path) -> None:
    truth = json.loads((demo / "truth.json").read_text())
    ranked = results["metric_comparison"]["metrics"]
    assert ranked[0]["metric"] == truth["best_metric"]
    scenario = results["scenario"]
    assert scenario["metric"] == "bas" and scenario["delta"] == 10
    low, high = scenario["retained_revenue"]["ci"]
    assert low <= truth["scenario"]["retained_revenue"] <= high
    assert set(scenario["roi"]) >= {"estimate", "ci"} and scenario["payback_months"] is not None


def test_same_seed_gives_identical_results(results: dict, demo: Path) -> None:
    again = demo / "again.json"
    done = cxroi("analyze", "--responses", demo / "responses.csv", "--definition", demo / "survey.yaml",
                 "--outcomes", demo / "outcomes.csv", "--config", demo / "roi.yaml", "--seed", "4", "-o", again)
    assert done.returncode == 0, done.stderr
    second = read_results(again)
    first = json.loads((demo / "results.json").read_text())
    for document in (first, second):
        document["inputs"].pop("generated_at")
    assert first == second


def test_without_definition_every_numeric_column_is_a_metric(demo: Path, tmp_path: Path) -> None:
    done = cxroi("analyze", "--responses", demo / "responses.csv", "--outcomes", demo / "outcomes.csv",
                 "--config", demo / "roi.yaml", "-o", tmp_path / "r.json")
    # the demo roi.yaml names scenario metric "bas", which only exists with the definition
    assert done.returncode == 2
    assert "bas" in done.stderr and "Traceback" not in done.stderr
    config = yaml.safe_load((demo / "roi.yaml").read_text())
    config["scenario"]["metric"] = "q_align.easy"
    config["bootstrap"] = 10
    (tmp_path / "roi.yaml").write_text(yaml.safe_dump(config))
    done = cxroi("analyze", "--responses", demo / "responses.csv", "--outcomes", demo / "outcomes.csv",
                 "--config", tmp_path / "roi.yaml", "-o", tmp_path / "r.json")
    assert done.returncode == 0, done.stderr
    names = {m["name"] for m in read_results(tmp_path / "r.json")["metrics"]}
    assert {"q_align.easy", "q_ces", "q_nps", "q_channels.phone", "survey_version"} - names == {"survey_version"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "give either --responses FILE or --survey SLUG"),
        (["--responses", "{demo}/responses.csv", "--survey", "x"], "give either --responses FILE or --survey SLUG"),
        (["--responses", "{demo}/nope.csv"], "nope.csv"),
        (["--responses", "{demo}/responses.csv", "--config", "{demo}/truth.json"], "truth.json"),
        (["--responses", "{demo}/survey.yaml"], "survey.yaml: expected a .csv, .xlsx or .parquet file"),
        (["--responses", "{demo}/responses.csv", "--definition", "{demo}/roi.yaml"], "roi.yaml"),
    ],
)
def test_bad_input_exits_2_with_one_clear_message(demo: Path, tmp_path: Path, args: list[str], expected: str) -> None:
    done = cxroi("analyze", *[a.format(demo=demo) for a in args], "--outcomes", demo / "outcomes.csv",
                 "-o", tmp_path / "r.json")
    assert done.returncode == 2
    assert expected in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "r.json").exists()


def test_demo_data_rejects_too_few_customers(tmp_path: Path) -> None:
    done = cxroi("demo-data", "--customers", "3", "--out", tmp_path)
    assert done.returncode == 2 and "3 is not in the range x>=10" in done.stderr


def test_comment_sentiment_becomes_a_metric_for_those_who_commented(results: dict, demo: Path) -> None:
    import pandas as pd

    responses = pd.read_csv(demo / "responses.csv", dtype=str)
    latest = responses.sort_values("submitted_at").drop_duplicates("customer_id", keep="last")
    texts = [c for c in latest.columns if c == "q_comment" or c.endswith(".what")]
    commenters = int(latest[texts].notna().any(axis=1).sum())
    sentiment = next(m for m in results["metrics"] if m["name"] == "sentiment")
    assert sentiment["n"] == commenters and sentiment["scale"] == [-1.0, 1.0]
    assert results["sentiment"]["n"] == int(latest[texts].notna().sum().sum())


def test_results_carry_what_the_report_reads(results: dict, demo: Path) -> None:
    survey = yaml.safe_load((demo / "survey.yaml").read_text())
    assert results["inputs"]["survey"] == {"id": survey["id"], "title": survey["title"], "version": None}
    bands = results["churn_by_band"]
    # the headline metric is the scenario metric; the bands split the same customers the churn count covers
    assert bands["metric"] == results["scenario"]["metric"]
    assert sum(r["n"] for r in bands["rows"]) <= results["data_quality"]["matched"]
    assert sum(r["churned"] for r in bands["rows"]) <= results["data_quality"]["churned"]
    curves = results["survival"]["curves"]
    assert [c["band"].split(" ")[0] for c in curves] == ["low", "middle", "high"]
    assert all(c["times"][0] == 0 and c["survival"][0] == 1 and len(c["times"]) == len(c["survival"]) for c in curves)
    # the demo plants churn falling with the score: the high third keeps more customers to the end
    assert curves[2]["survival"][-1] > curves[0]["survival"][-1]
    sample = results["sentiment"]["sample"]
    assert 0 < len(sample) <= 10 and [s["compound"] for s in sample] == sorted(s["compound"] for s in sample)
    assert set(results["drivers"]["churned"]["splits"]) == {"share", "performance"}
