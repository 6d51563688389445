"""roi.comparison.logit.newton_logit against statsmodels Logit (an independent implementation of the same MLE),
and its separation signal."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from roi.comparison.logit import newton_logit


def test_matches_statsmodels_logit() -> None:
    rng = np.random.default_rng(8)
    n = 3000
    design = np.column_stack([np.ones(n), rng.integers(0, 11, n), rng.normal(size=n), rng.integers(1, 121, n)])
    truth = np.array([-0.5, -0.2, 0.4, 0.01])
    y = (rng.random(n) < 1 / (1 + np.exp(-(design @ truth)))).astype(float)
    reference = sm.Logit(y, design).fit(disp=0)
    params, cov, converged = newton_logit(y, design)
    assert converged
    assert params == pytest.approx(np.asarray(reference.params), rel=1e-7)
    assert cov == pytest.approx(np.asarray(reference.cov_params()), rel=1e-6)


def test_tiny_table_by_hand() -> None:
    # x = 0: 1 of 4 churned, x = 1: 3 of 4. The saturated logit reproduces the rates:
    # intercept = logit(1/4) = −ln 3, slope = logit(3/4) − logit(1/4) = 2 ln 3.
    # Var(intercept) = 1/(4·¼·¾) = 4/3; Var(slope) = 4/3 + 4/3 = 8/3
    x = np.array([0, 0, 0, 0, 1, 1, 1, 1.0])
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0.0])
    params, cov, converged = newton_logit(y, np.column_stack([np.ones(8), x]))
    assert converged
    assert params == pytest.approx([-np.log(3), 2 * np.log(3)], abs=1e-9)
    assert [cov[0, 0], cov[1, 1]] == pytest.approx([4 / 3, 8 / 3], abs=1e-9)


def test_complete_separation_warns_and_does_not_converge() -> None:
    x = np.arange(10.0)
    y = (x >= 5).astype(float)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, _, converged = newton_logit(y, np.column_stack([np.ones(10), x]))
    assert any(issubclass(w.category, PerfectSeparationWarning) for w in caught)
    assert not converged


def test_a_warm_start_reaches_the_same_maximum() -> None:
    rng = np.random.default_rng(9)
    n = 2000
    design = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(design @ [0.3, -0.8, 0.5])))).astype(float)
    cold, _, _ = newton_logit(y, design)
    warm, _, converged = newton_logit(y, design, start=np.array([0.2, -0.7, 0.6]))
    assert converged and warm == pytest.approx(cold, abs=1e-9)
    bad_start, _, _ = newton_logit(y, design, start=np.array([np.nan, 0.0, 0.0]))  # ignored: starts at zero
    assert bad_start == pytest.approx(cold, abs=1e-9)
