"""Which of your questions predicts retention best: cross-validated AUC and Brier score per candidate metric.

Also home of the small numerical pieces the other analyses share: the design matrix of controls, a
logistic fit that turns statsmodels' failures into `RoiWarning`s, and the rank (Mann–Whitney) AUC with
its DeLong confidence interval.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.stats import norm, rankdata
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from .types import AnalysisData, Metric, RoiWarning, WarningCode

try:  # removed from recent statsmodels releases; older ones still raise it
    from statsmodels.tools.sm_exceptions import PerfectSeparationError
except ImportError:  # pragma: no cover - depends on the installed statsmodels
    class PerfectSeparationError(Exception):  # type: ignore[no-redef]
        pass

EVENTS_PER_VARIABLE = 10
"""Fewer events (or non-events) than this per predictor makes a logistic fit a `small_sample`."""


def finite_or_none(value: Any) -> float | None:
    """A float that JSON can carry: NaN and infinities become None."""
    if value is None:
        return None
    number = float(value)
    return number if np.isfinite(number) else None


def interval_or_none(low: Any, high: Any) -> list[float | None]:
    """A two-element [low, high] list with non-finite ends as None."""
    return [finite_or_none(low), finite_or_none(high)]


def build_design(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Numeric predictor columns for `columns`: numbers as floats, text/categories as 0/1 dummies.

    The first level of a categorical column is the reference (dropped), so an intercept can be added.
    Missing values stay missing; callers drop incomplete rows for the model at hand.
    """
    parts: list[pd.DataFrame] = []
    for column in columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            parts.append(values.astype(float).to_frame(column))
        else:
            dummies = pd.get_dummies(values.astype("string"), prefix=column, prefix_sep="=", drop_first=True,
                                     dtype=float)
            dummies[values.isna().to_numpy()] = np.nan
            parts.append(dummies)
    if not parts:
        return pd.DataFrame(index=frame.index)
    return pd.concat(parts, axis=1)


def account_clusters(frame: pd.DataFrame) -> np.ndarray | None:
    """Cluster code per row from `account_id` (a row without one is its own cluster), or None when no
    account holds more than one customer (then clustering changes nothing)."""
    if "account_id" not in frame.columns:
        return None
    codes, _ = pd.factorize(frame["account_id"])
    codes = np.asarray(codes)
    missing = codes < 0
    codes[missing] = codes.max(initial=-1) + 1 + np.arange(int(missing.sum()))
    if len(codes) == 0 or np.bincount(codes).max() < 2:
        return None
    return codes


@dataclass(frozen=True)
class LogitFit:
    """A fitted logistic model of churn: coefficients (intercept first), their covariance and names."""

    names: tuple[str, ...]
    params: np.ndarray
    cov: np.ndarray
    n: int
    events: int

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Churn probability for design rows `X` (without the intercept column)."""
        return expit(self.params[0] + X @ self.params[1:])

    def term(self, name: str) -> tuple[float, float]:
        """Coefficient and standard error of `name`."""
        index = self.names.index(name)
        return float(self.params[index]), float(np.sqrt(max(self.cov[index, index], 0.0)))


def expit(z: np.ndarray) -> np.ndarray:
    """The logistic function, without overflow warnings for large |z|."""
    # 1/(1+e^-z) is faster than scipy's expit here; e^-z overflowing to inf still gives the right 0.
    with np.errstate(over="ignore"):
        return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float))))


def fit_logit(y: np.ndarray, X: np.ndarray, *, names: Sequence[str], subject: str, check_events: bool = True,
              groups: np.ndarray | None = None) -> tuple[LogitFit | None, list[RoiWarning]]:
    """Fit churn ~ intercept + X with statsmodels Logit; failures become warnings and a None fit.

    Returns None when there is only one outcome class, a constant or collinear predictor, or statsmodels
    cannot fit; `separation` when the fitted model separates the classes perfectly (its coefficients are
    then meaningless); `small_sample` when there are fewer than 10 events per predictor (unless
    `check_events` is False, for fits on parts of a sample judged as a whole). With `groups` (cluster codes,
    e.g. accounts) the covariance is cluster-robust.
    """
    notes: list[RoiWarning] = []
    n = len(y)
    events = int(np.sum(y))
    if n == 0 or events == 0 or events == n:
        notes.append(RoiWarning("small_sample", subject,
                                f"{subject}: only one outcome class among {n} customers ({events} churned); "
                                "no churn model can be fitted."))
        return None, notes
    constant = [name for name, column in zip(names, X.T, strict=True) if np.nanstd(column) == 0]
    if constant:
        notes.append(RoiWarning("small_sample", subject,
                                f"{subject}: {', '.join(constant)} does not vary among the {n} customers; "
                                "its effect cannot be estimated."))
        return None, notes
    if check_events and min(events, n - events) < EVENTS_PER_VARIABLE * max(X.shape[1], 1):
        notes.append(RoiWarning("small_sample", subject,
                                f"{subject}: {min(events, n - events)} events for {X.shape[1]} predictor(s), fewer "
                                f"than {EVENTS_PER_VARIABLE} per predictor; estimates are unstable."))
    design = np.column_stack([np.ones(n), X])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            params, cov, converged = _maximise_likelihood(y.astype(float), design, groups)
        except (np.linalg.LinAlgError, PerfectSeparationError, ValueError) as error:
            code: WarningCode = "separation" if isinstance(error, PerfectSeparationError) else "non_convergence"
            notes.append(RoiWarning(code, subject, f"{subject}: the churn model could not be fitted ({error})."))
            return None, notes
    if separates(y, design @ params):
        notes.append(RoiWarning("separation", subject,
                                f"{subject}: the predictors separate churners from stayers perfectly in these "
                                f"{n} customers; the model's coefficients and probabilities are not usable."))
        return None, notes
    separated = any(issubclass(w.category, PerfectSeparationWarning) for w in caught)
    if separated:
        notes.append(RoiWarning("separation", subject,
                                f"{subject}: statsmodels reports (quasi-)perfect separation; estimates are unreliable."))
    if not converged or any(issubclass(w.category, ConvergenceWarning) for w in caught):
        notes.append(RoiWarning("non_convergence", subject,
                                f"{subject}: the churn model did not converge; its estimates are not reported."))
        return None, notes
    if not np.all(np.isfinite(cov)):
        notes.append(RoiWarning("non_convergence", subject,
                                f"{subject}: the churn model's standard errors are not finite."))
        return None, notes
    return LogitFit(("const", *names), params, cov, n, events), notes


def _distinct_rows(design: np.ndarray, most: int = 1000) -> np.ndarray | None:
    """Code 0..m−1 of each row's distinct value combination, or None when there are too many to be worth it."""
    key = np.zeros(len(design), dtype=np.int64)
    combinations = 1
    for column in design.T:
        values, codes = np.unique(column, return_inverse=True)
        combinations *= len(values)
        if combinations > most or combinations * 4 > len(design):
            return None
        key = key * len(values) + codes.reshape(-1)
    return np.asarray(np.unique(key, return_inverse=True)[1]).reshape(-1)


