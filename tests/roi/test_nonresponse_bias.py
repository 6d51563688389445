"""compare_nonresponse: hand-computed comparisons, a warning on a biased generator, quiet on an unbiased one."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from roi.nonresponse import compare_nonresponse
from roi.types import AnalysisData, JoinReport


def _data(customers: pd.DataFrame, segments: tuple[str, ...] = ()) -> AnalysisData:
    frame = customers[customers["responded"]].drop(columns="responded").reset_index(drop=True)
    return AnalysisData(frame=frame, customers=customers, metrics=(), items=(), controls=(), segments=segments,
                        join=JoinReport(len(frame), len(customers), len(frame)))


def _generator(n: int, seed: int, *, revenue_pull: float) -> AnalysisData:
    """Customers answer with log-odds 0 + revenue_pull × standardised log revenue (0: unbiased)."""
    rng = np.random.default_rng(seed)
    log_revenue = rng.normal(7, 0.5, n)
    tenure = rng.uniform(0, 60, n)
    churned = (rng.random(n) < 0.3).astype(int)
    respond = rng.random(n) < 1 / (1 + np.exp(-revenue_pull * (log_revenue - 7) / 0.5))
    customers = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "revenue": np.exp(log_revenue),
                              "tenure_months": tenure, "churned": churned, "responded": respond,
                              "plan": rng.choice(["basic", "pro"], n)})
    return _data(customers, segments=("plan",))


def test_differences_by_hand() -> None:
    # respondents' revenue 1, 2, 3 (mean 2, variance 1); non-respondents' 2, 4, 6 (mean 4, variance 4).
    # difference −2, standard error sqrt(1/3 + 4/3) = 1.2910; standardised difference −2 / sqrt((1+4)/2) = −1.2649.
    # churn: respondents 1 of 3, non-respondents 2 of 3 -> difference −1/3;
    # standardised −(1/3) / sqrt((2/9 + 2/9) / 2) = −(1/3) / (sqrt(2)/3) = −0.7071.
    customers = pd.DataFrame({"customer_id": list("abcdef"), "revenue": [1.0, 2, 3, 2, 4, 6],
                              "churned": [1, 0, 0, 1, 1, 0], "responded": [True] * 3 + [False] * 3})
    result = compare_nonresponse(_data(customers))
    revenue = next(c for c in result.comparisons if c.variable == "revenue")
    assert revenue.difference == pytest.approx(-2.0)
    assert revenue.standardised_difference == pytest.approx(-2 / np.sqrt(2.5))
    se = np.sqrt(5 / 3)
    # Welch–Satterthwaite df = (5/3)² / ((1/3)²/2 + (4/3)²/2) = (25/9) / (17/18) = 50/17
    from scipy.stats import t

    half = t.ppf(0.975, 50 / 17) * se
    assert revenue.ci == (pytest.approx(-2 - half), pytest.approx(-2 + half))
    churn = next(c for c in result.comparisons if c.variable == "churned")
    assert churn.difference == pytest.approx(-1 / 3)
    assert churn.standardised_difference == pytest.approx(-1 / np.sqrt(2))
    assert {w.code for w in result.warnings} == {"nonresponse_bias"}


def test_biased_response_is_flagged_on_revenue() -> None:
    result = compare_nonresponse(_generator(4000, 1, revenue_pull=1.0))
    assert result.applicable
    flagged = {w.subject for w in result.warnings if w.code == "nonresponse_bias"}
    assert flagged == {"revenue"}
    revenue = next(c for c in result.comparisons if c.variable == "revenue")
    assert revenue.standardised_difference is not None and revenue.standardised_difference > 0.1
    json.dumps(result.to_dict(), allow_nan=False)


def test_unbiased_response_is_quiet() -> None:
    result = compare_nonresponse(_generator(4000, 2, revenue_pull=0.0))
    assert result.applicable and result.warnings == ()
    assert all(abs(c.standardised_difference or 0) < 0.1 for c in result.comparisons)


def test_weights_undo_the_bias_and_align_with_the_frame() -> None:
    data = _generator(6000, 3, revenue_pull=1.0)
    result = compare_nonresponse(data)
    assert result.weights is not None
    assert result.weights.index.equals(data.frame.index)
    assert result.weight_model == ("tenure_months", "revenue", "plan=pro")
    # Inverse-propensity weights make respondents speak for everyone: their weighted mean revenue is close to
    # all customers' mean, while the unweighted mean is pulled up by the rich answering more often.
    everyone = data.customers["revenue"].mean()
    weighted = np.average(data.frame["revenue"], weights=result.weights)
    assert abs(weighted - everyone) < abs(data.frame["revenue"].mean() - everyone) / 3
    # and they add up to about the number of customers
    assert result.weights.sum() == pytest.approx(len(data.customers), rel=0.05)


def test_not_applicable_when_everyone_answered() -> None:
    customers = pd.DataFrame({"customer_id": ["a", "b"], "revenue": [1.0, 2.0], "churned": [0, 1],
                              "responded": [True, True]})
    result = compare_nonresponse(_data(customers))
    assert not result.applicable and result.weights is None and result.warnings == ()
    json.dumps(result.to_dict(), allow_nan=False)
