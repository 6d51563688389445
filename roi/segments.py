"""Churn, revenue and the headline metrics by channel, tenure band, revenue tier and configured segments.

Over the matched respondents (`AnalysisData.frame`), where metrics and outcomes meet. Churn rates carry
a Wilson 95% interval; `revenue_at_risk` here is the observed revenue of the customers who churned in
the segment (model-free; `roi.money.revenue_at_risk` gives the model-based figure).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from .fitting import finite_or_none, headline_metrics, interval_or_none
from .types import AnalysisData, RoiWarning

SMALL_SEGMENT = 100
TENURE_BANDS = ((0.0, 12.0, "0-12 months"), (12.0, 36.0, "12-36 months"), (36.0, float("inf"), "36+ months"))


@dataclass(frozen=True)
class SegmentRow:
    """One level of one grouping (e.g. channel = phone)."""

    grouping: str
    level: str
    n: int
    churned: int | None
    churn_rate: float | None
    churn_rate_ci: tuple[float | None, float | None]
    revenue: float | None
    revenue_mean: float | None
    revenue_at_risk: float | None
    metric_means: dict[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "grouping": self.grouping, "level": self.level, "n": self.n, "churned": self.churned,
            "churn_rate": finite_or_none(self.churn_rate), "churn_rate_ci": interval_or_none(*self.churn_rate_ci),
            "revenue": finite_or_none(self.revenue), "revenue_mean": finite_or_none(self.revenue_mean),
            "revenue_at_risk": finite_or_none(self.revenue_at_risk),
            "metric_means": {k: finite_or_none(v) for k, v in self.metric_means.items()},
        }


@dataclass(frozen=True)
class SegmentSummary:
    """Rows for every grouping present in the data, in the order channel, tenure, revenue tier, segments."""

    rows: tuple[SegmentRow, ...]
    groupings: tuple[str, ...]
    metrics: tuple[str, ...]
    warnings: tuple[RoiWarning, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "groupings": list(self.groupings), "metrics": list(self.metrics),
            "rows": [r.to_dict() for r in self.rows], "warnings": [w.to_dict() for w in self.warnings],
        }


def tenure_band(months: pd.Series) -> pd.Series:
    """'0-12 months' for 0 ≤ t < 12, '12-36 months' for 12 ≤ t < 36, '36+ months' from 36; missing stays missing."""
    values = pd.to_numeric(months, errors="coerce")
    bands = pd.Series(pd.NA, index=months.index, dtype="string")
    for low, high, label in TENURE_BANDS:
        bands[(values >= low) & (values < high)] = label
    return bands


def revenue_tier(revenue: pd.Series) -> pd.Series:
    """Terciles of revenue ('low', 'middle', 'high'); ties are split by row order so the thirds stay equal."""
    values = pd.to_numeric(revenue, errors="coerce")
    tiers = pd.Series(pd.NA, index=revenue.index, dtype="string")
    present = values.dropna()
    if len(present) >= 3:
        cut = pd.qcut(present.rank(method="first"), 3, labels=["low", "middle", "high"])
        tiers[present.index] = cut.astype("string")
    return tiers


def segment_summary(data: AnalysisData) -> SegmentSummary:
    """Churn rate (Wilson CI), revenue, n, revenue at risk and headline-metric means per segment level."""
    frame = data.frame
    groupings: dict[str, pd.Series] = {}
    if "channel" in frame.columns:
        groupings["channel"] = frame["channel"].astype("string")
    if "tenure_months" in frame.columns:
        groupings["tenure_band"] = tenure_band(frame["tenure_months"])
    if "revenue" in frame.columns:
        groupings["revenue_tier"] = revenue_tier(frame["revenue"])
    for column in data.segments:
        if column in frame.columns and column not in groupings:
            groupings[column] = frame[column].astype("string")
    metrics = headline_metrics(data)
    churn = pd.to_numeric(frame["churned"], errors="coerce") if "churned" in frame else None
    revenue = pd.to_numeric(frame["revenue"], errors="coerce") if "revenue" in frame else None
    rows: list[SegmentRow] = []
    notes: list[RoiWarning] = []
    for grouping, labels in groupings.items():
        order = ([label for _, _, label in TENURE_BANDS] if grouping == "tenure_band"
                 else ["low", "middle", "high"] if grouping == "revenue_tier" else sorted(labels.dropna().unique()))
        for level in order:
            inside = (labels == level).fillna(False).to_numpy(bool)
            if not inside.any():
                continue
            rows.append(_row(grouping, str(level), inside, churn, revenue, frame, metrics))
            if inside.sum() < SMALL_SEGMENT:
                notes.append(RoiWarning("small_sample", f"{grouping}={level}",
                                        f"Only {int(inside.sum())} customers in {grouping} = {level}; its figures are "
                                        "imprecise."))
    return SegmentSummary(tuple(rows), tuple(groupings), tuple(m.name for m in metrics), tuple(notes))


def _row(grouping: str, level: str, inside: np.ndarray, churn: pd.Series | None, revenue: pd.Series | None,
         frame: pd.DataFrame, metrics: tuple[Any, ...]) -> SegmentRow:
    churned = rate = None
    ci: tuple[float | None, float | None] = (None, None)
    if churn is not None:
        known = churn[inside].dropna()
        if len(known):
            churned = int(known.sum())
            rate = churned / len(known)
            low, high = proportion_confint(churned, len(known), alpha=0.05, method="wilson")
            ci = (float(low), float(high))
    total = mean = at_risk = None
    if revenue is not None:
        money = revenue[inside]
        if money.notna().any():
            total, mean = float(money.sum()), float(money.mean())
            if churn is not None:
                at_risk = float((money * churn[inside]).sum())  # NaNs skipped: unknown churn counts as not lost
    means = {m.name: finite_or_none(pd.to_numeric(frame[m.column][inside], errors="coerce").mean()) for m in metrics}
    return SegmentRow(grouping, level, int(inside.sum()), churned, rate, ci, total, mean, at_risk, means)
