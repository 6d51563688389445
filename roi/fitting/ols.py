"""Ordinary least squares with robust standard errors: HC3 (`fit_ols_hc3`, cxroi's own, from one k×k
inverse) and cluster-robust (`fit_ols_clustered`, statsmodels' covariance with t(G − 1) intervals)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from scipy.stats import t as student


def fit_ols_hc3(y: np.ndarray, design: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """OLS coefficients, HC3 standard errors and R² (design with its intercept column).

    HC3 (MacKinnon & White 1985): (X'X)⁻¹ X' diag(e_i² / (1 − h_i)²) X (X'X)⁻¹, h_i the leverage — what
    statsmodels `OLS.fit(cov_type="HC3")` gives, from one k×k inverse instead of a pseudo-inverse of the
    n×k design. A point of leverage 1 gives an infinite standard error (reported as null). Raises
    `np.linalg.LinAlgError` for a singular X'X.
    """
    gram_inverse = np.linalg.inv(design.T @ design)
    params = gram_inverse @ (design.T @ y)
    residuals = y - design @ params
    leverage = np.einsum("ij,jk,ik->i", design, gram_inverse, design)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = residuals**2 / (1 - leverage) ** 2
    meat = (design * scaled[:, None]).T @ design
    cov = gram_inverse @ meat @ gram_inverse
    centred = y - y.mean()
    r2 = 1 - float(residuals @ residuals) / float(centred @ centred) if np.ptp(y) > 0 else float("nan")
    return params, np.sqrt(np.clip(np.diag(cov), 0, None)), r2


@dataclass(frozen=True)
class ClusteredOls:
    """Coefficients, cluster-robust standard errors, 95% intervals (one row per coefficient), p-values, R²."""

    params: np.ndarray
    se: np.ndarray
    ci: np.ndarray
    p: np.ndarray
    r2: float


def cluster_quantile(clusters: int) -> float:
    """The 97.5% quantile of Student's t with G − 1 degrees of freedom: with few clusters the cluster-robust
    estimate is t-distributed with G − 1 degrees of freedom, not normal (Cameron & Miller 2015)."""
    return float(student.ppf(0.975, max(clusters - 1, 1)))


def fit_ols_clustered(y: np.ndarray, design: np.ndarray, groups: np.ndarray) -> ClusteredOls:
    """OLS (design with its intercept column) with standard errors cluster-robust by `groups`: statsmodels
    `OLS.fit(cov_type="cluster")` (small-sample factor G/(G − 1)·(n − 1)/(n − k)), with 95% intervals and
    p-values from t(G − 1), G the number of clusters — what statsmodels gives with `use_t=True`.

    statsmodels' warnings are silenced (the caller notes too few clusters itself); its errors
    (`np.linalg.LinAlgError`, `ValueError`) are raised.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sm.OLS(y, design).fit(cov_type="cluster", cov_kwds={"groups": groups})
    params = np.asarray(result.params, dtype=float)
    se = np.asarray(result.bse, dtype=float)
    clusters = len(np.unique(groups))
    half = cluster_quantile(clusters) * se
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * student.sf(np.abs(params / se), max(clusters - 1, 1))
    return ClusteredOls(params, se, np.column_stack([params - half, params + half]), p, float(result.rsquared))
