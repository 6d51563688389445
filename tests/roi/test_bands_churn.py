"""Score bands of the headline metric: churn by band, Kaplan–Meier curves by third, the comment sample and the
drivers' quadrant splits, each against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roi.bands import churn_by_band, kaplan_meier, score_bands, score_thirds, survival_curves
from roi.drivers import estimate_drivers
from roi.sentiment import sample_comments
from roi.types import AnalysisData, JoinReport, Metric
from tests.roi.support import wilson


def _data(frame: pd.DataFrame, *metrics: Metric) -> AnalysisData:
    return AnalysisData(frame=frame, customers=frame.assign(responded=True), metrics=metrics, items=metrics,
                        controls=(), join=JoinReport(len(frame), len(frame), len(frame)))


def test_few_levels_give_one_row_per_level() -> None:
    # CES 1..7 with four levels used: 2 → (1 of 2 churned), 4 → (2 of 3), 5 → (0 of 1), 7 → (1 of 4);
    # a customer with no score and one with unknown churn are left out
    frame = pd.DataFrame({
        "q_ces": [2, 2, 4, 4, 4, 5, 7, 7, 7, 7, None, 7],
        "churned": [1, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1, None],
    })
    ces = Metric("ces", "q_ces", scale=(1, 7), label="Effort")
    bands = churn_by_band(_data(frame, ces), ces)
    assert bands is not None and bands["metric"] == "ces" and bands["label"] == "Effort"
    expected = [("2", 2, 1), ("4", 3, 2), ("5", 1, 0), ("7", 4, 1)]
    assert [(r["level"], r["n"], r["churned"]) for r in bands["rows"]] == expected
    for row, (_, n, k) in zip(bands["rows"], expected, strict=True):
        assert row["churn_rate"] == pytest.approx(k / n)
        assert row["churn_rate_ci"] == pytest.approx(list(wilson(k, n)), abs=1e-6)


def test_many_levels_on_a_0_100_scale_give_fixed_fifths() -> None:
    # 12 distinct BAS values; by hand: 0–20 {0, 5, 19.9}, 20–40 {20, 39}, 40–60 {40, 55}, 60–80 {60, 79},
    # 80–100 {80, 90, 100} (the last band includes 100)
    values = [0, 5, 19.9, 20, 39, 40, 55, 60, 79, 80, 90, 100]
    churned = [1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0]
    bas = Metric("bas", "bas", scale=(0, 100))
    bands = churn_by_band(_data(pd.DataFrame({"bas": values, "churned": churned}), bas), bas)
    assert bands is not None
    assert [(r["level"], r["n"], r["churned"]) for r in bands["rows"]] == [
        ("0 to under 20", 3, 2), ("20 to under 40", 2, 1), ("40 to under 60", 2, 1), ("60 to under 80", 2, 0),
        ("80 to 100", 3, 0)]
    assert bands["rows"][0]["churn_rate_ci"] == pytest.approx(list(wilson(2, 3)), abs=1e-6)


def test_many_levels_without_a_scale_give_quintiles() -> None:
    # 20 distinct values 1..20: quintile edges 1, 4.8, 8.6, 12.4, 16.2, 20 → four values in each band
    labels, order = score_bands(pd.Series(np.arange(1.0, 21.0)), Metric("x", "x"))
    assert order == ["1 to under 4.8", "4.8 to under 8.6", "8.6 to under 12.4", "12.4 to under 16.2", "16.2 to 20"]
    assert labels.value_counts().to_dict() == dict.fromkeys(order, 4)
    assert labels[4] == "4.8 to under 8.6"  # 5 is above 4.8


def test_kaplan_meier_by_hand() -> None:
    # times 1 2 2 3 4 5, events at 1, 2, 3, 5 (censored at 2 and 4):
    # S(1) = 5/6; S(2) = 5/6 · 4/5 = 2/3; S(3) = 2/3 · 2/3 = 4/9; at 5 one at risk, one event: 0
    times, shares = kaplan_meier(np.array([1, 2, 2, 3, 4, 5.0]), np.array([1, 1, 0, 1, 0, 1.0]))
    assert times == [0.0, 1.0, 2.0, 3.0, 5.0]
    assert shares == pytest.approx([1.0, 5 / 6, 2 / 3, 4 / 9, 0.0])


def test_survival_curves_by_third() -> None:
    # scores 1..9 → thirds {1,2,3}, {4,5,6}, {7,8,9}
    # low:    durations 1, 2, 3 all churned → S = 2/3, 1/3, 0 at 1, 2, 3
    # middle: durations 2, 4, 6; churned at 4 only → S(4) = 1 · (1 − 1/2) = 1/2
    # high:   durations 5, 6, 7, nobody churned → flat at 1 up to 7
    frame = pd.DataFrame({
        "score": [1, 2, 3, 4, 5, 6, 7, 8, 9],
        "duration_months": [1, 2, 3, 2, 4, 6, 5, 6, 7],
        "churned": [1, 1, 1, 0, 1, 0, 0, 0, 0],
    })
    metric = Metric("score", "score", scale=(1, 9))
    curves = survival_curves(_data(frame, metric), metric)
    assert [c["band"] for c in curves] == ["low (1–3)", "middle (4–6)", "high (7–9)"]
    assert [(c["n"], c["events"]) for c in curves] == [(3, 3), (3, 1), (3, 0)]
    assert curves[0]["times"] == [0.0, 1.0, 2.0, 3.0]
    assert curves[0]["survival"] == pytest.approx([1.0, 2 / 3, 1 / 3, 0.0])
    assert curves[1]["times"] == [0.0, 4.0] and curves[1]["survival"] == pytest.approx([1.0, 0.5])
    assert curves[2]["times"] == [0.0, 7.0] and curves[2]["survival"] == [1.0, 1.0]
    assert survival_curves(_data(frame.drop(columns="duration_months"), metric), metric) == []


def test_thirds_keep_equal_scores_together() -> None:
    # 0 0 0 0 5 5 9 9 9: terciles (linear interpolation) at position 8/3 → 0 and 16/3 → 5 + 1/3 · 4 = 6.33;
    # the minimum is also 0, so the first cut collapses: two groups, {0, 5} ≤ 6.33 and {9}
    labels = score_thirds(pd.Series([0, 0, 0, 0, 5, 5, 9, 9, 9]))
    assert labels.tolist() == ["low (0–5)"] * 6 + ["high (9)"] * 3
    # 1 1 2 2 3 3: terciles at 5/3 → 1.67 and 10/3 → 2.33: three groups of two
    assert score_thirds(pd.Series([3, 1, 2, 1, 3, 2])).tolist() == [
        "high (3)", "low (1)", "middle (2)", "low (1)", "high (3)", "middle (2)"]


def test_comment_sample_keeps_the_ends_distinct_and_as_written() -> None:
    # 12 distinct comments scored −0.6, −0.5, … 0.5 (one repeated, one blank): the 5 lowest and the 5 highest
    texts = [f"  c{i} <b>" for i in range(12)] + ["  c0 <b>", None]
    scores = [round(-0.6 + 0.1 * i, 1) for i in range(12)] + [-0.6, float("nan")]
    frame = pd.DataFrame({"q_comment": texts})
    sample = sample_comments(frame, np.array(scores).reshape(-1, 1))
    assert [s["text"] for s in sample] == [f"  c{i} <b>" for i in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)]
    assert [s["compound"] for s in sample] == pytest.approx([-0.6, -0.5, -0.4, -0.3, -0.2, 0.1, 0.2, 0.3, 0.4, 0.5])
    assert {s["question"] for s in sample} == {"q_comment"}
    assert len(sample_comments(frame.head(3), np.array(scores[:3]).reshape(-1, 1))) == 3


def test_driver_splits_are_the_item_means() -> None:
    # three items on 1..5 whose means are 2, 3 and 4 → performance 25, 50, 75, mean 50; the shares of
    # explained variance add up to 100 %, so their mean is 100 / 3 whatever the weights
    rng = np.random.default_rng(3)
    n = 600
    a, b = rng.integers(1, 4, n).astype(float), rng.integers(2, 5, n).astype(float)  # means 2 and 3
    c = rng.integers(3, 6, n).astype(float)  # mean 4
    churned = (rng.random(n) < 0.5 - 0.05 * (a + b - c)).astype(float)
    frame = pd.DataFrame({"a": a, "b": b, "c": c, "churned": churned})
    items = tuple(Metric(name, name, scale=(1, 5)) for name in "abc")
    analysis = estimate_drivers(_data(frame, *items), outcome="churned", seed=1, replicates=0).to_dict()
    means = [frame[x].mean() for x in "abc"]
    assert analysis["splits"]["share"] == pytest.approx(100 / 3)
    assert analysis["splits"]["performance"] == pytest.approx(np.mean([(m - 1) / 4 * 100 for m in means]))
