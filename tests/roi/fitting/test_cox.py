"""roi.fitting.cox.fit_breslow: a hand-solved partial likelihood, statsmodels PHReg as an independent reference,
and the cases with no finite maximum."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.duration.hazard_regression import PHReg

from roi.fitting import fit_breslow


def test_three_customers_by_hand() -> None:
    # times 1, 2, 3, all churned, x = 1, 0, 1. Risk sets {1,2,3}, {2,3}, {3}:
    # l(β) = [β − log(2e^β + 1)] + [0 − log(1 + e^β)] + 0. With u = e^β, l' = 1 − 2u/(2u+1) − u/(1+u) = 0
    # gives 1/(2u+1) = u/(1+u), so 2u² = 1: u = 1/√2, β = −ln(2)/2.
    # Information 2u/(2u+1)² + u/(1+u)² = 0.242641 + 0.242641 = 0.485281; se = 1/√0.485281 = 1.435499
    fit = fit_breslow(np.array([1.0, 2, 3]), np.array([1.0, 1, 1]), np.array([[1.0], [0], [1]]))
    assert fit.converged
    assert fit.params[0] == pytest.approx(-math.log(2) / 2, abs=1e-9)
    assert math.sqrt(fit.cov[0, 0]) == pytest.approx(1.435499, abs=1e-6)
    u = 1 / math.sqrt(2)
    assert fit.loglik == pytest.approx(math.log(u) - math.log(2 * u + 1) - math.log(1 + u), abs=1e-9)


def test_matches_statsmodels_phreg_with_ties_and_censoring() -> None:
    rng = np.random.default_rng(5)
    n = 2500
    X = np.column_stack([rng.integers(0, 11, n), rng.normal(8.5, 0.5, n), rng.normal(60, 20, n)])
    time = rng.integers(1, 37, n).astype(float)  # whole months: many ties
    status = (rng.random(n) < 0.2 + 0.04 * (10 - X[:, 0]) / 2).astype(float)
    reference = PHReg(time, X, status=status, ties="breslow").fit(disp=0)
    fit = fit_breslow(time, status, X)
    assert fit.converged
    assert fit.params == pytest.approx(np.asarray(reference.params), rel=1e-6)
    assert np.sqrt(np.diag(fit.cov)) == pytest.approx(np.asarray(reference.bse), rel=1e-6)
    assert fit.loglik == pytest.approx(float(reference.llf), rel=1e-9)


def test_no_finite_maximum_does_not_converge() -> None:
    # every customer with a higher score stays longer and all churn: the likelihood rises forever as β → −∞
    # (what roi.survival then reports: tests/roi/test_roi_warnings.py)
    time = np.arange(1.0, 21.0)
    X = np.arange(20.0)[:, None]
    assert not fit_breslow(time, np.ones(20), X).converged


def test_collinear_columns_raise() -> None:
    x = np.arange(10.0)
    with pytest.raises(np.linalg.LinAlgError):
        fit_breslow(np.arange(1.0, 11.0), np.ones(10), np.column_stack([x, 2 * x + 1]))
