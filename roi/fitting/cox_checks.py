"""Checks of a fitted Cox model: the proportional-hazards test on Schoenfeld residuals, and concordance.

* **Proportional hazards** (Grambsch & Therneau 1994, the approximate per-term test lifelines and R's
  `cox.zph` before survival 3.0 compute): each churner's Schoenfeld residual s_i = x_i − E[x | risk set at
  their churn time] (`CoxFit.expected`), scaled s*_i = d · V s_i (d churners, V the coefficients' covariance;
  s*_i + β̂ estimates β at that time). If the effect is constant, s* does not trend with time: for term j,
  T_j = (Σ_i (g_i − ḡ) s*_ij)² / (d · V_jj · Σ_i (g_i − ḡ)²) is χ²₁, g_i the rank of the churn time among the
  churners (lifelines' default "rank" transform; ties share their average rank). p-values are Holm-adjusted
  across the model's terms.
* **Concordance** (Harrell's C): over the pairs whose order of churning is known — i churned, j was still
  there after (a later time, or censored at the same time) — the share in which i had the higher predicted
  hazard, ties in the prediction counting ½ (lifelines' `concordance_index` of −x'β). 0.5 is chance, 1 perfect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import chi2, rankdata
from statsmodels.stats.multitest import multipletests

from .cox import CoxFit
from .design import finite_or_none

PH_LEVEL = 0.05


@dataclass(frozen=True)
class HazardCheck:
    """One term's proportional-hazards test."""

    term: str
    statistic: float
    p: float
    p_holm: float

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.term, "chi2": finite_or_none(self.statistic), "p": finite_or_none(self.p),
                "p_holm": finite_or_none(self.p_holm)}


def proportional_hazards_test(fit: CoxFit, time: np.ndarray, status: np.ndarray, X: np.ndarray,
                              names: list[str]) -> tuple[HazardCheck, ...]:
    """The per-term Schoenfeld-residual test of the module docstring (empty when it cannot be computed)."""
    if fit.expected is None or not np.all(np.isfinite(fit.cov)):
        return ()
    churned = np.asarray(status, dtype=float) > 0
    if churned.sum() < 3:
        return ()
    residuals = np.asarray(X, dtype=float)[churned] - fit.expected[churned]
    deaths = int(churned.sum())
    scaled = deaths * residuals @ fit.cov
    g = rankdata(np.asarray(time, dtype=float)[churned])
    centred = g - g.mean()
    spread = float(centred @ centred)
    if spread == 0:
        return ()
    variance = np.diag(fit.cov)
    statistic = (centred @ scaled) ** 2 / (deaths * variance * spread)
    p = chi2.sf(statistic, 1)
    holm = multipletests(p, method="holm")[1]
    return tuple(HazardCheck(name, float(s), float(a), float(b))
                 for name, s, a, b in zip(names, statistic, p, holm, strict=True))


def concordance(time: np.ndarray, status: np.ndarray, risk: np.ndarray) -> float | None:
    """Harrell's C of the predicted hazard `risk` (higher: expected to churn sooner); None without a
    comparable pair. Exact, in O(n · distinct times): the rows are swept from the latest time back, keeping
    the sorted predictions of the customers still there later."""
    time = np.asarray(time, dtype=float)
    status = np.asarray(status, dtype=float) > 0
    ranks = rankdata(np.asarray(risk, dtype=float), method="dense")
    order = np.argsort(-time, kind="stable")
    t, e, r = time[order], status[order], ranks[order]
    bounds = np.flatnonzero(np.r_[True, t[1:] != t[:-1], True])
    later = np.empty(0)
    concordant = ties = comparable = 0.0
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        group_r, group_e = r[start:end], e[start:end]
        events = group_r[group_e]
        if len(events):
            censored = np.sort(group_r[~group_e])  # censored at the same time: still there after
            for pool in (later, censored):
                if len(pool):
                    below = np.searchsorted(pool, events, side="left")
                    equal = np.searchsorted(pool, events, side="right") - below
                    concordant += float(below.sum())
                    ties += float(equal.sum())
                    comparable += float(len(pool) * len(events))
        later = np.insert(later, np.searchsorted(later, np.sort(group_r)), np.sort(group_r))
    if comparable == 0:
        return None
    return (concordant + 0.5 * ties) / comparable


def failing_terms(checks: tuple[HazardCheck, ...]) -> list[HazardCheck]:
    """The terms whose Holm-adjusted p-value is below 5%."""
    return [check for check in checks if check.p_holm < PH_LEVEL]
