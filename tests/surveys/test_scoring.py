"""Scoring: every expected value is worked out by hand in a comment, or computed on an independent path
(statsmodels' Wilson interval, scipy's t interval, pandas' own means on the real airline data)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from surveys import build_survey, read_survey
from surveys.errors import CxroiError
from surveys.questions import QUESTION_TYPES, QuestionBase
from surveys.scoring import (
    InvalidValue,
    MissingColumn,
    Scorecard,
    respondent_scores,
    score_survey,
    wilson_interval,
)
from surveys.tables import UnreadableTable, file_row, read_responses_table
from webapp.cli import main

TEST_DATA = Path(__file__).resolve().parents[1] / "data"
NAN = float("nan")


def make_survey(questions: list[dict[str, Any]], **extra: Any) -> Any:
    return build_survey({"id": "s", "title": "Test", "sections": [{"id": "main", "title": "Main",
                                                                   "questions": questions}], **extra})


def complete(columns: dict[str, list[Any]]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"status": ["complete"] * n, **columns})


def t_interval(values: list[float]) -> tuple[float, float]:
    """Independent path: scipy's t interval around the mean with the standard error of the mean."""
    low, high = stats.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values))
    return float(low), float(high)


NPS_SURVEY = [{"id": "q_nps", "type": "nps", "text": "How likely are you to recommend us?"}]
CSAT_SURVEY = [{"id": "q_csat", "type": "csat", "text": "How satisfied are you?"}]
CES_SURVEY = [{"id": "q_ces", "type": "ces", "text": "We made it easy."}]
PROMISES = {"brand_promises": [{"id": "easy", "label": "Easy"}, {"id": "partner", "label": "Partner"}]}
TOUCHPOINTS = {"touchpoints": [{"id": "ordering", "label": "Ordering"}, {"id": "billing", "label": "Billing"}]}
CHANNELS = {"channels": [{"id": "phone", "label": "Phone"}, {"id": "email", "label": "Email"},
                         {"id": "chat", "label": "Chat"}]}


# --- intervals ----------------------------------------------------------------------------------------------

def test_wilson_interval_for_7_of_10_by_hand_and_against_statsmodels() -> None:
    # p = 0.7, z² = 3.8415, z²/n = 0.38415, denominator 1.38415; centre = (0.7 + 0.19207)/1.38415 = 0.64449;
    # half = 1.96/1.38415 × √(0.021 + 0.0096037) = 1.41600 × 0.174939 = 0.24771 → [0.3968, 0.8922].
    low, high = wilson_interval(7, 10)
    assert low == pytest.approx(0.3968, abs=1e-4)
    assert high == pytest.approx(0.8922, abs=1e-4)
    for successes, n in [(0, 5), (1, 1), (3, 40), (40, 40), (17, 23)]:
        expected = proportion_confint(successes, n, alpha=0.05, method="wilson")
        assert wilson_interval(successes, n) == pytest.approx(expected, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 10)), max_size=60))
def test_nps_on_any_answers_matches_counting_and_stays_json_safe(answers: list[int | None]) -> None:
    card = score_survey(complete({"q_nps": answers}) if answers else pd.DataFrame({"status": [], "q_nps": []}),
                        make_survey(NPS_SURVEY))
    nps = card.get("q_nps:nps")
    given_answers = [a for a in answers if a is not None]
    assert nps.n == len(given_answers)
    if given_answers:
        promoters = sum(1 for a in given_answers if a >= 9)
        detractors = sum(1 for a in given_answers if a <= 6)
        assert nps.estimate == pytest.approx(100 * (promoters - detractors) / len(given_answers))
    else:
        assert nps.estimate is None
    if nps.ci_low is not None and nps.ci_high is not None and nps.estimate is not None:
        assert -100 <= nps.ci_low <= nps.estimate <= nps.ci_high <= 100
    else:
        assert nps.n <= 1
    json.dumps(card.to_dict(), allow_nan=False)


# --- NPS, CSAT, CES -----------------------------------------------------------------------------------------

