"""Issue 11, closing the loop: retention of customers whose churn-risk case was closed against comparable
customers (same risk band) whose case was not — planted truth, a table worked by hand, and the warnings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from roi.case_loop import band_of, compare_closed_cases
from roi.config import build_config
from roi.data import build_analysis_data
from roi.inputs.outcomes import OutcomeDataError


def analysis_data(outcomes: pd.DataFrame):  # type: ignore[no-untyped-def]
    responses = pd.DataFrame({"customer_id": outcomes["customer_id"], "ces": "4"})
    responses.loc[::2, "ces"] = "5"
    return build_analysis_data(responses, outcomes, config=build_config({"controls": []}))


def planted(seed: int, n: int = 1600, effect: float = 0.10) -> pd.DataFrame:
    """Every customer has a case with risk r ~ U(0.3, 0.9); the easier (lower-risk) cases are closed more often,
    P(closed) = 0.85 − 0.7·(r − 0.3); churn P = r − effect·closed. So within a risk band closing goes with
    `effect` more retention, while the raw comparison adds the closed customers' lower risk:
    E[r | not closed] − E[r | closed] = 0.0774/0.216 − 0.1026/0.384 = 0.0911 (u = r − 0.3 on [0, 0.6]:
    ∫(0.85 − 0.7u)du = 0.384, ∫u(0.85 − 0.7u)du = 0.1026), so the unadjusted difference expects 0.191."""
    rng = np.random.default_rng(seed)
    risk = rng.uniform(0.3, 0.9, n)
    closed = rng.random(n) < 0.85 - 0.7 * (risk - 0.3)
    churned = rng.random(n) < risk - effect * closed
    status = np.where(closed, rng.choice(["resolved", "won_back", "lost"], n), rng.choice(["open", "contacted"], n))
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "churned": churned.astype(int).astype(str),
                         "case_status": status, "case_risk": [f"{r:.4f}" for r in risk]})


def test_planted_effect_is_recovered_and_the_raw_comparison_is_not() -> None:
    covered, adjusted, raw = 0, [], []
    for seed in range(10):
        loop = compare_closed_cases(analysis_data(planted(seed)))
        assert loop is not None
        low, high = loop.adjusted.ci
        assert low is not None and high is not None
        covered += low <= 0.10 <= high
        adjusted.append(loop.adjusted.estimate)
        raw.append(loop.unadjusted.estimate)
        assert not [w for w in loop.warnings if w.code == "not_comparable"]
    assert covered >= 9
    assert np.mean(adjusted) == pytest.approx(0.10, abs=0.02)
    assert np.mean(raw) == pytest.approx(0.191, abs=0.03)


def test_a_table_worked_by_hand() -> None:
    # band 30–40%: closed 4 (3 stayed), not closed 2 (1 stayed); band 50–60%: closed 2 (1), not closed 4 (1);
    # one closed customer at 85% has nobody to compare with (unmatched)
    rows = ([("closed", 0.35, 0)] * 3 + [("closed", 0.35, 1)] + [("open", 0.35, 0), ("open", 0.35, 1)]
            + [("closed", 0.55, 0), ("closed", 0.55, 1)] + [("open", 0.55, 0)] + [("open", 0.55, 1)] * 3
            + [("closed", 0.85, 0)] + [(None, None, 1)] * 2)  # two customers without a case: not compared
    outcomes = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(len(rows))], "churned": [str(c) for _, _, c in rows],
        "case_closed": [None if s is None else "1" if s == "closed" else "0" for s, _, _ in rows],
        "case_risk": [None if r is None else str(r) for _, r, _ in rows]})  # blanks read as None
    loop = compare_closed_cases(analysis_data(outcomes))
    assert loop is not None
    assert loop.closed == (7, 5) and loop.not_closed == (6, 2) and loop.unmatched == 1
    # weights 4/6 and 2/6: 4/6·(3/4 − 1/2) + 2/6·(1/2 − 1/4) = 0.25
    assert loop.adjusted.estimate == pytest.approx(0.25)
    # Agresti–Caffo: band 1 p̃ = 4/6 (n+2 = 6) and 2/4 (n+2 = 4); band 2 p̃ = 2/4 and 2/6
    var = (4 / 6) ** 2 * ((4 / 6) * (2 / 6) / 6 + 0.25 / 4) + (2 / 6) ** 2 * (0.25 / 4 + (2 / 6) * (4 / 6) / 6)
    assert loop.adjusted.se == pytest.approx(math.sqrt(var))
    assert loop.adjusted.ci == (pytest.approx(0.25 - 1.959964 * math.sqrt(var), abs=1e-6),
                                pytest.approx(0.25 + 1.959964 * math.sqrt(var), abs=1e-6))
    # unadjusted: 5/7 − 2/6, p̃ = 6/9 and 3/8
    assert loop.unadjusted.estimate == pytest.approx(5 / 7 - 2 / 6)
    assert loop.unadjusted.se == pytest.approx(math.sqrt((6 / 9) * (3 / 9) / 9 + (3 / 8) * (5 / 8) / 8))
    written = loop.to_dict()
    assert [(b["band"], b["closed_n"], b["not_closed_n"], b["compared"]) for b in written["bands"]] == [
        ("30–40%", 4, 2, True), ("50–60%", 2, 4, True), ("80–90%", 1, 0, False)]
    assert written["risk_balance_smd"] == pytest.approx(0.0)  # same risk in each compared band
    assert written["comparable"] is True and "not the effect of closing a case" in written["note"]
    assert [w.code for w in loop.warnings] == ["small_sample"]  # 7 and 6 customers, bands of 2


def test_groups_without_overlap_in_risk_are_not_compared() -> None:
    rng = np.random.default_rng(3)
    n = 200
    closed = np.arange(n) < 100
    risk = np.where(closed, rng.uniform(0.3, 0.5, n), rng.uniform(0.7, 0.9, n))
    outcomes = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)],
                             "churned": (rng.random(n) < risk).astype(int).astype(str),
                             "case_closed": closed.astype(int).astype(str), "case_risk": risk.round(3).astype(str)})
    loop = compare_closed_cases(analysis_data(outcomes))
    assert loop is not None and loop.unmatched == 100 and loop.adjusted.estimate is None
    assert loop.to_dict()["comparable"] is False
    assert any(w.code == "not_comparable" and "100 of 100" in w.message for w in loop.warnings)


def test_without_the_case_risk_the_comparison_says_it_is_not_like_with_like() -> None:
    outcomes = planted(1).drop(columns=["case_risk"])
    loop = compare_closed_cases(analysis_data(outcomes))
    assert loop is not None and not loop.risk_known
    assert loop.adjusted.estimate == pytest.approx(loop.unadjusted.estimate)  # one band: risk unknown
    assert any(w.code == "not_comparable" and "no case_risk" in w.message for w in loop.warnings)


def test_without_cases_there_is_no_comparison() -> None:
    outcomes = planted(1).drop(columns=["case_status", "case_risk"])
    assert compare_closed_cases(analysis_data(outcomes)) is None


def test_bad_case_columns_are_refused_naming_row_and_column() -> None:
    outcomes = planted(2, n=10)
    outcomes.loc[3, "case_status"] = "closed-ish"
    with pytest.raises(OutcomeDataError, match=r"row 5, column 'case_status'.*one of open, contacted"):
        analysis_data(outcomes)
    outcomes = planted(2, n=10)
    outcomes.loc[0, "case_risk"] = "38"
    with pytest.raises(OutcomeDataError, match=r"row 2, column 'case_risk'.*not a percentage"):
        analysis_data(outcomes)
    with pytest.raises(OutcomeDataError, match="case_status or case_closed, not both"):
        analysis_data(planted(2, n=10).assign(case_closed="1"))


def test_bands() -> None:
    assert [band_of(r) for r in (0.0, 0.38, 0.4, 0.999, 1.0, math.nan)] == [
        "0–10%", "30–40%", "40–50%", "90–100%", "90–100%", "risk unknown"]


def test_the_report_states_the_association_with_its_method() -> None:
    from roi.report import render_html
    from roi.report.case_loop import build_case_loop
    from roi.report.content import Table, Text
    from tests.roi.report_samples import sample_results

    # the hand-worked table of test_a_table_worked_by_hand: 7 closed (5 stayed), 6 not closed (2 stayed)
    rows = ([("1", 0.35, 0)] * 3 + [("1", 0.35, 1)] + [("0", 0.35, 0), ("0", 0.35, 1)] + [("1", 0.55, 0), ("1", 0.55, 1)]
            + [("0", 0.55, 0)] + [("0", 0.55, 1)] * 3 + [("1", 0.85, 0)])
    outcomes = pd.DataFrame({"customer_id": [f"c{i}" for i in range(len(rows))],
                             "churned": [str(c) for _, _, c in rows], "case_closed": [s for s, _, _ in rows],
                             "case_risk": [str(r) for _, r, _ in rows]})
    loop = compare_closed_cases(analysis_data(outcomes))
    assert loop is not None
    results = sample_results() | {"case_loop": loop.to_dict()}
    section = build_case_loop(results)
    assert section is not None
    text = " ".join(b.text for b in section.blocks if isinstance(b, Text))
    assert "7, of whom 71.4% stayed" in text and "6, of whom 33.3% stayed" in text  # 5/7, 2/6
    assert "stayed +25.0 points more often" in text  # 4/6·(3/4 − 1/2) + 2/6·(1/2 − 1/4)
    assert "without matching the risk the difference is +38.1 points" in text  # 5/7 − 2/6
    assert "An association, not the effect of closing a case" in text and "Warning:" in text
    assert "Method: retention difference within ten-point bands" in text
    bands = next(b for b in section.blocks if isinstance(b, Table))
    assert bands.rows[0] == ["30–40%", "4", "75.0%", "2", "50.0%", "yes"]
    assert bands.rows[-1] == ["80–90%", "1", "100.0%", "0", "—", "no"]  # the unmatched one stayed
    assert "Closing the loop: closed cases and retention" in render_html(results)
    assert build_case_loop(sample_results()) is None
