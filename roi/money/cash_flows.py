"""The scenario's money over time: one stream of yearly cash flows behind the lifetime value, the NPV, the ROI,
the payback and the IRR, so the figures printed side by side agree with each other.

With A the retained margin a year (Σ ΔP·R × margin; margin 1 when none is given, i.e. revenue), H the horizon
in years and f_t the share of year t inside it, the benefit of year t, counted at its end, is

    CF_t = A · f_t · P_t,   t = 1..⌈H⌉,   and   PV = Σ_t CF_t / (1 + d)^t

where P_t, how much of it a retained customer still brings in year t (they may leave later), comes from the
survival curve since the survey when there is one (S̄_t / S̄_1, S̄_t the curve's mean over year t:
`persistence_from_curve`), else from a constant retention s = 1 − the churn rate in scope (P_t = s^(t−1)).

at the discount rate d (0 when `finance.discount_rate` is not given). Then lifetime value = PV (with a margin
and a discount rate), NPV = PV − cost, ROI = NPV / cost, IRR = the rate r with Σ_t CF_t / (1 + r)^t = cost
(unique when Σ CF_t > 0: one change of sign), and the payback is the first month at which the discounted
benefit, spread evenly over each year's months, reaches the cost — null, "not within the horizon", when it
never does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..fitting import percentile_interval

IRR_BOUNDS = (-0.9999, 1e6)


def yearly_shares(horizon_years: float, retention: float, persistence: np.ndarray | None = None) -> np.ndarray:
    """f_t · s^(t−1) for t = 1..⌈H⌉: how much of a year's retained benefit each year of the horizon carries;
    with `persistence` (one factor per year, from the survival curve: `persistence_from_curve`) in place of
    the constant s^(t−1)."""
    years = math.ceil(horizon_years)
    shares = np.array([min(1.0, horizon_years - (t - 1)) for t in range(1, years + 1)])
    return shares * (persistence[:years] if persistence is not None else retention ** np.arange(years))


def persistence_from_curve(survival: Callable[[np.ndarray], np.ndarray], horizon_years: float) -> np.ndarray:
    """S̄_t / S̄_1 for t = 1..⌈H⌉, S̄_t the mean of the survival curve over year t since the survey: how much of
    year 1's benefit a retained customer still brings in year t (s^(t−1) when the hazard is constant)."""
    years = math.ceil(horizon_years)
    months = np.arange(12 * years) + 0.5
    means = survival(months).reshape(years, 12).mean(axis=1)
    return means / means[0] if means[0] > 0 else np.ones(years)


def discounted_years(horizon_years: float, retention: float, discount_rate: float,
                     persistence: np.ndarray | None = None) -> float:
    """Σ_t f_t · s^(t−1) / (1+d)^t: the present value of one unit of retained benefit a year."""
    shares = yearly_shares(horizon_years, retention, persistence)
    return float(shares @ (1 + discount_rate) ** -np.arange(1, len(shares) + 1))


def cumulative_months(horizon_years: float, retention: float, discount_rate: float,
                      persistence: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(month, discounted benefit so far per unit of A) at every month end of the horizon, from (0, 0): each
    year's discounted benefit is spread evenly over its months (a part year over its own months)."""
    shares = yearly_shares(horizon_years, retention, persistence)
    months, values = [0.0], [0.0]
    for t, share in enumerate(shares, start=1):
        length = 12 * min(1.0, horizon_years - (t - 1))
        value = share / (1 + discount_rate) ** t
        steps = max(1, math.ceil(length))
        for k in range(1, steps + 1):
            months.append(12 * (t - 1) + length * k / steps)
            values.append(values[-1] + value / steps)
    return np.array(months), np.array(values)


def payback_months(annual: np.ndarray, cost: float, months: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Months until A · cumulative discounted benefit reaches `cost`, per A in `annual`; inf when it never does
    within the horizon (or A ≤ 0)."""
    annual = np.asarray(annual, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        needed = np.where(annual > 0, cost / annual, np.inf)
    out = np.interp(needed, values, months)
    return np.where(needed <= values[-1], out, np.inf)


def internal_rate(annual: np.ndarray, cost: float, shares: np.ndarray) -> np.ndarray:
    """The yearly rate r with Σ_t A·shares_t / (1 + r)^t = cost, per A (NaN where none exists in the bounds)."""
    annual = np.asarray(annual, dtype=float)
    times = np.arange(1, len(shares) + 1)

    def excess(rate: np.ndarray) -> np.ndarray:
        return np.asarray(annual * ((1 + rate)[:, None] ** -times @ shares) - cost)

    low = np.full(len(annual), IRR_BOUNDS[0])
    high = np.full(len(annual), IRR_BOUNDS[1])
    exists = (excess(low) > 0) & (excess(high) < 0)
    for _ in range(200):  # bisection: the present value falls as the rate rises
        middle = (low + high) / 2
        above = excess(middle) > 0
        low = np.where(above, middle, low)
        high = np.where(above, high, middle)
    return np.where(exists, (low + high) / 2, np.nan)


@dataclass(frozen=True)
class CashFlows:
    """Point values and draws of the present value of the benefit, NPV, ROI, payback (months) and IRR."""

    present_value: float
    present_value_draws: np.ndarray
    npv: float | None
    npv_ci: tuple[float | None, float | None]
    roi: float | None
    roi_ci: tuple[float | None, float | None]
    payback: float
    payback_ci: tuple[float | None, float | None]
    irr: float | None
    irr_ci: tuple[float | None, float | None]


def evaluate(annual: float, annual_draws: np.ndarray, *, cost: float | None, horizon_years: float,
             retention: float, discount_rate: float, persistence: np.ndarray | None = None) -> CashFlows:
    """Every figure of the module docstring, for the point A and its draws (intervals: 2.5th–97.5th
    percentiles; a payback interval only when at least 97.5% of the draws pay back within the horizon)."""
    factor = discounted_years(horizon_years, retention, discount_rate, persistence)
    present, present_draws = annual * factor, annual_draws * factor
    if cost is None or cost == 0:
        inf = float("inf")
        return CashFlows(present, present_draws, None, (None, None), None, (None, None), inf, (None, None), None,
                         (None, None))
    months, values = cumulative_months(horizon_years, retention, discount_rate, persistence)
    shares = yearly_shares(horizon_years, retention, persistence)
    paybacks = payback_months(annual_draws, cost, months, values)
    paid = paybacks.size > 0 and bool(np.isfinite(paybacks).mean() >= 0.975)
    irr = internal_rate(np.array([annual]), cost, shares)[0]
    irr_draws = internal_rate(annual_draws, cost, shares) if annual_draws.size else np.array([])
    return CashFlows(
        present, present_draws, present - cost, percentile_interval(present_draws - cost),
        (present - cost) / cost, percentile_interval((present_draws - cost) / cost),
        float(payback_months(np.array([annual]), cost, months, values)[0]),
        percentile_interval(paybacks) if paid else (None, None),
        float(irr) if np.isfinite(irr) else None, percentile_interval(irr_draws),
    )