def test_nps_four_promoters_three_passives_three_detractors() -> None:
    survey = make_survey(NPS_SURVEY)
    card = score_survey(complete({"q_nps": [10, 9, 9, 10, 7, 8, 7, 3, 6, 0]}), survey)
    nps = card.get("q_nps:nps")
    # p_P = 4/10, p_D = 3/10 → NPS = 100 × (0.4 − 0.3) = 10.
    # Var = (0.4 + 0.3 − 0.1²)/10 = 0.069, se = 100 × √0.069 = 26.2679; ±1.959964 × 26.2679 = ±51.484.
    assert nps.estimate == pytest.approx(10.0)
    assert nps.ci_low == pytest.approx(-41.484, abs=1e-3)
    assert nps.ci_high == pytest.approx(61.484, abs=1e-3)
    assert nps.n == 10 and nps.kind == "nps"
    assert nps.note is not None and "small sample" in nps.note  # n = 10 < 30
    promoters = card.get("q_nps:promoters")
    assert promoters.estimate == pytest.approx(40.0)
    assert (promoters.ci_low, promoters.ci_high) == pytest.approx(
        tuple(100 * v for v in proportion_confint(4, 10, method="wilson")))
    assert card.get("q_nps:detractors").estimate == pytest.approx(30.0)


def test_nps_with_enough_answers_has_no_small_sample_flag_and_clamps_at_100() -> None:
    survey = make_survey(NPS_SURVEY)
    # 29 promoters and 1 detractor of 30: NPS = 100 × (29/30 − 1/30) = 93.333;
    # Var = (1 − (28/30)²)/30 = (1 − 0.871111)/30 = 0.0042963, se = 6.5546 points, half = 12.847 → high 106.18
    # is clamped to 100.
    card = score_survey(complete({"q_nps": [10] * 29 + [2]}), survey)
    nps = card.get("q_nps:nps")
    assert nps.estimate == pytest.approx(93.3333, abs=1e-4)
    assert nps.ci_low == pytest.approx(93.3333 - 12.847, abs=1e-2)
    assert nps.ci_high == 100.0
    assert nps.note is not None and "small sample" not in nps.note and "clamped" in nps.note


def test_csat_top2_box_and_mean() -> None:
    survey = make_survey(CSAT_SURVEY)
    answers = [5, 4, 4, 5, 5, 4, 4, 3, 2, 1]
    card = score_survey(complete({"q_csat": answers}), survey)
    top2 = card.get("q_csat:top2")
    # 7 of 10 answered 4 or 5 → 70 %, Wilson [39.68, 89.22] (worked above).
    assert top2.estimate == pytest.approx(70.0)
    assert top2.ci_low == pytest.approx(39.68, abs=1e-2)
    assert top2.ci_high == pytest.approx(89.22, abs=1e-2)
    mean = card.get("q_csat:mean")
    # Sum 37 → mean 3.7; Σ(x − 3.7)² = 16.1, s = √(16.1/9) = 1.33749, se = 0.42295, t₉ = 2.262157 → ±0.95678.
    assert mean.estimate == pytest.approx(3.7)
    assert mean.ci_low == pytest.approx(2.7432, abs=1e-3)
    assert mean.ci_high == pytest.approx(4.6568, abs=1e-3)
    assert (mean.ci_low, mean.ci_high) == pytest.approx(t_interval(answers))


def test_ces_mean_and_share_easy() -> None:
    survey = make_survey(CES_SURVEY)
    answers = [7, 6, 5, 4, 3, 7, 2]
    card = score_survey(complete({"q_ces": answers}), survey)
    # Easy = 5, 6 or 7: 7, 6, 5, 7 → 4 of 7 = 57.142857 %. Mean 34/7 = 4.857143.
    easy = card.get("q_ces:easy")
    assert easy.estimate == pytest.approx(400 / 7)
    assert (easy.ci_low, easy.ci_high) == pytest.approx(
        tuple(100 * v for v in proportion_confint(4, 7, method="wilson")))
    mean = card.get("q_ces:mean")
    assert mean.estimate == pytest.approx(34 / 7)
    assert (mean.ci_low, mean.ci_high) == pytest.approx(t_interval(answers))
    assert mean.n == 7 and easy.n == 7


def test_identical_answers_give_a_zero_width_interval_with_a_note() -> None:
    card = score_survey(complete({"q_ces": [7, 7, 7]}), make_survey(CES_SURVEY))
    mean = card.get("q_ces:mean")
    assert (mean.estimate, mean.ci_low, mean.ci_high) == (7.0, 7.0, 7.0)
    assert mean.note is not None and "same" in mean.note


# --- Brand Alignment Score ----------------------------------------------------------------------------------

