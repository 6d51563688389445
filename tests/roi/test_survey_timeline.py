"""Tenure at the survey vs the time from the survey to churn (issue 12, defect 1), with planted truth.

The generator: customers start over ten years, answer a 0–10 question in early 2026, and then churn with a
constant hazard 0.03 · exp(−0.2 · (score − 5) − 0.01 · tenure at the survey) per month until the outcomes
are taken on 2026-12-31; longer-standing customers answer better. The fix (survival time from the survey, tenure at the survey as a control) must
recover −0.2 and −0.01; the old design (the whole tenure as the time axis) must not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roi.config import build_config
from roi.data import build_analysis_data
from roi.fitting import fit_breslow
from roi.inputs.timeline import TimelineError
from roi.survival import fit_survival

SCORE_COEF = -0.2
TENURE_COEF = -0.01
AS_OF = pd.Timestamp("2026-12-31")
DAYS_PER_MONTH = 365.25 / 12


def world(n: int = 4000, *, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(responses, outcomes, truth per customer) as text tables, as files would give them."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2016-01-01") + pd.to_timedelta(rng.integers(0, 3650, n), unit="D")
    surveyed = pd.Timestamp("2026-01-05") + pd.to_timedelta(rng.integers(0, 80, n), unit="D")
    tenure = (surveyed - start).days / DAYS_PER_MONTH
    # longer-standing customers answer better (r ≈ 0.75): tenure confounds the score
    score = np.clip(np.rint(2 + tenure.to_numpy() / 20 + rng.normal(0, 1.5, n)), 0, 10)
    rate = 0.03 * np.exp(SCORE_COEF * (score - 5) + TENURE_COEF * tenure)
    months = rng.exponential(1 / rate)
    window = (AS_OF - surveyed).days / DAYS_PER_MONTH
    churned = months < window
    end = surveyed + pd.to_timedelta(np.where(churned, months, 0) * DAYS_PER_MONTH, unit="D")
    ids = [f"C{i:05d}" for i in range(n)]
    responses = pd.DataFrame({"customer_id": ids, "submitted_at": surveyed.strftime("%Y-%m-%dT10:00:00Z"),
                              "score": score.astype(int).astype(str)})
    outcomes = pd.DataFrame({"customer_id": ids, "churned": churned.astype(int).astype(str),
                             "start_date": start.strftime("%Y-%m-%d"),
                             "end_date": np.where(churned, end.strftime("%Y-%m-%d"), None)})
    truth = pd.DataFrame({"tenure": tenure, "whole_tenure": tenure + np.minimum(months, window),
                          "churned": churned, "score": score})
    return responses, outcomes, truth


def test_survival_from_the_survey_recovers_the_planted_hazard_ratios() -> None:
    responses, outcomes, _ = world()
    data = build_analysis_data(responses, outcomes, config=build_config({"as_of": "2026-12-31",
                                                                         "controls": ["tenure_months"]}))
    frame = data.frame
    assert frame["tenure_months"].between(0, 125).all()  # tenure at the survey, from start_date
    assert frame["duration_months"].max() <= 12.0  # from the survey to the as-of date at most
    survival = fit_survival(data)
    assert survival is not None and survival.duration.startswith("submitted_at")
    model = survival.model("score")
    assert model is not None and model.method.startswith("cox")
    score, tenure = model.term("score"), model.term("tenure_months")
    assert score is not None and tenure is not None
    assert score.ci[0] < SCORE_COEF < score.ci[1]
    assert tenure.ci[0] < TENURE_COEF < tenure.ci[1]


def test_the_old_design_on_the_whole_tenure_misses_the_effect() -> None:
    # the time axis of the old design: months from start to churn or to the as-of date, tenure no control
    _, _, truth = world()
    fit = fit_breslow(truth["whole_tenure"].to_numpy(), truth["churned"].to_numpy(float),
                      truth[["score"]].to_numpy())
    se = float(np.sqrt(fit.cov[0, 0]))
    low, high = fit.params[0] - 1.96 * se, fit.params[0] + 1.96 * se
    assert not low < SCORE_COEF < high


def test_a_churn_before_the_survey_is_refused() -> None:
    responses, outcomes, _ = world(200)
    outcomes.loc[3, ["churned", "end_date"]] = ["1", "2025-06-01"]
    with pytest.raises(TimelineError, match=r"customers C00003.*churned before answering the survey"):
        build_analysis_data(responses, outcomes, config=build_config({}))


def test_a_tenure_that_is_not_the_tenure_at_the_survey_is_refused() -> None:
    # tenure_months given as the whole tenure (up to churn or today) contradicts start_date and the survey date
    responses, outcomes, truth = world(200)
    outcomes["tenure_months"] = (truth["tenure"] + 6).round(1).astype(str)
    with pytest.raises(TimelineError, match="tenure_months must be the tenure AT THE SURVEY"):
        build_analysis_data(responses, outcomes, config=build_config({}))
    outcomes["tenure_months"] = truth["tenure"].round(1).astype(str)  # the tenure at the survey: accepted
    data = build_analysis_data(responses, outcomes, config=build_config({}))
    assert "duration_months" in data.frame


def test_without_dates_there_is_no_survival_model_and_a_note_says_why() -> None:
    responses, outcomes, truth = world(300)
    outcomes = outcomes.drop(columns=["start_date", "end_date"]).assign(tenure_months=truth["tenure"].round(1).astype(str))
    data = build_analysis_data(responses.drop(columns="submitted_at"), outcomes, config=build_config({}))
    assert fit_survival(data) is None
    assert any("no survival model" in note for note in data.frame.attrs["notes"])
