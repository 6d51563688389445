"""Did the programme pay off (roi.programme): planted truth from the rollout generator, numbers worked out
independently (by hand, statsmodels, scipy), refusals with their reasons, bad input named by row and column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from roi.analysis import analyze
from roi.config import build_config
from roi.data import build_analysis_data
from roi.inputs.programme import ProgrammeDataError
from roi.programme import estimate_programme
from roi.synthetic_programme import build_rollout

SEEDS = range(10)


def text(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells as the table readers give them: text, None for blanks."""
    return frame.astype(object).where(frame.notna(), None).map(lambda v: None if v is None else str(v))


def programme_of(outcomes: pd.DataFrame, config: dict, responses: pd.DataFrame | None = None) -> dict:
    if responses is None:
        responses = pd.DataFrame({"customer_id": outcomes["customer_id"], "ease": 4})
    settings = build_config(config)
    data = build_analysis_data(text(responses), text(outcomes), config=settings)
    result = estimate_programme(data, settings)
    assert result is not None
    return result.to_dict()


def covers(interval: list, value: float) -> bool:
    return interval[0] is not None and interval[0] <= value <= interval[1]


@pytest.mark.parametrize("randomised", [False, True])
def test_realised_roi_interval_covers_the_planted_truth_in_nine_of_ten_seeds(randomised: bool) -> None:
    covered = 0
    for seed in SEEDS:
        rollout = build_rollout(3000, seed=seed, randomised=randomised)
        result = programme_of(rollout.outcomes, rollout.config)
        assert result["design"] == ("randomised comparison" if randomised else "difference-in-differences")
        assert result["status"] == "estimated" and result["evidence"] == "supported"
        money = result["money"]
        assert money["customers"] == rollout.truth["reached_after_start"]  # the count the truth is built on
        covered += covers(money["roi"]["ci"], rollout.truth["roi"])
    # each interval covers with probability 0.95 if right: P(at least 9 of 10) = 0.91
    assert covered >= 9


def test_the_money_figures_carry_the_effect_through_counts_margin_and_cost() -> None:
    rollout = build_rollout(3000, seed=4)
    result = programme_of(rollout.outcomes, rollout.config)
    effect = result["effects"]["revenue"]
    money = result["money"]
    customers, margin, cost = money["customers"], 0.3, rollout.truth["cost"]
    assert money["basis"] == "revenue" and money["cost"] == cost
    assert money["value"]["estimate"] == pytest.approx(effect["estimate"] * customers)
    assert money["benefit"]["ci"] == pytest.approx([effect["ci"][0] * customers * margin,
                                                    effect["ci"][1] * customers * margin])
    assert money["roi"]["estimate"] == pytest.approx((effect["estimate"] * customers * margin - cost) / cost)
    # and the planted churn effect (−3 points a period) is found too
    assert covers(result["effects"]["churned"]["ci"], -0.03)


def test_a_null_programme_reports_no_evidence_and_no_money_figure() -> None:
    verdicts = []
    for seed in SEEDS:
        rollout = build_rollout(3000, seed=seed, effect_churn=0.0, effect_revenue=0.0)
        result = programme_of(rollout.outcomes, rollout.config)
        verdicts.append(result["evidence"])
        if result["evidence"] == "none":
            money = result["money"]
            for key in ("value", "benefit", "roi"):
                assert money[key]["estimate"] is None and money[key]["ci"] == [None, None]
                assert "no evidence" in money[key]["reason"]
            assert any(w["code"] == "no_effect" for w in result["warnings"])
    assert verdicts.count("none") >= 8  # a 5% test: at most a stray false alarm in 10


def test_identical_changes_in_both_groups_give_exactly_no_effect() -> None:
    # the reached customers' revenue changes exactly as the others' (+10 each): the effect is 0 by hand
    outcomes = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(8)],
        "programme": [1, 1, 1, 1, 0, 0, 0, 0],
        "revenue_pre": [100, 200, 300, 400, 50, 150, 250, 350],
        "revenue_post": [110, 210, 310, 410, 60, 160, 260, 360],
    })
    result = programme_of(outcomes, {"finance": {"program_cost": 100, "margin": 0.5}})
    effect = result["effects"]["revenue"]
    assert effect["estimate"] == pytest.approx(0.0, abs=1e-9) and effect["evidence"] in ("none", None)
    assert result["money"]["roi"]["estimate"] is None


