"""Is an ordinal metric's link with churn a straight line? A likelihood-ratio test of level dummies against
the linear term.

A 0–10 question or a 5-point item enters the retention model as a number, one coefficient per point: that
assumes the step from 5 to 6 matters as much as the step from 9 to 10. NPS-like scales often break this (only
the top answers protect). For a metric with 3 to 11 distinct values the model is refitted with one dummy per
level above the lowest (the same controls), and

    LR = 2 [ℓ(dummies) − ℓ(linear)]  ~  χ² with (levels − 2) degrees of freedom

(the linear model is nested in the dummy model). The level estimates (log-odds against the lowest level)
are returned with it, so a reader can see the shape. `roi.retention` adjusts the p-values across the
metrics tested (Benjamini–Hochberg) and warns `non_linear` below 5%.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import chi2

from .design import finite_or_none
from .link import expit
from .logit import newton_logit

MAX_LEVELS = 11


def _loglik(y: np.ndarray, design: np.ndarray, start: np.ndarray | None = None) -> tuple[float, np.ndarray] | None:
    """Maximum log-likelihood and estimates of a logit, or None when it does not exist (separation,
    collinearity, no convergence)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a separation or convergence warning: no trustworthy maximum
        try:
            beta, _, converged = newton_logit(y, design, start=start)
        except (np.linalg.LinAlgError, ValueError, Warning):
            return None
    if not converged:
        return None
    eta = design @ beta
    p = expit(eta)
    if np.any((p < 1e-10) | (p > 1 - 1e-10)):
        return None
    return float(np.sum(y * eta - np.logaddexp(0, eta))), beta


@dataclass(frozen=True)
class LinearityTest:
    """The likelihood-ratio test of level dummies against the linear term, and the level estimates."""

    levels: tuple[float, ...]
    level_coefs: tuple[float, ...]  # log-odds against the lowest level (0 for it)
    statistic: float
    df: int
    p: float
    q: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"levels": [{"level": level, "coef": finite_or_none(coef)}
                           for level, coef in zip(self.levels, self.level_coefs, strict=True)],
                "chi2": finite_or_none(self.statistic), "df": self.df, "p": finite_or_none(self.p),
                "q": finite_or_none(self.q)}


def linearity_test(y: np.ndarray, values: np.ndarray, controls: np.ndarray,
                   linear_estimate: np.ndarray | None = None) -> LinearityTest | None:
    """The test of the module docstring for one metric (`values`) with `controls` (n × c, possibly c = 0);
    None when the metric has fewer than 3 or more than 11 levels, or a model cannot be fitted.
    `linear_estimate` (intercept, metric, controls: the linear model already fitted) saves Newton steps: the
    linear fit starts there, the dummy fit at the same line (dummy k at β·(level_k − lowest))."""
    levels = np.unique(values)
    if not 3 <= len(levels) <= MAX_LEVELS:
        return None
    ones = np.ones((len(y), 1))
    linear = _loglik(y, np.column_stack([ones, values, controls]), linear_estimate)
    dummies = (values[:, None] == levels[None, 1:]).astype(float)
    start = None
    if linear is not None:
        b = linear[1]
        start = np.concatenate([[b[0] + b[1] * levels[0]], b[1] * (levels[1:] - levels[0]), b[2:]])
    stepwise = _loglik(y, np.column_stack([ones, dummies, controls]), start)
    if linear is None or stepwise is None:
        return None
    statistic = max(2 * (stepwise[0] - linear[0]), 0.0)
    df = len(levels) - 2
    coefs = (0.0, *(float(c) for c in stepwise[1][1:len(levels)]))
    return LinearityTest(tuple(float(v) for v in levels), coefs, statistic, df, float(chi2.sf(statistic, df)))