ALIGNMENT = [{"id": "q_align", "type": "alignment", "text": "How well did we keep these promises?"}]


def alignment_responses() -> pd.DataFrame:
    return complete({"q_align.easy": [5, 3, 4, None], "q_align.partner": [4, 1, None, 2]})


def test_bas_per_promise_and_overall() -> None:
    card = score_survey(alignment_responses(), make_survey(ALIGNMENT, **PROMISES))
    # 5-point: (x − 1)/4 × 100 → 5 = 100, 4 = 75, 3 = 50, 2 = 25, 1 = 0.
    # easy: [100, 50, 75] → 75 (n 3); partner: [75, 0, 25] → 33.33 (n 3).
    easy, partner = card.promises
    assert (easy.name, easy.estimate, easy.n) == ("q_align.easy", pytest.approx(75.0), 3)
    assert (partner.name, partner.estimate, partner.n) == ("q_align.partner", pytest.approx(100 / 3), 3)
    # easy: s = 25, se = 14.434, t₂ = 4.302653 → 75 ± 62.104 = [12.896, 137.10]; the top is clamped to 100.
    assert easy.ci_low == pytest.approx(12.896, abs=1e-3)
    assert easy.ci_high == 100.0
    assert easy.note is not None and "clamped" in easy.note
    # Overall: respondents' means [87.5, 25, 75, 25] → 212.5/4 = 53.125 (n 4).
    overall = card.get("q_align:bas")
    assert overall.estimate == pytest.approx(53.125) and overall.n == 4
    low, high = t_interval([87.5, 25, 75, 25])
    assert overall.ci_low == pytest.approx(low) and low == pytest.approx(0.815, abs=1e-3)
    assert high > 100 and overall.ci_high == 100.0


def test_bas_on_a_seven_point_scale() -> None:
    survey = make_survey([{"id": "q_align", "type": "alignment", "points": 7, "text": "Promises?"}], **PROMISES)
    # 7-point: (x − 1)/6 × 100 → 4 = 50, 7 = 100, 1 = 0, 2 = 16.667; per respondent [75, 8.333]; overall 41.667.
    card = score_survey(complete({"q_align.easy": [4, 1], "q_align.partner": [7, 2]}), survey)
    assert card.get("q_align.easy").estimate == pytest.approx(25.0)
    assert card.get("q_align.partner").estimate == pytest.approx(58.3333, abs=1e-4)
    assert card.get("q_align:bas").estimate == pytest.approx(41.6667, abs=1e-4)


# --- friction and channels ----------------------------------------------------------------------------------

FRICTION = [{"id": "q_fr", "type": "friction", "text": "Did anything make you hesitate?"}]


def friction_responses() -> pd.DataFrame:
    return complete({"q_fr.ordering": [1, 1, 0, None, 0], "q_fr.ordering.what": ["slow", "", None, None, None],
                     "q_fr.billing": [0, 1, None, None, 0], "q_fr.billing.what": [None, "fees", None, None, None]})


def test_friction_rate_per_touchpoint_and_count_per_respondent() -> None:
    card = score_survey(friction_responses(), make_survey(FRICTION, **TOUCHPOINTS))
    ordering, billing = card.touchpoints
    # ordering: answered by 4 (rows 0, 1, 2, 4), hesitated 2 → 50 %; billing: answered by 3, hesitated 1 → 33.3 %.
    assert (ordering.estimate, ordering.n) == (pytest.approx(50.0), 4)
    assert (billing.estimate, billing.n) == (pytest.approx(100 / 3), 3)
    assert (billing.ci_low, billing.ci_high) == pytest.approx(
        tuple(100 * v for v in proportion_confint(1, 3, method="wilson")))
    # Counts per respondent: [1, 2, 0, —, 0] → mean 3/4 = 0.75 over the 4 who answered a touchpoint.
    count = card.get("q_fr:count")
    assert (count.estimate, count.n) == (pytest.approx(0.75), 4)
    # t interval [−0.773, 2.273] (scipy) is clamped to what is possible: 0 to 2 touchpoints.
    low, high = t_interval([1, 2, 0, 0])
    assert low < 0 and high > 2 and (count.ci_low, count.ci_high) == (0.0, 2.0)