def test_difference_in_differences_matches_the_two_by_two_table_and_statsmodels() -> None:
    rng = np.random.default_rng(7)
    n = 60
    reached = np.repeat([1, 0], n // 2)
    pre = rng.normal(500, 40, n) + 30 * reached
    post = pre + rng.normal(20, 15, n) + 25 * reached
    outcomes = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "programme": reached,
                             "programme_start": "2026-01-01", "revenue_pre": pre.round(2),
                             "revenue_post": post.round(2)})
    effect = programme_of(outcomes, {})["effects"]["revenue"]
    pre, post = outcomes["revenue_pre"], outcomes["revenue_post"]
    by_hand = ((post[reached == 1].mean() - pre[reached == 1].mean())
               - (post[reached == 0].mean() - pre[reached == 0].mean()))
    assert effect["estimate"] == pytest.approx(by_hand, rel=1e-10)
    # independently: the stacked regression with statsmodels' formula API, clustered by customer, t(G − 1)
    long = pd.concat([pd.DataFrame({"c": range(n), "d": reached, "post": 0, "y": pre}),
                      pd.DataFrame({"c": range(n), "d": reached, "post": 1, "y": post})])
    fit = smf.ols("y ~ d * post", long).fit(cov_type="cluster", cov_kwds={"groups": long["c"]})
    se = float(fit.bse["d:post"])
    half = stats.t.ppf(0.975, n - 1) * se
    assert effect["se"] == pytest.approx(se, rel=1e-8)
    assert effect["ci"] == pytest.approx([by_hand - half, by_hand + half], rel=1e-8)
    assert effect["clusters"] == n and effect["df"] == n - 1
    assert effect["parallel_trends"]["checked"] is False  # one pre period: said, not tested


def test_randomised_comparison_matches_textbook_intervals() -> None:
    rng = np.random.default_rng(3)
    n = 400
    reached = (rng.random(n) < 0.5).astype(int)
    churned = (rng.random(n) < np.where(reached == 1, 0.10, 0.18)).astype(int)
    revenue = np.round(rng.normal(1000, 200, n) + 60 * reached, 2)
    outcomes = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "programme": reached,
                             "churned": churned, "revenue": revenue})
    result = programme_of(outcomes, {"programme": {"randomised": True}})
    churn, money = result["effects"]["churned"], result["effects"]["revenue"]
    k1, n1 = churned[reached == 1].sum(), (reached == 1).sum()
    k0, n0 = churned[reached == 0].sum(), (reached == 0).sum()
    low, high = confint_proportions_2indep(k1, n1, k0, n0, method="wald", compare="diff")
    assert churn["estimate"] == pytest.approx(k1 / n1 - k0 / n0)
    assert churn["ci"] == pytest.approx([low, high], rel=1e-9)
    welch = stats.ttest_ind(revenue[reached == 1], revenue[reached == 0], equal_var=False)
    assert money["ci"] == pytest.approx(list(welch.confidence_interval(0.95)), rel=1e-9)
    assert money["p"] == pytest.approx(welch.pvalue, rel=1e-9)
    assert any("at random" in sentence for sentence in result["assumptions"])


def test_a_pre_trend_that_explains_the_effect_fires_the_warning_and_withholds_the_money() -> None:
    # no programme effect at all, but the reached group's revenue rises 30 a period more from before the start:
    # a naive difference-in-differences finds "+30"; the pre-period check sees the drift and explains it away
    rollout = build_rollout(3000, seed=1, effect_churn=0.0, effect_revenue=0.0, revenue_pre_trend=30.0)
    result = programme_of(rollout.outcomes, rollout.config)
    effect = result["effects"]["revenue"]
    trends = effect["parallel_trends"]
    assert effect["evidence"] == "supported" and covers(effect["ci"], 30.0)  # the spurious effect
    assert trends["checked"] and not trends["consistent"] and covers(trends["ci"], 30.0)
    assert covers(trends["trend_adjusted_ci"], 0.0)
    assert any(w["code"] == "parallel_trends" and "no money figure" in w["message"] for w in result["warnings"])
    assert result["evidence"] == "none" and result["money"]["roi"]["estimate"] is None
    assert "drifting" in result["money"]["roi"]["reason"]


def test_a_pre_trend_too_small_to_explain_the_effect_is_warned_about_but_keeps_the_figure() -> None:
    rollout = build_rollout(3000, seed=1, revenue_pre_trend=20.0)
    result = programme_of(rollout.outcomes, rollout.config)
    assert not result["effects"]["revenue"]["parallel_trends"]["consistent"]
    assert any(w["code"] == "parallel_trends" and "not enough to explain" in w["message"]
               for w in result["warnings"])
    assert result["evidence"] == "supported" and result["money"]["roi"]["estimate"] is not None


