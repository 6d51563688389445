"""The scenario's cash flows (issue 12, defect 3): payback beyond the horizon is "not within the horizon";
ROI, NPV, payback and IRR come from the same discounted, retention-adjusted flows as the lifetime value.
Expected values are worked by hand from the formulas in roi/money/cash_flows.py's docstring."""

from __future__ import annotations

import math

import numpy as np
import pytest

from roi.config import FinanceConfig, ScenarioConfig
from roi.money import estimate_scenario
from roi.money.cash_flows import evaluate, persistence_from_curve
from tests.roi.test_money_scenario import _customers


def test_two_years_by_hand() -> None:
    # A = 100 a year, s = 0.8, d = 10%, cost 150: year 1 brings 100/1.1 = 90.909, year 2 80/1.21 = 66.116
    flows = evaluate(100.0, np.array([]), cost=150.0, horizon_years=2, retention=0.8, discount_rate=0.1)
    assert flows.present_value == pytest.approx(100 / 1.1 + 80 / 1.21)
    assert flows.npv == pytest.approx(100 / 1.1 + 80 / 1.21 - 150)
    assert flows.roi == pytest.approx((100 / 1.1 + 80 / 1.21 - 150) / 150)
    # payback: 12 months, then (150 − 90.909) / (66.116 / 12) more months
    assert flows.payback == pytest.approx(12 + (150 - 100 / 1.1) / (80 / 1.21) * 12)
    # IRR: 100x + 80x² = 150 with x = 1/(1+r): x = (−100 + √(100² + 4·80·150)) / 160
    x = (-100 + math.sqrt(100**2 + 4 * 80 * 150)) / 160
    assert flows.irr == pytest.approx(1 / x - 1, abs=1e-9)


def test_payback_beyond_the_horizon_is_not_reported_as_reached() -> None:
    # one year of 100 (discounted 90.9) against a cost of 500: it would take 60 months at that pace
    flows = evaluate(100.0, np.array([]), cost=500.0, horizon_years=1, retention=1.0, discount_rate=0.1)
    assert math.isinf(flows.payback)
    assert flows.irr is not None and flows.irr < 0  # still an IRR: −100% < r, the flows repay a part


def test_scenario_says_not_within_the_horizon() -> None:
    data = _customers(2500, 42)
    small = estimate_scenario(data, scenario=ScenarioConfig(metric="ces", delta=1),
                              finance=FinanceConfig(program_cost=1.0, margin=0.3, discount_rate=0.1), seed=1,
                              replicates=20)
    benefit = small.lifetime_value.estimate
    assert benefit is not None and benefit > 0
    huge = estimate_scenario(data, scenario=ScenarioConfig(metric="ces", delta=1),
                             finance=FinanceConfig(program_cost=benefit * 3, margin=0.3, discount_rate=0.1,
                                                   horizon_years=1), seed=1, replicates=20)
    assert huge.payback_months.estimate is None
    assert huge.payback_months.reason is not None and "not within the horizon (1 year)" in huge.payback_months.reason
    assert "33%" in huge.payback_months.reason  # the benefit covers a third of the cost
    assert huge.roi.estimate == pytest.approx(-2 / 3)
    assert huge.npv.estimate == pytest.approx(-2 * benefit)
    # and with a cost the benefit covers, the payback is a month count within the horizon
    assert small.payback_months.estimate is not None and 0 < small.payback_months.estimate <= 12


def test_persistence_from_a_constant_hazard_curve_is_the_yearly_survival_power() -> None:
    # S(u) = e^(−λu): the mean over year t is e^(−12λ(t−1)) times year 1's, so P_t = s^(t−1), s = e^(−12λ)
    hazard = 0.03
    persistence = persistence_from_curve(lambda u: np.exp(-hazard * u), 3)
    s = math.exp(-12 * hazard)
    assert persistence == pytest.approx([1, s, s**2], rel=1e-12)
    flows = evaluate(100.0, np.array([]), cost=None, horizon_years=3, retention=0.5, discount_rate=0.0,
                     persistence=persistence)
    assert flows.present_value == pytest.approx(100 * (1 + s + s**2))  # the curve, not the 0.5 retention
