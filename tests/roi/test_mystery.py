"""Mystery shopping consistency (roi.mystery, issue 11) against planted truth and tables worked by hand."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from roi.mystery import MysteryInputError, agreement, consistency, kappa_of, reading, variation

SHOPS = [f"S{i:02d}" for i in range(20)]
EVALUATORS = ["E1", "E2", "E3", "E4"]


def planted(seed: int = 7) -> pd.DataFrame:
    """20 shops, each shopped once by each of 4 evaluators. A: each shop's own answer (good or as expected,
    never bad), reported alike by every evaluator — perfect agreement. B: an answer drawn at random per visit —
    agreement at chance. C: the first ten shops bad 90 % of the time, the other ten 5 % — shops differ strongly.
    D: bad 30 % of the time in every shop — no difference between shops."""
    rng = np.random.default_rng(seed)
    rows = []
    for s, shop in enumerate(SHOPS):
        for evaluator in EVALUATORS:
            rows.append({"visit": f"V{len(rows) + 1}", "shop": shop, "evaluator": evaluator,
                         "A": "good" if s % 2 else "as_expected",
                         "B": rng.choice(["good", "bad", "as_expected"]),
                         "C": "bad" if rng.random() < (0.9 if s < 10 else 0.05) else "as_expected",
                         "D": "bad" if rng.random() < 0.3 else "as_expected"})
    return pd.DataFrame(rows)


def test_kappa_of_a_tiny_table_worked_by_hand() -> None:
    # three shops, three evaluators each, answers (bad, good): [3,0], [0,3], [2,1]
    # per-shop agreement P_i = sum n(n-1) / (3*2): 1, 1, (2*1)/6 = 1/3 -> mean 7/9
    # answer shares 5/9 bad, 4/9 good -> chance 25/81 + 16/81 = 41/81
    # kappa = (7/9 - 41/81) / (1 - 41/81) = (22/81) / (40/81) = 0.55
    assert kappa_of(np.array([[3, 0], [0, 3], [2, 1]])) == pytest.approx(0.55)
    assert reading(0.55) == "moderate agreement"


def test_kappa_with_unequal_evaluators_per_shop_worked_by_hand() -> None:
    # [2,0], [0,3], [1,1]: P_i = 1, 1, 0 -> mean 2/3; shares 3/7, 4/7 -> chance 25/49
    # kappa = (2/3 - 25/49) / (24/49) = (23/147) * (49/24) = 23/72
    assert kappa_of(np.array([[2, 0], [0, 3], [1, 1]])) == pytest.approx(23 / 72)
    assert kappa_of(np.array([[2, 0], [3, 0]])) is None  # every answer the same: undefined


def test_planted_agreement_and_variation() -> None:
    report = consistency(planted(), ["A", "B", "C", "D"])
    rows = {row.touchpoint: row for row in report.touchpoints}
    assert (report.visits, report.shops, report.evaluators) == (80, 20, 4)

    assert rows["A"].agreement.kappa == pytest.approx(1.0)
    assert rows["A"].agreement.reading == "almost perfect agreement"
    assert (rows["A"].agreement.shops, rows["A"].agreement.visits) == (20, 80)
    assert rows["A"].agreement.warning is None
    assert abs(rows["B"].agreement.kappa) < 0.2

    assert report.touchpoints[0].touchpoint == "C"
    c, d = rows["C"].variation, rows["D"].variation
    assert c.p_value < 0.001 and c.cramers_v > 0.7
    assert set(c.highest) <= set(SHOPS[:10]) and set(c.lowest) <= set(SHOPS[10:])
    assert d.p_value > 0.05
    assert rows["A"].variation.p_value is None  # never bad anywhere: nothing to test
    json.dumps(report.as_dict())  # plain data


def test_fisher_for_two_small_shops_worked_by_hand() -> None:
    frame = pd.DataFrame({"visit": [f"V{i}" for i in range(8)], "shop": ["X"] * 4 + ["Y"] * 4,
                          "evaluator": ["E1", "E2", "E3", "E4"] * 2, "T": ["bad"] * 4 + ["good"] * 4})
    result = variation(frame, "T")
    # table [[4, 0], [0, 4]]: of C(8,4) = 70 ways, the two tables as extreme -> p = 2/70; V = 1 (perfect split)
    assert result.test == "Fisher's exact"
    assert result.p_value == pytest.approx(2 / 70, abs=1e-4)
    assert result.cramers_v == pytest.approx(1.0)
    assert (result.highest, result.lowest) == (["X"], ["Y"])


def test_chi_square_worked_by_hand() -> None:
    answers = ["bad"] * 10 + ["good"] * 10 + ["bad"] * 5 + ["good"] * 15
    frame = pd.DataFrame({"visit": [f"V{i}" for i in range(40)], "shop": ["X"] * 20 + ["Y"] * 20,
                          "evaluator": ["E1", "E2"] * 20, "T": answers})
    result = variation(frame, "T")
    # expected bad 7.5 per shop, good 12.5: chi2 = 2 * 2.5²/7.5 + 2 * 2.5²/12.5 = 8/3; V = sqrt((8/3)/40)
    assert result.test == "chi-square"
    assert result.statistic == pytest.approx(8 / 3, abs=1e-4)
    assert result.cramers_v == pytest.approx((8 / 3 / 40) ** 0.5, abs=1e-4)
    assert [(s.shop, s.visits, s.problems, s.share) for s in result.shops] == [("X", 20, 10, 0.5),
                                                                               ("Y", 20, 5, 0.25)]


def test_few_shops_warn() -> None:
    frame = planted()
    few = frame[frame["shop"].isin(SHOPS[:3]) & frame["evaluator"].isin(["E1", "E2"])]
    result = agreement(few, "A")
    assert (result.shops, result.visits) == (3, 6)
    assert result.warning is not None and "only 3 shop(s)" in result.warning and "at least 5" in result.warning


def test_an_evaluator_counts_once_per_shop() -> None:
    frame = pd.DataFrame({"visit": ["V1", "V2", "V3"], "shop": ["X", "X", "X"], "evaluator": ["E1", "E1", "E2"],
                          "T": ["bad", "good", "bad"]})
    result = agreement(frame, "T")
    assert (result.shops, result.visits) == (1, 2)  # E1's first visit and E2's


@pytest.mark.parametrize(("change", "column"), [
    (lambda f: f.drop(columns="shop"), "'shop'"),
    (lambda f: f.drop(columns="D"), "'D'"),
    (lambda f: f.assign(evaluator="E1"), "'evaluator' names one evaluator only ('E1')"),
    (lambda f: f.assign(visit="V1"), "'visit' repeats 'V1'"),
])
def test_bad_input_names_the_column(change: Callable[[pd.DataFrame], pd.DataFrame], column: str) -> None:
    with pytest.raises(ValueError) as raised:
        consistency(change(planted()), ["A", "D"])
    assert isinstance(raised.value, MysteryInputError)
    assert column in str(raised.value)
