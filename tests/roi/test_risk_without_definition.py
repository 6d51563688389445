"""Without a survey definition (issue 12, defect 4): revenue at risk says which columns it rests on, and never
silently fits the controls alone."""

from __future__ import annotations

import numpy as np
import pandas as pd

from roi.config import build_config
from roi.data import build_analysis_data
from roi.money import revenue_at_risk


def _data(*, answered_share: float) -> object:
    rng = np.random.default_rng(3)
    n = 1500
    score = rng.integers(0, 11, n).astype(float)
    churned = (rng.random(n) < 1 / (1 + np.exp(-(1.0 - 0.4 * score)))).astype(int)
    shown = np.where(rng.random(n) < answered_share, score.astype(int).astype(str), None)
    responses = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "score": shown,
                              "other": rng.integers(1, 6, n).astype(str)})
    if answered_share < 0.8:
        responses["other"] = np.where(rng.random(n) < answered_share, responses["other"], None)
    outcomes = pd.DataFrame({"customer_id": responses["customer_id"], "churned": churned.astype(str),
                             "revenue": rng.uniform(100, 1000, n).round(2).astype(str)})
    return build_analysis_data(responses, outcomes, config=build_config({"controls": ["revenue"]}))


def test_raw_metrics_are_used_and_the_choice_is_said() -> None:
    risk = revenue_at_risk(_data(answered_share=1.0), seed=0, replicates=0)  # type: ignore[arg-type]
    assert risk.predictors[:2] == ("score", "other")
    codes = [(w.code, w.subject) for w in risk.warnings]
    assert ("no_definition", "revenue at risk") in codes
    message = next(w.message for w in risk.warnings if w.code == "no_definition")
    assert "all 2 numeric columns" in message and "score, other" in message


def test_controls_only_is_said_when_no_column_is_answered_enough() -> None:
    risk = revenue_at_risk(_data(answered_share=0.5), seed=0, replicates=0)  # type: ignore[arg-type]
    assert risk.predictors == ("revenue",)
    message = next(w.message for w in risk.warnings if w.code == "no_definition")
    assert "rests on the controls alone" in message
