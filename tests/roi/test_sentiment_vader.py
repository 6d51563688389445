"""VADER sentiment: signs of obvious sentences, NaN for blanks, shares with the ±0.05 thresholds."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from roi.sentiment import score_comments, summarise_sentiment


def test_obvious_sentences_get_the_obvious_sign() -> None:
    texts = pd.Series(["The agent was wonderful and fixed everything, thank you!",
                       "Terrible service, I waited an hour and nobody helped. Awful.",
                       "   ", None, "The parcel came on Monday."], index=[10, 11, 12, 13, 14])
    scores = score_comments(texts)
    assert scores.index.tolist() == [10, 11, 12, 13, 14]
    assert scores[10] > 0.05
    assert scores[11] < -0.05
    assert math.isnan(scores[12]) and math.isnan(scores[13])
    assert -0.05 < scores[14] < 0.05
    assert scores.dropna().between(-1, 1).all()


def test_summary_shares() -> None:
    texts = pd.Series(["I love this company.", "Great, quick and friendly.", "This was a horrible mess.",
                       "The parcel came on Monday.", ""])
    summary = summarise_sentiment(texts)
    # four non-empty comments: two positive, one negative, one neutral
    assert summary.n == 4
    assert summary.positive == pytest.approx(0.5)
    assert summary.negative == pytest.approx(0.25)
    assert summary.neutral == pytest.approx(0.25)
    assert summary.warnings and summary.warnings[0].code == "small_sample"


def test_no_comments() -> None:
    summary = summarise_sentiment(pd.Series([None, " "], dtype=object))
    assert summary.n == 0 and summary.positive is None
    assert summary.to_dict()["mean"] is None


def test_repeated_comments_score_alike_and_keep_their_places() -> None:
    texts = pd.Series(["Awful.", None, "Great!", "Awful.", pd.NA], index=list("abcde"), dtype=object)
    scores = score_comments(texts)
    assert scores["a"] == scores["d"] < -0.05
    assert scores["c"] > 0.05
    assert math.isnan(scores["b"]) and math.isnan(scores["e"])
