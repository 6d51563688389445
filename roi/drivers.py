"""Driver analysis: which promises, touchpoints and channels matter most for retention and revenue.

Method: Johnson's (2000) relative weights, computed from the correlation matrix of the items and the
outcome. The items are replaced by their closest orthogonal counterparts Z (Z = X·R^(-1/2)); the outcome
is regressed on Z, and each item's weight is Σ_k λ_jk² β_k², where λ_jk is the correlation of item j with
Z_k. The weights add up to the model's R², so "% of explained variance" is weight / R². For churn (0/1)
the outcome is used as is: this is the linear-probability version, and R² is the linear-probability R².
Uncertainty: a percentile bootstrap over customers (rows resampled with replacement, weights recomputed;
whole accounts are resampled when `account_id` groups several customers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .fitting import account_clusters, finite_or_none, interval_or_none, percentile_interval, resample_counts
from .types import AnalysisData, Metric, RoiWarning

MAX_MISSING_SHARE = 0.5
"""Items missing for more than half of the customers are left out (complete cases would collapse)."""

Outcome = Literal["churned", "revenue"]


def relative_weights(corr: np.ndarray) -> tuple[np.ndarray, float]:
    """Johnson's relative weights and R² from a (k+1)×(k+1) correlation matrix, the outcome last."""
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    eigenvalues, vectors = np.linalg.eigh(rxx)
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    lam = vectors @ np.diag(np.sqrt(eigenvalues)) @ vectors.T  # corr(X_j, Z_k), symmetric R^(1/2)
    beta = np.linalg.pinv(lam) @ rxy
    weights = (lam**2) @ (beta**2)
    return weights, float(weights.sum())


def _correlation(matrix: np.ndarray) -> np.ndarray | None:
    spread = matrix.std(axis=0)
    if np.any(spread == 0):
        return None
    standard = (matrix - matrix.mean(axis=0)) / spread
    return (standard.T @ standard) / len(matrix)


@dataclass(frozen=True)
class DriverImportance:
    """One item's importance for the outcome, its direction, and where it sits on the importance–performance map."""

    item: str
    label: str
    family: str
    weight: float | None
    weight_ci: tuple[float | None, float | None]
    share: float | None
    share_ci: tuple[float | None, float | None]
    better_helps: bool | None
    performance: float | None
    quadrant: str | None
    direction_agreement: float | None = None
    """Share of bootstrap resamples in which the item's direction (`better_helps`) is the same."""

    @property
    def signed_weight(self) -> float | None:
        """The weight, negative when a better score goes with more churn / less revenue."""
        if self.weight is None or self.better_helps is None:
            return None
        return self.weight if self.better_helps else -self.weight

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item, "label": self.label, "family": self.family,
            "weight": finite_or_none(self.weight), "weight_ci": interval_or_none(*self.weight_ci),
            "share": finite_or_none(self.share), "share_ci": interval_or_none(*self.share_ci),
            "better_helps": self.better_helps, "direction_agreement": finite_or_none(self.direction_agreement),
            "signed_weight": finite_or_none(self.signed_weight),
            "performance": finite_or_none(self.performance), "quadrant": self.quadrant,
        }


@dataclass(frozen=True)
class DriverAnalysis:
    """Relative importance of every item for one outcome, ranked by weight."""

    outcome: str
    n: int
    r2: float | None
    r2_ci: tuple[float | None, float | None]
    drivers: tuple[DriverImportance, ...]
    excluded: tuple[str, ...]
    replicates: int
    method: str
    warnings: tuple[RoiWarning, ...] = ()
    splits: tuple[float | None, float | None] = (None, None)
    """Where `quadrant` splits: the mean share and the mean performance over the items."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome, "n": self.n, "r2": finite_or_none(self.r2), "r2_ci": interval_or_none(*self.r2_ci),
            "method": self.method, "replicates": self.replicates, "excluded": list(self.excluded),
            "splits": {"share": finite_or_none(self.splits[0]), "performance": finite_or_none(self.splits[1])},
            "drivers": [d.to_dict() for d in self.drivers], "warnings": [w.to_dict() for w in self.warnings],
        }


_METHOD = ("Johnson's relative weights from the correlation matrix (linear-probability version for churn); "
           "share = weight / R2 in %; 95% percentile bootstrap over customers")


def performance_score(values: pd.Series, item: Metric) -> float | None:
    """Mean score rescaled to 0–100 on the item's scale (observed range without one), 100 = best."""
    clean = pd.to_numeric(values, errors="coerce").dropna()
    if clean.empty:
        return None
    low, high = item.scale if item.scale else (float(clean.min()), float(clean.max()))
    if high <= low:
        return None
    score = (float(clean.mean()) - low) / (high - low) * 100
    return 100 - score if item.polarity == "lower_is_better" else score


