"""Efron's ties, the proportional-hazards test and concordance (issue 12), against lifelines and statsmodels,
and a planted non-proportional hazard that must fire the warning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from lifelines import CoxPHFitter
from lifelines.statistics import proportional_hazard_test
from lifelines.utils import concordance_index

from roi.fitting import concordance, fit_breslow, fit_cox, proportional_hazards_test
from roi.survival import fit_cox_model


def _monthly(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exponential churn, hazard 0.05·exp(−0.2 score + 0.3 z), recorded in whole months, censored at 24."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.integers(0, 11, n), rng.normal(size=n)]).astype(float)
    time = np.ceil(rng.exponential(1 / (0.05 * np.exp(-0.2 * X[:, 0] + 0.3 * X[:, 1]))))
    status = (time < 24).astype(float)
    return np.minimum(time, 24), status, X


def test_efron_matches_phreg_and_lifelines_on_tied_monthly_times() -> None:
    time, status, X = _monthly()
    fit = fit_cox(time, status, X)
    reference = sm.PHReg(time, X, status=status, ties="efron").fit()
    assert fit.ties == "efron"
    assert fit.params == pytest.approx(np.asarray(reference.params), rel=1e-7)
    assert np.sqrt(np.diag(fit.cov)) == pytest.approx(np.asarray(reference.bse), rel=1e-6)
    assert fit.loglik == pytest.approx(reference.llf, rel=1e-10)
    frame = pd.DataFrame({"T": time, "E": status, "a": X[:, 0], "b": X[:, 1]})
    lifelines_fit = CoxPHFitter().fit(frame, "T", "E")
    assert fit.params == pytest.approx(lifelines_fit.params_.to_numpy(), rel=1e-5)


def test_without_ties_efron_is_breslow_and_with_ties_breslow_shrinks_towards_zero() -> None:
    time, status, X = _monthly()
    jitter = time - np.random.default_rng(1).random(len(time)) * 0.5  # break every tie, keep the order of months
    assert fit_cox(jitter, status, X).params == pytest.approx(fit_breslow(jitter, status, X).params, rel=1e-9)
    efron, breslow = fit_cox(time, status, X).params, fit_breslow(time, status, X).params
    assert np.all(np.abs(breslow) < np.abs(efron))


def test_proportional_hazards_test_matches_lifelines() -> None:
    rng = np.random.default_rng(2)
    n = 2000
    X = np.column_stack([rng.integers(0, 11, n), rng.normal(size=n)]).astype(float)
    time = rng.exponential(1 / (0.05 * np.exp(-0.2 * X[:, 0] + 0.3 * X[:, 1])))  # continuous: no ties
    status = (time < 24).astype(float)
    time = np.minimum(time, 24)
    fit = fit_cox(time, status, X)
    checks = proportional_hazards_test(fit, time, status, X, ["a", "b"])
    frame = pd.DataFrame({"T": time, "E": status, "a": X[:, 0], "b": X[:, 1]})
    reference = proportional_hazard_test(CoxPHFitter().fit(frame, "T", "E"), frame, time_transform="rank")
    assert [c.statistic for c in checks] == pytest.approx(reference.summary["test_statistic"].to_numpy(), rel=1e-4)
    assert [c.p for c in checks] == pytest.approx(reference.summary["p"].to_numpy(), rel=1e-3)


def test_concordance_matches_lifelines_with_tied_times_and_scores() -> None:
    time, status, X = _monthly()
    risk = np.round(X @ np.array([-0.2, 0.3]), 1)  # ties in the prediction too
    assert concordance(time, status, risk) == pytest.approx(concordance_index(time, -risk, status), rel=1e-12)
    assert concordance(time, status, np.zeros(len(time))) == pytest.approx(0.5)


def test_a_non_proportional_hazard_fires_the_warning_and_a_proportional_one_does_not() -> None:
    rng = np.random.default_rng(3)
    n = 4000
    score = rng.integers(0, 11, n).astype(float)
    # the score protects strongly in the first 6 months after the survey, then not at all
    early = rng.exponential(1 / (0.08 * np.exp(-0.3 * (score - 5))))
    late = 6 + rng.exponential(1 / 0.08, n)
    time = np.where(early < 6, early, late)
    status = (time < 24).astype(float)
    time = np.minimum(time, 24)
    model, found = fit_cox_model(time, status, score[:, None], ["score"], name="score", kind="single",
                                 subject="score", label="Survival model for score")
    assert model.method == "cox_efron"
    assert [w.code for w in found] == ["non_proportional_hazards"]
    assert model.extra["proportional_hazards"][0]["p_holm"] < 0.05
    proportional = rng.exponential(1 / (0.08 * np.exp(-0.3 * (score - 5))))
    model, found = fit_cox_model(np.minimum(proportional, 24), (proportional < 24).astype(float), score[:, None],
                                 ["score"], name="score", kind="single", subject="score", label="t")
    assert found == [] and model.extra["proportional_hazards"][0]["p_holm"] >= 0.05
    assert 0.5 < model.extra["concordance"] < 1