def test_channel_means_and_consistency() -> None:
    survey = make_survey([{"id": "q_ch", "type": "channel_rating", "text": "How was each channel?"}], **CHANNELS)
    responses = complete({"q_ch.phone": [5, 4, 2, None], "q_ch.email": [3, None, 2, 4],
                          "q_ch.chat": [None, None, 5, 1]})
    card = score_survey(responses, survey)
    phone, email, chat = card.channels
    # phone (5, 4, 2) → 11/3; email (3, 2, 4) → 3; chat (5, 1) → 3, n 2.
    assert (phone.estimate, phone.n) == (pytest.approx(11 / 3), 3)
    assert (email.estimate, email.n) == (pytest.approx(3.0), 3)
    assert (chat.estimate, chat.n) == (pytest.approx(3.0), 2)
    # email: 3 ± t₂ × 1/√3 = 3 ± 2.484 = [0.516, 5.484], clamped to the 1–5 scale.
    assert t_interval([3, 2, 4]) == pytest.approx((0.5159, 5.4841), abs=1e-4)
    assert (email.ci_low, email.ci_high) == (1.0, 5.0)
    # Best − worst for respondents with ≥ 2 channels: row 0 5−3 = 2, row 2 5−2 = 3, row 3 4−1 = 3 (row 1 rated
    # one channel) → mean 8/3.
    consistency = card.get("q_ch:consistency")
    assert (consistency.estimate, consistency.n) == (pytest.approx(8 / 3), 3)


def test_rating_likert_and_choice_items() -> None:
    survey = make_survey([
        {"id": "q_urgent", "type": "rating", "text": "How quickly could you reach someone?"},
        {"id": "q_agree", "type": "likert", "points": 7, "text": "You value me."},
        {"id": "q_cont", "type": "single_choice", "text": "Who did you deal with?",
         "choices": [{"code": "same", "label": "Same person"}, {"code": "new", "label": "Someone new"}]},
    ])
    responses = complete({"q_urgent": [1, 2, 5, None], "q_agree": [7, 6, 6, 1],
                          "q_cont": ["same", "new", "new", None]})
    card = score_survey(responses, survey)
    # q_urgent (1, 2, 5) → 8/3; q_agree (7, 6, 6, 1) → 5; q_cont: same 1 of 3, new 2 of 3.
    assert card.get("q_urgent:mean").estimate == pytest.approx(8 / 3)
    assert card.get("q_agree:mean").estimate == pytest.approx(5.0)
    assert card.get("q_cont.new").estimate == pytest.approx(200 / 3)
    assert card.get("q_cont.same").n == 3
    assert [m.kind for m in card.items] == ["item", "item", "choice", "choice"]


def test_number_items_and_unknown_choice_codes() -> None:
    survey = make_survey([
        {"id": "q_calls", "type": "number", "min": 0, "unit": "calls", "text": "How many times did you call?"},
        {"id": "q_cont", "type": "single_choice", "text": "Who did you deal with?",
         "choices": [{"code": "same", "label": "Same person"}, {"code": "new", "label": "Someone new"}]},
    ])
    # q_calls (0, 2.5, 4) → 6.5/3 = 2.1667, unit "calls"; not a whole-number question, so 2.5 is fine.
    card = score_survey(complete({"q_calls": [0, 2.5, 4], "q_cont": ["same", None, "new"]}), survey)
    calls = card.get("q_calls:mean")
    assert (calls.estimate, calls.n, calls.unit) == (pytest.approx(6.5 / 3), 3, "calls")
    with pytest.raises(InvalidValue) as caught:
        score_survey(complete({"q_calls": [1, -1, 4], "q_cont": ["same", None, "new"]}), survey)
    assert str(caught.value) == "row 1, column 'q_calls': expected a number of at least 0, got -1"
    with pytest.raises(InvalidValue) as caught:
        score_survey(complete({"q_calls": [1, 2, 4], "q_cont": ["same", None, "other"]}), survey)
    assert str(caught.value) == "row 2, column 'q_cont': 'other' is not one of the choice codes (same, new)"


def test_every_question_type_but_open_text_has_a_scorer() -> None:
    # A new question type must be given a scorer (or be deliberately left out here).
    unscored = {tag for tag, cls in QUESTION_TYPES.items() if cls.score is QuestionBase.score}
    # left out on purpose: open text (themes score it), a date (a when, not a how-well), a note (no answer) and
    # a ranking (an order of choices, exported as one rank column per choice, not a score)
    assert unscored == {"text", "date", "note", "ranking"}


# --- rows scored, tiny samples, output shapes ---------------------------------------------------------------

