"""Results by wave (roi.over_time): per-wave scores and the tests of change against numbers computed here from
the raw answers (scipy, statsmodels, the formulas written out), repeat answers, wave order, calendar periods and
the churn model on the latest answer before the outcome window."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from roi.analysis import analyze
from roi.config import build_config
from roi.data import build_analysis_data
from roi.over_time.change import adjust_changes, nps_change, share_change, welch_change
from roi.over_time.waves import results_by_wave
from tests.roi.support import wilson


def text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), None).map(lambda v: None if v is None else str(v))


def two_waves(seed: int = 0, n: int = 80) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wave "spring" (March) then "autumn" (September): ease 1–7 rises by about half a point, the share who
    hesitated falls; every customer answers once per wave; churn follows the autumn ease."""
    rng = np.random.default_rng(seed)
    rows = []
    for wave, month, shift, hesitate in (("spring", 3, 0.0, 0.45), ("autumn", 9, 0.5, 0.30)):
        ease = np.clip(np.rint(4 + shift + rng.normal(0, 1.3, n)), 1, 7)
        rows.append(pd.DataFrame({
            "response_id": [f"{wave}{i}" for i in range(n)], "customer_id": [f"c{i}" for i in range(n)],
            "status": "complete", "submitted_at": [f"2026-{month:02d}-{1 + i % 28:02d}T10:00:00Z" for i in range(n)],
            "wave": wave, "ease": ease, "hesitated": (rng.random(n) < hesitate).astype(float)}))
    responses = pd.concat(rows, ignore_index=True)
    autumn = responses[responses["wave"] == "autumn"]["ease"].to_numpy()
    churned = (rng.random(n) < 1 / (1 + np.exp(-(1.5 - 0.6 * autumn)))).astype(int)
    outcomes = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "churned": churned})
    return responses, outcomes


def over_time_of(responses: pd.DataFrame, outcomes: pd.DataFrame, config: dict | None = None,
                 headline: str | None = None) -> dict:
    settings = build_config({"controls": [], **(config or {})})
    data = build_analysis_data(text(responses), text(outcomes), config=settings)
    result = results_by_wave(data, settings, headline=data.metric(headline) if headline else None)
    return result.to_dict() if result is not None else None


def test_each_metric_per_wave_and_its_change_match_scipy_and_the_formulas() -> None:
    responses, outcomes = two_waves()
    result = over_time_of(responses, outcomes)
    assert [w["name"] for w in result["waves"]] == ["spring", "autumn"]
    assert result["source"] == "the responses' wave column"
    metrics = {m["metric"]: m for m in result["metrics"]}
    spring = responses[responses["wave"] == "spring"]
    autumn = responses[responses["wave"] == "autumn"]

    ease = metrics["ease"]
    assert ease["kind"] == "mean"
    n = len(spring)
    half = stats.t.ppf(0.975, n - 1) * spring["ease"].std(ddof=1) / math.sqrt(n)
    assert ease["scores"][0]["estimate"] == pytest.approx(spring["ease"].mean())
    assert ease["scores"][0]["ci"] == pytest.approx([spring["ease"].mean() - half, spring["ease"].mean() + half])
    welch = stats.ttest_ind(autumn["ease"], spring["ease"], equal_var=False)
    change = ease["changes"][1]
    assert ease["changes"][0] is None
    assert change["difference"] == pytest.approx(autumn["ease"].mean() - spring["ease"].mean())
    assert change["statistic"] == pytest.approx(welch.statistic) and change["p"] == pytest.approx(welch.pvalue)

    hesitated = metrics["hesitated"]
    assert hesitated["kind"] == "share"
    k0, k1 = int(spring["hesitated"].sum()), int(autumn["hesitated"].sum())
    assert hesitated["scores"][1]["estimate"] == pytest.approx(k1 / n)
    assert hesitated["scores"][1]["ci"] == pytest.approx(list(wilson(k1, n)), abs=1e-6)
    pooled = (k0 + k1) / (2 * n)
    z = (k1 / n - k0 / n) / math.sqrt(pooled * (1 - pooled) * (2 / n))
    share = hesitated["changes"][1]
    assert share["statistic"] == pytest.approx(z) and share["p"] == pytest.approx(2 * stats.norm.sf(abs(z)))

    # Holm over the two metrics of the pair, by hand
    p_small, p_large = sorted([change["p"], share["p"]])
    holm = {p_small: min(1, 2 * p_small), p_large: min(1, max(2 * p_small, p_large))}
    assert change["p_adjusted"] == pytest.approx(holm[change["p"]])
    assert share["p_adjusted"] == pytest.approx(holm[share["p"]]) and share["adjustment"] == "holm"


