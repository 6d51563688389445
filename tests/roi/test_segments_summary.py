"""segment_summary on a hand-made table: counts, Wilson intervals, bands, terciles, revenue at risk."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from roi.segments import revenue_tier, segment_summary, tenure_band
from roi.types import AnalysisData, JoinReport, Metric
from tests.roi.support import wilson


def _data() -> AnalysisData:
    # 9 customers: phone has 4 (churned 1, 1, 0, 0), email has 5 (churned 1, 0, 0, 0, 0)
    frame = pd.DataFrame({
        "customer_id": list("abcdefghi"),
        "channel": ["phone"] * 4 + ["email"] * 5,
        "churned": [1, 1, 0, 0, 1, 0, 0, 0, 0],
        "tenure_months": [0, 11.9, 12, 35.9, 36, 80, 5, 20, 40],
        "revenue": [10.0, 20, 30, 40, 50, 60, 70, 80, 90],
        "region": ["n", "n", "s", "s", "s", "n", "n", "s", "s"],
        "q_ces": [1.0, 2, 3, 4, 5, 6, 7, 7, 7],
    })
    ces = Metric("ces", "q_ces", scale=(1, 7))
    return AnalysisData(frame=frame, customers=frame.assign(responded=True), metrics=(ces,), items=(),
                        controls=(), segments=("region",), join=JoinReport(9, 9, 9))


def test_rows_by_channel_by_hand() -> None:
    result = segment_summary(_data())
    rows = {(r.grouping, r.level): r for r in result.rows}
    phone = rows[("channel", "phone")]
    assert (phone.n, phone.churned, phone.churn_rate) == (4, 2, 0.5)
    assert phone.churn_rate_ci == pytest.approx(wilson(2, 4), abs=1e-6)
    assert phone.revenue == 100 and phone.revenue_mean == 25
    assert phone.revenue_at_risk == 30  # the churners' revenue: 10 + 20
    assert phone.metric_means == {"ces": 2.5}
    email = rows[("channel", "email")]
    assert (email.n, email.churned, email.revenue_at_risk) == (5, 1, 50)
    assert email.churn_rate_ci == pytest.approx(wilson(1, 5), abs=1e-6)
    assert result.groupings == ("channel", "tenure_band", "revenue_tier", "region")
    assert {w.code for w in result.warnings} == {"small_sample"}
    json.dumps(result.to_dict(), allow_nan=False)


def test_tenure_bands_have_closed_lower_ends() -> None:
    bands = tenure_band(pd.Series([0, 11.9, 12, 35.9, 36, None]))
    assert bands.tolist()[:5] == ["0-12 months", "0-12 months", "12-36 months", "12-36 months", "36+ months"]
    assert pd.isna(bands.iloc[5])


def test_revenue_terciles_split_nine_customers_in_threes() -> None:
    tiers = revenue_tier(pd.Series([90.0, 10, 50, 20, 80, 30, 70, 40, 60]))
    assert tiers.tolist() == ["high", "low", "middle", "low", "high", "low", "high", "middle", "middle"]


def test_configured_segment_rows() -> None:
    rows = {(r.grouping, r.level): r for r in segment_summary(_data()).rows}
    north = rows[("region", "n")]
    # north: customers a, b, f, g -> churned 1, 1, 0, 0; revenue 10 + 20 + 60 + 70
    assert (north.n, north.churned, north.revenue) == (4, 2, 160)
    tenure = rows[("tenure_band", "36+ months")]
    assert tenure.n == 3 and tenure.churned == 1  # e (36), f (80), i (40)
