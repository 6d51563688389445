"""Retention: logistic regression of `churned` on each candidate metric with the controls, and a joint model.

Coefficients are per one unit of the metric as it is in the data (one BAS point, one NPS point, …); odds
ratios are exp(coef); average marginal effects come from statsmodels' `get_margeff`. Revenue enters the
controls as ln(1 + revenue). Separation is checked before and after the fit; a separated model is refitted
by Firth's penalised likelihood and says so. Nothing here raises on degenerate data: a model that cannot be
estimated has method "not_estimated", null terms and a warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from . import diagnostics
from .comparison.logit import expit, newton_logit
from .results import FittedModel, Term, empty_terms
from .types import AnalysisData, Metric, RoiWarning

Z95 = float(norm.ppf(0.975))
SUMMARY_FAMILIES = ("bas", "ces", "csat", "nps", "friction_count")
MAX_JOINT_METRICS = 30
CONTROL_LABELS = {
    "tenure_months": "tenure_months (per month)",
    "log_revenue": "ln(1 + revenue)",
    "log_revenue_prior": "ln(1 + revenue_prior)",
}


def control_frame(frame: pd.DataFrame, controls: Sequence[str]) -> pd.DataFrame:
    """The control columns as model inputs: tenure in months as is, revenue as ln(1 + revenue)."""
    out = pd.DataFrame(index=frame.index)
    for name in controls:
        if name not in frame.columns:
            continue
        if name in ("revenue", "revenue_prior"):
            out[f"log_{name}"] = np.log1p(frame[name].astype(float))
        else:
            out[name] = frame[name].astype(float)
    return out


def joint_metrics(data: AnalysisData) -> list[Metric]:
    """The metrics of the joint model: the summary scores when a definition gave them, else every metric."""
    summary = [m for m in data.metrics if m.family in SUMMARY_FAMILIES]
    return (summary or list(data.metrics))[:MAX_JOINT_METRICS]


def fit_firth(y: np.ndarray, X: np.ndarray, *, max_iter: int = 25, gtol: float = 1e-10) -> tuple[np.ndarray, np.ndarray, bool]:
    """Firth's bias-reduced logistic regression (X includes the intercept): (params, covariance, converged).

    Maximises the penalised log-likelihood ℓ(β) + ½ log|X'WX|, whose gradient is the modified score
    U* = X'(y − p + h(½ − p)), h the hat-matrix diagonal: Fisher-scoring steps on U* (with up to five step
    halvings), then BFGS on the exact penalised likelihood, which converges where scoring crawls (complete
    separation). Converged when max |U*| / n < `gtol`. Finite estimates exist even under separation.
    """
    n = len(y)

    def parts(b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        eta = X @ b
        p = 1 / (1 + np.exp(-eta))
        w = p * (1 - p)
        info = X.T @ (X * w[:, None])
        sign, logdet = np.linalg.slogdet(info)
        if sign <= 0:
            return -np.inf, np.zeros_like(b), info
        h = np.einsum("ij,jk,ik->i", X, np.linalg.inv(info), X) * w
        value = float(np.sum(y * eta - np.logaddexp(0, eta))) + 0.5 * logdet
        return value, X.T @ (y - p + h * (0.5 - p)), info

    beta = np.zeros(X.shape[1])
    current, score, info = parts(beta)
    for _ in range(max_iter):
        step = np.linalg.solve(info, score)
        size = 1.0
        for _ in range(6):
            value, new_score, new_info = parts(beta + size * step)
            if value >= current:
                break
            size /= 2
        else:
            break
        beta, current, score, info = beta + size * step, value, new_score, new_info
        if np.max(np.abs(score)) / n < gtol:
            break
    if np.max(np.abs(score)) / n >= gtol:
        from scipy.optimize import minimize

        def objective(b: np.ndarray) -> tuple[float, np.ndarray]:
            value, gradient, _ = parts(b)
            return (-value / n, -gradient / n) if np.isfinite(value) else (np.inf, np.zeros_like(b))

        polished = minimize(objective, beta, jac=True, method="BFGS", options={"gtol": gtol, "maxiter": 2000})
        beta = polished.x
        current, score, info = parts(beta)
    converged = bool(np.isfinite(current) and np.max(np.abs(score)) / n < 10 * gtol)
    return beta, np.linalg.inv(info), converged


def fit_firth_standardised(y: np.ndarray, design: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """`fit_firth` on centred and scaled columns, mapped back to the original units.

    Firth's penalty is invariant under linear reparametrisation, so this gives the same estimates; it converges
    far faster when a column (e.g. ln revenue ≈ 7 ± 0.2) is nearly parallel to the intercept.
    """
    centre = design[:, 1:].mean(axis=0)
    scale = design[:, 1:].std(axis=0)
    scale[scale == 0] = 1.0
    z = np.column_stack([np.ones(len(design)), (design[:, 1:] - centre) / scale])
    params, cov, converged = fit_firth(y, z)
    # β = T γ: slopes γ_j / s_j; intercept γ_0 − Σ γ_j m_j / s_j
    transform = np.zeros((design.shape[1], design.shape[1]))
    transform[0, 0] = 1.0
    transform[0, 1:] = -centre / scale
    transform[1:, 1:] = np.diag(1 / scale)
    return transform @ params, transform @ cov @ transform.T, converged


def _terms(names: Sequence[str], params: np.ndarray, cov: np.ndarray, ame: np.ndarray | None,
           ame_se: np.ndarray | None) -> tuple[Term, ...]:
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    terms = []
    for i, name in enumerate(["const", *names]):
        coef, s = float(params[i]), float(se[i])
        low, high = coef - Z95 * s, coef + Z95 * s
        p = float(2 * norm.sf(abs(coef / s))) if s > 0 else None
        j = i - 1
        terms.append(Term(
            name, coef, s, (low, high), p,
            ratio=float(np.exp(coef)) if abs(coef) < 700 else None,
            ratio_ci=(float(np.exp(low)) if low < 700 else None, float(np.exp(high)) if high < 700 else None),
            ame=float(ame[j]) if ame is not None and j >= 0 else None,
            ame_se=float(ame_se[j]) if ame_se is not None and j >= 0 else None,
        ))
    return tuple(terms)


def average_marginal_effects(design: np.ndarray, params: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average marginal effects of the non-intercept columns and their delta-method standard errors.

    AME_j = β_j · mean(w), w = p(1 − p): what statsmodels' `get_margeff(at="overall")` gives, computed in
    closed form (its numerical derivatives cost more than the fit). Gradient:
    ∂AME_j/∂β_k = δ_jk · mean(w) + β_j · mean(w (1 − 2p) x_k).
    """
    p = 1 / (1 + np.exp(-(design @ params)))
    w = p * (1 - p)
    mean_w = float(w.mean())
    slope = params[1:]
    gradient = np.outer(slope, (w * (1 - 2 * p)) @ design / len(design))
    gradient[:, 1:] += np.eye(len(slope)) * mean_w
    variance = np.einsum("ij,jk,ik->i", gradient, cov, gradient)
    return slope * mean_w, np.sqrt(np.clip(variance, 0, None))


