"""Ordinal metrics (issue 12): level dummies against the linear term, with planted truth — an NPS-like 0–10
answer where only 9 and 10 protect must be flagged non_linear; a truly linear one must not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import chi2

from roi.config import build_config
from roi.data import build_analysis_data
from roi.fitting import linearity_test
from roi.retention import fit_retention


def _world(step: bool, n: int = 6000, seed: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    score = rng.integers(0, 11, n).astype(float)
    logit = np.where(score >= 9, -1.5, 0.0) if step else 0.5 - 0.12 * score
    return score, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)


def test_the_likelihood_ratio_equals_statsmodels() -> None:
    score, churned = _world(step=True)
    test = linearity_test(churned, score, np.empty((len(score), 0)))
    assert test is not None and test.df == 9
    linear = sm.Logit(churned, sm.add_constant(score)).fit(disp=0)
    dummies = sm.Logit(churned, sm.add_constant(pd.get_dummies(score, drop_first=True, dtype=float))).fit(disp=0)
    assert test.statistic == pytest.approx(2 * (dummies.llf - linear.llf), rel=1e-8)
    assert test.p == pytest.approx(chi2.sf(test.statistic, 9), rel=1e-12)
    # the level estimates show the planted step: about 0 up to 8, about −1.5 at 9 and 10
    coefs = dict(zip(test.levels, test.level_coefs, strict=True))
    assert abs(coefs[8.0]) < 0.4 and -2.0 < coefs[9.0] < -1.0 and -2.0 < coefs[10.0] < -1.0


@pytest.mark.parametrize(("step", "fires"), [(True, True), (False, False)])
def test_non_linear_fires_only_on_a_bent_scale(step: bool, fires: bool) -> None:
    score, churned = _world(step=step)
    ids = [f"c{i}" for i in range(len(score))]
    responses = pd.DataFrame({"customer_id": ids, "nps": score.astype(int).astype(str)})
    outcomes = pd.DataFrame({"customer_id": ids, "churned": churned.astype(int).astype(str)})
    retention = fit_retention(build_analysis_data(responses, outcomes, config=build_config({"controls": []})))
    linearity = retention.models[0].extra["linearity"]
    assert linearity["df"] == 9 and linearity["q"] == pytest.approx(linearity["p"])  # one metric tested
    assert ("non_linear" in {w.code for w in retention.warnings}) is fires
