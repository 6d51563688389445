"""Calibration of the churn probabilities behind the money figures (issue 12), with planted truth.

`assess_calibration` is given outcomes drawn from known probabilities and predictions that are right, too
extreme (logit doubled: true calibration slope 1/2) or too high (logit + 1: true intercept −1); the money
churn model is overfitted (25 noise columns, 400 customers) so its out-of-fold predictions are too extreme.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from roi.config import build_config
from roi.data import build_analysis_data
from roi.fitting import assess_calibration, expit
from roi.money import revenue_at_risk


def _outcomes(n: int = 20_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lp = rng.normal(-1.0, 1.0, n)
    return (rng.random(n) < expit(lp)).astype(float), lp


def test_right_predictions_are_calibrated() -> None:
    y, lp = _outcomes()
    calibration = assess_calibration(y, expit(lp), method="test")
    assert calibration.slope_ci[0] < 1 < calibration.slope_ci[1]  # type: ignore[operator]
    assert calibration.intercept_ci[0] < 0 < calibration.intercept_ci[1]  # type: ignore[operator]
    assert calibration.miscalibrated() == []
    assert len(calibration.groups) == 10 and sum(g["n"] for g in calibration.groups) == len(y)


def test_too_extreme_predictions_have_slope_one_half_and_warn() -> None:
    y, lp = _outcomes()
    calibration = assess_calibration(y, expit(2 * lp), method="test")
    low, high = calibration.slope_ci
    assert low is not None and high is not None and low < 0.5 < high
    assert any("too extreme" in problem for problem in calibration.miscalibrated())


def test_predictions_too_high_on_average_have_intercept_minus_one_and_warn() -> None:
    y, lp = _outcomes()
    calibration = assess_calibration(y, expit(lp + 1), method="test")
    low, high = calibration.intercept_ci
    assert low is not None and high is not None and low < -1 < high
    assert calibration.ratio is not None and calibration.ratio > 1.25
    assert any("expects" in problem for problem in calibration.miscalibrated())


def test_an_overfitted_money_model_fires_the_calibration_warning() -> None:
    rng = np.random.default_rng(0)
    n = 400
    score = rng.integers(0, 11, n)
    churned = (rng.random(n) < expit(1.0 - 0.3 * score)).astype(int)
    noise = {f"q{j:02d}": rng.integers(1, 6, n).astype(str) for j in range(25)}
    responses = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "score": score.astype(str), **noise})
    outcomes = pd.DataFrame({"customer_id": responses["customer_id"], "churned": churned.astype(str),
                             "revenue": rng.uniform(100, 1000, n).round(2).astype(str)})
    data = build_analysis_data(responses, outcomes, config=build_config({"controls": ["revenue"]}))
    risk = revenue_at_risk(data, seed=0, replicates=0)
    assert risk.calibration is not None and risk.calibration.slope is not None and risk.calibration.slope < 0.8
    assert "miscalibration" in {w.code for w in risk.warnings}
    as_json = json.loads(json.dumps(risk.to_dict(), allow_nan=False))
    assert as_json["calibration"]["method"] == "5-fold cross-validated predictions"


def test_a_well_specified_money_model_does_not_warn() -> None:
    rng = np.random.default_rng(1)
    n = 3000
    score = rng.integers(0, 11, n)
    churned = (rng.random(n) < expit(1.0 - 0.3 * score)).astype(int)
    responses = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "score": score.astype(str)})
    outcomes = pd.DataFrame({"customer_id": responses["customer_id"], "churned": churned.astype(str),
                             "revenue": rng.uniform(100, 1000, n).round(2).astype(str)})
    data = build_analysis_data(responses, outcomes, config=build_config({"controls": ["revenue"]}))
    risk = revenue_at_risk(data, seed=0, replicates=0)
    assert risk.calibration is not None and "miscalibration" not in {w.code for w in risk.warnings}
