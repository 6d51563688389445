"""roi.revenue.fit_ols_hc3 against statsmodels OLS with HC3 errors, and a case worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from roi.revenue import fit_ols_hc3, fit_ols_model


def test_matches_statsmodels_hc3() -> None:
    rng = np.random.default_rng(4)
    n = 2000
    design = np.column_stack([np.ones(n), rng.integers(0, 11, n), rng.integers(1, 121, n)])
    y = 500 + 40 * design[:, 1] + rng.normal(0, 1, n) * (50 + 10 * design[:, 1])  # heteroskedastic
    reference = sm.OLS(y, design).fit(cov_type="HC3")
    params, se, r2 = fit_ols_hc3(y, design)
    assert params == pytest.approx(np.asarray(reference.params), rel=1e-9)
    assert se == pytest.approx(np.asarray(reference.bse), rel=1e-9)
    assert r2 == pytest.approx(float(reference.rsquared), rel=1e-9)


def test_hc3_by_hand() -> None:
    # y = 1, 3, 2, 6 at x = 0, 0, 1, 1 (two groups): b0 = mean(1, 3) = 2, b1 = mean(2, 6) − 2 = 2;
    # residuals −1, 1, −2, 2; every leverage is 1/2, so e²/(1 − h)² = 4, 4, 16, 16.
    # (X'X)⁻¹ = [[1/2, −1/2], [−1/2, 1]]; meat = [[40, 32], [32, 32]]
    # cov = (X'X)⁻¹ meat (X'X)⁻¹ = [[2, −2], [−2, 10]] → se 1.414214 and 3.162278.
    # R² = 1 − 10 / 14 (SST: deviations from 3 are −2, 0, −1, 3)
    design = np.column_stack([np.ones(4), [0, 0, 1, 1.0]])
    params, se, r2 = fit_ols_hc3(np.array([1, 3, 2, 6.0]), design)
    assert params == pytest.approx([2.0, 2.0])
    assert se == pytest.approx([np.sqrt(2), np.sqrt(10)])
    assert r2 == pytest.approx(1 - 10 / 14)


def test_model_terms_use_normal_intervals() -> None:
    design_x = np.array([[0], [0], [1], [1.0], [0], [1]])
    y = np.array([1, 3, 2, 6.0, 2, 4])
    model, notes = fit_ols_model(y, design_x, ["x"], name="x", kind="single", subject="x", label="x", groups=None)
    reference = sm.OLS(y, np.column_stack([np.ones(6), design_x])).fit(cov_type="HC3")
    assert model.method == "ols_hc3" and not notes
    term = model.term("x")
    assert term is not None and term.ci == pytest.approx(tuple(np.asarray(reference.conf_int())[1]))
    assert term.p == pytest.approx(float(reference.pvalues[1]))
