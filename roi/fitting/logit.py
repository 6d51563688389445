"""Logistic regression of a 0/1 outcome (churn, or responding to the survey): every logit in roi/ is fitted
here or, for Firth's penalised likelihood, in `roi.fitting.firth` (the logistic function `expit` is
written once, in `roi.fitting.link`).

Two entry points, for two uses:

* `fit_logit` — for models that predict (the metric comparison's cross-validation, the money churn model,
  the non-response propensities). Never raises: failures (one outcome class, a constant or collinear
  predictor, separation, non-convergence) become `RoiWarning`s and a None fit. How it maximises the
  likelihood — statsmodels Logit with clusters, a grouped binomial GLM for few distinct rows, or
  `newton_logit` — is decided in one place, `choose_engine`.
* `fit_logit_or_firth` — for the retention models, which report coefficients: maximum likelihood by
  `newton_logit`, and Firth's penalised likelihood (`fit_firth_standardised`) when the data are separated
  or the maximum-likelihood fit fails; with average marginal effects (`average_marginal_effects`, in
  closed form).

`separates` is the O(n) check that a score splits the classes perfectly (AUC 0 or 1).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from ..diagnostics import EVENTS_PER_VARIABLE, FITTED_EDGE
from ..types import RoiWarning, WarningCode
from .firth import FirthProfile, fit_firth, fit_firth_standardised, profile_firth
from .link import expit

try:  # removed from recent statsmodels releases; older ones still raise it
    from statsmodels.tools.sm_exceptions import PerfectSeparationError
except ImportError:  # pragma: no cover - depends on the installed statsmodels
    class PerfectSeparationError(Exception):  # type: ignore[no-redef]
        pass

__all__ = [
    "DIVERGED_LOG_ODDS", "EVENTS_PER_VARIABLE", "Engine", "FirthOrMle", "FirthProfile", "LogitFit",
    "average_marginal_effects", "choose_engine", "expit", "fit_firth", "fit_firth_standardised", "fit_logit",
    "fit_logit_or_firth", "newton_logit", "profile_firth", "separates",
]

DIVERGED_LOG_ODDS = 25.0
"""Fitted log-odds beyond ±25 (probability within 1e-11 of 0 or 1) mean the estimates ran off to infinity."""

MAX_GROUPS = 1000
"""`choose_engine` fits on distinct rows only when they have at most this many value combinations."""

Engine = Literal["cluster", "grouped", "newton"]


# --- fit_logit: predictive models that never raise ------------------------------------------------------

@dataclass(frozen=True)
class LogitFit:
    """A fitted logistic model: coefficients (intercept first), their covariance and names, and the engine
    `choose_engine` picked."""

    names: tuple[str, ...]
    params: np.ndarray
    cov: np.ndarray
    n: int
    events: int
    engine: Engine

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Probability of the outcome for design rows `X` (without the intercept column)."""
        return expit(self.params[0] + X @ self.params[1:])

    def term(self, name: str) -> tuple[float, float]:
        """Coefficient and standard error of `name`."""
        index = self.names.index(name)
        return float(self.params[index]), float(np.sqrt(max(self.cov[index, index], 0.0)))


