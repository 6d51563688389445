"""Issue 11: a customer's churn risk with an exact interval — results.json carries each logistic model's
coefficient covariance, and `roi.churn_risk` computes the delta-method interval on the logit scale.

Expected values come from statsmodels (`Logit(...).fit().get_prediction`, `cov_params`) on the same data and
from the formula worked out by hand, never from the code under test."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from roi.churn_risk import covariance_of, model_risk, predicted_risk
from roi.config import build_config
from roi.data import build_analysis_data
from roi.results import SCHEMA_VERSION, to_results_json
from roi.retention import fit_retention


def planted() -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """1,000 customers: churn logit = 1.5 − 0.3·ces + 0.1·ln(1 + revenue), ces on 1–7, revenue lognormal."""
    rng = np.random.default_rng(21)
    n = 1000
    ces = rng.integers(1, 8, n)
    revenue = np.round(np.exp(rng.normal(7, 0.8, n)), 2)
    churned = (rng.random(n) < 1 / (1 + np.exp(-(1.5 - 0.3 * ces + 0.1 * np.log1p(revenue))))).astype(int)
    responses = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "ces": ces.astype(str)})
    outcomes = pd.DataFrame({"customer_id": responses["customer_id"], "churned": churned.astype(str),
                             "revenue": [f"{r:.2f}" for r in revenue]})
    design = np.column_stack([np.ones(n), ces, np.log1p(revenue)])
    return responses, outcomes, design, churned


def stored_model() -> tuple[dict, np.ndarray, np.ndarray]:
    responses, outcomes, design, churned = planted()
    retention = fit_retention(build_analysis_data(responses, outcomes, config=build_config({"controls": ["revenue"]})))
    # through the JSON text, as the web application reads it
    model = json.loads(to_results_json({"models": [m.to_dict("odds_ratio") for m in retention.models]}))["models"][0]
    return model, design, churned


def test_results_json_carries_the_covariance_of_statsmodels() -> None:
    model, design, churned = stored_model()
    reference = sm.Logit(churned, design).fit(disp=0)
    assert [t["name"] for t in model["terms"]] == ["const", "ces", "log_revenue"]
    assert model["covariance"]["terms"] == ["const", "ces", "log_revenue"]
    assert np.array(model["covariance"]["matrix"]) == pytest.approx(np.asarray(reference.cov_params()), rel=1e-5)
    assert SCHEMA_VERSION == 2


def test_risk_interval_is_statsmodels_get_prediction() -> None:
    model, design, churned = stored_model()
    reference = sm.Logit(churned, design).fit(disp=0)
    customer = {"ces": 2.0, "log_revenue": math.log1p(2500.0)}
    x = np.array([[1.0, 2.0, math.log1p(2500.0)]])
    prediction = reference.get_prediction(x)
    low, high = np.asarray(prediction.conf_int())[0]
    found = model_risk(model, customer)
    assert found is not None and found.exact
    assert found.risk == pytest.approx(float(np.asarray(prediction.predicted)[0]), rel=1e-6)
    assert (found.low, found.high) == (pytest.approx(low, rel=1e-5), pytest.approx(high, rel=1e-5))
    # by hand: η = x'β, se(η) = √(x'Vx), expit(η ± 1.96 se) — narrower than the old bound Σ|x_j|·se_j
    beta, cov = np.asarray(reference.params), np.asarray(reference.cov_params())
    eta, se_eta = float(x[0] @ beta), math.sqrt(float(x[0] @ cov @ x[0]))
    expit = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    assert found.low == pytest.approx(expit(eta - 1.959964 * se_eta), rel=1e-5)
    bound = float(np.abs(x[0]) @ np.sqrt(np.diag(cov)))
    assert se_eta < bound and expit(eta - 1.959964 * bound) < found.low


def test_by_hand_on_a_two_term_model() -> None:
    # η = −1 + 0.5·2 = 0; Var(η) = 0.04 + 4·0.01 + 2·2·(−0.015) = 0.02, se = 0.141421;
    # interval expit(±1.959964·0.141421) = expit(±0.277181) = 0.431145 to 0.568855
    names, coefs = ["const", "x"], [-1.0, 0.5]
    cov = np.array([[0.04, -0.015], [-0.015, 0.01]])
    found = predicted_risk(names, coefs, {"x": 2.0}, covariance=cov)
    assert found is not None and found.exact
    assert (found.risk, found.low, found.high) == (pytest.approx(0.5), pytest.approx(0.431145, abs=1e-6),
                                                   pytest.approx(0.568855, abs=1e-6))
    # without the covariance: the bound se ≤ 0.2 + 2·0.1 = 0.4, expit(±0.783986) = 0.313462 to 0.686538
    bound = predicted_risk(names, coefs, {"x": 2.0}, se=[0.2, 0.1])
    assert bound is not None and not bound.exact
    assert (bound.low, bound.high) == (pytest.approx(0.313462, abs=1e-6), pytest.approx(0.686538, abs=1e-6))
    assert predicted_risk(names, coefs, {"x": None}, covariance=cov) is None
    assert predicted_risk(names, coefs, {"x": math.nan}, covariance=cov) is None


def test_results_without_or_with_a_broken_covariance_fall_back_to_the_bound() -> None:
    model = {"terms": [{"name": "const", "coef": -1.0, "se": 0.2}, {"name": "x", "coef": 0.5, "se": 0.1}]}
    old = model_risk(model, {"x": 2.0})  # schema 1: no covariance
    assert old is not None and not old.exact and old.low == pytest.approx(0.313462, abs=1e-6)
    for broken in ({"terms": ["x", "const"], "matrix": [[0.01, -0.015], [-0.015, 0.04]]},  # other order
                   {"terms": ["const", "x"], "matrix": [[0.04, None], [-0.015, 0.01]]},  # a null element
                   {"terms": ["const", "x"], "matrix": [[0.04, 0.3], [-0.015, 0.01]]},  # not symmetric
                   {"terms": ["const", "x"], "matrix": [[0.04]]}):
        assert covariance_of(model | {"covariance": broken}) is None
        found = model_risk(model | {"covariance": broken}, {"x": 2.0})
        assert found is not None and not found.exact
    exact = model_risk(model | {"covariance": {"terms": ["const", "x"], "matrix": [[0.04, -0.015], [-0.015, 0.01]]}},
                       {"x": 2.0})
    assert exact is not None and exact.exact and exact.low == pytest.approx(0.431145, abs=1e-6)