def test_a_staged_rollout_is_estimated_stage_by_stage() -> None:
    covered = 0
    for seed in range(5):
        rollout = build_rollout(4000, seed=seed, stages=3)
        result = programme_of(rollout.outcomes, rollout.config)
        assert [s["start"] for s in result["stages"]] == ["2026-01-01", "2026-04-02", "2026-07-02"]
        assert sum(s["reached"] for s in result["stages"]) == result["reached"]
        covered += covers(result["effects"]["revenue"]["ci"], rollout.truth["effect_revenue"])
    assert covered >= 4


@pytest.mark.parametrize(("change", "reason"), [
    (lambda o: o.drop(columns=["churned_pre", "churned_pre2", "revenue_pre", "revenue_pre2"]), "no pre period"),
    (lambda o: o.assign(programme=1), "nothing to compare with"),
    (lambda o: o.assign(programme=0), "no customer is marked as reached"),
    (lambda o: o.drop(columns=["churned_post", "revenue_post"]), "no post period"),
])
def test_designs_that_cannot_identify_the_effect_are_refused_with_the_reason(change, reason: str) -> None:
    rollout = build_rollout(1000, seed=0)
    result = programme_of(change(rollout.outcomes), rollout.config)
    assert result["status"] == "refused" and reason in result["reason"]
    assert result["effects"] == {} and result["money"] is None
    assert [w["code"] for w in result["warnings"]] == ["not_identified"]


def test_a_staged_rollout_without_the_comparison_stages_is_refused() -> None:
    rollout = build_rollout(1000, seed=0, stages=2)
    outcomes = rollout.outcomes.copy()
    outcomes.loc[outcomes["programme"] == 0, "programme_start"] = None
    result = programme_of(outcomes, rollout.config)
    assert result["status"] == "refused" and "2 stages" in result["reason"]


def test_bad_programme_cells_are_named_by_row_and_column() -> None:
    outcomes = pd.DataFrame({"customer_id": ["a", "b", "c"], "treated": ["1", "maybe", "0"]})
    with pytest.raises(ProgrammeDataError, match=r"row 3, column 'treated \(programme\)': must be 0 or 1"):
        programme_of(outcomes, {"columns": {"programme": "treated"}})
    outcomes = pd.DataFrame({"customer_id": ["a", "b"], "programme": ["1", None]})
    with pytest.raises(ProgrammeDataError, match=r"row 3, column 'programme': blank"):
        programme_of(outcomes, {})
    outcomes = pd.DataFrame({"customer_id": ["a", "b"], "programme": ["1", "0"], "revenue_post": ["5", "-1"]})
    with pytest.raises(ProgrammeDataError, match=r"row 3, column 'revenue_post': must not be below 0"):
        programme_of(outcomes, {})


def test_analyze_reports_the_programme_and_its_warnings_in_results() -> None:
    rollout = build_rollout(1500, seed=5, effect_churn=0.0, effect_revenue=0.0)
    settings = build_config(rollout.config)
    responses = rollout.responses
    data = build_analysis_data(text(responses), text(rollout.outcomes), config=settings)
    results = analyze(data, settings, seed=0).to_dict()
    assert results["programme"]["design"] == "difference-in-differences"
    assert results["over_time"] is None  # one survey date, no wave column
    codes = {w["code"] for w in results["warnings"] if w["subject"] == "programme"}
    assert codes == {w["code"] for w in results["programme"]["warnings"]}


def test_degenerate_outcomes_give_reasons_not_errors() -> None:
    rollout = build_rollout(300, seed=0)
    outcomes = rollout.outcomes
    one_account = programme_of(outcomes.assign(account_id="A1"), rollout.config)
    assert one_account["status"] == "refused" and "one account" in one_account["reason"]
    flat = programme_of(outcomes.assign(revenue_pre=100.0, revenue_post=100.0, revenue_pre2=100.0), rollout.config)
    assert flat["effects"]["revenue"]["estimate"] is None
    assert "the same for every customer" in flat["effects"]["revenue"]["reason"]
    assert flat["money"]["basis"] == "churned"  # the money then rests on churn × revenue before the start
    randomised = {**rollout.config, "programme": {"randomised": True}}
    nothing = programme_of(outcomes.assign(churned_post=None, revenue_post=None), randomised)
    assert nothing["status"] == "refused" and "no outcome could be estimated" in nothing["reason"]
