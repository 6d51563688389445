"""The refit bootstrap of the scenario (`scenario.uncertainty: refit`): customers resampled, the churn model
refitted, and — when the analysis itself picked the metric as the best predictor — the pick redone.

The parametric draws (`churn_model.drawn_totals`) take the fitted model as given. Refitting on resamples of
the customers (whole accounts when accounts hold several customers) also carries the sampling of the
customers the model was fitted on, and a choice made on the same data: the best of many metrics looks better
on the data that chose it. So when no `scenario.metric` was configured, each resample first picks the metric
whose churn AUC on that resample is highest (|AUC − ½| largest: the direction is the model's), then refits
that metric's model and values raising it. The money is always summed over the same customers in scope (the
figure is about these customers); only the model varies. `selection` reports how often each metric was
picked: a winner picked in 60% of resamples is a less certain winner than its rank suggests.

Each refit is a weighted Newton–Raphson (the resample counts as weights) started at the full-sample estimate,
on the metric's standardised design: a few matrix products per replicate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..fitting import account_clusters, build_design, expit, newton_logit, resample_counts
from ..types import Metric

MAX_STEPS = 25


@dataclass(frozen=True)
class Candidate:
    """One metric's churn model inputs: standardised design rows (intercept first) and churn for the rows
    complete on it, its full-sample estimate, and the customers in scope before and after the change with
    their money weights."""

    metric: Metric
    rows: np.ndarray  # positions in the frame
    design: np.ndarray
    churned: np.ndarray
    estimate: np.ndarray
    before: np.ndarray  # scope rows, standardised with the same centre and scale
    after: np.ndarray
    money: np.ndarray  # per scope row: revenue × horizon factor (× population weight)
    score_level: np.ndarray  # each row's level of the metric (for the AUC)
    levels: int


def build_candidate(frame: pd.DataFrame, metric: Metric, controls: Sequence[str], *, scope: pd.Series,
                    money: pd.Series, improve: Callable[[np.ndarray, Metric], np.ndarray]) -> Candidate | None:
    """A metric's `Candidate` (None when its full-sample model cannot be fitted)."""
    columns = [metric.column, *controls]
    raw = build_design(frame, columns)
    churn = pd.to_numeric(frame["churned"], errors="coerce")
    complete = (raw.notna().all(axis=1) & churn.notna()).to_numpy()
    rows = np.flatnonzero(complete)
    X = raw.to_numpy(float)[rows]
    if len(rows) < 10 or np.ptp(X[:, 0]) == 0:
        return None
    centre, spread = X.mean(axis=0), X.std(axis=0)
    spread = np.where(spread > 0, spread, 1.0)
    design = np.column_stack([np.ones(len(rows)), (X - centre) / spread])
    y = churn.to_numpy(float)[rows]
    try:
        estimate, _, converged = newton_logit(y, design)
    except (np.linalg.LinAlgError, ValueError):
        return None
    if not converged:
        return None
    in_scope = (scope.to_numpy(bool) & money.notna().to_numpy())[rows]
    X_scope = X[in_scope]
    after = X_scope.copy()
    after[:, 0] = improve(X_scope[:, 0], metric)
    to_design = lambda values: np.column_stack([np.ones(len(values)), (values - centre) / spread])  # noqa: E731
    levels, level = np.unique(X[:, 0], return_inverse=True)
    return Candidate(metric, rows, design, y, estimate, to_design(X_scope), to_design(after),
                     money.to_numpy(float)[rows][in_scope], level.reshape(-1), len(levels))


def _weighted_auc(candidate: Candidate, weights: np.ndarray) -> float:
    """|AUC − ½| of the metric for churn under frequency weights, ties counting ½."""
    churners = np.bincount(candidate.score_level, weights * candidate.churned, candidate.levels)
    stayers = np.bincount(candidate.score_level, weights * (1 - candidate.churned), candidate.levels)
    total1, total0 = churners.sum(), stayers.sum()
    if total1 == 0 or total0 == 0:
        return 0.0
    below = np.cumsum(stayers) - stayers
    auc = float(churners @ (below + 0.5 * stayers)) / (total1 * total0)
    return abs(auc - 0.5)


def _weighted_fit(candidate: Candidate, weights: np.ndarray) -> np.ndarray | None:
    beta = candidate.estimate.copy()
    X, y = candidate.design, candidate.churned
    for _ in range(MAX_STEPS):
        p = expit(X @ beta)
        information = (X * (weights * p * (1 - p))[:, None]).T @ X
        try:
            step = np.linalg.solve(information, X.T @ (weights * (y - p)))
        except np.linalg.LinAlgError:
            return None
        beta = beta + step
        if not np.all(np.isfinite(beta)) or np.max(np.abs(beta)) > 50:
            return None  # the resample is separated: no estimate
        if np.max(np.abs(step)) < 1e-8:
            return beta
    return None


@dataclass(frozen=True)
class RefitDraws:
    """Retained revenue (Σ money × (P before − P after)) per resample (NaN where the refit failed), and the
    share of resamples in which each metric was picked."""

    totals: np.ndarray
    selection: dict[str, float]


def refit_draws(frame: pd.DataFrame, candidates: Sequence[Candidate], *, chosen: str, select: bool,
                replicates: int, seed: int) -> RefitDraws:
    """`replicates` resamples of the customers (accounts when shared); in each, the metric is `chosen` or,
    with `select`, the candidate with the largest |AUC − ½| on the resample; its model refitted and the
    change valued over the scope."""
    rng = np.random.default_rng(seed)
    clusters = account_clusters(frame)
    pool = list(candidates) if select else [c for c in candidates if c.metric.name == chosen]
    totals = np.full(replicates, np.nan)
    picks: dict[str, int] = {}
    for b in range(replicates):
        counts = resample_counts(rng, len(frame), clusters)
        best = max(pool, key=lambda c: _weighted_auc(c, counts[c.rows])) if len(pool) > 1 else pool[0]
        picks[best.metric.name] = picks.get(best.metric.name, 0) + 1
        beta = _weighted_fit(best, counts[best.rows])
        if beta is not None:
            totals[b] = float(best.money @ (expit(best.before @ beta) - expit(best.after @ beta)))
    return RefitDraws(totals, {name: count / replicates for name, count in sorted(picks.items())})