def test_benjamini_hochberg_when_asked() -> None:
    responses, outcomes = two_waves()
    result = over_time_of(responses, outcomes, {"waves": {"adjust": "bh"}})
    p = [m["changes"][1]["p"] for m in result["metrics"]]
    low, high = sorted(p)
    expected = {low: min(2 * low, high), high: high}  # BH with m = 2: p(2)·2/2 and min(p(1)·2/1, that)
    assert [m["changes"][1]["p_adjusted"] for m in result["metrics"]] == pytest.approx([expected[x] for x in p])


def test_the_shared_tests_on_textbook_numbers() -> None:
    # Welch: means 20 and 22, sd 4 and 5, n 30 and 40 — t = 2 / √(16/30 + 25/40) = 1.8582, df ≈ 67.9
    change = welch_change((20.0, 4.0, 30), (22.0, 5.0, 40))
    t = 2 / math.sqrt(16 / 30 + 25 / 40)
    df = (16 / 30 + 25 / 40) ** 2 / ((16 / 30) ** 2 / 29 + (25 / 40) ** 2 / 39)
    assert change.statistic == pytest.approx(t) and change.p_value == pytest.approx(2 * stats.t.sf(t, df))
    # two proportions: 30/100 then 45/100 — pooled 0.375, z = 0.15 / √(0.375·0.625·0.02) = 2.1909
    change = share_change((30, 100), (45, 100))
    assert change.statistic == pytest.approx(0.15 / math.sqrt(0.375 * 0.625 * 0.02))
    assert change.difference == pytest.approx(15.0)
    # NPS: 50% promoters, 20% detractors (NPS 30) then 60% and 10% (NPS 50), n = 200 each
    change = nps_change((0.5, 0.2, 200), (0.6, 0.1, 200))
    variance = (0.5 + 0.2 - 0.3**2) / 200 + (0.6 + 0.1 - 0.5**2) / 200
    assert change.difference == pytest.approx(20.0) and change.statistic == pytest.approx(0.2 / math.sqrt(variance))
    untested = adjust_changes([None, welch_change((1.0, 0.0, 5), (1.0, 0.0, 5))])
    assert untested[0] is None and untested[1].p_value is None and "no variance" in untested[1].note


def test_repeat_answers_within_a_wave_count_once_with_the_latest() -> None:
    responses, outcomes = two_waves(n=40)
    again = responses.iloc[[0]].copy()  # c0 answers spring again, later, with ease 7
    again["response_id"], again["submitted_at"], again["ease"] = "again", "2026-03-30T12:00:00Z", 7.0
    result = over_time_of(pd.concat([responses, again], ignore_index=True), outcomes)
    spring = responses[responses["wave"] == "spring"].copy()
    spring.loc[spring["customer_id"] == "c0", "ease"] = 7.0
    score = next(m for m in result["metrics"] if m["metric"] == "ease")["scores"][0]
    assert score["n"] == 40 and score["estimate"] == pytest.approx(spring["ease"].mean())
    assert result["waves"][0]["respondents"] == 40


