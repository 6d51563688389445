"""roi.fitting.ols: fit_ols_hc3 against statsmodels OLS with HC3 errors and a case worked by hand;
fit_ols_clustered against the cluster-robust sandwich written out."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from roi.fitting import fit_ols_clustered, fit_ols_hc3


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


def test_clustered_errors_are_the_cluster_sandwich_with_the_small_sample_factor() -> None:
    # V = c (X'X)⁻¹ [Σ_g X_g' e_g e_g' X_g] (X'X)⁻¹, c = G/(G − 1) · (n − 1)/(n − k): statsmodels' default
    # correction; intervals and p-values from t(G − 1) (issue 12), as statsmodels gives them with use_t=True.
    rng = np.random.default_rng(12)
    n, accounts = 600, 40
    groups = rng.integers(0, accounts, n)
    shock = rng.normal(0, 30, accounts)[groups]  # customers of one account share a shock
    design = np.column_stack([np.ones(n), rng.integers(0, 11, n), rng.integers(1, 121, n)])
    y = 200 + 15 * design[:, 1] + shock + rng.normal(0, 20, n)
    fit = fit_ols_clustered(y, design, groups)
    gram_inverse = np.linalg.inv(design.T @ design)
    params = gram_inverse @ design.T @ y
    residuals = y - design @ params
    scores = np.array([design[groups == g].T @ residuals[groups == g] for g in np.unique(groups)])
    factor = accounts / (accounts - 1) * (n - 1) / (n - design.shape[1])
    se = np.sqrt(np.diag(factor * gram_inverse @ (scores.T @ scores) @ gram_inverse))
    assert fit.params == pytest.approx(params, rel=1e-9)
    assert fit.se == pytest.approx(se, rel=1e-9)
    quantile = 2.022690920036761  # t(39) 97.5% quantile (tables: 2.023)
    assert fit.ci[:, 0] == pytest.approx(params - quantile * se, rel=1e-9)
    assert fit.ci[:, 1] == pytest.approx(params + quantile * se, rel=1e-9)
    reference = sm.OLS(y, design).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    assert fit.ci == pytest.approx(np.asarray(reference.conf_int()), rel=1e-9)
    assert fit.p == pytest.approx(np.asarray(reference.pvalues), rel=1e-9)
    assert fit.r2 == pytest.approx(1 - residuals @ residuals / np.sum((y - y.mean()) ** 2), rel=1e-9)
