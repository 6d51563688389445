"""Survival: Cox proportional hazards (Efron's ties) of the time from the survey to churn on each summary metric and
jointly, when the survey and churn dates give that time (`roi.inputs.timeline`).

The time axis starts at the survey (everyone is at risk from their answer on, so no delayed entry is
needed); tenure at the survey and ln(1 + revenue) are controls. Hazard ratios are exp(coef) per one unit
of the metric. Each model carries its concordance and a Schoenfeld-residual proportional-hazards test per
term (`roi.fitting.cox_checks`), with a `non_proportional_hazards` warning when a term fails it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import diagnostics
from .fitting import (
    CONTROL_LABELS,
    SUMMARY_FAMILIES,
    concordance,
    control_frame,
    failing_terms,
    fit_cox,
    joint_metrics,
    proportional_hazards_test,
    wald_term,
    with_false_discovery_rate,
)
from .results import FittedModel, empty_terms
from .types import AnalysisData, RoiWarning

MAX_SINGLE_MODELS = 40
SURVEY_TO_CHURN = "submitted_at → end_date (churn) or the as-of date"
"""`survival.duration`: the time axis runs from the survey to churn or censoring."""


def fit_cox_model(time: np.ndarray, status: np.ndarray, X: np.ndarray, names: Sequence[str], *, name: str,
                  kind: str, subject: str, label: str) -> tuple[FittedModel, list[RoiWarning]]:
    """Cox model of (time, status) on X; never raises on degenerate data."""
    found: list[RoiWarning] = []
    n, k = X.shape
    events = int(status.sum())

    def not_estimated(why: str, code: Any = "small_sample") -> tuple[FittedModel, list[RoiWarning]]:
        found.append(RoiWarning(code, subject, f"{label}: {why}; no estimate is reported."))
        return FittedModel(name, kind, "not_estimated", n, empty_terms(names), events, tuple(names), (why,)), found

    if n < k + 2 or events == 0:
        return not_estimated(f"{n} customers with {events} churned — too few to fit")
    constant = [c for c, col in zip(names, X.T, strict=True) if np.ptp(col) == 0]
    if constant:
        return not_estimated(f"{', '.join(constant)} has the same value for all {n} customers")
    with np.errstate(all="ignore"):  # overflow on the way to an infinite estimate is caught below
        try:
            result = fit_cox(time, status, X)  # Efron's ties: monthly times tie a lot
        except (np.linalg.LinAlgError, ValueError) as error:
            return not_estimated(f"the fit failed ({error})", "non_convergence")
        params = result.params
        se = np.sqrt(np.diag(result.cov))
    if (not result.converged or not np.all(np.isfinite(params)) or not np.all(np.isfinite(se))
            or not np.all(se > 0)):  # se 0: the likelihood has no finite maximum
        return not_estimated("the partial-likelihood fit did not converge", "non_convergence")
    terms = [wald_term(term, float(params[i]), float(se[i])) for i, term in enumerate(names)]
    checks = proportional_hazards_test(result, time, status, X, list(names))
    failing = failing_terms(checks)
    if failing:
        shown = ", ".join(f"{c.term} (p = {c.p_holm:.2g})" for c in failing)
        found.append(RoiWarning("non_proportional_hazards", subject,
                                f"{label}: the effect of {shown} changes over the months after the survey "
                                "(Schoenfeld-residual test, Holm-adjusted); its hazard ratio is an average over "
                                "that time, not a constant."))
    extra = {"ties": result.ties, "concordance": concordance(time, status, X @ params),
             "proportional_hazards": [c.to_dict() for c in checks]}
    return FittedModel(name, kind, f"cox_{result.ties}", n, tuple(terms), events, tuple(names), extra=extra), found


@dataclass(frozen=True)
class SurvivalResults:
    """Per-metric Cox models and the joint model; `duration` names where the durations came from."""

    duration: str
    models: tuple[FittedModel, ...]
    joint: FittedModel | None
    controls: tuple[str, ...]
    warnings: tuple[RoiWarning, ...]

    def model(self, name: str) -> FittedModel | None:
        return next((m for m in self.models if m.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "duration": self.duration,
            "unit": "months",
            "controls": [CONTROL_LABELS.get(c, c) for c in self.controls],
            "models": [m.to_dict("hazard_ratio") for m in self.models],
            "joint": self.joint.to_dict("hazard_ratio") if self.joint else None,
        }


def fit_survival(data: AnalysisData) -> SurvivalResults | None:
    """Cox models when durations and churn exist; None otherwise. Single models for the summary metrics
    (every metric when there are none, up to 40)."""
    frame = data.frame
    if "duration_months" not in frame.columns or "churned" not in frame.columns \
            or frame["duration_months"].notna().sum() == 0:
        return None
    duration = SURVEY_TO_CHURN
    controls = control_frame(frame, list(data.controls))
    control_names = list(controls.columns)
    time_all = frame["duration_months"].to_numpy(dtype=float)
    status_all = frame["churned"].to_numpy(dtype=float)
    found: list[RoiWarning] = []

    def fit(columns: list[str], names: list[str], *, name: str, kind: str, label: str) -> FittedModel:
        X_all = np.column_stack([frame[columns].to_numpy(dtype=float), controls.to_numpy(dtype=float)])
        keep = np.isfinite(time_all) & np.isfinite(status_all) & np.all(np.isfinite(X_all), axis=1)
        model, notes = fit_cox_model(time_all[keep], status_all[keep], X_all[keep], [*names, *control_names],
                                     name=name, kind=kind, subject=name, label=label)
        found.extend(notes)
        return model

    singles = [m for m in data.metrics if m.family in SUMMARY_FAMILIES] or list(data.metrics)[:MAX_SINGLE_MODELS]
    models = tuple(with_false_discovery_rate(
        [fit([m.column], [m.name], name=m.name, kind="single", label=f"Survival model for {diagnostics.shown(m)}")
         for m in singles], [m.name for m in singles]))
    members = joint_metrics(data)
    joint = fit([m.column for m in members], [m.name for m in members], name="joint", kind="joint",
                label="Joint survival model") if len(members) >= 2 else None
    return SurvivalResults(duration, models, joint, tuple(control_names), tuple(diagnostics.unique(found)))
