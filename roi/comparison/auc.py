"""Rank AUC (Mann–Whitney), its DeLong interval, and stratified folds for cross-validation."""

from __future__ import annotations

import numpy as np
from scipy.stats import norm, rankdata

from ..fitting.calibration import stratified_folds

__all__ = ["delong_auc_ci", "rank_auc", "stratified_folds"]


def rank_auc(y: np.ndarray, score: np.ndarray) -> float:
    """AUC = P(score of a churner > score of a stayer), ties counting one half (Mann–Whitney U / n1·n0)."""
    y = np.asarray(y).astype(bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(score)
    u = ranks[y].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def delong_auc_ci(y: np.ndarray, score: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """AUC with DeLong's variance (fast midrank form of Sun & Xu, 2014) and a Wald interval clipped to [0, 1]."""
    y = np.asarray(y).astype(bool)
    score = np.asarray(score, dtype=float)
    pos, neg = score[y], score[~y]
    m, n = len(pos), len(neg)
    if m < 2 or n < 2:
        return rank_auc(y, score), float("nan"), float("nan")
    all_ranks = rankdata(np.concatenate([pos, neg]))
    v10 = (all_ranks[:m] - rankdata(pos)) / n  # share of stayers each churner outscores
    v01 = 1.0 - (all_ranks[m:] - rankdata(neg)) / m  # share of churners that outscore each stayer
    auc = float(v10.mean())
    se = float(np.sqrt(v10.var(ddof=1) / m + v01.var(ddof=1) / n))
    z = float(norm.ppf(0.5 + level / 2))
    return auc, max(0.0, auc - z * se), min(1.0, auc + z * se)
