"""Logistic fits of churn that never raise, and the small pieces every analysis shares.

`fit_logit` turns statsmodels' failures (singular designs, non-convergence, separation) into `RoiWarning`s
and a None fit; `build_design` turns controls and segments into numeric columns; `account_clusters` gives
cluster codes when customers share accounts; `finite_or_none` keeps results JSON-safe.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from ..types import RoiWarning, WarningCode

try:  # removed from recent statsmodels releases; older ones still raise it
    from statsmodels.tools.sm_exceptions import PerfectSeparationError
except ImportError:  # pragma: no cover - depends on the installed statsmodels
    class PerfectSeparationError(Exception):  # type: ignore[no-redef]
        pass

EVENTS_PER_VARIABLE = 10
"""Fewer events (or non-events) than this per predictor makes a logistic fit a `small_sample`."""

DIVERGED_LOG_ODDS = 25.0
"""Fitted log-odds beyond ±25 (probability within 1e-11 of 0 or 1) mean the estimates ran off to infinity."""


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
              groups: np.ndarray | None = None, start: np.ndarray | None = None
              ) -> tuple[LogitFit | None, list[RoiWarning]]:
    """Fit churn ~ intercept + X (Newton–Raphson, `newton_logit`; statsmodels GLM for few distinct rows,
    statsmodels Logit with clusters); failures become warnings and a None fit.

    Returns None when there is only one outcome class, a constant or collinear predictor, or statsmodels
    cannot fit; `separation` when the fitted model separates the classes perfectly (its coefficients are
    then meaningless); `small_sample` when there are fewer than 10 events per predictor (unless
    `check_events` is False, for fits on parts of a sample judged as a whole). With `groups` (cluster codes,
    e.g. accounts) the covariance is cluster-robust. `start` (intercept first) is where Newton's method
    starts on the rows, e.g. the previous fold's estimate: the same maximum, reached in fewer steps.
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
            params, cov, converged = _maximise_likelihood(y.astype(float), design, groups, start)
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
                                f"{subject}: (quasi-)perfect separation - some customers get a fitted churn probability of "
                                "0 or 1; estimates are unreliable."))
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
    # the distinct values among the first rows are a lower bound of each column's: a continuous column
    # ends the search here, before any full sort
    bound = 1
    for column in design.T:
        bound *= len(np.unique(column[:4 * most]))
        if bound > most or bound * 4 > len(design):
            return None
    key = np.zeros(len(design), dtype=np.int64)
    combinations = 1
    for column in design.T:
        values, codes = np.unique(column, return_inverse=True)
        combinations *= len(values)
        if combinations > most or combinations * 4 > len(design):
            return None
        key = key * len(values) + codes.reshape(-1)
    return np.asarray(np.unique(key, return_inverse=True)[1]).reshape(-1)


def _maximise_likelihood(y: np.ndarray, design: np.ndarray, groups: np.ndarray | None,
                         start: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, bool]:
    """Logit MLE: coefficients, covariance, converged.

    When the rows take few distinct values (a single 0–10 question: at most 11), the same likelihood is
    maximised over the distinct rows with binomial counts (statsmodels GLM, logit link): the same estimates
    and covariance, at a fraction of the cost — it is what keeps 5-fold comparison of many metrics fast at
    100,000 customers. Otherwise `newton_logit` on the rows; with clusters, statsmodels Logit (cluster-robust).
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
        with warnings.catch_warnings():
            # GLM calls a saturated grouped fit (e.g. one yes/no question: 2 groups, 2 parameters) "perfect
            # separation" because it reproduces the group proportions; fit_logit judges separation itself.
            warnings.simplefilter("ignore", PerfectSeparationWarning)
            result = sm.GLM(np.column_stack([churned, trials - churned]), distinct,
                            family=sm.families.Binomial()).fit(maxiter=100)
        params = np.asarray(result.params, dtype=float)
        if np.max(np.abs(distinct @ params)) > DIVERGED_LOG_ODDS:
            # a group pushed to probability 0 or 1: the likelihood has no maximum (quasi-separation)
            warnings.warn("quasi-separation in grouped data", PerfectSeparationWarning, stacklevel=2)
        return params, np.asarray(result.cov_params(), dtype=float), bool(result.converged)
    if groups is None:
        return newton_logit(y, design, start=start)
    fitted = sm.Logit(y, design).fit(disp=0, maxiter=100, cov_type="cluster", cov_kwds={"groups": groups})
    return (np.asarray(fitted.params, dtype=float), np.asarray(fitted.cov_params(), dtype=float),
            bool(fitted.mle_retvals.get("converged", True)))


def newton_logit(y: np.ndarray, design: np.ndarray, *, maxiter: int = 100, tolerance: float = 1e-8,
                 start: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, bool]:
    """Logit MLE by Newton–Raphson (the method statsmodels Logit uses by default): coefficients, the inverse
    information as covariance, converged.

    One linear predictor, one X'WX per step — statsmodels evaluates the probabilities three times per step
    and re-checks the data on every fit, which dominates the cross-validation at 100,000 customers. Fitted
    log-odds beyond ±25 mean the estimates ran off to infinity: a `PerfectSeparationWarning` is issued, as
    for the grouped fit. Raises `np.linalg.LinAlgError` for a singular design. Starts at `start` when it is
    given and finite (a nearby estimate saves steps), else at zero.
    """
    usable = start is not None and start.shape == (design.shape[1],) and bool(np.all(np.isfinite(start)))
    beta = np.array(start, dtype=float) if usable else np.zeros(design.shape[1])
    eta = design @ beta
    converged = False
    # plain Newton steps, as statsmodels takes: the logit likelihood is concave, so no line search is needed
    for _ in range(maxiter):
        p = expit(eta)
        information = (design * (p * (1 - p))[:, None]).T @ design
        try:
            step = np.linalg.solve(information, design.T @ (y - p))
        except np.linalg.LinAlgError:
            if np.max(np.abs(eta)) > DIVERGED_LOG_ODDS:
                break  # the information vanished because the fit ran off to infinity: separation, below
            raise
        beta = beta + step
        eta = design @ beta
        if float(np.max(np.abs(step))) <= tolerance * max(1.0, float(np.max(np.abs(beta)))):
            converged = True
            break
    if np.max(np.abs(eta)) > DIVERGED_LOG_ODDS:
        warnings.warn("quasi-separation: fitted log-odds beyond ±25", PerfectSeparationWarning, stacklevel=2)
    p = expit(eta)
    try:
        cov = np.linalg.inv((design * (p * (1 - p))[:, None]).T @ design)
    except np.linalg.LinAlgError:
        cov = np.full((design.shape[1], design.shape[1]), np.nan)
    return beta, cov, converged


def separates(y: np.ndarray, score: np.ndarray) -> bool:
    """True when every churner scores above every stayer, or every churner below (AUC 1 or 0), in O(n)."""
    churner = np.asarray(y).astype(bool)
    if churner.all() or not churner.any():
        return False
    high, low = score[churner], score[~churner]
    return bool(high.min() > low.max() or high.max() < low.min())
