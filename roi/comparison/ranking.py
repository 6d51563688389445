"""Which of your questions predicts retention best: cross-validated AUC and Brier score per candidate metric."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..fitting import (
    EVENTS_PER_VARIABLE,
    build_design,
    finite_or_none,
    fit_logit,
    interval_or_none,
    separates,
)
from ..types import AnalysisData, Metric, RoiWarning
from .auc import delong_auc_ci, stratified_folds


@dataclass(frozen=True)
class MetricScore:
    """Out-of-sample performance of one candidate metric, alone and with the controls."""

    metric: str
    label: str
    family: str
    n: int
    events: int
    auc: float | None
    auc_ci: tuple[float | None, float | None]
    brier: float | None
    auc_with_controls: float | None
    auc_with_controls_ci: tuple[float | None, float | None]
    brier_with_controls: float | None
    n_with_controls: int
    rank: int | None = None
    separation: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric, "label": self.label, "family": self.family, "rank": self.rank,
            "n": self.n, "events": self.events, "separation": self.separation,
            "auc": finite_or_none(self.auc), "auc_ci": interval_or_none(*self.auc_ci),
            "brier": finite_or_none(self.brier),
            "with_controls": {
                "n": self.n_with_controls, "auc": finite_or_none(self.auc_with_controls),
                "auc_ci": interval_or_none(*self.auc_with_controls_ci),
                "brier": finite_or_none(self.brier_with_controls),
            },
        }


@dataclass(frozen=True)
class MetricComparison:
    """Candidate metrics ranked by cross-validated AUC for churn (best first; unrankable ones last)."""

    scores: tuple[MetricScore, ...]
    folds: int
    controls: tuple[str, ...]
    method: str
    warnings: tuple[RoiWarning, ...] = ()

    @property
    def best(self) -> MetricScore | None:
        """The top-ranked metric, or None when no metric could be ranked."""
        return self.scores[0] if self.scores and self.scores[0].rank is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method, "folds": self.folds, "controls": list(self.controls),
            "metrics": [score.to_dict() for score in self.scores],
            "warnings": [w.to_dict() for w in self.warnings],
        }


def _cross_validated(y: np.ndarray, X: np.ndarray, names: Sequence[str], *, subject: str, folds: int,
                     seed: int) -> tuple[float, float, float, float, list[RoiWarning]]:
    """Out-of-fold AUC (DeLong CI) and Brier score of churn ~ X; NaN with warnings when it cannot be fitted."""
    nan = float("nan")
    events = int(y.sum())
    k = min(folds, events, len(y) - events)
    if k < 2:
        return nan, nan, nan, nan, [RoiWarning(
            "small_sample", subject,
            f"{subject}: {events} churned of {len(y)}; too few of each outcome for {folds}-fold cross-validation.")]
    fold = stratified_folds(y, folds=k, seed=seed)
    # Standardising is a reparametrisation (same predictions) that keeps Newton steps well conditioned when
    # revenue is in the millions; it uses no outcome, so nothing leaks across folds.
    spread = X.std(axis=0)
    X = (X - X.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    predicted = np.full(len(y), np.nan)
    notes: list[RoiWarning] = []
    previous: np.ndarray | None = None
    for f in range(k):
        train, test = fold != f, fold == f
        # the folds share most rows, so the previous fold's estimate is a close start for Newton's method
        fit, fit_notes = fit_logit(y[train], X[train], names=names, subject=subject, check_events=False,
                                   start=previous)
        notes.extend(fit_notes)
        if fit is None:
            return nan, nan, nan, nan, _unique(notes)
        previous = fit.params
        predicted[test] = fit.predict(X[test])
    auc, low, high = delong_auc_ci(y, predicted)
    brier = float(np.mean((predicted - y) ** 2))
    return auc, low, high, brier, _unique(notes)


def _unique(notes: Sequence[RoiWarning]) -> list[RoiWarning]:
    return list(dict.fromkeys(notes))


def compare_metrics(data: AnalysisData, *, seed: int, folds: int = 5) -> MetricComparison:
    """Rank every candidate metric by cross-validated (stratified K-fold) out-of-sample AUC for churn.

    For each metric: rows missing the metric or churn are dropped (n reported per metric); a logistic
    model churn ~ metric is fitted on K−1 folds and predicts the held-out fold; AUC (with DeLong 95% CI
    over the out-of-fold predictions) and Brier score are computed from all out-of-fold predictions.
    The same is done for churn ~ metric + controls. A metric that alone separates churners perfectly
    gets a `separation` warning and is not ranked.
    """
    frame = data.frame
    controls = build_design(frame, data.controls)
    control_names = list(controls.columns)
    notes: list[RoiWarning] = []
    scores: list[MetricScore] = []
    if "churned" not in frame.columns:
        notes.append(RoiWarning("small_sample", "churned", "No churn outcome in the data; metrics cannot be compared."))
        return MetricComparison((), folds, data.controls, _METHOD, tuple(notes))
    for metric in data.metrics:
        scores.append(_score_metric(frame, controls, control_names, metric, folds=folds, seed=seed, notes=notes))
    ranked = sorted((s for s in scores if s.auc is not None), key=lambda s: (-(s.auc or 0.0), s.metric))
    unranked = [s for s in scores if s.auc is None]
    ordered = [_with_rank(s, i + 1) for i, s in enumerate(ranked)] + unranked
    return MetricComparison(tuple(ordered), folds, data.controls, _METHOD, tuple(_unique(notes)))


_METHOD = ("stratified K-fold cross-validation of a logistic model per metric; AUC by the Mann-Whitney rank "
           "formula over the out-of-fold predictions with a DeLong 95% interval; Brier = mean squared error "
           "of the out-of-fold churn probabilities")


def _with_rank(score: MetricScore, rank: int) -> MetricScore:
    return replace(score, rank=rank)


def _score_metric(frame: pd.DataFrame, controls: pd.DataFrame, control_names: list[str], metric: Metric, *,
                  folds: int, seed: int, notes: list[RoiWarning]) -> MetricScore:
    churn = frame["churned"].astype(float)
    values = pd.to_numeric(frame[metric.column], errors="coerce").astype(float)
    alone = values.notna() & churn.notna()
    y = churn[alone].to_numpy()
    x = values[alone].to_numpy()[:, None]
    events = int(y.sum())
    nan = float("nan")
    auc = low = high = brier = nan
    if 0 < events < len(y) and min(events, len(y) - events) < EVENTS_PER_VARIABLE:
        notes.append(RoiWarning("small_sample", metric.name,
                                f"{metric.display}: only {min(events, len(y) - events)} customers in the rarer "
                                f"outcome class among {len(y)}; its AUC is imprecise or cannot be estimated."))
    if len(y) and np.unique(x[:, 0]).size < 2:
        notes.append(RoiWarning("small_sample", metric.name,
                                f"{metric.display} does not vary among the {len(y)} customers; it cannot predict churn."))
    elif separates(y, x[:, 0]):
        notes.append(RoiWarning("separation", metric.name,
                                f"{metric.display} separates churners from stayers perfectly among {len(y)} "
                                "customers (every churner scores on one side of every stayer); this is too good "
                                "to be true - check for leakage or a tiny sample. It is not ranked."))
    else:
        auc, low, high, brier, fit_notes = _cross_validated(y, x, [metric.name], subject=metric.name,
                                                            folds=folds, seed=seed)
        notes.extend(fit_notes)
    with_c = alone & controls.notna().all(axis=1)
    c_auc = c_low = c_high = c_brier = nan
    n_c = int(with_c.sum())
    if control_names and np.isfinite(auc):
        Xc = np.column_stack([values[with_c].to_numpy(), controls[with_c].to_numpy()])
        c_auc, c_low, c_high, c_brier, fit_notes = _cross_validated(
            churn[with_c].to_numpy(), Xc, [metric.name, *control_names],
            subject=f"{metric.name} + controls", folds=folds, seed=seed)
        notes.extend(fit_notes)
    return MetricScore(
        metric=metric.name, label=metric.display, family=metric.family, n=len(y), events=events,
        auc=finite_or_none(auc), auc_ci=(finite_or_none(low), finite_or_none(high)), brier=finite_or_none(brier),
        auc_with_controls=finite_or_none(c_auc), auc_with_controls_ci=(finite_or_none(c_low), finite_or_none(c_high)),
        brier_with_controls=finite_or_none(c_brier), n_with_controls=n_c if control_names else 0,
        separation=bool(len(y)) and separates(y, x[:, 0]),
    )
