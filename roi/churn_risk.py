"""One customer's predicted churn risk from a retention model as results.json stores it, with its 95% interval.

A pure function of the model's dict (docs/results.md, "Models") and the customer's values, so the web
application's churn-risk cases (`webapp/cases/churn_risk.py`) and any other reader score exactly as documented:

* the linear predictor η = x'β over the model's `terms` (`const` is 1, every other term's value is given);
* with the model's `covariance` (schema 2): Var(η) = x'Vx, the delta method on the logit scale; the interval
  η ± 1.96·√(x'Vx) is mapped back through the logistic function, so it stays inside (0, 1) and is the same
  interval as statsmodels' `get_prediction(...).conf_int()` of a logit (`exact`: True);
* without it (results written before schema 2): √(x'Vx) is bounded by Σ |x_j|·se_j (the standard deviation
  of a sum is at most the sum of the standard deviations), which covers at least 95% (`exact`: False).

For a Firth fit the covariance is the inverse penalised information, so the interval is Wald-type on the
logit scale, not a profile interval. Nothing here raises on a malformed model: the answer is None.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

Z95 = NormalDist().inv_cdf(0.975)
"""The 97.5th normal percentile (as `roi.fitting.Z95`; not imported from there, so that scoring one response
loads numpy only)."""


@dataclass(frozen=True)
class ChurnRisk:
    """A predicted churn probability and its 95% interval; `exact` False when the interval is the bound."""

    risk: float
    low: float
    high: float
    exact: bool


def _logistic(eta: float) -> float:
    return 1.0 / (1.0 + math.exp(-eta)) if eta >= 0 else math.exp(eta) / (1.0 + math.exp(eta))


def covariance_of(model: Mapping[str, Any]) -> np.ndarray | None:
    """The model's coefficient covariance ordered as its `terms`, or None when results.json has none (or it is
    malformed: not square, not the terms' order, not finite, or not symmetric)."""
    stored = model.get("covariance")
    terms = [t.get("name") for t in model.get("terms") or [] if isinstance(t, Mapping)]
    if not isinstance(stored, Mapping) or stored.get("terms") != terms:
        return None
    try:
        matrix = np.asarray(stored.get("matrix"), dtype=float)
    except (TypeError, ValueError):
        return None
    k = len(terms)
    if matrix.shape != (k, k) or not np.all(np.isfinite(matrix)) or not np.allclose(matrix, matrix.T):
        return None
    return matrix


def predicted_risk(names: Sequence[str], coefs: Sequence[float], values: Mapping[str, float | None], *,
                   covariance: np.ndarray | None = None, se: Sequence[float] | None = None) -> ChurnRisk | None:
    """The risk for one customer: η = x'β with x = 1 for `const` and `values[name]` otherwise; the interval
    from `covariance` (delta method, exact) or else from the standard errors `se` (the bound). None when a
    value is unknown or not finite, or neither covariance nor errors are given."""
    x = []
    for name in names:
        value = 1.0 if name == "const" else values.get(name)
        if value is None or not math.isfinite(value):
            return None
        x.append(float(value))
    vector = np.asarray(x)
    eta = float(vector @ np.asarray(coefs, dtype=float))
    if covariance is not None:
        spread, exact = math.sqrt(max(float(vector @ covariance @ vector), 0.0)), True
    elif se is not None:
        spread, exact = float(np.abs(vector) @ np.asarray(se, dtype=float)), False
    else:
        return None
    return ChurnRisk(_logistic(eta), _logistic(eta - Z95 * spread), _logistic(eta + Z95 * spread), exact)


def model_risk(model: Mapping[str, Any], values: Mapping[str, float | None]) -> ChurnRisk | None:
    """`predicted_risk` for a retention model dict of results.json (its `terms` and, when present, its
    `covariance`); None when a coefficient, an error or a value is missing."""
    terms = [t for t in model.get("terms") or [] if isinstance(t, Mapping)]
    names = [str(t.get("name")) for t in terms]
    coefs = [float(c) for t in terms if isinstance(c := t.get("coef"), int | float)]
    errors = [float(s) for t in terms if isinstance(s := t.get("se"), int | float)]
    if not terms or len(coefs) < len(terms):
        return None
    covariance = covariance_of(model)
    if covariance is None and len(errors) < len(terms):
        return None
    return predicted_risk(names, coefs, values, covariance=covariance, se=None if covariance is not None else errors)
