"""estimate_drivers: relative weights against hand-derived truth, bootstrap coverage, direction, quadrants."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from roi.drivers import estimate_drivers, quadrant, relative_weights
from roi.types import AnalysisData, JoinReport, Metric


def _data(frame: pd.DataFrame, items: tuple[Metric, ...]) -> AnalysisData:
    n = len(frame)
    return AnalysisData(frame=frame, customers=frame[["customer_id"]].assign(responded=True), metrics=items,
                        items=items, controls=(), join=JoinReport(n, n, n))


def _r2(X: np.ndarray, y: np.ndarray) -> float:
    """R² of an OLS fit with intercept, by least squares (an independent path to the same number)."""
    design = np.column_stack([np.ones(len(y)), X])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    return float(1 - residual @ residual / np.sum((y - y.mean()) ** 2))


def test_orthogonal_items_get_their_squared_correlations() -> None:
    # A replicated 2x2 factorial: x1, x2 and x1*x2 are exactly orthogonal with variance 1.
    # revenue = 2*x1 + 1*x2 + 1*x1*x2 has variance 4 + 1 + 1 = 6, so corr(x1, y)^2 = 4/6 and corr(x2, y)^2 = 1/6;
    # with orthogonal items the relative weights are exactly these, and R^2 = 5/6.
    x1 = np.tile([-1.0, 1.0, -1.0, 1.0], 25) + 3
    x2 = np.tile([-1.0, -1.0, 1.0, 1.0], 25) + 3
    revenue = 2 * (x1 - 3) + (x2 - 3) + (x1 - 3) * (x2 - 3) + 100
    frame = pd.DataFrame({"customer_id": range(100), "revenue": revenue, "a": x1, "b": x2})
    items = (Metric("a", "a", scale=(1, 5)), Metric("b", "b", scale=(1, 5)))
    result = estimate_drivers(_data(frame, items), outcome="revenue", seed=0, replicates=20)
    weights = {d.item: d for d in result.drivers}
    assert weights["a"].weight == pytest.approx(4 / 6)
    assert weights["b"].weight == pytest.approx(1 / 6)
    assert result.r2 == pytest.approx(5 / 6)
    assert weights["a"].share == pytest.approx(80.0)  # (4/6) / (5/6)
    assert [d.item for d in result.drivers] == ["a", "b"]
    # both items sit at 3 on a 1..5 scale: performance (3-1)/(5-1) = 50
    assert weights["a"].performance == pytest.approx(50.0)


def test_correlated_weights_add_up_to_the_least_squares_r2() -> None:
    rng = np.random.default_rng(3)
    z = rng.normal(size=(500, 3))
    X = np.column_stack([z[:, 0], 0.7 * z[:, 0] + 0.3 * z[:, 1], z[:, 2] + 0.5 * z[:, 1]])
    y = X @ np.array([1.0, 0.5, -0.3]) + rng.normal(size=500)
    corr = np.corrcoef(np.column_stack([X, y]), rowvar=False)
    weights, r2 = relative_weights(corr)
    assert r2 == pytest.approx(_r2(X, y), rel=1e-9)
    assert weights.sum() == pytest.approx(_r2(X, y), rel=1e-9)
    assert np.all(weights > 0)


def test_relative_weights_are_close_to_the_exact_shapley_decomposition() -> None:
    # Exact Shapley (LMG) decomposition of R² by brute force over all orderings: an independent method that
    # relative weights approximate closely (Johnson, 2000; LeBreton et al., 2004).
    rng = np.random.default_rng(8)
    z = rng.normal(size=(800, 3))
    X = np.column_stack([z[:, 0], 0.6 * z[:, 0] + 0.8 * z[:, 1], z[:, 2]])
    y = X @ np.array([0.8, 0.4, 0.3]) + rng.normal(size=800)
    k = X.shape[1]
    shapley = np.zeros(k)
    orders = list(itertools.permutations(range(k)))
    for order in orders:
        for position, j in enumerate(order):
            before = list(order[:position])
            r2_before = _r2(X[:, before], y) if before else 0.0
            shapley[j] += _r2(X[:, before + [j]], y) - r2_before
    shapley /= len(orders)
    weights, _ = relative_weights(np.corrcoef(np.column_stack([X, y]), rowvar=False))
    assert weights == pytest.approx(shapley, abs=0.01)


def _planted_churn(n: int, seed: int) -> tuple[AnalysisData, dict[str, float]]:
    """Three independent standardised items; churn probability linear in them (a linear-probability truth)."""
    rng = np.random.default_rng(seed)
    easy, partner, friction = rng.normal(size=(3, n))
    # P(churn) = 0.4 - 0.12 easy - 0.06 partner + 0.09 friction (kept inside (0, 1) by clipping the items)
    easy, partner, friction = (np.clip(v, -2, 2) for v in (easy, partner, friction))
    p = 0.4 - 0.12 * easy - 0.06 * partner + 0.09 * friction
    churned = (rng.random(n) < p).astype(float)
    frame = pd.DataFrame({"customer_id": range(n), "churned": churned, "q.easy": easy, "q.partner": partner,
                          "q.friction": friction})
    items = (Metric("easy", "q.easy"), Metric("partner", "q.partner"),
             Metric("friction", "q.friction", polarity="lower_is_better", family="friction_item"))
    # Population truth: independent items, so weight_j = corr(item_j, churn)^2 = b_j^2 var(x_j) / var(churn),
    # var(churn) = E[p](1 - E[p]) = 0.4 * 0.6 (by the law of total variance for a Bernoulli).
    var_x = float(np.mean(np.clip(np.random.default_rng(99).normal(size=1_000_000), -2, 2) ** 2))
    truth = {name: b**2 * var_x / 0.24 for name, b in (("easy", 0.12), ("partner", 0.06), ("friction", 0.09))}
    return _data(frame, items), truth


def test_bootstrap_intervals_cover_the_planted_weights() -> None:
    covered = 0
    trials = 0
    for seed in range(6):
        data, truth = _planted_churn(3000, seed)
        result = estimate_drivers(data, outcome="churned", seed=seed, replicates=50)
        for driver in result.drivers:
            trials += 1
            low, high = driver.weight_ci
            covered += int(low is not None and high is not None and low <= truth[driver.item] <= high)
    assert covered >= trials - 3  # 18 intervals at 95%: about 1 miss expected


def test_direction_respects_polarity() -> None:
    data, _ = _planted_churn(3000, 1)
    result = estimate_drivers(data, outcome="churned", seed=0, replicates=10)
    by_item = {d.item: d for d in result.drivers}
    # higher "easy" lowers churn: helps; more friction raises churn, and friction is lower-is-better: helps too
    assert by_item["easy"].better_helps is True
    assert by_item["friction"].better_helps is True
    assert [d.item for d in result.drivers] == ["easy", "friction", "partner"]  # 0.12² > 0.09² > 0.06²
    assert not any(w.code == "wrong_sign" for w in result.warnings)
    json.dumps(result.to_dict(), allow_nan=False)


def test_a_driver_pointing_the_wrong_way_is_flagged() -> None:
    data, _ = _planted_churn(3000, 2)
    frame = data.frame.assign(**{"q.easy": -data.frame["q.easy"]})  # now a higher "easy" goes with more churn
    result = estimate_drivers(_data(frame, data.items), outcome="churned", seed=0, replicates=10)
    easy = next(d for d in result.drivers if d.item == "easy")
    assert easy.better_helps is False and easy.signed_weight is not None and easy.signed_weight < 0
    assert any(w.code == "wrong_sign" and w.subject == "easy" for w in result.warnings)


def test_quadrants_split_at_the_means() -> None:
    assert quadrant(30, 40, 25, 50) == "fix first"
    assert quadrant(30, 60, 25, 50) == "keep up"
    assert quadrant(10, 60, 25, 50) == "over-invested"
    assert quadrant(10, 40, 25, 50) == "low priority"


def test_quadrant_labels_from_the_data() -> None:
    # Item "a" drives revenue strongly but scores low (mean 2 on 1..5 -> 25); item "b" barely matters, scores high.
    rng = np.random.default_rng(5)
    a = rng.choice([1.0, 2.0, 3.0], size=600)
    b = rng.choice([4.0, 5.0], size=600)
    revenue = 100 + 20 * a + 1 * b + rng.normal(0, 5, 600)
    frame = pd.DataFrame({"customer_id": range(600), "revenue": revenue, "a": a, "b": b})
    items = (Metric("a", "a", scale=(1, 5)), Metric("b", "b", scale=(1, 5)))
    result = estimate_drivers(_data(frame, items), outcome="revenue", seed=1, replicates=10)
    labels = {d.item: d.quadrant for d in result.drivers}
    assert labels == {"a": "fix first", "b": "over-invested"}


@pytest.mark.parametrize("case", ["one_class", "constant_item", "five_rows"])
def test_degenerate_inputs_warn_instead_of_failing(case: str) -> None:
    rng = np.random.default_rng(0)
    n = 5 if case == "five_rows" else 200
    churned = np.zeros(n) if case == "one_class" else rng.integers(0, 2, n).astype(float)
    frame = pd.DataFrame({"customer_id": range(n), "churned": churned, "a": rng.normal(size=n),
                          "b": np.ones(n) if case == "constant_item" else rng.normal(size=n)})
    result = estimate_drivers(_data(frame, (Metric("a", "a"), Metric("b", "b"))), outcome="churned", seed=0,
                              replicates=20)
    assert any(w.code == "small_sample" for w in result.warnings)
    if case == "constant_item":
        assert result.excluded == ("b",) and [d.item for d in result.drivers] == ["a"]
    if case == "one_class":
        assert result.drivers == () and result.r2 is None
    json.dumps(result.to_dict(), allow_nan=False)


def test_cluster_resampling_keeps_accounts_whole() -> None:
    from roi.drivers import resample_counts

    clusters = np.array([0, 0, 0, 1, 2, 2])  # account sizes 3, 1, 2
    rng = np.random.default_rng(0)
    for _ in range(20):
        counts = resample_counts(rng, 6, clusters)
        # the rows of one account are drawn together, as often as the account
        assert counts[0] == counts[1] == counts[2] and counts[4] == counts[5]
        # three accounts are drawn (with replacement)
        assert counts[0] + counts[3] + counts[4] == 3
    plain = resample_counts(rng, 6, None)
    assert plain.sum() == 6 and plain.min() >= 0


def test_direction_agreement_separates_real_drivers_from_noise() -> None:
    data, _ = _planted_churn(3000, 4)
    noise = np.random.default_rng(40).normal(size=3000)  # unrelated to churn
    frame = data.frame.assign(**{"q.noise": noise})
    items = (*data.items, Metric("noise", "q.noise"))
    result = estimate_drivers(_data(frame, items), outcome="churned", seed=3, replicates=50)
    by_item = {d.item: d for d in result.drivers}
    assert by_item["easy"].direction_agreement == 1.0  # a 0.12 effect on 3,000 customers never flips
    assert by_item["noise"].share is not None and by_item["noise"].share < 2
    assert not any(w.code == "wrong_sign" for w in result.warnings)
    json.dumps(result.to_dict(), allow_nan=False)
