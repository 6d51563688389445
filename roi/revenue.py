"""Revenue: OLS of revenue — or of its change, revenue − revenue_prior, when the prior period is known — on
each candidate metric with the controls, and a joint model.

Standard errors are heteroskedasticity-robust (HC3), or cluster-robust by `account_id` when the outcomes name
accounts (customers of one account share shocks). Coefficients are in currency per revenue period per one
unit of the metric. Controls: tenure at the survey in months, and ln(1 + revenue_prior) when the prior period
is known (revenue itself is the outcome, so it is never a control here).

The metric terms of the single-metric models form one family: each gets its Benjamini–Hochberg q-value across
all of them (`q`), and a metric is called linked to revenue only when its interval excludes zero and q < 0.05
(`diagnostics.check_effect`), as for retention. The themes' revenue model is one joint model in its own
section (`roi.themes`), not part of this family.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import norm

from . import diagnostics
from .fitting import (
    CONTROL_LABELS,
    Z95,
    account_codes,
    control_frame,
    fit_ols_clustered,
    fit_ols_hc3,
    joint_metrics,
    with_false_discovery_rate,
)
from .results import FittedModel, Term, empty_terms
from .types import AnalysisData, RoiWarning

FEW_CLUSTERS = 20
"""Cluster-robust errors are unreliable with fewer clusters than this; the model notes it."""


def fit_ols_model(y: np.ndarray, X: np.ndarray, names: Sequence[str], *, name: str, kind: str, subject: str,
                  label: str, groups: np.ndarray | None) -> tuple[FittedModel, list[RoiWarning]]:
    """OLS of y on intercept + X with HC3 (`roi.fitting.fit_ols_hc3`) or cluster-robust by `groups`
    (`roi.fitting.fit_ols_clustered`) errors; never raises on bad data."""
    found: list[RoiWarning] = []
    n, k = X.shape
    design = np.column_stack([np.ones(n), X])

    def not_estimated(why: str, code: Any = "small_sample") -> tuple[FittedModel, list[RoiWarning]]:
        found.append(RoiWarning(code, subject, f"{label}: {why}; no estimate is reported."))
        return FittedModel(name, kind, "not_estimated", n, empty_terms(["const", *names]), None, tuple(names),
                           (why,)), found

    if n < k + 3:
        return not_estimated(f"only {n} customers for {k} predictor(s)")
    constant = [c for c, col in zip(names, X.T, strict=True) if np.ptp(col) == 0]
    if constant:
        return not_estimated(f"{', '.join(constant)} has the same value for all {n} customers")
    if diagnostics.rank_deficient(design):
        return not_estimated("the predictors are perfectly collinear", "collinearity")
    notes: list[str] = []
    clusters = len(np.unique(groups)) if groups is not None else 0
    if groups is None or clusters < 2:
        try:
            params, se, r2 = fit_ols_hc3(y, design)
        except np.linalg.LinAlgError as error:
            return not_estimated(f"the fit failed ({error})", "non_convergence")
        method = "ols_hc3"
        with np.errstate(divide="ignore", invalid="ignore"):
            z = params / se
        terms = tuple(Term(term, float(params[i]), float(se[i]), (float(params[i] - Z95 * se[i]),
                                                                  float(params[i] + Z95 * se[i])),
                           float(2 * norm.sf(abs(z[i]))))
                      for i, term in enumerate(["const", *names]))
        return FittedModel(name, kind, method, n, terms, None, tuple(names), tuple(notes),
                           extra={"r_squared": r2, "clusters": clusters or None}), found
    try:
        result = fit_ols_clustered(y, design, groups)
    except (np.linalg.LinAlgError, ValueError) as error:
        return not_estimated(f"the fit failed ({error})", "non_convergence")
    if clusters < FEW_CLUSTERS:
        notes.append(f"only {clusters} account clusters; cluster-robust errors may be too small")
    terms = tuple(Term(term, float(result.params[i]), float(result.se[i]),
                       (float(result.ci[i, 0]), float(result.ci[i, 1])), float(result.p[i]))
                  for i, term in enumerate(["const", *names]))
    extra = {"r_squared": result.r2, "clusters": clusters or None}
    return FittedModel(name, kind, "ols_cluster", n, terms, None, tuple(names), tuple(notes), extra=extra), found


@dataclass(frozen=True)
class RevenueResults:
    """Per-metric revenue models, the joint model, and which outcome (revenue or its change) they explain."""

    outcome: str
    models: tuple[FittedModel, ...]
    joint: FittedModel | None
    controls: tuple[str, ...]
    period: str
    warnings: tuple[RoiWarning, ...]

    def model(self, name: str) -> FittedModel | None:
        return next((m for m in self.models if m.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "unit": f"currency per {self.period}",
            "controls": [CONTROL_LABELS.get(c, c) for c in self.controls],
            "models": [m.to_dict() for m in self.models],
            "joint": self.joint.to_dict() if self.joint else None,
        }


def fit_revenue(data: AnalysisData) -> RevenueResults | None:
    """Revenue (or its change) on each metric and jointly; None when the outcomes carry no revenue."""
    frame = data.frame
    if "revenue" not in frame.columns or frame["revenue"].notna().sum() == 0:
        return None
    has_prior = "revenue_prior" in frame.columns and frame["revenue_prior"].notna().any()
    outcome = "revenue_change" if has_prior else "revenue"
    y_all = (frame["revenue"] - frame["revenue_prior"]).to_numpy(dtype=float) if has_prior else \
        frame["revenue"].to_numpy(dtype=float)
    wanted = [c for c in data.controls if c not in ("revenue", "revenue_prior")]
    if has_prior:
        wanted.append("revenue_prior")
    controls = control_frame(frame, wanted)
    control_names = list(controls.columns)
    groups_all = account_codes(frame)
    found: list[RoiWarning] = []
    models = []

    def fit(columns: list[str], names: list[str], *, name: str, kind: str, label: str,
            subject: str) -> FittedModel:
        X_all = np.column_stack([frame[columns].to_numpy(dtype=float), controls.to_numpy(dtype=float)])
        keep = np.isfinite(y_all) & np.all(np.isfinite(X_all), axis=1)
        groups = groups_all[keep] if groups_all is not None else None
        model, notes = fit_ols_model(y_all[keep], X_all[keep], [*names, *control_names], name=name, kind=kind,
                                     subject=subject, label=label, groups=groups)
        found.extend(notes)
        return model

    for metric in data.metrics:
        label = f"Revenue model for {diagnostics.shown(metric)}"
        values = frame[metric.column].to_numpy(dtype=float)
        keep = np.isfinite(values) & np.isfinite(y_all)
        leak = diagnostics.check_leakage(metric, values[keep], y_all[keep], outcome="revenue")
        if leak:
            found.append(leak)
        models.append(fit([metric.column], [metric.name], name=metric.name, kind="single", label=label,
                          subject=metric.name))
    models = with_false_discovery_rate(models, [m.name for m in data.metrics])
    for metric, model in zip(data.metrics, models, strict=True):
        term = model.term(metric.name)
        if term is not None and model.method != "not_estimated":
            check = diagnostics.check_effect(metric, term.coef, term.ci, outcome="revenue",
                                             model=f"Revenue model for {diagnostics.shown(metric)}", q=term.q,
                                             family=len(models))
            if check:
                found.append(check)
    members = joint_metrics(data)
    joint = None
    if len(members) >= 2:
        joint = fit([m.column for m in members], [m.name for m in members], name="joint", kind="joint",
                    label="Joint revenue model", subject="joint")
    return RevenueResults(outcome, tuple(models), joint, tuple(control_names), data.revenue_period,
                          tuple(diagnostics.unique(found)))
