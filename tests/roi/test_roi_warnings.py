"""Each honesty warning fires on a case built for it and stays quiet on a clean case; degenerate data never
crash the pipeline and never put NaN into results.json."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from roi.analysis import analyze
from roi.config import RoiConfig, build_config
from roi.data import build_analysis_data
from roi.results import Results, read_results, write_results
from roi.retention import fit_retention
from roi.revenue import fit_revenue
from roi.survival import fit_cox_model
from roi.types import AnalysisData

Extra = Callable[[np.random.Generator, np.ndarray, np.ndarray], np.ndarray]


def text(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells as the table readers give them: text, None for blanks."""
    return frame.astype(object).where(frame.notna(), None).map(lambda v: None if v is None else str(v))


def case(n: int = 3000, *, seed: int = 0, effect: float = -0.3, extra: dict[str, Extra] | None = None,
         config: dict | None = None) -> tuple[AnalysisData, RoiConfig]:
    """A clean world: `score` 0–10 lowers churn (logit slope `effect` per point) and raises revenue
    (80 per point); tenure lowers churn. `extra` adds response columns built from (rng, score, churned)."""
    rng = np.random.default_rng(seed)
    score = rng.integers(0, 11, n).astype(float)
    tenure = rng.integers(1, 121, n).astype(float)
    churned = (rng.random(n) < 1 / (1 + np.exp(-(0.5 + effect * (score - 5) - 0.01 * tenure)))).astype(int)
    revenue = np.round(1000 + 80 * score + rng.normal(0, 200, n), 2).clip(0)
    ids = [f"c{i}" for i in range(n)]
    responses = pd.DataFrame({"customer_id": ids, "score": score})
    for name, build in (extra or {}).items():
        responses[name] = build(rng, score, churned)
    outcomes = pd.DataFrame({"customer_id": ids, "churned": churned, "tenure_months": tenure, "revenue": revenue})
    settings = build_config({"bootstrap": 20, **(config or {})})
    return build_analysis_data(text(responses), text(outcomes), config=settings), settings


def codes_for(results: Results, subject: str) -> set[str]:
    return {w.code for w in results.warnings if w.subject == subject}


def test_clean_case_has_no_warning_at_all() -> None:
    data, settings = case()
    results = analyze(data, settings, seed=1)
    assert results.warnings == ()
    term = results.retention["models"][0]["terms"][1]
    assert term["name"] == "score" and term["ci"][1] < 0  # the planted protective effect is found


def test_separation_falls_back_to_firth_and_tabulates() -> None:
    # everyone with "cancel_intent" ≥ 6 churned, nobody below: complete separation on that column
    data, _ = case(extra={"cancel_intent": lambda rng, s, y: np.where(y == 1, rng.integers(6, 11, len(y)),
                                                                      rng.integers(0, 6, len(y)))})
    retention = fit_retention(data)
    model = retention.model("cancel_intent")
    assert model is not None and model.method == "firth"
    assert {w.code for w in retention.warnings if w.subject == "cancel_intent"} >= {"separation"}
    assert [row["level"] for row in model.tabulation] == [float(v) for v in range(11)]
    assert all(row["churn_rate"] == (1.0 if row["level"] >= 6 else 0.0) for row in model.tabulation)
    assert retention.model("score").method == "mle"  # type: ignore[union-attr]
    assert not {w.code for w in retention.warnings if w.subject == "score"}