def test_waves_are_ordered_by_their_dates_not_their_names_or_file_order() -> None:
    responses, outcomes = two_waves(n=30)
    responses["wave"] = responses["wave"].map({"spring": "b-first", "autumn": "a-second"})
    result = over_time_of(responses.iloc[::-1].reset_index(drop=True), outcomes)
    assert [w["name"] for w in result["waves"]] == ["b-first", "a-second"]
    assert result["waves"][0]["first_submitted"].startswith("2026-03")


def test_calendar_periods_only_when_asked() -> None:
    responses, outcomes = two_waves(n=30)
    responses = responses.drop(columns="wave")
    assert over_time_of(responses, outcomes) is None
    result = over_time_of(responses, outcomes, {"waves": {"period": "quarter"}})
    assert [w["name"] for w in result["waves"]] == ["2026-Q1", "2026-Q3"]
    assert result["source"] == "the quarter of submitted_at"
    single = over_time_of(responses, outcomes, {"waves": {"period": "year"}})
    assert single["metrics"] == [] and "only 1 wave" in single["reason"]


def test_a_wave_column_with_one_wave_or_none_gives_no_section_unless_asked_for() -> None:
    responses, outcomes = two_waves(n=30)
    assert over_time_of(responses.assign(wave=None), outcomes) is None  # the export of a survey without waves
    assert over_time_of(responses.assign(wave="only"), outcomes) is None
    asked = over_time_of(responses.assign(wave="only"), outcomes, {"waves": {"column": "wave"}})
    assert "only 1 wave" in asked["reason"]
    missing = over_time_of(responses, outcomes, {"waves": {"column": "round"}})
    assert "'round' is not a column of the responses" in missing["reason"]


def test_the_wave_column_is_never_a_metric_and_response_wave_wins() -> None:
    responses, outcomes = two_waves(n=30)
    responses = responses.rename(columns={"wave": "response_wave"}).assign(wave=3.0)  # a question called wave
    result = over_time_of(responses, outcomes)
    assert [w["name"] for w in result["waves"]] == ["spring", "autumn"]
    assert "response_wave" not in {m["metric"] for m in result["metrics"]}


def test_churn_model_on_the_latest_answer_before_the_outcome_window() -> None:
    responses, outcomes = two_waves(n=120, seed=3)
    result = over_time_of(responses, outcomes, {"waves": {"outcome_window_start": "2026-06-01"}}, headline="ease")
    windows = {m["window"]: m for m in result["churn_models"]}
    assert set(windows) == {"wave spring", "wave autumn", "latest answer before 2026-06-01"}
    before = windows["latest answer before 2026-06-01"]
    # by hand: only spring answers were given before June; statsmodels Logit of churn on them
    spring = responses[responses["wave"] == "spring"].merge(outcomes, on="customer_id")
    fit = sm.Logit(spring["churned"].to_numpy(), sm.add_constant(spring["ease"].to_numpy())).fit(disp=0)
    assert before["n"] == 120 and before["term"]["coef"] == pytest.approx(fit.params[1], rel=1e-6)
    assert before["term"]["se"] == pytest.approx(fit.bse[1], rel=1e-5)
    assert any("120 responses submitted on or after" in note for note in result["notes"])
    autumn = responses[responses["wave"] == "autumn"].merge(outcomes, on="customer_id")
    fit = sm.Logit(autumn["churned"].to_numpy(), sm.add_constant(autumn["ease"].to_numpy())).fit(disp=0)
    assert windows["wave autumn"]["term"]["coef"] == pytest.approx(fit.params[1], rel=1e-6)


def test_analyze_puts_the_waves_in_results_and_warns_about_small_waves() -> None:
    responses, outcomes = two_waves(n=20)
    settings = build_config({"controls": [], "bootstrap": 0})
    data = build_analysis_data(text(responses), text(outcomes), config=settings)
    results = analyze(data, settings, seed=0).to_dict()
    assert [w["name"] for w in results["over_time"]["waves"]] == ["spring", "autumn"]
    assert {w["subject"] for w in results["warnings"] if w["code"] == "small_sample"} >= {"wave spring",
                                                                                          "wave autumn"}