def fit_logit_model(y: np.ndarray, X: np.ndarray, names: Sequence[str], *, name: str, kind: str,
                    subject: str, label: str, separating: int | None = 0) -> tuple[FittedModel, list[RoiWarning]]:
    """Fit churn ~ intercept + X (no intercept column in X); `separating` is the column checked for 1-D
    separation (None: none). Returns the model and its warnings; never raises on degenerate data."""
    found: list[RoiWarning] = []
    n, k = X.shape
    events = int(y.sum())
    predictors = tuple(names)

    def not_estimated(why: str, code: Any = "small_sample") -> tuple[FittedModel, list[RoiWarning]]:
        found.append(RoiWarning(code, subject, f"{label}: {why}; no estimate is reported."))
        return FittedModel(name, kind, "not_estimated", n, empty_terms(["const", *names]), events, predictors,
                           (why,)), found

    if n < k + 2 or events == 0 or events == n:
        return not_estimated(f"{n} customers with {events} churned — too few, or only one outcome class")
    constant = [c for c, col in zip(names, X.T, strict=True) if np.ptp(col) == 0]
    if constant:
        return not_estimated(f"{', '.join(constant)} has the same value for all {n} customers")
    design = np.column_stack([np.ones(n), X])
    if diagnostics.rank_deficient(design):
        return not_estimated("the predictors are perfectly collinear (one is a combination of the others)",
                             "collinearity")
    events_warning = diagnostics.check_events(subject, n=n, events=events, predictors=k, model=label)
    if events_warning:
        found.append(events_warning)
    notes: list[str] = []
    separated = diagnostics.separation_kind(X[:, separating], y) if separating is not None else None
    result: tuple[np.ndarray, np.ndarray] | None = None
    if separated is None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                estimate, covariance, converged = newton_logit(y.astype(float), design)
                result = (estimate, covariance)
            except (np.linalg.LinAlgError, ValueError) as error:
                found.append(RoiWarning("non_convergence", subject, f"{label}: the maximum-likelihood fit failed "
                                        f"({error}); refitted by Firth's penalised likelihood."))
                result = None
        if result is not None:
            fitted = expit(design @ result[0])
            edge = np.any((fitted < diagnostics.FITTED_EDGE) | (fitted > 1 - diagnostics.FITTED_EDGE))
            if edge or any(issubclass(w.category, PerfectSeparationWarning) for w in caught):
                separated = "quasi-complete (fitted probabilities of 0 or 1)"
                result = None
            elif not converged or any(issubclass(w.category, ConvergenceWarning) for w in caught):
                found.append(RoiWarning("non_convergence", subject, f"{label}: the maximum-likelihood fit did not "
                                        "converge; refitted by Firth's penalised likelihood."))
                result = None
    if separated is not None:
        found.append(RoiWarning("separation", subject,
                                f"{label}: {separated} separation — the data split churners from stayers without "
                                "overlap, so the usual estimate would be infinite. Shown: Firth's penalised "
                                "estimate and the exact tabulation; treat the effect size as unreliable."))
        notes.append(f"{separated} separation; Firth penalised likelihood")
    if result is not None:
        params, cov = result
        ame, ame_se = average_marginal_effects(design, params, cov)
        method = "mle"
    else:
        try:
            params, cov, converged = fit_firth_standardised(y.astype(float), design)
        except np.linalg.LinAlgError:
            return not_estimated("neither maximum likelihood nor Firth's method could fit the model",
                                 "non_convergence")
        if not converged or not np.all(np.isfinite(cov)):
            return not_estimated("Firth's penalised fit did not converge", "non_convergence")
        p = 1 / (1 + np.exp(-(design @ params)))
        ame, ame_se = float(np.mean(p * (1 - p))) * params[1:], None
        method = "firth"
    return FittedModel(name, kind, method, n, _terms(names, params, cov, ame, ame_se), events, predictors,
                       tuple(notes)), found