def test_partial_responses_only_when_asked() -> None:
    survey = make_survey(CES_SURVEY)
    responses = pd.DataFrame({"status": ["complete", "partial", "complete", "partial"], "q_ces": [7, 1, 5, None]})
    card = score_survey(responses, survey)
    # complete: 7, 5 → mean 6; with partial: 7, 1, 5 → mean 13/3 (the last partial did not answer).
    assert (card.get("q_ces:mean").estimate, card.responses_scored, card.responses_total) == (6.0, 2, 4)
    with_partial = score_survey(responses, survey, include_partial=True)
    assert with_partial.get("q_ces:mean").estimate == pytest.approx(13 / 3)
    assert with_partial.responses_scored == 4


def test_no_answers_and_one_answer_give_none_not_nan() -> None:
    survey = make_survey(NPS_SURVEY + CES_SURVEY)
    none = score_survey(complete({"q_nps": [None, None], "q_ces": [None, None]}), survey)
    for metric in (none.get("q_nps:nps"), none.get("q_ces:mean"), none.get("q_ces:easy")):
        assert (metric.estimate, metric.ci_low, metric.ci_high, metric.n) == (None, None, None, 0)
        assert metric.note == "no answers"
    one = score_survey(complete({"q_nps": [10, None], "q_ces": [3, None]}), survey)
    nps = one.get("q_nps:nps")
    assert (nps.estimate, nps.ci_low, nps.ci_high, nps.n) == (100.0, None, None, 1)
    assert one.get("q_ces:mean").ci_low is None and one.get("q_ces:mean").note
    for card in (none, one):
        text = json.dumps(card.to_dict(), allow_nan=False)  # raises on NaN or infinity
        assert "NaN" not in text


def test_to_dict_and_to_frame_hold_every_metric() -> None:
    survey = make_survey(NPS_SURVEY + ALIGNMENT, **PROMISES)
    responses = alignment_responses().assign(q_nps=[10, 0, 7, None])
    card = score_survey(responses, survey)
    assert isinstance(card, Scorecard)
    data = card.to_dict()
    # overall: bas, nps, promoters, detractors (4); promises: easy, partner (2).
    assert [m["name"] for m in data["overall"]] == ["q_nps:nps", "q_nps:promoters", "q_nps:detractors",
                                                    "q_align:bas"]
    assert [m["name"] for m in data["promises"]] == ["q_align.easy", "q_align.partner"]
    assert data["responses"] == {"total": 4, "scored": 4, "statuses_scored": ["complete"]}
    frame = card.to_frame()
    assert len(frame) == 6 and list(frame["group"]).count("promises") == 2
    assert frame.set_index("name").loc["q_nps:nps", "estimate"] == pytest.approx(100 * (1 / 3 - 1 / 3))


# --- respondent_scores --------------------------------------------------------------------------------------

def test_respondent_scores_columns_and_values() -> None:
    survey = make_survey(ALIGNMENT + FRICTION + NPS_SURVEY + CSAT_SURVEY + CES_SURVEY, **PROMISES, **TOUCHPOINTS)
    responses = pd.concat([alignment_responses().iloc[:4], friction_responses().iloc[:4].drop(columns="status")],
                          axis=1).assign(q_nps=[10, 3, None, 8], q_csat=[5, 1, 2, None], q_ces=[7, None, 1, 4])
    responses.index = ["r1", "r2", "r3", "r4"]
    scores = respondent_scores(responses, survey)
    assert list(scores.columns) == ["bas", "ces", "csat", "nps", "friction_count"]
    assert list(scores.index) == ["r1", "r2", "r3", "r4"]
    # bas: [87.5, 25, 75, 25] (worked above); friction: [1, 2, 0, —].
    assert scores["bas"].tolist() == [87.5, 25.0, 75.0, 25.0]
    assert scores["friction_count"].tolist()[:3] == [1.0, 2.0, 0.0] and math.isnan(scores.loc["r4", "friction_count"])
    assert scores["nps"].tolist()[:2] == [10.0, 3.0] and math.isnan(scores.loc["r3", "nps"])
    assert scores.loc["r1", "csat"] == 5.0 and scores.loc["r3", "ces"] == 1.0