def fit_logit(y: np.ndarray, X: np.ndarray, *, names: Sequence[str], subject: str, check_events: bool = True,
              groups: np.ndarray | None = None, start: np.ndarray | None = None
              ) -> tuple[LogitFit | None, list[RoiWarning]]:
    """Fit y ~ intercept + X by maximum likelihood (engine: `choose_engine`); failures become warnings and a
    None fit.

    Returns None when there is only one outcome class, a constant or collinear predictor, or the fit fails;
    `separation` when the fitted model separates the classes perfectly (its coefficients are then
    meaningless); `small_sample` when there are fewer than 10 events per predictor (unless `check_events` is
    False, for fits on parts of a sample judged as a whole). With `groups` (cluster codes, e.g. accounts)
    the covariance is cluster-robust. `start` (intercept first) is where Newton's method starts on the rows,
    e.g. the previous fold's estimate: the same maximum, reached in fewer steps.
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
            engine, rows = choose_engine(design, groups)
            if engine == "grouped":
                assert rows is not None
                params, cov, converged = _fit_grouped(y.astype(float), design, rows)
            elif engine == "cluster":
                assert groups is not None
                params, cov, converged = _fit_clustered(y.astype(float), design, groups)
            else:
                params, cov, converged = newton_logit(y.astype(float), design, start=start)
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
    return LogitFit(("const", *names), params, cov, n, events, engine), notes


def choose_engine(design: np.ndarray, groups: np.ndarray | None) -> tuple[Engine, np.ndarray | None]:
    """How `fit_logit` maximises the likelihood — decided here and nowhere else, in this order:

    1. "cluster" when `groups` (cluster codes) are given: statsmodels `Logit` with `cov_type="cluster"`;
       the cluster-robust covariance needs every row's score, so the rows are not grouped.
    2. "grouped" when the rows take few distinct value combinations (at most 1,000, and at most a quarter
       as many as there are rows — a single 0–10 question has at most 11): the same likelihood maximised
       over the distinct rows with binomial counts (statsmodels `GLM`, binomial family, logit link). Same
       estimates and covariance, at a fraction of the cost; it keeps the 5-fold metric comparison fast at
       100,000 customers. The second value is then each row's combination code (0..m−1).
    3. "newton" otherwise: `newton_logit` on the rows.

    All three maximise the same likelihood; only the covariance differs (cluster-robust in 1). The retention
    models are fitted by `fit_logit_or_firth` instead, always by Newton on the rows.
    """
    if groups is not None:
        return "cluster", None
    rows = _distinct_rows(design)
    if rows is not None:
        return "grouped", rows
    return "newton", None


def _distinct_rows(design: np.ndarray, most: int = MAX_GROUPS) -> np.ndarray | None:
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


def _fit_grouped(y: np.ndarray, design: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """The "grouped" engine: logit MLE over the distinct rows (codes `rows`) with binomial counts."""
    first = np.empty(int(rows.max()) + 1, dtype=np.int64)
    first[rows[::-1]] = np.arange(len(rows))[::-1]  # a representative row of each combination
    distinct = design[first]
    if np.linalg.matrix_rank(distinct) < design.shape[1]:
        raise np.linalg.LinAlgError("Singular matrix")
    churned = np.bincount(rows, weights=y, minlength=len(distinct))
    trials = np.bincount(rows, minlength=len(distinct)).astype(float)
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


def _fit_clustered(y: np.ndarray, design: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """The "cluster" engine: statsmodels Logit with a cluster-robust covariance by `groups`."""
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


# --- fit_logit_or_firth: the retention models -----------------------------------------------------------

@dataclass(frozen=True)
class FirthOrMle:
    """What `fit_logit_or_firth` found. `method` is "mle" or "firth", or None when neither could fit (then
    `failure` says why and the estimates are None).

    `separation` describes separation found before or during the fit ("complete", "quasi-complete",
    "quasi-complete (fitted probabilities of 0 or 1)"); `mle_problem` says why maximum likelihood was
    abandoned otherwise ("the maximum-likelihood fit failed (…)" or "… did not converge"). Either one is
    why Firth's method was used. `ame_se` is None for a Firth fit.
    """

    method: Literal["mle", "firth"] | None
    params: np.ndarray | None = None
    cov: np.ndarray | None = None
    ame: np.ndarray | None = None
    ame_se: np.ndarray | None = None
    separation: str | None = None
    mle_problem: str | None = None
    failure: str | None = None
    profile: FirthProfile | None = None
    """Firth fits: profile penalised-likelihood 95% intervals and likelihood-ratio p-values (`roi.fitting.firth`)."""


def fit_logit_or_firth(y: np.ndarray, design: np.ndarray, *, separated: str | None = None) -> FirthOrMle:
    """Logit of y on `design` (intercept column included): maximum likelihood by `newton_logit`, or Firth's
    penalised likelihood when the data are separated or maximum likelihood fails.

    `separated` is separation already found in the data (e.g. `diagnostics.separation_kind` of the metric):
    maximum likelihood is then not tried. After a maximum-likelihood fit, a fitted probability within 1e-10
    of 0 or 1, or a `PerfectSeparationWarning`, is quasi-complete separation; a singular design, an error or
    non-convergence is an `mle_problem`. Either way Firth's method (`fit_firth_standardised`) is used; its
    failure is reported in `failure`. Never raises on degenerate data.

    Average marginal effects: `average_marginal_effects` with delta-method standard errors for the maximum-
    likelihood fit; for Firth's fit the point values only.
    """
    mle_problem: str | None = None
    result: tuple[np.ndarray, np.ndarray] | None = None
    if separated is None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                estimate, covariance, converged = newton_logit(y, design)
                result = (estimate, covariance)
            except (np.linalg.LinAlgError, ValueError) as error:
                mle_problem = f"the maximum-likelihood fit failed ({error})"
        if result is not None:
            fitted = expit(design @ result[0])
            edge = np.any((fitted < FITTED_EDGE) | (fitted > 1 - FITTED_EDGE))
            if edge or any(issubclass(w.category, PerfectSeparationWarning) for w in caught):
                separated = "quasi-complete (fitted probabilities of 0 or 1)"
                result = None
            elif not converged or any(issubclass(w.category, ConvergenceWarning) for w in caught):
                mle_problem = "the maximum-likelihood fit did not converge"
                result = None
    if result is not None:
        params, cov = result
        ame, ame_se = average_marginal_effects(design, params, cov)
        return FirthOrMle("mle", params, cov, ame, ame_se)
    try:
        params, cov, converged = fit_firth_standardised(y, design)
    except np.linalg.LinAlgError:
        return FirthOrMle(None, separation=separated, mle_problem=mle_problem,
                          failure="neither maximum likelihood nor Firth's method could fit the model")
    if not converged or not np.all(np.isfinite(cov)):
        return FirthOrMle(None, separation=separated, mle_problem=mle_problem,
                          failure="Firth's penalised fit did not converge")
    # the same marginal effects (discrete changes for 0/1 columns), without a standard error
    return FirthOrMle("firth", params, cov, average_marginal_effects(design, params, cov)[0], None,
                      separation=separated, mle_problem=mle_problem, profile=profile_firth(y, design, params))


def average_marginal_effects(design: np.ndarray, params: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average marginal effects of the non-intercept columns and their delta-method standard errors.

    A continuous column: AME_j = β_j · mean(w), w = p(1 − p), in closed form, with the gradient
    ∂AME_j/∂β_k = δ_jk · mean(w) + β_j · mean(w (1 − 2p) x_k). A 0/1 column (a yes/no item, a friction
    flag): the discrete change mean(P(x_j = 1) − P(x_j = 0)) over the customers, with the gradient
    mean(w₁ x⁽¹⁾ − w₀ x⁽⁰⁾), x⁽ᵛ⁾ the row with x_j set to v — the numbers of statsmodels'
    `get_margeff(at="overall", dummy=True)` (a test checks both), without its numerical derivatives.
    """
    p = expit(design @ params)
    w = p * (1 - p)
    mean_w = float(w.mean())
    slope = params[1:]
    gradient = np.outer(slope, (w * (1 - 2 * p)) @ design / len(design))
    gradient[:, 1:] += np.eye(len(slope)) * mean_w
    effects = slope * mean_w
    for j in range(1, design.shape[1]):
        column = design[:, j]
        if not (np.all((column == 0) | (column == 1)) and 0 < column.sum() < len(column)):
            continue
        shift = params[j] * (1 - column)  # the linear predictor with x_j = 1, then with x_j = 0
        p1, p0 = expit(design @ params + shift), expit(design @ params + shift - params[j])
        effects[j - 1] = float(np.mean(p1 - p0))
        w1, w0 = p1 * (1 - p1), p0 * (1 - p0)
        row = (w1 - w0) @ design / len(design)
        row[j] = float(w1.mean())  # ∂/∂β_j: x_j is 1 in the first term and 0 in the second
        gradient[j - 1] = row
    variance = np.einsum("ij,jk,ik->i", gradient, cov, gradient)
    return effects, np.sqrt(np.clip(variance, 0, None))