def quadrant(importance: float, performance: float, importance_split: float, performance_split: float) -> str:
    """The importance–performance label, splitting at the means over items."""
    if importance >= importance_split:
        return "keep up" if performance >= performance_split else "fix first"
    return "over-invested" if performance >= performance_split else "low priority"


def _empty(outcome: str, n: int, excluded: list[str], replicates: int, notes: list[RoiWarning]) -> DriverAnalysis:
    return DriverAnalysis(outcome, n, None, (None, None), (), tuple(excluded), replicates, _METHOD, tuple(notes))


def estimate_drivers(data: AnalysisData, *, outcome: Outcome, seed: int, replicates: int) -> DriverAnalysis:
    """Relative importance of `data.items` for churn or revenue, with percentile-bootstrap 95% CIs.

    Customers missing the outcome or any used item are left out (`n` says how many remain); items missing
    for more than half of the customers, or that do not vary, are excluded and named in `excluded`.
    """
    frame = data.frame
    notes: list[RoiWarning] = []
    if outcome not in frame.columns:
        notes.append(RoiWarning("small_sample", outcome, f"No {outcome} column in the outcomes: no driver analysis."))
        return _empty(outcome, 0, [], replicates, notes)
    y_all = pd.to_numeric(frame[outcome], errors="coerce")
    items: list[Metric] = []
    excluded: list[str] = []
    for item in data.items:
        values = pd.to_numeric(frame[item.column], errors="coerce") if item.column in frame else None
        if values is None or values[y_all.notna()].isna().mean() > MAX_MISSING_SHARE:
            excluded.append(item.name)
        elif values[y_all.notna()].nunique() < 2:
            excluded.append(item.name)
            notes.append(RoiWarning("small_sample", item.name, f"{item.display} does not vary; it cannot be a driver."))
        else:
            items.append(item)
    if not items:
        notes.append(RoiWarning("small_sample", outcome, "No item has enough answers for a driver analysis."))
        return _empty(outcome, 0, excluded, replicates, notes)
    table = pd.concat([pd.to_numeric(frame[i.column], errors="coerce") for i in items] + [y_all], axis=1).dropna()
    matrix = table.to_numpy(float)
    n = len(matrix)
    corr = _correlation(matrix) if n >= 3 else None
    if corr is None:
        notes.append(RoiWarning("small_sample", outcome,
                                f"{n} complete customers, or an item or {outcome} that does not vary among them: "
                                "no driver analysis."))
        return _empty(outcome, n, excluded, replicates, notes)
    if n < 10 * (len(items) + 1) or n < 100:
        notes.append(RoiWarning("small_sample", outcome,
                                f"Driver analysis for {outcome} rests on {n} complete customers for {len(items)} "
                                "items; the weights are imprecise."))
    if np.linalg.eigvalsh(corr[:-1, :-1]).min() < 1e-6:
        notes.append(RoiWarning("collinearity", outcome,
                                "Some items are (nearly) exact combinations of others; their weights are shared "
                                "arbitrarily between them."))
    weights, r2 = relative_weights(corr)
    # direction from the standardised multiple-regression coefficients
    beta = np.linalg.pinv(corr[:-1, :-1]) @ corr[:-1, -1]
    # customers of one account are not independent: resample whole accounts when accounts are shared
    boot_weights, boot_r2, boot_beta = _bootstrap(matrix, replicates=replicates, seed=seed,
                                                  clusters=account_clusters(frame.loc[table.index]))
    performance = {i.name: performance_score(frame[i.column], i) for i in items}
    shares = weights / r2 * 100 if r2 > 0 else np.full(len(weights), np.nan)
    mean_share = float(np.nanmean(shares)) if r2 > 0 else float("nan")
    known_perf = [p for p in performance.values() if p is not None]
    mean_perf = float(np.mean(known_perf)) if known_perf else float("nan")
    drivers = []
    for j, item in enumerate(items):
        # better score: higher for higher_is_better items; it "helps" when it goes with less churn / more revenue
        polarity_sign = 1.0 if item.polarity == "higher_is_better" else -1.0
        outcome_sign = -1.0 if outcome == "churned" else 1.0
        helps = None if beta[j] == 0 else bool(beta[j] * polarity_sign * outcome_sign > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share_draws = boot_weights[:, j] / boot_r2 * 100
        signs = np.sign(boot_beta[:, j][np.isfinite(boot_beta[:, j])])
        agreement = float(np.mean(signs == np.sign(beta[j]))) if len(signs) else None
        perf = performance[item.name]
        label = (quadrant(float(shares[j]), perf, mean_share, mean_perf)
                 if perf is not None and np.isfinite(shares[j]) and np.isfinite(mean_perf) else None)
        drivers.append(DriverImportance(item.name, item.display, item.family, float(weights[j]),
                                        percentile_interval(boot_weights[:, j]), finite_or_none(shares[j]),
                                        percentile_interval(share_draws), helps, perf, label, agreement))
        # only a direction the resamples agree on (or, without a bootstrap, a leading driver) is flagged
        settled = agreement >= 0.95 if agreement is not None else bool(shares[j] >= mean_share)
        if helps is False and np.isfinite(shares[j]) and settled:
            notes.append(RoiWarning("wrong_sign", item.name,
                                    f"{item.display}: a better score goes with "
                                    f"{'more churn' if outcome == 'churned' else 'less revenue'} once the other "
                                    "items are held fixed; check the item's polarity or its overlap with others."))
    drivers.sort(key=lambda d: -(d.weight or 0.0))
    return DriverAnalysis(outcome, n, r2, percentile_interval(boot_r2), tuple(drivers), tuple(excluded),
                          replicates, _METHOD, tuple(notes), (mean_share, mean_perf))


def _bootstrap(matrix: np.ndarray, *, replicates: int, seed: int,
               clusters: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    k = matrix.shape[1] - 1
    weights = np.full((replicates, k), np.nan)
    r2 = np.full(replicates, np.nan)
    beta = np.full((replicates, k), np.nan)
    # A resample is a vector of counts per row: the correlation of the resampled rows is the count-weighted
    # correlation of the original rows, which avoids copying the rows (the costly part at 100,000 customers).
    # Standardising once keeps the weighted moments well scaled.
    standard = (matrix - matrix.mean(axis=0)) / matrix.std(axis=0)
    for b in range(replicates):
        corr = _weighted_correlation(standard, resample_counts(rng, len(matrix), clusters))
        if corr is not None:  # a resample where something does not vary gives no weights
            weights[b], r2[b] = relative_weights(corr)
            beta[b] = np.linalg.pinv(corr[:-1, :-1]) @ corr[:-1, -1]
    return weights, r2, beta


def _weighted_correlation(standard: np.ndarray, counts: np.ndarray) -> np.ndarray | None:
    total = counts.sum()
    mean = counts @ standard / total
    cov = (standard * counts[:, None]).T @ standard / total - np.outer(mean, mean)
    spread = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    if np.any(spread < 1e-9):  # columns have unit variance overall, so this is "does not vary"
        return None
    return np.asarray(cov / np.outer(spread, spread))