def test_respondent_scores_name_each_of_several_alignment_questions() -> None:
    survey = make_survey(ALIGNMENT + [{"id": "q_align2", "type": "alignment", "points": 7, "promises": ["partner"],
                                       "text": "And now?"}], **PROMISES)
    responses = alignment_responses().assign(**{"q_align2.partner": [7, 4, 1, None]})
    scores = respondent_scores(responses, survey)
    assert list(scores.columns) == ["bas.q_align", "bas.q_align2"]
    # q_align2 on 7 points: 7 → 100, 4 → 50, 1 → 0.
    assert scores["bas.q_align2"].tolist()[:3] == [100.0, 50.0, 0.0]


# --- bad input ----------------------------------------------------------------------------------------------

def test_missing_columns_are_named() -> None:
    survey = make_survey(ALIGNMENT, **PROMISES)
    with pytest.raises(MissingColumn) as caught:
        score_survey(complete({"q_align.easy": [5]}), survey)
    assert caught.value.column == "q_align.partner" and "'q_align.partner'" in str(caught.value)
    assert isinstance(caught.value, CxroiError)
    with pytest.raises(MissingColumn, match="'status'"):
        score_survey(pd.DataFrame({"q_align.easy": [5], "q_align.partner": [4]}), survey)
    with pytest.raises(MissingColumn, match="'q_nps'"):
        respondent_scores(pd.DataFrame({"q_ces": [5]}), make_survey(NPS_SURVEY))


@pytest.mark.parametrize(("value", "problem"), [
    ("abc", "expected a number from 0 to 10, got 'abc'"),
    (11, "expected a number from 0 to 10, got 11"),
    (7.5, "expected a whole number from 0 to 10, got 7.5"),
    (-1, "expected a number from 0 to 10, got -1"),
])
def test_a_value_off_the_scale_names_column_and_row(value: Any, problem: str) -> None:
    responses = pd.DataFrame({"status": ["complete"] * 3, "q_nps": [9, value, 3]}, index=["r1", "r2", "r3"])
    with pytest.raises(InvalidValue) as caught:
        score_survey(responses, make_survey(NPS_SURVEY))
    assert (caught.value.column, caught.value.row) == ("q_nps", "r2")
    assert str(caught.value) == f"row r2, column 'q_nps': {problem}"


def test_numeric_text_is_read_and_unknown_status_is_an_error() -> None:
    survey = make_survey(CES_SURVEY)
    responses = pd.DataFrame({"status": ["complete", " complete ", "complete"], "q_ces": ["7", " 5", ""]})
    assert score_survey(responses, survey).get("q_ces:mean").estimate == 6.0  # (7 + 5)/2; "" is no answer
    with pytest.raises(InvalidValue) as caught:
        score_survey(pd.DataFrame({"status": ["complete", "done"], "q_ces": [7, 5]}), survey)
    assert str(caught.value) == ("row 1, column 'status': expected complete or partial (scored) or started, "
                                 "abandoned, invited (never scored), got 'done'")
    with pytest.raises(InvalidValue, match="row 0, column 'status'.*got an empty cell"):
        score_survey(pd.DataFrame({"status": [None, "complete"], "q_ces": [7, 5]}), survey)
    # Never-submitted statuses are accepted and never scored, even with include_partial: mean of 7 and 1 = 4.
    mixed = pd.DataFrame({"status": ["complete", "abandoned", "partial", "invited"], "q_ces": [7, 2, 1, None]})
    card = score_survey(mixed, survey, include_partial=True)
    assert (card.get("q_ces:mean").estimate, card.responses_scored) == (4.0, 2)