def test_leakage_of_an_item_that_is_the_outcome() -> None:
    # "complained" equals churn for 98.5% of customers (1.5% flipped both ways): AUC ≈ 0.985 > 0.97
    def complained(rng: np.random.Generator, s: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.where(rng.random(len(y)) < 0.015, 1 - y, y)

    data, settings = case(extra={"complained": complained})
    results = analyze(data, settings, seed=1)
    assert "leakage" in codes_for(results, "complained")
    assert "leakage" not in codes_for(results, "score")


def test_wrong_sign_and_polarity_from_config() -> None:
    # "waiting" (e.g. minutes on hold) raises churn; read as higher-is-better, that is a wrong sign
    def waiting(rng: np.random.Generator, s: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.round(5 + 4 * y + rng.normal(0, 3, len(y)), 1)

    data, _ = case(extra={"waiting": waiting})
    assert "wrong_sign" in {w.code for w in fit_retention(data).warnings if w.subject == "waiting"}
    data, _ = case(extra={"waiting": waiting}, config={"metrics": {"waiting": {"polarity": "lower_is_better"}}})
    assert not {w.code for w in fit_retention(data).warnings if w.subject == "waiting"}


def test_wrong_sign_for_revenue() -> None:
    data, _ = case(extra={"discount_seeker": lambda rng, s, y: -s + rng.normal(0, 1, len(s))})
    revenue = fit_revenue(data)
    assert revenue is not None
    assert "wrong_sign" in {w.code for w in revenue.warnings if w.subject == "discount_seeker"}


def test_no_effect_for_an_unrelated_item() -> None:
    data, _ = case(extra={"noise": lambda rng, s, y: rng.integers(1, 6, len(s)).astype(float)})
    retention = fit_retention(data)
    noise = [w for w in retention.warnings if w.subject == "noise"]
    # seed 0: the noise item's CI covers zero (checked independently: its true coefficient is 0)
    assert [w.code for w in noise] == ["no_effect"]
    assert "includes zero" in noise[0].message


def test_small_sample_and_events_per_variable() -> None:
    data, _ = case(n=60)
    codes = {w.code for w in fit_retention(data).warnings if w.subject == "score"}
    assert "small_sample" in codes  # ~20 churners for 3 predictors < 10 per predictor


def test_collinearity_in_the_joint_model() -> None:
    # score is uniform on 0..10 (variance 10); adding N(0, 1) noise gives r = √(10 / 11) ≈ 0.953 > 0.9
    data, _ = case(extra={"score_again": lambda rng, s, y: s + rng.normal(0, 1.0, len(s))})
    retention = fit_retention(data)
    assert retention.joint is not None
    collinear = [w for w in retention.warnings if w.code == "collinearity"]
    assert [w.subject for w in collinear] == ["score"]
    assert "score and score_again are correlated at r = +0.95" in collinear[0].message


def test_perfectly_collinear_joint_model_is_not_estimated() -> None:
    # score_points = 10 × score exactly: the joint model cannot tell them apart at all
    data, _ = case(extra={"score_points": lambda rng, s, y: 10 * s})
    retention = fit_retention(data)
    assert retention.joint is not None and retention.joint.method == "not_estimated"
    assert all(t.coef is None for t in retention.joint.terms)
    assert {w.code for w in retention.warnings if w.subject == "joint"} == {"collinearity"}
    assert retention.model("score_points").method == "mle"  # type: ignore[union-attr]


def test_no_collinearity_between_moderately_related_metrics() -> None:
    # noise SD 4: r = √(10 / 26) ≈ 0.62, VIF = 1 / (1 − r²) ≈ 1.6 — below both thresholds
    data, _ = case(extra={"related": lambda rng, s, y: s + rng.normal(0, 4.0, len(s))})
    assert not [w for w in fit_retention(data).warnings if w.code == "collinearity"]


def test_a_cox_fit_without_finite_maximum_is_reported_not_estimated() -> None:
    # every customer with a higher score stays longer and all churn: the likelihood rises forever as β → −∞
    time = np.arange(1.0, 21.0)
    X = np.arange(20.0)[:, None]
    model, notes = fit_cox_model(time, np.ones(20), X, ["score"], name="score", kind="single", subject="score",
                                 label="Survival model for score")
    assert model.method == "not_estimated" and model.terms[0].coef is None
    assert [n.code for n in notes] == ["non_convergence"]


def test_non_convergence_is_reported_not_raised() -> None:
    # a covariate that orders the event times exactly: the Cox partial likelihood has no finite maximum
    time = np.arange(1, 101, dtype=float)
    model, found = fit_cox_model(time, np.ones(100), -time[:, None], ["z"], name="z", kind="single",
                                 subject="z", label="Survival model for z")
    assert model.method == "not_estimated" and model.terms[0].coef is None
    assert [w.code for w in found] == ["non_convergence"]


@pytest.mark.parametrize(
    ("n", "outcome", "column"),
    [
        (3, None, None),  # three rows
        (200, 1, None),  # everyone churned
        (200, None, lambda rng, s, y: np.full(len(s), 4.0)),  # a metric with zero variance
        (200, None, lambda rng, s, y: np.full(len(s), np.nan)),  # a metric nobody answered
    ],
)
def test_degenerate_data_never_crash_and_never_write_nan(tmp_path: Path, n: int, outcome: int | None,
                                                         column: Extra | None) -> None:
    rng = np.random.default_rng(3)
    score = rng.integers(0, 11, n).astype(float)
    churned = np.full(n, outcome) if outcome is not None else (rng.random(n) < 0.3).astype(int)
    responses = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "score": score})
    if column is not None:
        responses["flat"] = column(rng, score, churned)
    outcomes = pd.DataFrame({"customer_id": responses["customer_id"], "churned": churned,
                             "tenure_months": rng.integers(1, 50, n), "revenue": rng.integers(100, 900, n)})
    settings = build_config({"bootstrap": 10})
    data = build_analysis_data(text(responses), text(outcomes), config=settings)
    results = analyze(data, settings, seed=0)
    path = tmp_path / "results.json"
    write_results(results, path)
    raw = path.read_text(encoding="utf-8")
    assert "NaN" not in raw and "Infinity" not in raw
    json.loads(raw, parse_constant=lambda token: pytest.fail(f"non-JSON constant {token}"))
    read_results(path)
    models = results.retention["models"]
    if n == 3 or outcome == 1:
        assert all(m["method"] == "not_estimated" for m in models)
        assert all(t["coef"] is None for m in models for t in m["terms"])
        assert any(w.code == "small_sample" for w in results.warnings)
    if column is not None:
        flat = [m for m in models if m["name"] == "flat"]
        assert not flat or flat[0]["method"] == "not_estimated"
