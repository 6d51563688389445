"""Estimates with 95% intervals: Wilson for shares, Student t for means, the multinomial normal
approximation for NPS. Each returns a `MetricScore`; too little data gives None and a note, never NaN.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .scorecard import MetricScore

Z95 = 1.959963984540054
"""The normal quantile for a two-sided 95% interval, `scipy.stats.norm.ppf(0.975)` written out: every question type
imports this module, and scipy would add a second to the start of every command (tests/webapp/
test_export_cli_imports.py checks the two agree)."""

NPS_SMALL_N = 30
"""Below this many answers the NPS normal approximation is flagged as rough (docs/scoring.md)."""

WILSON = "share with a Wilson score 95% interval"
T_MEAN = "mean with a Student t 95% interval"
NPS_METHOD = (
    "NPS = 100 × (share of 9–10 − share of 0–6); 95% interval from the multinomial variance "
    "(p_P + p_D − (p_P − p_D)²)/n, normal approximation, clamped to [−100, 100]"
)


@dataclass(frozen=True)
class Label:
    """What a metric is called: its name, human label, kind, unit and the question (and row) it comes from."""

    name: str
    label: str
    kind: str
    unit: str
    question_id: str
    row: str | None = None


_WEIGHTS: ContextVar[pd.Series | None] = ContextVar("frequency_weights", default=None)


@contextmanager
def frequency_weights(weights: pd.Series | None) -> Iterator[None]:
    """While the block runs, each row of the responses being scored stands for `weights[row label]` responses
    (a table of distinct answers with their counts, e.g. the results page's tallies): n, means, standard
    deviations and shares are those of the responses the rows stand for. None: one response per row."""
    token = _WEIGHTS.set(weights)
    try:
        yield
    finally:
        _WEIGHTS.reset(token)


def _counts(values: pd.Series) -> np.ndarray:
    """How many responses each of `values` stands for: 1 each, or its row's frequency weight."""
    weights = _WEIGHTS.get()
    if weights is None:
        return np.ones(len(values))
    return weights.reindex(values.index).to_numpy(dtype="float64")


def _score(label: Label, estimate: float | None, low: float | None, high: float | None, n: int, method: str,
           note: str | None) -> MetricScore:
    return MetricScore(
        name=label.name, label=label.label, kind=label.kind, estimate=estimate, ci_low=low, ci_high=high, n=n,
        method=method, note=note, unit=label.unit, question_id=label.question_id, row=label.row,
    )


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for successes/n as proportions in [0, 1]; n must be positive."""
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def score_share(label: Label, flags: pd.Series) -> MetricScore:
    """Percentage of 1s among the non-missing 0/1 values of `flags`, with a Wilson interval (in %)."""
    answered = flags.dropna()
    counts = _counts(answered)
    n = int(counts.sum())
    if n == 0:
        return _score(label, None, None, None, 0, WILSON, "no answers")
    successes = int(np.dot(counts, answered.to_numpy(dtype="float64")))
    low, high = wilson_interval(successes, n)
    note = "one answer only: read the interval as very rough" if n == 1 else None
    return _score(label, 100 * successes / n, 100 * low, 100 * high, n, WILSON, note)


def score_mean(label: Label, values: pd.Series | Iterable[float], *,
               bounds: tuple[float, float] | None = None) -> MetricScore:
    """Mean of the non-missing values with a Student t interval, clamped to `bounds` (the scale) when given."""
    answered = pd.Series(values, dtype="float64").dropna()
    data, counts = answered.to_numpy(), _counts(answered)
    n = int(counts.sum())
    if n == 0:
        return _score(label, None, None, None, 0, T_MEAN, "no answers")
    weighted = _WEIGHTS.get() is not None
    mean = float(np.dot(counts, data) / n) if weighted else float(np.mean(data))
    if n == 1:
        return _score(label, mean, None, None, 1, T_MEAN, "one answer only: no interval")
    sd = (math.sqrt(float(np.dot(counts, (data - mean) ** 2)) / (n - 1)) if weighted
          else float(np.std(data, ddof=1)))
    from scipy import stats  # here, not at the top: see Z95

    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    low, high = mean - half, mean + half
    notes = []
    if sd == 0:
        notes.append("every answer was the same, so the interval has no width")
    if bounds is not None and (low < bounds[0] or high > bounds[1]):
        low, high = float(max(low, bounds[0])), float(min(high, bounds[1]))
        notes.append("interval clamped to the scale")
    return _score(label, mean, low, high, n, T_MEAN, "; ".join(notes) or None)


def score_nps(label: Label, answers: pd.Series) -> MetricScore:
    """Net Promoter Score of 0–10 answers, with the interval described in `NPS_METHOD`."""
    answered = answers.dropna()
    counts = _counts(answered)
    n = int(counts.sum())
    if n == 0:
        return _score(label, None, None, None, 0, NPS_METHOD, "no answers")
    promoters = float(counts[(answered >= 9).to_numpy()].sum()) / n
    detractors = float(counts[(answered <= 6).to_numpy()].sum()) / n
    nps = 100 * (promoters - detractors)
    if n == 1:
        return _score(label, nps, None, None, 1, NPS_METHOD, "one answer only: no interval")
    variance = promoters + detractors - (promoters - detractors) ** 2
    half = Z95 * 100 * math.sqrt(max(variance, 0.0) / n)
    notes = []
    if n < NPS_SMALL_N:
        notes.append(f"small sample (n < {NPS_SMALL_N}): the normal approximation is rough")
    if variance <= 0:
        notes.append("every answer fell in one group, so the interval has no width")
    low, high = nps - half, nps + half
    if low < -100 or high > 100:
        low, high = max(low, -100.0), min(high, 100.0)
        notes.append("interval clamped to [−100, 100]")
    return _score(label, nps, low, high, n, NPS_METHOD, "; ".join(notes) or None)