def test_scores_answers_stored_through_the_definition(example_path: Path) -> None:
    """Answers cleaned and spread over columns by the survey model itself (as the web app stores and exports
    them), then scored: the column names and 0/1 friction cells must line up."""
    survey = read_survey(example_path)
    raw_answers = [
        {"q_align": {"easy": "5", "partner": "3"}, "q_ces": "6", "q_nps": "9",
         "q_friction": {"ordering": {"hesitated": "yes", "what": "slow"}, "billing": "no"},
         "q_channels": ["phone", "chat"], "q_channel": {"phone": "4", "chat": "2"}},
        {"q_align": {"easy": "2", "partner": "2"}, "q_ces": "2", "q_nps": "4", "q_friction": {"ordering": "no"},
         "q_channels": ["email"], "q_channel": {"email": "5"}, "q_why": "Fees"},
    ]
    rows = []
    for raw in raw_answers:
        answers: dict[str, Any] = {}
        for section in survey.sections:
            cleaned, errors = survey.clean_section(section, raw, answers)
            assert not errors
            answers |= cleaned
        rows.append({"status": "complete", **survey.to_row(answers)})
    card = score_survey(pd.DataFrame(rows, columns=survey.columns()), survey)
    # BAS per respondent: (100 + 50)/2 = 75 and (25 + 25)/2 = 25 → 50; easy (100, 25) → 62.5; partner → 37.5.
    assert card.get("q_align:bas").estimate == 50.0
    assert [m.estimate for m in card.promises] == [62.5, 37.5]
    # CES (6, 2) → mean 4, 1 of 2 easy; NPS: one promoter, one detractor → 0.
    assert (card.get("q_ces:mean").estimate, card.get("q_ces:easy").estimate) == (4.0, 50.0)
    assert card.get("q_nps:nps").estimate == 0.0
    # Friction: ordering (yes, no) → 50 % of 2; billing answered only by the first (no) → 0 % of 1.
    assert [(m.estimate, m.n) for m in card.touchpoints] == [(50.0, 2), (0.0, 1)]
    assert card.get("q_friction:count").estimate == 0.5
    # Channels: phone 4, email 5, chat 2, one rating each; only the first rated two channels: gap 4 − 2 = 2.
    assert [(m.row, m.estimate, m.n) for m in card.channels] == [("phone", 4.0, 1), ("email", 5.0, 1),
                                                                  ("chat", 2.0, 1)]
    assert (card.get("q_channel:consistency").estimate, card.get("q_channel:consistency").n) == (2.0, 1)


# --- real data: airline passengers --------------------------------------------------------------------------

AIRLINE_TOUCHPOINTS = {
    "wifi": "Inflight wifi service", "time": "Departure/Arrival time convenient", "booking": "Ease of Online booking",
    "gate": "Gate location", "food": "Food and drink", "boarding": "Online boarding", "seat": "Seat comfort",
    "entertainment": "Inflight entertainment", "onboard": "On-board service", "legroom": "Leg room service",
    "baggage": "Baggage handling", "checkin": "Checkin service", "inflight": "Inflight service",
    "cleanliness": "Cleanliness",
}


def test_airline_touchpoint_ratings_match_pandas_means() -> None:
    raw = pd.read_csv(TEST_DATA / "airline_passenger_satisfaction.csv")
    survey = make_survey([{"id": qid, "type": "rating", "text": f"How was the {label.lower()}?",
                           "scale": {"min": 1, "max": 5, "min_label": "Very poor", "max_label": "Excellent"}}
                          for qid, label in AIRLINE_TOUCHPOINTS.items()])
    # 0 means "not applicable" in this data set: a missing answer, not a rating.
    responses = raw.rename(columns={v: k for k, v in AIRLINE_TOUCHPOINTS.items()})
    responses = responses.assign(status="complete").replace({qid: {0: np.nan} for qid in AIRLINE_TOUCHPOINTS})
    card = score_survey(responses, survey)
    assert card.responses_scored == 20000
    for qid, column in AIRLINE_TOUCHPOINTS.items():
        applicable = raw.loc[raw[column] != 0, column]
        metric = card.get(f"{qid}:mean")
        assert metric.n == len(applicable)
        assert metric.estimate == pytest.approx(applicable.mean(), rel=1e-12)
        assert (metric.ci_low, metric.ci_high) == pytest.approx(t_interval(applicable.tolist()), rel=1e-9)
    assert card.get("wifi:mean").n < 20000  # the wifi column has "not applicable" answers


# --- reading tables and the command line --------------------------------------------------------------------

CLI_DEFINITION = """
id: cli_test
title: CLI test
sections:
  - id: main
    title: Main
    questions:
      - {id: q_nps, type: nps, text: "How likely are you to recommend us?"}
"""


def test_read_responses_table_from_csv_xlsx_and_parquet(tmp_path: Path) -> None:
    table = pd.DataFrame({"customer_id": ["007", "042"], "status": ["complete", "partial"], "q_nps": [9, 3]})
    table.to_csv(tmp_path / "r.csv", index=False)
    table.to_excel(tmp_path / "r.xlsx", index=False)
    table.to_parquet(tmp_path / "r.parquet", index=False)
    for name in ("r.csv", "r.xlsx", "r.parquet"):
        read = read_responses_table(tmp_path / name)
        assert read["customer_id"].tolist() == ["007", "042"]  # ids keep their leading zeros
        assert read["q_nps"].tolist() == [9, 3]


