"""The refit bootstrap of the scenario (issue 12): coverage of the planted retained revenue, and the metric
choice redone in each resample when the analysis picked the metric."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from roi.config import FinanceConfig, ScenarioConfig
from roi.money import estimate_scenario
from roi.types import AnalysisData, JoinReport, Metric
from tests.roi.test_money_scenario import CES, _customers, _true_retained


def test_refit_intervals_cover_the_planted_retained_revenue() -> None:
    covered = 0
    for seed in range(10):
        data = _customers(2500, seed)
        result = estimate_scenario(data, scenario=ScenarioConfig(metric="ces", delta=1, segment={"region": "north"},
                                                                 uncertainty="refit"),
                                   finance=FinanceConfig(horizon_years=2), seed=seed, replicates=60)
        low, high = result.retained_revenue.ci
        covered += int(low is not None and high is not None
                       and low <= _true_retained(data, 1, "north", 2) <= high)
        assert result.uncertainty["method"] == "refit" and result.uncertainty["selection"] is None
    assert covered >= 8  # 95% intervals: P(fewer than 8 of 10) ≈ 1%


def _twins(n: int = 3000, seed: int = 5) -> AnalysisData:
    """Two metrics that predict churn about equally (both noisy readings of one latent score)."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    a = np.clip(np.rint(4 + 1.5 * latent + rng.normal(0, 1, n)), 1, 7)
    b = np.clip(np.rint(4 + 1.5 * latent + rng.normal(0, 1, n)), 1, 7)
    churned = (rng.random(n) < 1 / (1 + np.exp(-(-1.0 - 0.8 * latent)))).astype(float)
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "churned": churned, "revenue": 1000.0,
                          "a": a, "b": b})
    metrics = (Metric("a", "a", scale=(1, 7), family="ces"), Metric("b", "b", scale=(1, 7), family="csat"))
    return AnalysisData(frame=frame, customers=frame, metrics=metrics, items=(), controls=(),
                        join=JoinReport(n, n, n))


def test_a_metric_picked_by_the_analysis_is_picked_again_in_each_resample() -> None:
    data = _twins()
    picked = estimate_scenario(data, scenario=ScenarioConfig(metric="a", uncertainty="refit"), finance=FinanceConfig(),
                               seed=1, replicates=80, selected_from=data.metrics)
    selection = picked.uncertainty["selection"]
    assert set(selection) == {"a", "b"} and abs(sum(selection.values()) - 1) < 1e-12
    assert 0.1 < selection["a"] < 0.9  # twins: neither wins every resample
    fixed = estimate_scenario(data, scenario=ScenarioConfig(metric="a", uncertainty="refit"), finance=FinanceConfig(),
                              seed=1, replicates=80)
    assert fixed.uncertainty["selection"] is None
    json.dumps(picked.to_dict(), allow_nan=False)


def test_parametric_intervals_say_they_ignore_the_choice() -> None:
    data = _customers(1500, 3)
    result = estimate_scenario(data, scenario=ScenarioConfig(metric="ces", delta=1), finance=FinanceConfig(),
                               seed=0, replicates=20, selected_from=(CES,))
    assert result.uncertainty["method"] == "parametric"
    assert any("which these intervals do not allow for" in a for a in result.assumptions)
