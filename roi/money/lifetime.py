"""Customer lifetime value from the survival curve: expected remaining months, discounted, per segment.

A constant retention rate says every customer is as likely to leave in year five as in year one; the data
say otherwise, so the lifetime value reads the **survival curve** of the time since the survey (months to
churn, censored at the end or as-of date; `roi.inputs.timeline`):

* S(u), the share still a customer u months after the survey: Kaplan–Meier up to the last month observed τ;
  beyond it, S(τ)·e^(−λ(u − τ)) with λ the group's churners per customer-month observed (a constant-hazard
  tail — an assumption the `assumptions` list states, as the data end at τ);
* discounted expected months over the lifetime horizon H = `finance.lifetime_years`:
  D = ∫₀^{12H} S(u) (1 + d)^(−u/12) du (d = `finance.discount_rate`, 0 when not given) — undiscounted, the
  restricted mean remaining lifetime;
* lifetime value of a customer = monthly revenue × margin × D (revenue, "not profit", without a margin);
  `per_customer` is the group's mean, `total` the sum over the group's customers with revenue.

Per group: everyone, and each level of `channel` and of every configured segment column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..config import FinanceConfig
from ..fitting import finite_or_none
from ..types import AnalysisData, RoiWarning
from .churn_model import annual_factor

MIN_CUSTOMERS = 30


@dataclass(frozen=True)
class SurvivalCurve:
    """A Kaplan–Meier step function with a constant-hazard tail after the last observed month."""

    times: np.ndarray  # the churn times, ascending
    survival: np.ndarray  # S just after each churn time
    last: float  # τ, the longest time observed
    tail_hazard: float  # λ per month beyond τ

    def at(self, u: np.ndarray) -> np.ndarray:
        """S(u) for months u ≥ 0."""
        u = np.asarray(u, dtype=float)
        index = np.searchsorted(self.times, u, side="right") - 1
        inside = np.where(index >= 0, self.survival[np.clip(index, 0, None)], 1.0)
        end = float(self.survival[-1]) if len(self.survival) else 1.0
        return np.where(u <= self.last, inside, end * np.exp(-self.tail_hazard * (u - self.last)))


def survival_curve(time: np.ndarray, status: np.ndarray) -> SurvivalCurve:
    """Kaplan–Meier of (months, churned 0/1) with the constant-hazard tail (λ = churners / months observed)."""
    time = np.asarray(time, dtype=float)
    status = np.asarray(status, dtype=float)
    churn_times, deaths = np.unique(time[status > 0], return_counts=True)
    at_risk = len(time) - np.searchsorted(np.sort(time), churn_times, side="left")
    survival = np.cumprod(1 - deaths / at_risk)
    exposure = float(time.sum())
    hazard = float(status.sum()) / exposure if exposure > 0 else 0.0
    return SurvivalCurve(churn_times, survival, float(time.max()) if len(time) else 0.0, hazard)


def discounted_months(curve: SurvivalCurve, horizon_months: float, discount_rate: float) -> float:
    """∫₀^H S(u) (1 + d)^(−u/12) du, exactly for the step function and the exponential tail."""
    delta = math.log1p(discount_rate) / 12

    def integral(a: float, b: float, rate: float) -> float:  # ∫_a^b e^(−rate·u) du
        if b <= a:
            return 0.0
        return b - a if rate == 0 else (math.exp(-rate * a) - math.exp(-rate * b)) / rate

    edges = np.concatenate([[0.0], curve.times[curve.times < min(curve.last, horizon_months)]])
    ends = np.append(edges[1:], min(curve.last, horizon_months))
    levels = curve.at(edges)
    total = float(sum(level * integral(a, b, delta) for level, a, b in zip(levels, edges, ends, strict=True)))
    if horizon_months > curve.last:
        end = float(curve.at(np.array([curve.last]))[0])
        # S(τ)·e^(−λ(u−τ))·e^(−δu) = S(τ)e^(λτ)·e^(−(λ+δ)u)
        total += end * math.exp(curve.tail_hazard * curve.last) * integral(
            curve.last, horizon_months, curve.tail_hazard + delta)
    return total


@dataclass(frozen=True)
class GroupValue:
    """Lifetime value of one group of customers."""

    grouping: str
    level: str
    n: int
    churned: int
    expected_months: float
    discounted_months: float
    per_customer: float | None
    total: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"grouping": self.grouping, "level": self.level, "n": self.n, "churned": self.churned,
                "expected_months": finite_or_none(self.expected_months),
                "discounted_months": finite_or_none(self.discounted_months),
                "per_customer": finite_or_none(self.per_customer), "total": finite_or_none(self.total)}


@dataclass(frozen=True)
class CustomerLifetimeValue:
    """`customer_lifetime_value` in results.json (docs/results.md)."""

    horizon_years: float
    discount_rate: float | None
    margin: float | None
    groups: tuple[GroupValue, ...]
    assumptions: tuple[str, ...]
    warnings: tuple[RoiWarning, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {"method": "Kaplan-Meier survival since the survey, constant-hazard tail, discounted",
                "horizon_years": self.horizon_years, "discount_rate": self.discount_rate, "margin": self.margin,
                "groups": [g.to_dict() for g in self.groups], "assumptions": list(self.assumptions),
                "warnings": [w.to_dict() for w in self.warnings]}


def customer_lifetime_value(data: AnalysisData, *, finance: FinanceConfig) -> CustomerLifetimeValue | None:
    """Lifetime value per group from the survival curve (module docstring); None without survival times."""
    frame = data.frame
    if "duration_months" not in frame.columns or "churned" not in frame.columns:
        return None
    usable = frame[frame["duration_months"].notna() & frame["churned"].notna()]
    if len(usable) < MIN_CUSTOMERS or usable["churned"].sum() == 0:
        return None
    horizon = finance.lifetime_years
    rate = finance.discount_rate
    monthly = (usable["revenue"].astype(float) * annual_factor(data) / 12 if "revenue" in usable.columns
               else pd.Series(np.nan, index=usable.index))
    scale = finance.margin if finance.margin is not None else 1.0
    notes: list[RoiWarning] = []
    groups: list[GroupValue] = []

    def measure(grouping: str, level: str, rows: pd.DataFrame) -> None:
        curve = survival_curve(rows["duration_months"].to_numpy(float), rows["churned"].to_numpy(float))
        expected = discounted_months(curve, 12 * horizon, 0.0)
        discounted = discounted_months(curve, 12 * horizon, rate or 0.0)
        revenue = monthly.loc[rows.index].dropna()
        per_customer = float(revenue.mean()) * scale * discounted if len(revenue) else None
        total = float(revenue.sum()) * scale * discounted if len(revenue) else None
        groups.append(GroupValue(grouping, level, len(rows), int(rows["churned"].sum()), expected, discounted,
                                 per_customer, total))
        if len(rows) < 100 and grouping != "all":
            notes.append(RoiWarning("small_sample", f"{grouping}={level}",
                                    f"Lifetime value for {grouping} = {level} rests on {len(rows)} customers; "
                                    "its survival curve is rough."))

    measure("all", "all", usable)
    for column in dict.fromkeys(["channel", *data.segments]):
        if column not in usable.columns:
            continue
        labels = usable[column].astype("string").fillna("(missing)")
        for level in sorted(set(labels)):
            rows = usable[(labels == level).to_numpy()]
            if len(rows) >= 2 and rows["churned"].sum() > 0:
                measure(column, str(level), rows)
    longest = float(usable["duration_months"].max())
    assumptions = [
        f"S(u), the share still a customer u months after the survey, is the Kaplan–Meier curve up to "
        f"{longest:.1f} months (the longest follow-up); after that a constant churn hazard (churners per "
        "customer-month observed) is assumed." if 12 * horizon > longest else
        "S(u), the share still a customer u months after the survey, is the Kaplan–Meier curve.",
        f"Lifetime = the next {horizon:g} years; revenue stays at its current level while the customer stays"
        + (f"; discounted at {rate:g} a year." if rate is not None else "; undiscounted (no discount rate given)."),
        f"Value = revenue × gross margin {finance.margin:g}." if finance.margin is not None else
        "No margin was given: the value is REVENUE, not profit.",
    ]
    return CustomerLifetimeValue(horizon, rate, finance.margin, tuple(groups), tuple(assumptions), tuple(notes))
