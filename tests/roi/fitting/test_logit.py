"""roi.fitting.logit: newton_logit against statsmodels Logit (an independent implementation of the same MLE)
and its separation signal; fit_logit's engines (`choose_engine`) against a row-by-row Logit; the closed-form
average marginal effects against statsmodels' get_margeff; Firth's fit and the maximum-likelihood fit against
2×2 tables worked by hand."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from roi.fitting import (
    average_marginal_effects,
    choose_engine,
    expit,
    fit_logit,
    fit_logit_or_firth,
    newton_logit,
)


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


def test_grouped_fit_of_a_discrete_metric_equals_the_row_by_row_logit() -> None:
    # fit_logit fits few-valued predictors on binomial counts of their distinct values; the likelihood is the
    # same, so statsmodels Logit on every row must give the same estimates and covariance.
    rng = np.random.default_rng(6)
    x = rng.integers(0, 11, 4000).astype(float)
    plan = rng.integers(0, 3, 4000).astype(float)
    y = (rng.random(4000) < 1 / (1 + np.exp(-(0.4 - 0.2 * x + 0.3 * plan)))).astype(float)
    fit, notes = fit_logit(y, np.column_stack([x, plan]), names=["x", "plan"], subject="nps")
    reference = sm.Logit(y, sm.add_constant(np.column_stack([x, plan]))).fit(disp=0)
    assert fit is not None and notes == []
    assert fit.engine == "grouped"
    assert fit.params == pytest.approx(np.asarray(reference.params), abs=1e-8)
    assert fit.cov == pytest.approx(np.asarray(reference.cov_params()), abs=1e-8)


def test_quasi_separation_of_a_scale_is_reported() -> None:
    # Everyone at 1-5 stays, everyone at 7 churns, 6 is mixed: the churn probability runs off to 1 at 7.
    x = np.repeat(np.arange(1.0, 8.0), 100)
    y = (x == 7).astype(float)
    y[x == 6] = np.tile([0.0, 1.0], 50)
    fit, notes = fit_logit(y, x[:, None], names=["ces"], subject="ces")
    assert [n.code for n in notes] == ["separation"]


def test_the_engine_is_chosen_in_one_place_in_the_documented_order() -> None:
    rng = np.random.default_rng(2)
    n = 2000
    discrete = np.column_stack([np.ones(n), rng.integers(0, 11, n)])  # 11 combinations
    continuous = np.column_stack([np.ones(n), rng.normal(size=n)])
    groups = rng.integers(0, 50, n)
    engine, rows = choose_engine(discrete, None)
    assert engine == "grouped" and rows is not None
    assert len(np.unique(rows)) == len(np.unique(discrete[:, 1])) and rows.shape == (n,)
    assert choose_engine(continuous, None) == ("newton", None)
    assert choose_engine(discrete, groups) == ("cluster", None)  # clusters win over grouping
    few_rows = np.column_stack([np.ones(40), np.arange(40) % 11])
    assert choose_engine(few_rows, None) == ("newton", None)  # 11 combinations > 40 rows / 4
    assert choose_engine(few_rows[:, :1], None)[0] == "grouped"  # 1 combination
    # each engine gives the same estimates as statsmodels Logit on the rows (cluster: its covariance too)
    y = (rng.random(n) < expit(-0.3 + 0.2 * discrete[:, 1] - 0.1 * continuous[:, 1])).astype(float)
    for X, by, expected in ((discrete[:, 1:], None, "grouped"), (continuous[:, 1:], None, "newton"),
                            (continuous[:, 1:], groups, "cluster")):
        fit, notes = fit_logit(y, X, names=["x"], subject="x", groups=by)
        assert fit is not None and fit.engine == expected and notes == []
        design = sm.add_constant(X)
        reference = (sm.Logit(y, design).fit(disp=0) if by is None else
                     sm.Logit(y, design).fit(disp=0, cov_type="cluster", cov_kwds={"groups": by}))
        assert fit.params == pytest.approx(np.asarray(reference.params), abs=1e-7)
        assert fit.cov == pytest.approx(np.asarray(reference.cov_params()), abs=1e-7)


def test_expit_is_the_logistic_function_without_overflow_warnings() -> None:
    assert expit(np.array([0.0, math.log(3)])) == pytest.approx([0.5, 0.75])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e^1000 overflows to inf: 1 / (1 + inf) is the right 0, silently
        assert list(expit(np.array([-1000.0, 1000.0]))) == [0.0, 1.0]


def test_average_marginal_effects_match_statsmodels_get_margeff() -> None:
    # closed-form AME and delta-method SE against statsmodels' numerical get_margeff on the same fit
    rng = np.random.default_rng(0)
    n = 3000
    design = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 10, n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(design @ [0.2, 0.8, -0.1])))).astype(float)
    fit = sm.Logit(y, design).fit(disp=0)
    margeff = fit.get_margeff(at="overall")
    ame, se = average_marginal_effects(design, np.asarray(fit.params), np.asarray(fit.cov_params()))
    assert ame == pytest.approx(margeff.margeff, rel=1e-8)
    assert se == pytest.approx(margeff.margeff_se, rel=1e-5)


def test_maximum_likelihood_matches_a_hand_worked_two_by_two_table() -> None:
    # Without separation, a binary predictor's MLE is the sample log odds ratio:
    # x = 1: 30 churned, 10 stayed; x = 0: 20 churned, 40 stayed → log(30·40 / (10·20)) = log 6.
    x = np.r_[np.ones(40), np.zeros(60)]
    y = np.r_[np.ones(30), np.zeros(10), np.ones(20), np.zeros(40)]
    fit = fit_logit_or_firth(y, np.column_stack([np.ones(100), x]))
    assert fit.method == "mle" and fit.separation is None and fit.mle_problem is None and fit.failure is None
    assert fit.params is not None and fit.cov is not None and fit.ame is not None and fit.ame_se is not None
    assert fit.params[1] == pytest.approx(math.log(6), rel=1e-8)
    # Woolf's standard error: sqrt(1/30 + 1/10 + 1/20 + 1/40)
    assert math.sqrt(fit.cov[1, 1]) == pytest.approx(math.sqrt(1 / 30 + 1 / 10 + 1 / 20 + 1 / 40), rel=1e-6)
    # AME of a 0/1 predictor is the discrete change (issue 12): P(churn | x = 1) − P(churn | x = 0) = 0.75 − 1/3,
    # with the delta-method standard error of a difference of two proportions, √(p₁q₁/40 + p₀q₀/60)
    assert fit.ame[0] == pytest.approx(0.75 - 1 / 3, rel=1e-6)
    assert fit.ame_se[0] == pytest.approx(math.sqrt(0.75 * 0.25 / 40 + (1 / 3) * (2 / 3) / 60), rel=1e-6)


def test_firth_under_separation_equals_the_haldane_corrected_log_odds_ratio() -> None:
    # One binary predictor: Firth's estimate is the log odds ratio with 0.5 added to every cell.
    # x = 1: 30 churned, 0 stayed; x = 0: 20 churned, 50 stayed → quasi-complete separation, found after the
    # maximum-likelihood fit (its fitted probabilities reach 1).
    x = np.r_[np.ones(30), np.zeros(70)]
    y = np.r_[np.ones(30), np.ones(20), np.zeros(50)]
    fit = fit_logit_or_firth(y, np.column_stack([np.ones(100), x]))
    assert fit.method == "firth" and fit.mle_problem is None and fit.failure is None
    assert fit.separation == "quasi-complete (fitted probabilities of 0 or 1)"
    assert fit.params is not None and fit.ame is not None and fit.ame_se is None
    assert fit.params[1] == pytest.approx(math.log((30.5 * 50.5) / (0.5 * 20.5)), rel=1e-6)
    # intercept: log odds in the x = 0 group with the same correction, log(20.5 / 50.5)
    assert fit.params[0] == pytest.approx(math.log(20.5 / 50.5), rel=1e-6)
    # separation found beforehand skips maximum likelihood and gives the same Firth estimate
    again = fit_logit_or_firth(y, np.column_stack([np.ones(100), x]), separated="quasi-complete")
    assert again.method == "firth" and again.separation == "quasi-complete"
    assert again.params == pytest.approx(fit.params)


def test_binary_columns_get_discrete_change_effects_as_statsmodels_dummy_margins() -> None:
    # a yes/no item beside a continuous score: the AME of the 0/1 column is mean(P(x=1) − P(x=0)), the
    # continuous one the derivative; statsmodels' get_margeff(at="overall", dummy=True), values and SEs
    rng = np.random.default_rng(1)
    n = 3000
    flag = (rng.random(n) < 0.4).astype(float)
    score = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-0.5 + 1.2 * flag - 0.7 * score)))).astype(float)
    design = np.column_stack([np.ones(n), flag, score])
    fit = sm.Logit(y, design).fit(disp=0)
    margeff = fit.get_margeff(at="overall", dummy=True)
    ame, se = average_marginal_effects(design, np.asarray(fit.params), np.asarray(fit.cov_params()))
    assert ame == pytest.approx(margeff.margeff, rel=1e-8)
    assert se == pytest.approx(margeff.margeff_se, rel=1e-6)
