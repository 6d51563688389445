"""compare_metrics: AUC by hand, DeLong by hand, the planted best metric first, degenerate data warns."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from roi.comparison import compare_metrics, delong_auc_ci, rank_auc, stratified_folds
from roi.types import AnalysisData, JoinReport, Metric


def _data(frame: pd.DataFrame, metrics: tuple[Metric, ...], controls: tuple[str, ...] = ()) -> AnalysisData:
    customers = frame[["customer_id", "churned"]].assign(responded=True)
    n = len(frame)
    return AnalysisData(frame=frame, customers=customers, metrics=metrics, items=metrics, controls=controls,
                        join=JoinReport(n, n, n))


def _planted(n: int, seed: int) -> AnalysisData:
    """Churn depends strongly on CES, weakly on NPS, not at all on the noise question."""
    rng = np.random.default_rng(seed)
    ces = rng.integers(1, 8, n).astype(float)
    nps = rng.integers(0, 11, n).astype(float)
    noise = rng.integers(1, 6, n).astype(float)
    tenure = rng.uniform(0, 60, n)
    churn_logit = 0.2 - 0.8 * (ces - 4) - 0.1 * (nps - 5) - 0.01 * (tenure - 30)
    churned = (rng.random(n) < 1 / (1 + np.exp(-churn_logit))).astype(int)
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "churned": churned, "tenure_months": tenure,
                          "q_ces": ces, "q_nps": nps, "q_noise": noise})
    metrics = (Metric("nps", "q_nps", scale=(0, 10), family="nps"), Metric("noise", "q_noise", scale=(1, 5)),
               Metric("ces", "q_ces", scale=(1, 7), family="ces"))
    return _data(frame, metrics, controls=("tenure_months",))


def test_auc_of_six_cases_counted_by_hand() -> None:
    # churners score 0.9, 0.8, 0.4; stayers 0.6, 0.3, 0.1. Pairs (churner beats stayer):
    # 0.9 beats 3, 0.8 beats 3, 0.4 beats 0.3 and 0.1 -> 8 of 9 pairs.
    y = np.array([1, 1, 1, 0, 0, 0])
    score = np.array([0.9, 0.8, 0.4, 0.6, 0.3, 0.1])
    assert rank_auc(y, score) == pytest.approx(8 / 9)
    # DeLong: per-churner shares (1, 1, 2/3), per-stayer shares of churners above (2/3, 1, 1);
    # each has sample variance 1/27, so var(AUC) = (1/27)/3 + (1/27)/3 = 2/81, se = sqrt(2)/9.
    auc, low, high = delong_auc_ci(y, score)
    se = np.sqrt(2) / 9
    assert auc == pytest.approx(8 / 9)
    assert low == pytest.approx(8 / 9 - 1.959964 * se, abs=1e-5)
    assert high == 1.0  # 8/9 + 0.308 clipped


def test_ties_count_one_half() -> None:
    # one churner at 0.5, stayers at 0.5 and 0.2: a tie (1/2) plus a win (1) over 2 pairs = 0.75
    assert rank_auc(np.array([1, 0, 0]), np.array([0.5, 0.5, 0.2])) == pytest.approx(0.75)


def test_folds_are_deterministic_and_stratified() -> None:
    y = np.array([1] * 20 + [0] * 80)
    folds = stratified_folds(y, folds=5, seed=3)
    assert np.array_equal(folds, stratified_folds(y, folds=5, seed=3))
    for f in range(5):
        assert y[folds == f].sum() == 4 and (folds == f).sum() == 20


def test_planted_best_metric_is_ranked_first_and_noise_is_near_half() -> None:
    result = compare_metrics(_planted(2000, seed=11), seed=1)
    assert [s.metric for s in result.scores] == ["ces", "nps", "noise"]
    best = result.scores[0]
    assert best.rank == 1 and best.auc is not None and best.auc > 0.75
    noise = result.scores[2]
    assert noise.auc_ci[0] is not None and noise.auc_ci[0] < 0.5 < (noise.auc_ci[1] or 0)
    assert best.n == 2000 and best.n_with_controls == 2000
    json.dumps(result.to_dict(), allow_nan=False)


def test_rows_missing_a_metric_are_dropped_for_that_metric_only() -> None:
    data = _planted(1000, seed=5)
    frame = data.frame.copy()
    frame.loc[frame.index[:250], "q_nps"] = np.nan
    result = compare_metrics(_data(frame, data.metrics, data.controls), seed=2)
    by_name = {s.metric: s for s in result.scores}
    assert by_name["nps"].n == 750
    assert by_name["ces"].n == 1000


def test_a_metric_that_separates_churn_is_flagged_not_ranked() -> None:
    rng = np.random.default_rng(4)
    churned = rng.integers(0, 2, 300)
    frame = pd.DataFrame({"customer_id": range(300), "churned": churned,
                          "leak": churned * 10.0 + rng.uniform(0, 1, 300), "q": rng.normal(size=300)})
    result = compare_metrics(_data(frame, (Metric("leak", "leak"), Metric("q", "q"))), seed=0)
    assert any(w.code == "separation" and w.subject == "leak" for w in result.warnings)
    leak = next(s for s in result.scores if s.metric == "leak")
    assert leak.rank is None and leak.auc is None and leak.separation
    assert result.best is not None and result.best.metric == "q"
    json.dumps(result.to_dict(), allow_nan=False)


@pytest.mark.parametrize("case", ["one_class", "constant_metric", "five_rows"])
def test_degenerate_inputs_warn_instead_of_failing(case: str) -> None:
    rng = np.random.default_rng(0)
    n = 5 if case == "five_rows" else 200
    churned = np.zeros(n, dtype=int) if case == "one_class" else np.array([0, 1] * (n // 2) + [0] * (n % 2))
    metric = np.full(n, 3.0) if case == "constant_metric" else rng.normal(size=n)
    frame = pd.DataFrame({"customer_id": range(n), "churned": churned, "m": metric})
    result = compare_metrics(_data(frame, (Metric("m", "m"),)), seed=0)
    assert result.scores[0].auc is None and result.scores[0].rank is None
    assert any(w.code == "small_sample" for w in result.warnings)
    json.dumps(result.to_dict(), allow_nan=False)


def test_a_control_that_duplicates_the_metric_is_reported_not_raised() -> None:
    # tenure is exactly twice the metric: metric + controls is a singular design (statsmodels: LinAlgError)
    data = _planted(600, seed=2)
    frame = data.frame.assign(tenure_months=data.frame["q_ces"] * 2)
    result = compare_metrics(_data(frame, (data.metrics[2],), controls=("tenure_months",)), seed=0)
    ces = result.scores[0]
    assert ces.auc is not None and ces.auc_with_controls is None
    assert any(w.code == "non_convergence" and w.subject == "ces + controls" for w in result.warnings)


def test_a_yes_no_question_is_not_mistaken_for_separation() -> None:
    # A 0/1 friction item: two groups, two parameters, so the fit reproduces each group's churn rate exactly.
    # That is an ordinary fit (20% vs 30% churn), not separation.
    rng = np.random.default_rng(9)
    hesitated = rng.integers(0, 2, 2000).astype(float)
    churned = (rng.random(2000) < np.where(hesitated > 0, 0.3, 0.2)).astype(int)
    frame = pd.DataFrame({"customer_id": range(2000), "churned": churned, "q_friction.billing": hesitated})
    item = Metric("q_friction.billing", "q_friction.billing", polarity="lower_is_better", family="friction_item")
    result = compare_metrics(_data(frame, (item,)), seed=0)
    assert result.warnings == ()
    assert result.scores[0].rank == 1 and not result.scores[0].separation
