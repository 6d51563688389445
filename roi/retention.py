"""Retention: logistic regression of `churned` on each candidate metric with the controls, and a joint model.

Coefficients are per one unit of the metric as it is in the data (one BAS point, one NPS point, …); odds
ratios are exp(coef); average marginal effects are computed in closed form (`roi.fitting.logit.
average_marginal_effects`, the numbers of statsmodels' `get_margeff(at="overall")`). Revenue enters the
controls as ln(1 + revenue). Separation is checked before and after the fit; a separated model is refitted
by Firth's penalised likelihood and says so (`roi.fitting.fit_logit_or_firth`). Nothing here raises on
degenerate data: a model that cannot be estimated has method "not_estimated", null terms and a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from . import diagnostics
from .fitting import (
    CONTROL_LABELS,
    FirthOrMle,
    benjamini_hochberg,
    control_frame,
    finite_or_none,
    fit_logit_or_firth,
    joint_metrics,
    linearity_test,
    wald_term,
    with_false_discovery_rate,
)
from .results import FittedModel, Term, empty_terms
from .types import AnalysisData, RoiWarning


def _terms(names: Sequence[str], fit: FirthOrMle) -> tuple[Term, ...]:
    """Wald terms for a maximum-likelihood fit; for a Firth fit the profile penalised-likelihood interval and
    likelihood-ratio p-value replace the Wald ones (the standard error stays, for reference)."""
    assert fit.params is not None and fit.cov is not None
    params, ame, ame_se = fit.params, fit.ame, fit.ame_se
    se = np.sqrt(np.clip(np.diag(fit.cov), 0, None))
    terms = []
    for i, name in enumerate(["const", *names]):
        term = wald_term(name, float(params[i]), float(se[i]),
                         ame=float(ame[i - 1]) if ame is not None and i >= 1 else None,
                         ame_se=float(ame_se[i - 1]) if ame_se is not None and i >= 1 else None)
        if fit.profile is not None:
            low, high = (finite_or_none(v) for v in fit.profile.ci[i])
            term = replace(term, ci=(low, high), p=finite_or_none(fit.profile.p[i]),
                           ratio_ci=(float(np.exp(low)) if low is not None and low < 700 else None,
                                     float(np.exp(high)) if high is not None and high < 700 else None))
        terms.append(term)
    return tuple(terms)


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
    fit = fit_logit_or_firth(y.astype(float), design, separated=separated)
    if fit.mle_problem is not None:
        found.append(RoiWarning("non_convergence", subject,
                                f"{label}: {fit.mle_problem}; refitted by Firth's penalised likelihood."))
    if fit.separation is not None:
        found.append(RoiWarning("separation", subject,
                                f"{label}: {fit.separation} separation — the data split churners from stayers without "
                                "overlap, so the usual estimate would be infinite. Shown: Firth's penalised "
                                "estimate and the exact tabulation; treat the effect size as unreliable."))
        notes.append(f"{fit.separation} separation; Firth penalised likelihood")
    if fit.method is None or fit.params is None or fit.cov is None:
        return not_estimated(fit.failure or "the model could not be fitted", "non_convergence")
    covariance = {"terms": ["const", *names], "matrix": np.asarray(fit.cov, dtype=float).tolist()}
    return FittedModel(name, kind, fit.method, n, _terms(names, fit), events,
                       predictors, tuple(notes), extra={"covariance": covariance}), found


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
        models.append(model)
    models = with_false_discovery_rate(models, [m.name for m in data.metrics])
    models, shape_notes = _with_linearity(models, data, y_all, controls.to_numpy(dtype=float))
    found.extend(shape_notes)
    for metric, model in zip(data.metrics, models, strict=True):
        term = model.term(metric.name)
        if term is not None and model.method == "mle":
            check = diagnostics.check_effect(metric, term.coef, term.ci, outcome="churn",
                                             model=f"Retention model for {diagnostics.shown(metric)}", q=term.q,
                                             family=len(models))
            if check:
                found.append(check)
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


def _with_linearity(models: list[FittedModel], data: AnalysisData, y_all: np.ndarray,
                    controls: np.ndarray) -> tuple[list[FittedModel], list[RoiWarning]]:
    """Each maximum-likelihood model of an ordinal metric (3–11 levels) with its linearity test
    (`roi.fitting.linearity_test`) in `extra["linearity"]`; p-values adjusted across the metrics tested
    (Benjamini–Hochberg), `non_linear` below 5%."""
    tests = {}
    for metric, model in zip(data.metrics, models, strict=True):
        if model.method != "mle":
            continue
        values = data.frame[metric.column].to_numpy(dtype=float)
        keep = np.isfinite(y_all) & np.isfinite(values) & np.all(np.isfinite(controls), axis=1)
        estimate = np.array([t.coef if t.coef is not None else np.nan for t in model.terms])
        result = linearity_test(y_all[keep], values[keep], controls[keep], estimate)
        if result is not None:
            tests[metric.name] = result
    q_values = dict(zip(tests, benjamini_hochberg([t.p for t in tests.values()]), strict=True))
    notes = []
    out = []
    for metric, model in zip(data.metrics, models, strict=True):
        if metric.name in tests:
            test = replace(tests[metric.name], q=q_values[metric.name])
            model = replace(model, extra={**model.extra, "linearity": test.to_dict()})
            if test.q is not None and test.q < 0.05:
                notes.append(RoiWarning(
                    "non_linear", metric.name,
                    f"Retention model for {diagnostics.shown(metric)}: its {len(test.levels)} levels do not follow a "
                    f"straight line (likelihood-ratio test of level dummies, χ² = {test.statistic:.1f} on {test.df} "
                    f"df, q = {test.q:.2g}); the per-point coefficient averages unequal steps — read the level "
                    "estimates or the churn by band."))
        out.append(model)
    return out, notes


def _with_tabulation(model: FittedModel, x: np.ndarray, y: np.ndarray) -> FittedModel:
    table = diagnostics.tabulate(x, y)
    return replace(model, tabulation=tuple(table),
                   notes=(*model.notes, "exact tabulation of churn by level included") if table else model.notes)
