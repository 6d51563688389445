"""Revenue at risk: Σ predicted churn probability × revenue, total and by channel and segment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..fitting import build_design, finite_or_none, headline_metrics, interval_or_none, percentile_interval
from ..types import AnalysisData, RoiWarning
from .churn_model import drawn_totals, fit_churn_model


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": finite_or_none(self.total), "ci": interval_or_none(*self.ci), "period": self.period,
            "n": self.n, "revenue": finite_or_none(self.revenue), "predictors": list(self.predictors),
            "by_segment": [s.to_dict() for s in self.by_segment],
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
    if "revenue" not in data.frame.columns:
        note = RoiWarning("small_sample", "revenue", "No revenue column in the outcomes: revenue at risk is unknown.")
        return RevenueAtRisk(None, (None, None), period, 0, None, (), (), (note,))
    columns = [m.column for m in chosen] + [c for c in data.controls if c in data.frame.columns]
    frame = data.frame[data.frame["revenue"].notna()]
    model, used, notes = fit_churn_model(frame, columns, subject="revenue at risk")
    if model is None:
        return RevenueAtRisk(None, (None, None), period, int(used.sum()), None, tuple(columns), (), tuple(notes))
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
                         float(revenue.sum()), tuple(columns), tuple(segments), tuple(notes))
