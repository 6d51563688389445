"""Every analysis in this part survives small, gappy and degenerate data: warnings and nulls, never an exception."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roi.comparison import compare_metrics
from roi.config import FinanceConfig, ScenarioConfig
from roi.drivers import estimate_drivers
from roi.money import estimate_scenario, revenue_at_risk
from roi.nonresponse import compare_nonresponse
from roi.segments import segment_summary
from roi.types import AnalysisData, JoinReport, Metric

A = Metric("a", "q_a", scale=(1, 5))
B = Metric("b", "q_b", scale=(0, 10), polarity="lower_is_better")


@st.composite
def small_tables(draw: st.DrawFn) -> AnalysisData:
    n = draw(st.integers(0, 25))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    churn_rate = draw(st.sampled_from([0.0, 0.5, 1.0]))

    def column(values: np.ndarray, kind: str) -> np.ndarray:
        if kind == "constant":
            return np.full(n, 3.0)
        if kind == "gappy":
            values = values.astype(float)
            values[rng.random(n) < 0.5] = np.nan
        return values.astype(float)

    kinds = st.sampled_from(["normal", "constant", "gappy"])
    frame = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(n)],
        "churned": (rng.random(n) < churn_rate).astype(float),
        "revenue": column(rng.uniform(10, 1000, n), draw(kinds)),
        "tenure_months": column(rng.uniform(0, 60, n), draw(kinds)),
        "channel": rng.choice(["phone", "email"], n),
        "q_a": column(rng.integers(1, 6, n), draw(kinds)),
        "q_b": column(rng.integers(0, 11, n), draw(kinds)),
    })
    customers = frame.drop(columns=["q_a", "q_b", "channel"]).assign(responded=rng.random(n) < 0.7)
    return AnalysisData(frame=frame, customers=customers, metrics=(A, B), items=(A, B),
                        controls=("tenure_months", "revenue"), join=JoinReport(n, n, n))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_tables())
def test_degenerate_tables_give_json_safe_results(data: AnalysisData) -> None:
    results = [
        compare_metrics(data, seed=0, folds=3),
        estimate_drivers(data, outcome="churned", seed=0, replicates=5),
        estimate_drivers(data, outcome="revenue", seed=0, replicates=5),
        revenue_at_risk(data, seed=0, replicates=5),
        estimate_scenario(data, scenario=ScenarioConfig(metric="a", delta=1, population="all"),
                          finance=FinanceConfig(program_cost=100.0, margin=0.5, discount_rate=0.1),
                          seed=0, replicates=5),
        segment_summary(data),
        compare_nonresponse(data),
    ]
    for result in results:
        json.dumps(result.to_dict(), allow_nan=False)
    scenario = results[4]
    # money only with evidence: a figure never appears next to "none"
    assert scenario.evidence == "supported" or scenario.retained_revenue.estimate is None
