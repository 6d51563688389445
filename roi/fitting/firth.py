"""Firth's bias-reduced logistic regression, with profile penalised-likelihood intervals and p-values.

Firth's method maximises the penalised log-likelihood ℓ*(β) = ℓ(β) + ½ log|X'W X| (W = diag p(1 − p), the
Jeffreys prior); its gradient is the modified score U*(β) = X'(y − p + h(½ − p)), h the diagonal of the hat
matrix W^½ X (X'WX)⁻¹ X' W^½. Estimates are finite even under separation.

Intervals and tests follow logistf (Heinze & Schemper 2002), not Wald: under separation the penalised
likelihood is far from quadratic and Wald intervals can flip a conclusion (logistf's sex2 data: `dia` has
the Wald interval [−0.19, 6.38] and the profile interval [0.77, 8.03]).

* The 95% interval of β_j is {b : 2 [ℓ*(β̂) − max_{β: β_j = b} ℓ*(β)] ≤ χ²₁(0.95)}; each end is found by
  root-finding on the profile (Brent's method), each profile point by scoring on the other coefficients with
  the penalty of the full model, as logistf's `logistpl` does.
* The p-value of β_j = 0 is the penalised likelihood-ratio test, χ²₁ of 2 [ℓ*(β̂) − max_{β_j = 0} ℓ*(β)].
* The standard error is √diag((X'WX)⁻¹) at β̂ — the inverse Fisher information at the penalised estimate,
  what logistf reports as `std.err`; it is shown for reference only (the interval and p do not use it).

`tests/roi/fitting/test_firth_profile.py` checks all three against logistf's published numbers for sex2 and
Heinze & Schemper's endometrial data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq, minimize
from scipy.stats import chi2

from .link import expit

PROFILE_LEVEL = 0.95
MAX_BRACKET_STEPS = 40
"""Doublings of the search step before an interval end is declared unbounded (reported as null)."""


def penalised_parts(y: np.ndarray, X: np.ndarray, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """ℓ*(β), the modified score U*(β) and the information X'WX (−inf and zeros where X'WX is singular)."""
    eta = X @ beta
    p = expit(eta)
    w = p * (1 - p)
    info = X.T @ (X * w[:, None])
    sign, logdet = np.linalg.slogdet(info)
    if sign <= 0:
        return -np.inf, np.zeros_like(beta), info
    h = np.einsum("ij,jk,ik->i", X, np.linalg.inv(info), X) * w
    value = float(np.sum(y * eta - np.logaddexp(0, eta))) + 0.5 * logdet
    return value, X.T @ (y - p + h * (0.5 - p)), info


def fit_firth(y: np.ndarray, X: np.ndarray, *, max_iter: int = 25, gtol: float = 1e-10) -> tuple[np.ndarray, np.ndarray, bool]:
    """Firth's bias-reduced logistic regression (X includes the intercept): (params, covariance, converged).

    Fisher-scoring steps on U* (with up to five step halvings), then BFGS on the exact penalised likelihood,
    which converges where scoring crawls (complete separation). Converged when max |U*| / n < `gtol`. The
    covariance is (X'WX)⁻¹ at the estimate (see the module docstring).
    """
    n = len(y)
    beta = np.zeros(X.shape[1])
    current, score, info = penalised_parts(y, X, beta)
    for _ in range(max_iter):
        step = np.linalg.solve(info, score)
        size = 1.0
        for _ in range(6):
            value, new_score, new_info = penalised_parts(y, X, beta + size * step)
            if value >= current:
                break
            size /= 2
        else:
            break
        beta, current, score, info = beta + size * step, value, new_score, new_info
        if np.max(np.abs(score)) / n < gtol:
            break
    if np.max(np.abs(score)) / n >= gtol:
        def objective(b: np.ndarray) -> tuple[float, np.ndarray]:
            value, gradient, _ = penalised_parts(y, X, b)
            return (-value / n, -gradient / n) if np.isfinite(value) else (np.inf, np.zeros_like(b))

        polished = minimize(objective, beta, jac=True, method="BFGS", options={"gtol": gtol, "maxiter": 2000})
        beta = polished.x
        current, score, info = penalised_parts(y, X, beta)
    converged = bool(np.isfinite(current) and np.max(np.abs(score)) / n < 10 * gtol)
    return beta, np.linalg.inv(info), converged


def _standardising(design: np.ndarray, *, centre: bool) -> tuple[np.ndarray, np.ndarray]:
    """A better-conditioned design and the matrix T with β = T γ (γ the coefficients of that design)."""
    mean = design[:, 1:].mean(axis=0) if centre else np.zeros(design.shape[1] - 1)
    scale = design[:, 1:].std(axis=0)
    scale[scale == 0] = 1.0
    z = np.column_stack([np.ones(len(design)), (design[:, 1:] - mean) / scale])
    # β = T γ: slopes γ_j / s_j; intercept γ_0 − Σ γ_j m_j / s_j
    transform = np.zeros((design.shape[1], design.shape[1]))
    transform[0, 0] = 1.0
    transform[0, 1:] = -mean / scale
    transform[1:, 1:] = np.diag(1 / scale)
    return z, transform


def fit_firth_standardised(y: np.ndarray, design: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """`fit_firth` on centred and scaled columns, mapped back to the original units.

    Firth's penalty is invariant under linear reparametrisation, so this gives the same estimates; it converges
    far faster when a column (e.g. ln revenue ≈ 7 ± 0.2) is nearly parallel to the intercept.
    """
    z, transform = _standardising(design, centre=True)
    params, cov, converged = fit_firth(y, z)
    return transform @ params, transform @ cov @ transform.T, converged


@dataclass(frozen=True)
class FirthProfile:
    """Profile penalised-likelihood 95% intervals (rows low, high; NaN for an end that does not exist) and
    penalised likelihood-ratio p-values, one per coefficient (intercept first)."""

    ci: np.ndarray
    p: np.ndarray


def _profile_one(y: np.ndarray, X: np.ndarray, gamma: np.ndarray, se: np.ndarray, j: int,
                 level: float) -> tuple[float, float, float]:
    """(low, high, p) for coefficient j of design X at the penalised estimate `gamma`."""
    top, _, _ = penalised_parts(y, X, gamma)
    free = np.arange(len(gamma)) != j
    n = len(y)
    last = {"beta": gamma.copy()}

    def constrained(b: float) -> float:
        beta = last["beta"].copy()
        beta[j] = b
        value, score, info = penalised_parts(y, X, beta)
        for _ in range(100):
            if np.max(np.abs(score[free])) / n < 1e-11:
                break
            try:
                step = np.linalg.solve(info[np.ix_(free, free)], score[free])
            except np.linalg.LinAlgError:
                break
            size = 1.0
            for _ in range(30):
                trial = beta.copy()
                trial[free] += size * step
                new = penalised_parts(y, X, trial)
                if new[0] >= value:
                    break
                size /= 2
            else:
                break
            beta, (value, score, info) = trial, new
            if np.max(np.abs(size * step)) < 1e-10:
                break
        if not np.isfinite(value) or np.max(np.abs(score[free])) / n > 1e-8:
            # scoring stalled (far from the data, e.g. the intercept under separation): BFGS on the rest
            def objective(rest: np.ndarray) -> tuple[float, np.ndarray]:
                trial = beta.copy()
                trial[free] = rest
                v, g, _ = penalised_parts(y, X, trial)
                return (-v / n, -g[free] / n) if np.isfinite(v) else (np.inf, np.zeros(len(rest)))

            polished = minimize(objective, beta[free], jac=True, method="BFGS",
                                options={"gtol": 1e-11, "maxiter": 2000})
            if np.isfinite(polished.fun) and -polished.fun * n > value:
                beta[free] = polished.x
                value = -float(polished.fun) * n
        last["beta"] = beta
        return value

    quantile = float(chi2.ppf(level, 1))

    def distance(b: float) -> float:
        return 2 * (top - constrained(b)) - quantile

    ends = []
    for direction in (-1.0, 1.0):
        last["beta"] = gamma.copy()
        step = max(float(se[j]), 1e-3)
        inner, outer = float(gamma[j]), float(gamma[j]) + direction * step
        found = False
        for _ in range(MAX_BRACKET_STEPS):
            if distance(outer) > 0:
                found = True
                break
            inner, step = outer, step * 2
            outer = inner + direction * step
        if not found:
            ends.append(float("nan"))
            continue
        last["beta"] = gamma.copy()
        try:
            ends.append(float(brentq(distance, inner, outer, xtol=1e-9, rtol=1e-10)))
        except ValueError:  # a profile too rough to bracket (inner fits that did not settle): no end
            ends.append(float("nan"))
    last["beta"] = gamma.copy()
    statistic = max(2 * (top - constrained(0.0)), 0.0)
    return ends[0], ends[1], float(chi2.sf(statistic, 1))


def profile_firth(y: np.ndarray, design: np.ndarray, params: np.ndarray, *, level: float = PROFILE_LEVEL
                  ) -> FirthProfile:
    """Profile penalised-likelihood intervals and p-values for every coefficient of a Firth fit `params`
    (original units, design with its intercept column). Slopes are profiled on the centred and scaled
    design (the same profile, better conditioned), the intercept on the scaled design, whose intercept is
    the original one."""
    k = design.shape[1]
    ci = np.full((k, 2), np.nan)
    p = np.full(k, np.nan)
    for centre, indices in ((True, range(1, k)), (False, range(0, 1))):
        z, transform = _standardising(design, centre=centre)
        gamma = np.linalg.solve(transform, params)
        _, _, info = penalised_parts(y, z, gamma)
        se = np.sqrt(np.clip(np.diag(np.linalg.inv(info)), 0, None))
        for j in indices:
            low, high, p[j] = _profile_one(y, z, gamma, se, j, level)
            factor = transform[j, j]  # the slope's 1 / s_j, or 1 for the intercept of the scaled design
            ci[j] = (low * factor, high * factor)
    return FirthProfile(ci, p)
