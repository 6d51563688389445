"""The honesty checks: each returns `RoiWarning`s (codes in `roi.types`) naming the column concerned.

The rules, documented for users in docs/methods.md ("What each warning means"):
* separation — the metric alone splits churners from stayers without overlap (complete or quasi-complete
  separation: every churner's value is ≥ every stayer's, or ≤), or a fitted probability is numerically 0 or 1;
* leakage — the metric on its own nearly *is* the outcome: AUC > 0.97 (either direction) or |r| > 0.9;
* wrong_sign — the 95% CI lies entirely on the wrong side of zero given the metric's polarity (a merely
  wrong-signed point estimate with a CI spanning zero is reported as no_effect instead);
* no_effect — the 95% CI includes zero;
* small_sample — fewer than 10 events (or non-events) per predictor, or too few rows to fit at all;
* collinearity — in a joint model, VIF > 10 for a metric or |r| > 0.9 between two metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy.stats import rankdata

from .types import Metric, RoiWarning

EVENTS_PER_VARIABLE = 10
"""Fewer events (or non-events) than this per predictor makes a logistic fit a `small_sample`."""
LEAKAGE_AUC = 0.97
LEAKAGE_CORRELATION = 0.9
COLLINEAR_VIF = 10.0
COLLINEAR_CORRELATION = 0.9
FITTED_EDGE = 1e-10
"""A fitted probability closer than this to 0 or 1 is taken as a sign of separation (as R's glm warns)."""

Outcome = Literal["churn", "revenue"]


def shown(metric: Metric) -> str:
    """'q_friction.billing (Billing)': the column and, when it has one, its label."""
    return f"{metric.name} ({metric.label})" if metric.label and metric.label != metric.name else metric.name


def rank_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve of `score` for binary `y` (Mann–Whitney, ties counted half); NaN if one class."""
    positives = int(np.sum(y == 1))
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def separation_kind(x: np.ndarray, y: np.ndarray) -> str | None:
    """'complete' or 'quasi-complete' when the single predictor x separates y (0/1), else None."""
    churners, stayers = x[y == 1], x[y == 0]
    if len(churners) == 0 or len(stayers) == 0 or np.ptp(x) == 0:
        return None
    for low, high in ((stayers, churners), (churners, stayers)):
        if low.max() < high.min():
            return "complete"
        if low.max() == high.min():
            return "quasi-complete"
    return None


def uniform_levels(x: np.ndarray, y: np.ndarray, *, max_levels: int = 21) -> list[tuple[float, int, int]]:
    """(level, customers, churned) for each level where everyone or no one churned, for few-level metrics."""
    levels, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    if len(levels) > max_levels:
        return []
    churned = np.bincount(inverse, weights=y, minlength=len(levels))
    return [(float(level), int(count), int(c)) for level, count, c in zip(levels, counts, churned, strict=True)
            if c == 0 or c == count]


def tabulate(x: np.ndarray, y: np.ndarray, *, max_levels: int = 21) -> list[dict[str, float | int]]:
    """Exact tabulation of churn by metric level (the fallback shown when a model cannot be trusted)."""
    levels, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    if len(levels) > max_levels:
        return []
    churned = np.bincount(inverse, weights=y, minlength=len(levels))
    return [{"level": float(level), "customers": int(count), "churned": int(c), "churn_rate": float(c / count)}
            for level, count, c in zip(levels, counts, churned, strict=True)]


def rank_deficient(design: np.ndarray, *, tolerance: float = 1e-10) -> bool:
    """Whether some column of `design` is (numerically) a combination of the others.

    Scale-free: columns are scaled to a maximum of 1, then the eigenvalues of the small k×k Gram matrix are
    compared (cheaper than an SVD of the n×k design at 100,000 rows).
    """
    peak = np.abs(design).max(axis=0)
    scaled = design / np.where(peak > 0, peak, 1.0)
    eigenvalues = np.linalg.eigvalsh(scaled.T @ scaled)
    return bool(eigenvalues.min() <= tolerance * eigenvalues.max())


def check_leakage(metric: Metric, x: np.ndarray, y: np.ndarray, *, outcome: Outcome) -> RoiWarning | None:
    """The metric alone nearly reproduces the outcome (AUC > 0.97 for churn, or |r| > 0.9)."""
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    r = float(np.corrcoef(x, y)[0, 1])
    auc = rank_auc(y, x) if outcome == "churn" else float("nan")
    separability = max(auc, 1 - auc) if np.isfinite(auc) else 0.0
    if abs(r) <= LEAKAGE_CORRELATION and separability <= LEAKAGE_AUC:
        return None
    what = "churn" if outcome == "churn" else "the revenue outcome"
    detail = f"AUC {separability:.3f}, r = {r:+.2f}" if outcome == "churn" else f"r = {r:+.2f}"
    return RoiWarning("leakage", metric.name,
                      f"{shown(metric)} on its own nearly reproduces {what} ({detail}). It may record the outcome "
                      "itself (e.g. a complaint or cancellation question) rather than predict it; its effect and "
                      "any money figure built on it are not credible.")


FDR_LEVEL = 0.05
"""A metric is a discovery when its Benjamini–Hochberg q-value across the section's metrics is below this."""


def check_effect(metric: Metric, coef: float | None, ci: Sequence[float | None], *, outcome: Outcome,
                 model: str, q: float | None = None, family: int = 1) -> RoiWarning | None:
    """wrong_sign when the CI is wholly on the wrong side given polarity; no_effect when it includes zero, or
    when it does not but the metric's q-value (false-discovery rate across the `family` metrics tested) is
    not below 5%."""
    low, high = ci
    if coef is None or low is None or high is None:
        return None
    if low <= 0 <= high:
        return RoiWarning("no_effect", metric.name,
                          f"{model}: the 95% interval of the coefficient ({low:.3g} to {high:.3g}) includes zero; "
                          f"these data show no clear link between this metric and {outcome}.")
    if q is not None and q >= FDR_LEVEL:
        return RoiWarning("no_effect", metric.name,
                          f"{model}: the coefficient's 95% interval ({low:.3g} to {high:.3g}) excludes zero, but not "
                          f"once the false-discovery rate is controlled across the {family} metrics tested "
                          f"(Benjamini–Hochberg q = {q:.3g}); with that many tests, a link this weak is expected "
                          "by chance.")
    better_is_higher = metric.polarity == "higher_is_better"
    # for churn a better score should lower the odds; for revenue it should raise it
    expected_positive = better_is_higher if outcome == "revenue" else not better_is_higher
    if (coef > 0) != expected_positive:
        direction = "more churn" if outcome == "churn" else "less revenue"
        return RoiWarning("wrong_sign", metric.name,
                          f"{model}: a better {shown(metric)} goes with {direction} (coefficient {coef:.3g}, 95% "
                          f"interval {low:.3g} to {high:.3g}). Check the scale direction (polarity) of this column, "
                          "or look for a confounder; do not read it as a causal effect.")
    return None


def check_events(subject: str, *, n: int, events: int, predictors: int, model: str) -> RoiWarning | None:
    """small_sample when the rarer outcome class has fewer than 10 cases per predictor."""
    rarer = min(events, n - events)
    if predictors and rarer < EVENTS_PER_VARIABLE * predictors:
        return RoiWarning("small_sample", subject,
                          f"{model}: {rarer} {'churners' if rarer == events else 'stayers'} among {n} customers for "
                          f"{predictors} predictor(s) — fewer than {EVENTS_PER_VARIABLE} per predictor; estimates "
                          "and intervals are unstable.")
    return None


def check_collinearity(names: Sequence[str], X: np.ndarray, *, model: str) -> list[RoiWarning]:
    """VIF > 10 for any metric, or |r| > 0.9 between two, among the columns of X (no intercept)."""
    found: list[RoiWarning] = []
    if X.shape[1] < 2 or X.shape[0] < 3:
        return found
    keep = np.nanstd(X, axis=0) > 0
    names = [n for n, k in zip(names, keep, strict=True) if k]
    corr = np.corrcoef(X[:, keep], rowvar=False)
    flagged: set[str] = set()
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            if abs(corr[i, j]) > COLLINEAR_CORRELATION:
                flagged.update((names[i], names[j]))
                found.append(RoiWarning("collinearity", names[i],
                                        f"{model}: {names[i]} and {names[j]} are correlated at r = {corr[i, j]:+.2f}; "
                                        "their separate effects cannot be told apart."))
    try:
        vif = np.diag(np.linalg.inv(corr))
    except np.linalg.LinAlgError:
        vif = np.full(len(names), np.inf)
    for name, value in zip(names, vif, strict=True):
        if (not np.isfinite(value) or value > COLLINEAR_VIF) and name not in flagged:
            shown = "infinite" if not np.isfinite(value) else f"{value:.1f}"
            found.append(RoiWarning("collinearity", name,
                                    f"{model}: {name} has a variance inflation factor of {shown} (> {COLLINEAR_VIF:g}); "
                                    "it is largely explained by the other metrics, so its own effect is uncertain."))
    return found


def unique(found: Sequence[RoiWarning]) -> list[RoiWarning]:
    """Warnings without exact repeats, in first-seen order."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for warning in found:
        key = (warning.code, warning.subject, warning.message)
        if key not in seen:
            seen.add(key)
            out.append(warning)
    return out