def test_read_responses_table_handles_excel_csv_habits(tmp_path: Path) -> None:
    # Excel's "CSV UTF-8" starts with a byte-order mark; many locales separate with ';'.
    (tmp_path / "semi.csv").write_bytes(b"\xef\xbb\xbfstatus;q_nps\ncomplete;9\npartial;\n")
    read = read_responses_table(tmp_path / "semi.csv")
    assert list(read.columns) == ["status", "q_nps"] and read["q_nps"].iloc[0] == 9
    (tmp_path / "dup.csv").write_text("status,q_nps,q_nps\ncomplete,9,1\n")
    with pytest.raises(UnreadableTable, match="the column 'q_nps' appears more than once"):
        read_responses_table(tmp_path / "dup.csv")


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("r.txt", b"a,b\n", "expected a .csv, .xlsx or .parquet file"),
    ("r.csv", b"", "the file is empty"),
    ("r.xlsx", b"not a workbook", "not a readable .xlsx workbook"),
    ("r.parquet", b"not parquet", "cannot read the file"),
    ("r.csv", b"\xff\xfeq\x00", "not UTF-8"),
])
def test_unreadable_tables_name_the_file(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableTable) as caught:
        read_responses_table(path)
    assert str(caught.value).startswith(f"{path}: ") and reason in str(caught.value)
    with pytest.raises(UnreadableTable, match="no such file"):
        read_responses_table(tmp_path / "missing.csv")


def test_file_row_counts_the_header_row() -> None:
    # CSV/XLSX: header is row 1, the first data row (label 0) is row 2; Parquet has no header row.
    assert file_row("r.csv", 0) == "r.csv, row 2"
    assert file_row("r.xlsx", np.int64(9)) == "r.xlsx, row 11"
    assert file_row("r.parquet", 0) == "r.parquet, row 1"
    assert file_row("r.csv", "r7") == "r.csv, row r7"


def test_cli_score_json_and_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s.yaml").write_text(CLI_DEFINITION)
    pd.DataFrame({"status": ["complete"] * 4 + ["partial"], "q_nps": [10, 9, 5, 8, 0]}).to_csv(
        tmp_path / "r.csv", index=False)
    main(["survey", "score", str(tmp_path / "s.yaml"), "--responses", str(tmp_path / "r.csv"), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    # Complete only: 2 promoters, 1 passive, 1 detractor of 4 → NPS 100 × (0.5 − 0.25) = 25.
    nps = next(m for m in data["overall"] if m["name"] == "q_nps:nps")
    assert (nps["estimate"], nps["n"]) == (25.0, 4)
    main(["survey", "score", str(tmp_path / "s.yaml"), "--responses", str(tmp_path / "r.csv"), "--include-partial"])
    text = capsys.readouterr().out
    # With the partial 0: 2 promoters, 2 detractors of 5 → NPS 0.
    assert "5 of 5 responses scored" in text
    assert any(line.split()[:3] == ["Net", "Promoter", "Score"] and "0.0" in line for line in text.splitlines())


def test_cli_bad_value_names_file_row_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s.yaml").write_text(CLI_DEFINITION)
    # Header is row 1 of the file, so the third data row (label 2) is row 4.
    (tmp_path / "r.csv").write_text("status,q_nps\ncomplete,10\ncomplete,9\ncomplete,ten\n")
    with pytest.raises(SystemExit) as exited:
        main(["survey", "score", str(tmp_path / "s.yaml"), "--responses", str(tmp_path / "r.csv")])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.strip() == f"error: {tmp_path / 'r.csv'}, row 4, column 'q_nps': expected a number from 0 to 10, got 'ten'"
    with pytest.raises(SystemExit) as exited:
        main(["survey", "score", str(tmp_path / "s.yaml"), "--responses", str(tmp_path / "r.tsv")])
    assert exited.value.code == 2 and "r.tsv" in capsys.readouterr().err
    (tmp_path / "r.csv").write_text("status,nps\ncomplete,10\n")
    with pytest.raises(SystemExit) as exited:
        main(["survey", "score", str(tmp_path / "s.yaml"), "--responses", str(tmp_path / "r.csv")])
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {tmp_path / 'r.csv'}: the responses table has no column 'q_nps', needed to score this survey")
