"""Revenue at risk: Σ predicted churn probability × revenue, total and by channel and segment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..fitting import (
    HEADLINE_MAX_MISSING_SHARE,
    Calibration,
    build_design,
    finite_or_none,
    headline_metrics,
    interval_or_none,
    joint_metrics,
    percentile_interval,
)
from ..types import AnalysisData, Metric, RoiWarning
from .churn_model import calibrate_churn_model, drawn_totals, fit_churn_model


@dataclass(frozen=True)
class SegmentRisk:
    """Revenue at risk within one level of a segment column."""

    column: str
    value: str
    n: int
    revenue: float
    expected_churn: float
    revenue_at_risk: float

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "value": self.value, "n": self.n, "revenue": finite_or_none(self.revenue),
                "expected_churn": finite_or_none(self.expected_churn),
                "revenue_at_risk": finite_or_none(self.revenue_at_risk)}


@dataclass(frozen=True)
class RevenueAtRisk:
    """Σ P(churn) × revenue over the analysed customers, in the configured revenue period."""

    total: float | None
    ci: tuple[float | None, float | None]
    period: str
    n: int
    revenue: float | None
    predictors: tuple[str, ...]
    by_segment: tuple[SegmentRisk, ...]
    warnings: tuple[RoiWarning, ...] = ()
    calibration: Calibration | None = None
    """Out-of-fold calibration of the churn model's probabilities (`roi.fitting.calibration`)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": finite_or_none(self.total), "ci": interval_or_none(*self.ci), "period": self.period,
            "n": self.n, "revenue": finite_or_none(self.revenue), "predictors": list(self.predictors),
            "by_segment": [s.to_dict() for s in self.by_segment],
            "calibration": self.calibration.to_dict() if self.calibration else None,
            "warnings": [w.to_dict() for w in self.warnings],
        }


def revenue_at_risk(data: AnalysisData, *, seed: int, metrics: Sequence[str] | None = None,
                    replicates: int = 200) -> RevenueAtRisk:
    """Revenue at risk = Σ predicted churn probability × revenue, total (with CI) and by channel and segment.

    The churn model uses `metrics` (names from `data.metrics`; default: the headline metrics present for
    ≥ 80% of customers) plus `data.controls`; customers missing any predictor or revenue are left out and
    `n` says how many remain. Amounts are per `data.revenue_period`. The CI comes from `replicates`
    parametric draws of the coefficients (seeded).
    """
    chosen = headline_metrics(data) if metrics is None else tuple(data.metric(name) for name in metrics)
    period = data.revenue_period
    choice: list[RoiWarning] = []
    if metrics is None:
        chosen, choice = _without_definition(data, chosen)
    if "revenue" not in data.frame.columns:
        note = RoiWarning("small_sample", "revenue", "No revenue column in the outcomes: revenue at risk is unknown.")
        return RevenueAtRisk(None, (None, None), period, 0, None, (), (), (note,))
    columns = [m.column for m in chosen] + [c for c in data.controls if c in data.frame.columns]
    frame = data.frame[data.frame["revenue"].notna()]
    model, used, notes = fit_churn_model(frame, columns, subject="revenue at risk")
    notes = [*choice, *notes]
    if model is None:
        return RevenueAtRisk(None, (None, None), period, int(used.sum()), None, tuple(columns), (), tuple(notes))
    calibration, off = calibrate_churn_model(frame, columns, used, seed=seed, subject="revenue at risk",
                                          start=model.fit.params)
    notes.extend(off)
    rows = frame[used]
    X = build_design(rows, columns).to_numpy(float)
    revenue = rows["revenue"].to_numpy(float)
    probability = model.probabilities(X, model.fit.params[:, None])[:, 0]
    totals = drawn_totals(model, X, revenue, replicates=replicates, seed=seed) if replicates else np.array([])
    segments: list[SegmentRisk] = []
    for column in dict.fromkeys(["channel", *data.segments]):
        if column not in rows.columns:
            continue
        labels = rows[column].astype("string").fillna("(missing)").to_numpy()
        for value in sorted(set(labels)):
            inside = labels == value
            segments.append(SegmentRisk(column, str(value), int(inside.sum()), float(revenue[inside].sum()),
                                        float(probability[inside].sum()),
                                        float((probability[inside] * revenue[inside]).sum())))
    return RevenueAtRisk(float(probability @ revenue), percentile_interval(totals), period, len(rows),
                         float(revenue.sum()), tuple(columns), tuple(segments), tuple(notes), calibration)


def _without_definition(data: AnalysisData, chosen: tuple[Metric, ...]) -> tuple[tuple[Metric, ...], list[RoiWarning]]:
    """The metrics of the risk model when no survey definition named summary scores, and the warning saying so.

    Without a definition every numeric column is both a metric and an item, so `headline_metrics` (metrics that
    are not items) is empty and the model would rest on the controls alone. Then every raw metric answered by at
    least 80% of the customers is used (at most 30, in column order), with a warning naming them when there
    were several to choose from; if none is, the warning says the figure spreads the observed churn by the
    controls only.
    """
    raw = [m for m in data.metrics if m.family == "raw"]
    if chosen or not raw or len(raw) < len([m for m in data.metrics if m.family != "sentiment"]):
        return chosen, []
    answered = [m for m in joint_metrics(data) if m.family == "raw"
                and data.frame[m.column].isna().mean() <= HEADLINE_MAX_MISSING_SHARE]
    if answered and len(raw) == 1:
        return tuple(answered), []  # one numeric column: nothing was chosen for the reader
    if answered:
        names = ", ".join(m.name for m in answered)
        message = (f"No survey definition: all {len(raw)} numeric columns were taken as metrics and as driver items. "
                   f"Revenue at risk uses those answered by at least 80% of customers ({names}); give the survey "
                   "definition so the summary scores are the metrics.")
    else:
        message = ("No survey definition, and no numeric column is answered by 80% of customers: revenue at risk "
                   "rests on the controls alone (on the intercept only when there are none), so it spreads the "
                   "observed churn over customers and says nothing about the answers.")
    return tuple(answered), [RoiWarning("no_definition", "revenue at risk", message)]
