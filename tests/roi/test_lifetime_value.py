"""Survival-based customer lifetime value (issue 12) with planted truth: two regions churn at constant hazards
0.02 and 0.05 a month, observed for 12 months after the survey; over 5 years at 10% a year the expected
discounted months are ∫₀⁶⁰ e^(−λu) 1.1^(−u/12) du = (1 − e^(−60(λ+δ))) / (λ + δ), δ = ln(1.1)/12."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from roi.config import FinanceConfig
from roi.money.lifetime import customer_lifetime_value, discounted_months, survival_curve
from roi.types import AnalysisData, JoinReport, Metric

DELTA = math.log(1.1) / 12


def _truth(hazard: float) -> float:
    return (1 - math.exp(-60 * (hazard + DELTA))) / (hazard + DELTA)


def test_discounted_months_by_hand() -> None:
    # churns at months 1 and 2 among 4 customers followed to month 3: S = 1 on [0,1), 3/4 on [1,2), 1/2 on [2,3]
    curve = survival_curve(np.array([1.0, 2.0, 3.0, 3.0]), np.array([1.0, 1.0, 0.0, 0.0]))
    assert discounted_months(curve, 3, 0.0) == pytest.approx(1 + 0.75 + 0.5)
    # beyond month 3 the tail hazard is 2 churners / 9 customer-months: ∫₃⁵ ½ e^(−(2/9)(u−3)) du
    tail = 0.5 * (1 - math.exp(-2 * 2 / 9)) / (2 / 9)
    assert discounted_months(curve, 5, 0.0) == pytest.approx(2.25 + tail)


def test_lifetime_value_per_segment_recovers_the_planted_survival() -> None:
    rng = np.random.default_rng(0)
    n = 6000
    region = np.where(np.arange(n) % 2 == 0, "north", "south")
    hazard = np.where(region == "north", 0.02, 0.05)
    months = rng.exponential(1 / hazard)
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "churned": (months < 12).astype(float),
                          "duration_months": np.minimum(months, 12), "revenue": 1200.0, "region": region})
    data = AnalysisData(frame=frame, customers=frame, metrics=(Metric("x", "x"),), items=(), controls=(),
                        join=JoinReport(n, n, n), segments=("region",))
    value = customer_lifetime_value(data, finance=FinanceConfig(margin=0.5, discount_rate=0.1, lifetime_years=5))
    assert value is not None
    groups = {(g.grouping, g.level): g for g in value.groups}
    for level, rate in (("north", 0.02), ("south", 0.05)):
        group = groups[("region", level)]
        assert group.discounted_months == pytest.approx(_truth(rate), rel=0.05)
        # 100 a month × margin 0.5 × discounted months
        assert group.per_customer == pytest.approx(100 * 0.5 * group.discounted_months)
        assert group.total == pytest.approx(group.per_customer * 3000)
    assert groups[("region", "north")].per_customer > groups[("region", "south")].per_customer  # type: ignore[operator]
    assert any("constant churn hazard" in a for a in value.assumptions)


def test_no_survival_times_no_lifetime_value() -> None:
    frame = pd.DataFrame({"customer_id": ["a", "b"], "churned": [1.0, 0.0], "revenue": [1.0, 2.0]})
    data = AnalysisData(frame=frame, customers=frame, metrics=(), items=(), controls=(), join=JoinReport(2, 2, 2))
    assert customer_lifetime_value(data, finance=FinanceConfig()) is None
