"""Sentiment of open-text answers with VADER (its lexicon ships inside the vaderSentiment package).

`score_comments` gives the compound score in [−1, 1] per comment (NaN for an empty or missing one), which
the pipeline can add as a `sentiment` metric; `summarise_sentiment` gives the shares positive, neutral
and negative with VADER's standard thresholds (compound ≥ 0.05 positive, ≤ −0.05 negative).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from .fitting import finite_or_none
from .types import RoiWarning

POSITIVE = 0.05
NEGATIVE = -0.05


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    # Loading the lexicon takes a moment; one analyser serves every call.
    return SentimentIntensityAnalyzer()


def score_comments(texts: pd.Series) -> pd.Series:
    """VADER compound score per comment, aligned to `texts`; NaN where the comment is missing or blank."""
    analyzer = _analyzer()

    def score(value: Any) -> float:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return float("nan")
        text = str(value).strip()
        return float(analyzer.polarity_scores(text)["compound"]) if text else float("nan")

    values = texts.to_numpy(dtype=object)
    # Each distinct comment is scored once: repeated answers ("ok", "no") are common and VADER is the slow part.
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    scored = np.array([score(v) for v in distinct] + [float("nan")], dtype=float)  # last slot: missing
    return pd.Series(scored[codes], index=texts.index, name=texts.name, dtype=float)


@dataclass(frozen=True)
class SentimentSummary:
    """How the comments lean: shares of positive, neutral and negative, their number and mean compound."""

    n: int
    positive: float | None
    neutral: float | None
    negative: float | None
    mean: float | None
    warnings: tuple[RoiWarning, ...] = ()
    sample: tuple[dict[str, Any], ...] = ()
    """A few comments with their score (`sample_comments`), most negative first."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n, "positive": finite_or_none(self.positive), "neutral": finite_or_none(self.neutral),
            "negative": finite_or_none(self.negative), "mean": finite_or_none(self.mean),
            "thresholds": [NEGATIVE, POSITIVE], "sample": list(self.sample),
            "warnings": [w.to_dict() for w in self.warnings],
        }


SAMPLE_EACH_END = 5


def sample_comments(texts: pd.DataFrame, scores: np.ndarray, *, each_end: int = SAMPLE_EACH_END
                    ) -> tuple[dict[str, Any], ...]:
    """The `each_end` most negative and `each_end` most positive distinct comments, `{question, text,
    compound}`, ordered from most negative to most positive; all of them when there are fewer.

    `texts` holds one column per open-text question, `scores` their compound scores (same shape, NaN where
    blank). The text is kept exactly as written; ties keep row order, then question order.
    """
    found: dict[str, tuple[float, int, str]] = {}
    columns = list(texts.columns)
    for j, column in enumerate(columns):
        for i in np.flatnonzero(np.isfinite(scores[:, j])):
            text = str(texts.iat[int(i), j])
            # a repeated answer ("ok") is shown once: the sample should show different voices
            found.setdefault(text, (float(scores[i, j]), int(i) * len(columns) + j, column))
    ranked = sorted(found.items(), key=lambda item: (item[1][0], item[1][1]))
    chosen = ranked if len(ranked) <= 2 * each_end else ranked[:each_end] + ranked[-each_end:]
    return tuple({"question": column, "text": text, "compound": compound}
                 for text, (compound, _, column) in chosen)


def summarise_sentiment(texts: pd.Series) -> SentimentSummary:
    """Shares positive (compound ≥ 0.05), neutral and negative (≤ −0.05) over the non-empty comments."""
    scores = score_comments(texts).dropna().to_numpy()
    n = len(scores)
    if n == 0:
        return SentimentSummary(0, None, None, None, None)
    positive = float(np.mean(scores >= POSITIVE))
    negative = float(np.mean(scores <= NEGATIVE))
    notes: tuple[RoiWarning, ...] = ()
    if n < 30:
        notes = (RoiWarning("small_sample", str(texts.name or "comments"),
                            f"Only {n} comments; the sentiment shares are rough."),)
    return SentimentSummary(n, positive, 1.0 - positive - negative, negative, float(scores.mean()), notes)