def _maximise_likelihood(y: np.ndarray, design: np.ndarray, groups: np.ndarray | None
                         ) -> tuple[np.ndarray, np.ndarray, bool]:
    """Logit MLE: coefficients, covariance, converged.

    When the rows take few distinct values (a single 0–10 question: at most 11), the same likelihood is
    maximised over the distinct rows with binomial counts (statsmodels GLM, logit link): the same estimates
    and covariance, at a fraction of the cost — it is what keeps 5-fold comparison of many metrics fast at
    100,000 customers. Otherwise, and always with clusters, statsmodels Logit on the rows.
    """
    inverse = _distinct_rows(design) if groups is None else None
    if inverse is not None:
        first = np.empty(int(inverse.max()) + 1, dtype=np.int64)
        first[inverse[::-1]] = np.arange(len(inverse))[::-1]  # a representative row of each combination
        distinct = design[first]
        if np.linalg.matrix_rank(distinct) < design.shape[1]:
            raise np.linalg.LinAlgError("Singular matrix")
        churned = np.bincount(inverse, weights=y, minlength=len(distinct))
        trials = np.bincount(inverse, minlength=len(distinct)).astype(float)
        result = sm.GLM(np.column_stack([churned, trials - churned]), distinct,
                        family=sm.families.Binomial()).fit(maxiter=100)
        return (np.asarray(result.params, dtype=float), np.asarray(result.cov_params(), dtype=float),
                bool(result.converged))
    if groups is not None:
        fitted = sm.Logit(y, design).fit(disp=0, maxiter=100, cov_type="cluster", cov_kwds={"groups": groups})
    else:
        fitted = sm.Logit(y, design).fit(disp=0, maxiter=100)
    return (np.asarray(fitted.params, dtype=float), np.asarray(fitted.cov_params(), dtype=float),
            bool(fitted.mle_retvals.get("converged", True)))


def separates(y: np.ndarray, score: np.ndarray) -> bool:
    """True when every churner scores above every stayer, or every churner below (AUC 1 or 0), in O(n)."""
    churner = np.asarray(y).astype(bool)
    if churner.all() or not churner.any():
        return False
    high, low = score[churner], score[~churner]
    return bool(high.min() > low.max() or high.max() < low.min())


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


def stratified_folds(y: np.ndarray, *, folds: int, seed: int) -> np.ndarray:
    """Fold number per row: each class shuffled with `seed`, then dealt round-robin so folds keep the churn rate."""
    rng = np.random.default_rng(seed)
    assignment = np.empty(len(y), dtype=int)
    for label in (False, True):
        rows = np.flatnonzero(np.asarray(y).astype(bool) == label)
        rows = rows[rng.permutation(len(rows))]
        assignment[rows] = np.arange(len(rows)) % folds
    return assignment


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
    for f in range(k):
        train, test = fold != f, fold == f
        fit, fit_notes = fit_logit(y[train], X[train], names=names, subject=subject, check_events=False)
        notes.extend(fit_notes)
        if fit is None:
            return nan, nan, nan, nan, _unique(notes)
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
                                f"{metric.display} separates churners from stayers perfectly (AUC = 1) among "
                                f"{len(y)} customers; this is too good to be true - check for leakage or a "
                                "tiny sample. It is not ranked."))
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
