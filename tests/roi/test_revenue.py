"""roi.revenue.fit_ols_model: the revenue model's terms, from the HC3 fit (tests/roi/fitting/test_ols.py)."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from roi.revenue import fit_ols_model


def test_model_terms_use_normal_intervals() -> None:
    design_x = np.array([[0], [0], [1], [1.0], [0], [1]])
    y = np.array([1, 3, 2, 6.0, 2, 4])
    model, notes = fit_ols_model(y, design_x, ["x"], name="x", kind="single", subject="x", label="x", groups=None)
    reference = sm.OLS(y, np.column_stack([np.ones(6), design_x])).fit(cov_type="HC3")
    assert model.method == "ols_hc3" and not notes
    term = model.term("x")
    assert term is not None and term.ci == pytest.approx(tuple(np.asarray(reference.conf_int())[1]))
    assert term.p == pytest.approx(float(reference.pvalues[1]))
