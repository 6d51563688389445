"""Score bands of the headline metric: churn rate per band (`churn_by_band`) and Kaplan–Meier curves of time
to churn per band (`survival.curves`).

Bands for churn rates: one per level when the metric has at most 11 distinct values (a 0–10 NPS question,
a 1–7 CES); otherwise five equal-width bands of the metric's scale (0–20, 20–40, … 80–100 for BAS), or
quintiles of the observed values when the scale is unknown. Bands for survival curves: low / middle / high
thirds of the observed values, cut at the terciles with equal scores kept together (so the thirds are only
roughly equal on a coarse scale).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import SurvfuncRight
from statsmodels.stats.proportion import proportion_confint

from .fitting import finite_or_none, interval_or_none
from .types import AnalysisData, Metric

MAX_LEVELS = 11
"""A metric with at most this many distinct values gets one band per value."""

BANDS = 5
THIRDS = ("low", "middle", "high")


def _number(value: float) -> str:
    """A band edge as people write it: 7 not 7.0, 2.5 kept, 41.6667 as 41.7."""
    return f"{round(value, 1):g}"


def score_bands(values: pd.Series, metric: Metric) -> tuple[pd.Series, list[str]]:
    """Band label of every value (missing stays missing) and the labels in score order.

    ≤ 11 distinct values: the value itself; else five equal-width bands of `metric.scale`, each
    [low, high) and the last closed, labelled as such ("60 to under 80", "80 to 100"); without a scale,
    quintiles of the values (ties together).
    """
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    present = numbers.dropna()
    labels = pd.Series(pd.NA, index=values.index, dtype="string")
    if present.empty:
        return labels, []
    levels = np.sort(present.unique())
    if len(levels) <= MAX_LEVELS:
        order = [_number(v) for v in levels]
        labels[present.index] = [_number(v) for v in present]
        return labels, order
    if metric.scale is not None and metric.scale[1] > metric.scale[0]:
        edges = np.linspace(metric.scale[0], metric.scale[1], BANDS + 1)
    else:
        edges = np.unique(np.quantile(present.to_numpy(), np.linspace(0, 1, BANDS + 1)))
    # the label says what the band holds: each band takes its lower edge, not its upper one, but the last
    # takes both ("20 to under 40", …, "80 to 100")
    order = [f"{_number(a)} to under {_number(b)}" for a, b in zip(edges[:-2], edges[1:-1], strict=True)]
    order.append(f"{_number(edges[-2])} to {_number(edges[-1])}")
    # interior edges only: values below the first or above the last edge go to the end bands
    index = np.searchsorted(edges[1:-1], present.to_numpy(), side="right")
    labels[present.index] = [order[i] for i in index]
    return labels, order


@dataclass(frozen=True)
class BandRow:
    """Churn in one score band; the interval is Wilson's 95% interval."""

    level: str
    n: int
    churned: int
    churn_rate: float | None
    churn_rate_ci: tuple[float | None, float | None]

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "n": self.n, "churned": self.churned,
                "churn_rate": finite_or_none(self.churn_rate), "churn_rate_ci": interval_or_none(*self.churn_rate_ci)}


def churn_by_band(data: AnalysisData, metric: Metric) -> dict[str, Any] | None:
    """`{metric, label, rows}`: churn rate with Wilson 95% CI per score band of `metric`, over customers with
    both a score and a known churn status; None without a `churned` column."""
    frame = data.frame
    if "churned" not in frame.columns or metric.column not in frame.columns:
        return None
    churn = pd.to_numeric(frame["churned"], errors="coerce")
    labels, order = score_bands(frame[metric.column].where(churn.notna()), metric)
    rows = []
    for level in order:
        inside = (labels == level).fillna(False).to_numpy(bool)
        n = int(inside.sum())
        if n == 0:
            continue  # an empty band of the scale has no rate to show
        churned = int(churn[inside].sum())
        low, high = proportion_confint(churned, n, alpha=0.05, method="wilson")
        rows.append(BandRow(level, n, churned, churned / n, (float(low), float(high))).to_dict())
    return {"metric": metric.name, "label": metric.display, "rows": rows}


def score_thirds(values: pd.Series) -> pd.Series:
    """"low", "middle", "high" by the terciles of the values, equal values in the same third; each label
    carries its observed range, e.g. "low (0–6)". Fewer groups when ties leave no room for three."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    present = numbers.dropna()
    labels = pd.Series(pd.NA, index=values.index, dtype="string")
    if present.empty:
        return labels
    cuts = pd.qcut(present, 3, labels=False, duplicates="drop")
    groups = sorted(int(g) for g in cuts.unique())
    names = THIRDS if len(groups) == 3 else ("low", "high") if len(groups) == 2 else ("all",)
    for name, group in zip(names, groups, strict=True):
        members = present[cuts == group]
        low, high = float(members.min()), float(members.max())
        span = _number(low) if low == high else f"{_number(low)}–{_number(high)}"
        labels[members.index] = f"{name} ({span})"
    return labels


def kaplan_meier(time: np.ndarray, status: np.ndarray) -> tuple[list[float], list[float]]:
    """Kaplan–Meier estimate (statsmodels SurvfuncRight): the event times and the share surviving just
    after each, starting with (0, 1) so the curve begins at everyone present."""
    fit = SurvfuncRight(time, status)
    times = [float(t) for t in fit.surv_times]
    shares = [float(s) for s in fit.surv_prob]
    if not times or times[0] > 0:
        times, shares = [0.0, *times], [1.0, *shares]
    return times, shares


def survival_curves(data: AnalysisData, metric: Metric) -> list[dict[str, Any]]:
    """`[{band, n, events, times, survival}]`: Kaplan–Meier curves of time to churn for the low, middle and
    high thirds of `metric`, over customers with a score, a duration and a churn status; [] without
    durations. A band without any churner is a flat line at 1 (times [0, longest duration])."""
    frame = data.frame
    if not {"duration_months", "churned", metric.column} <= set(frame.columns):
        return []
    time = pd.to_numeric(frame["duration_months"], errors="coerce")
    status = pd.to_numeric(frame["churned"], errors="coerce")
    known = time.notna() & status.notna() & (time >= 0)
    labels = score_thirds(frame[metric.column].where(known))
    curves = []
    for band in [b for b in pd.unique(labels.dropna()) if isinstance(b, str)]:
        inside = (labels == band).fillna(False).to_numpy(bool)
        t, s = time[inside].to_numpy(float), status[inside].to_numpy(float)
        if s.sum() == 0:
            times, shares = [0.0, float(t.max())], [1.0, 1.0]
        else:
            times, shares = kaplan_meier(t, s)
        curves.append({"band": band, "n": int(inside.sum()), "events": int(s.sum()), "times": times,
                       "survival": shares})
    order = {name: i for i, name in enumerate((*THIRDS, "all"))}
    return sorted(curves, key=lambda c: order.get(str(c["band"]).split(" ")[0], 99))


def headline_metric(data: AnalysisData, name: str | None) -> Metric | None:
    """The metric called `name` (the scenario metric, else the best predictor), if the data have it."""
    return next((m for m in data.metrics if m.name == name), None) if name else None