@dataclass(frozen=True)
class RetentionResults:
    """Per-metric models (metric → model), the joint model, and the controls used."""

    models: tuple[FittedModel, ...]
    joint: FittedModel | None
    controls: tuple[str, ...]
    warnings: tuple[RoiWarning, ...]
    dropped: dict[str, int]

    def model(self, name: str) -> FittedModel | None:
        return next((m for m in self.models if m.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": "churned",
            "link": "logit",
            "controls": [CONTROL_LABELS.get(c, c) for c in self.controls],
            "models": [m.to_dict("odds_ratio") for m in self.models],
            "joint": self.joint.to_dict("odds_ratio") if self.joint else None,
            "dropped": self.dropped,
            "note": None if self.models else "no retention model: the outcomes have no churned column, or there "
                                             "are no candidate metrics",
        }


def fit_retention(data: AnalysisData) -> RetentionResults:
    """One logistic model per candidate metric (with controls) and a joint model of the summary metrics."""
    frame = data.frame
    found: list[RoiWarning] = []
    if "churned" not in frame.columns:
        return RetentionResults((), None, (), (), {})
    controls = control_frame(frame, data.controls)
    control_names = list(controls.columns)
    y_all = frame["churned"].to_numpy(dtype=float)
    models = []
    dropped: dict[str, int] = {}
    for metric in data.metrics:
        values = frame[metric.column].to_numpy(dtype=float)
        X_all = np.column_stack([values, controls.to_numpy(dtype=float)]) if control_names else values[:, None]
        keep = np.isfinite(y_all) & np.all(np.isfinite(X_all), axis=1)
        if (~keep).sum():
            dropped[metric.name] = int((~keep).sum())
        y, X = y_all[keep], X_all[keep]
        label = f"Retention model for {diagnostics.shown(metric)}"
        leak = diagnostics.check_leakage(metric, X[:, 0], y, outcome="churn") if len(y) else None
        if leak:
            found.append(leak)
        model, notes = fit_logit_model(y, X, [metric.name, *control_names], name=metric.name, kind="single",
                                       subject=metric.name, label=label)
        if model.method == "firth":
            model = _with_tabulation(model, X[:, 0], y)
        found.extend(notes)
        term = model.term(metric.name)
        if term is not None and model.method == "mle":
            check = diagnostics.check_effect(metric, term.coef, term.ci, outcome="churn", model=label)
            if check:
                found.append(check)
        models.append(model)
    joint = None
    members = joint_metrics(data)
    if len(members) >= 2:
        columns = [m.column for m in members]
        X_all = np.column_stack([frame[columns].to_numpy(dtype=float), controls.to_numpy(dtype=float)])
        keep = np.isfinite(y_all) & np.all(np.isfinite(X_all), axis=1)
        label = "Joint retention model"
        found.extend(diagnostics.check_collinearity([m.name for m in members], X_all[keep][:, : len(members)],
                                                    model=label))
        joint, notes = fit_logit_model(y_all[keep], X_all[keep], [*(m.name for m in members), *control_names],
                                       name="joint", kind="joint", subject="joint", label=label, separating=None)
        found.extend(notes)
        if (~keep).sum():
            dropped["joint"] = int((~keep).sum())
    return RetentionResults(tuple(models), joint, tuple(control_names), tuple(diagnostics.unique(found)), dropped)


def _with_tabulation(model: FittedModel, x: np.ndarray, y: np.ndarray) -> FittedModel:
    from dataclasses import replace

    table = diagnostics.tabulate(x, y)
    return replace(model, tabulation=tuple(table),
                   notes=(*model.notes, "exact tabulation of churn by level included") if table else model.notes)
