"""Results by wave: every candidate metric per wave with its 95% interval, the tests of change between
consecutive waves, and the churn model on each customer's latest answer per window.

A **wave** is a round of the survey: the responses table's wave column (`wave`, or `response_wave` as the export
names it when a question is called `wave`; `roi.yaml` `waves.column` names another), else — only when
`waves.period` asks for it — the calendar month, quarter or year of `submitted_at`. Waves are ordered by the
median `submitted_at` of their responses (by first appearance in the file without dates). Within a wave each
customer counts once, with their latest submitted answer (the rules of `roi.inputs.responses`: anonymous and
unsubmitted responses are set aside).

Per wave and metric: n, the mean with its Student t 95% interval, or — for a metric whose answers are all 0 or 1
(a friction flag) — the share of 1s with its Wilson interval. Between consecutive waves: Welch's t-test for a
mean, the two-proportion z-test for a share (`roi.over_time.change`), their p-values adjusted over the metrics
of that pair of waves by Holm (default) or Benjamini–Hochberg (`waves.adjust`).

The churn models relate `churned` to the headline metric alone, once per window: each wave (its latest answer
per customer) and, when `waves.outcome_window_start` is set, the latest answer per customer submitted **before**
the outcome window began (answers given during the window may already reflect the decision to leave).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from surveys.errors import CxroiError
from surveys.scoring.intervals import wilson_interval

from ..config import RoiConfig
from ..fitting import fit_logit, wald_term
from ..inputs.responses import WAVE_COLUMNS, build_responses
from ..types import AnalysisData, Metric, RoiWarning
from .change import ADJUSTMENT_WORDS, WaveChange, adjust_changes, share_change, welch_change

SMALL_WAVE = 30
"""A wave with fewer respondents than this gets a `small_sample` warning: its interval is wide."""
PERIOD_CODES = {"month": "M", "quarter": "Q", "year": "Y"}


@dataclass(frozen=True)
class WaveScore:
    """One metric in one wave: respondents with an answer, the mean (or share of 1s, as a proportion) and its
    95% interval, and the standard deviation (means only)."""

    n: int
    estimate: float | None
    ci: tuple[float | None, float | None]
    sd: float | None = None
    count: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "estimate": self.estimate, "ci": list(self.ci), "sd": self.sd, "count": self.count}


@dataclass(frozen=True)
class WaveTrend:
    metric: str
    label: str
    kind: str  # "mean" or "share"
    scores: tuple[WaveScore, ...]
    changes: tuple[WaveChange | None, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "label": self.label, "kind": self.kind,
                "scores": [s.to_dict() for s in self.scores],
                "changes": [c.to_dict() if c is not None else None for c in self.changes]}


@dataclass(frozen=True)
class OverTime:
    """What `results_by_wave` found; `reason` says why there is no trend when `trends` is empty."""

    source: str
    waves: tuple[dict[str, Any], ...]
    trends: tuple[WaveTrend, ...] = ()
    adjustment: str = "holm"
    churn_models: tuple[dict[str, Any], ...] = ()
    reason: str | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[RoiWarning, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "waves": list(self.waves), "adjustment": self.adjustment,
                "metrics": [t.to_dict() for t in self.trends], "churn_models": list(self.churn_models),
                "reason": self.reason, "notes": list(self.notes), "warnings": [w.to_dict() for w in self.warnings]}


def wave_column(raw: pd.DataFrame, data: AnalysisData, configured: str | None) -> str | None:
    """The responses' wave column: the configured one, else `response_wave` or `wave` when it is not a question's
    column of the survey."""
    if configured is not None:
        return configured if configured in raw.columns else None
    questions = set(data.survey.columns()) if data.survey is not None else set()
    for name in reversed(WAVE_COLUMNS):  # response_wave first: the export uses it only when a question is `wave`
        if name in raw.columns and name not in questions:
            return name
    return None


def _submitted(raw: pd.DataFrame) -> pd.Series:
    if "submitted_at" not in raw.columns:
        return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
    return pd.to_datetime(raw["submitted_at"], errors="coerce", format="mixed", utc=True)


def wave_labels(raw: pd.DataFrame, data: AnalysisData, config: RoiConfig) -> tuple[pd.Series, str] | None:
    """Each response's wave (None for none) and where the waves came from; None when there are no waves."""
    column = wave_column(raw, data, config.waves.column)
    if column is not None:
        labels = raw[column].map(lambda v: None if v is None or (isinstance(v, float) and v != v)
                                 or not str(v).strip() else str(v).strip())
        return labels, f"the responses' {column} column"
    period = config.waves.period
    if period == "none":
        return None
    stamps = _submitted(raw)
    if stamps.notna().sum() == 0:
        return None
    periods = stamps.dt.tz_localize(None).dt.to_period(PERIOD_CODES[period])
    labels = periods.map(lambda p: None if pd.isna(p) else str(p).replace("Q", "-Q"))
    return labels, f"the {period} of submitted_at"


def _order(labels: pd.Series, stamps: pd.Series) -> list[str]:
    """Wave names ordered by the median submission time of their responses (undated waves last), then by first
    appearance in the file."""
    present = [name for name in dict.fromkeys(labels) if name is not None]

    def key(item: tuple[int, str]) -> tuple[bool, int, int]:
        position, name = item
        dated = stamps[(labels == name).to_numpy()].dropna()
        return len(dated) == 0, dated.median().value if len(dated) else 0, position

    return [name for _, name in sorted(enumerate(present), key=key)]


def _score(values: np.ndarray, share: bool) -> WaveScore:
    n = len(values)
    if n == 0:
        return WaveScore(0, None, (None, None))
    if share:
        count = int(values.sum())
        low, high = wilson_interval(count, n)
        return WaveScore(n, count / n, (low, high), count=count)
    mean = float(values.mean())
    if n == 1:
        return WaveScore(1, mean, (None, None))
    sd = float(values.std(ddof=1))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return WaveScore(n, mean, (mean - half, mean + half), sd=sd)


def _change(before: WaveScore, after: WaveScore, share: bool) -> WaveChange | None:
    if before.estimate is None or after.estimate is None:
        return None
    if share:
        assert before.count is not None and after.count is not None
        return share_change((before.count, before.n), (after.count, after.n), scale=1.0)
    return welch_change((before.estimate, before.sd or 0.0, before.n), (after.estimate, after.sd or 0.0, after.n))


def _churn_model(table: pd.DataFrame, data: AnalysisData, metric: Metric, window: str) -> dict[str, Any]:
    """Logit of churned on the metric alone over the customers of one window found in the outcomes."""
    outcomes = data.customers[["customer_id", "churned"]] if "churned" in data.customers.columns else None
    out: dict[str, Any] = {"window": window, "metric": metric.name, "n": 0, "events": 0, "term": None,
                           "note": None}
    if outcomes is None or metric.column not in table.columns:
        out["note"] = "no churned column or no answers to the metric in this window"
        return out
    joined = table[["customer_id", metric.column]].merge(outcomes, on="customer_id", how="inner")
    joined = joined[np.isfinite(joined[metric.column].astype(float)) & joined["churned"].notna()]
    y, x = joined["churned"].to_numpy(dtype=float), joined[metric.column].to_numpy(dtype=float)
    out.update(n=len(y), events=int(y.sum()))
    fit, notes = fit_logit(y, x[:, None], names=[metric.name], subject=f"{metric.name} ({window})")
    if fit is None:
        out["note"] = "; ".join(w.message for w in notes) or "the model could not be fitted"
        return out
    coef, se = fit.term(metric.name)
    term = wald_term(metric.name, coef, se)
    out["term"] = {"coef": term.coef, "se": term.se, "ci": list(term.ci), "p": term.p,
                   "odds_ratio": term.ratio, "odds_ratio_ci": list(term.ratio_ci)}
    if notes:
        out["note"] = "; ".join(w.message for w in notes)
    return out


def _before_window(raw: pd.DataFrame, start: date) -> tuple[pd.DataFrame, int]:
    stamps = _submitted(raw)
    cut = pd.Timestamp(start, tz="UTC")
    before = stamps < cut
    return raw[before.to_numpy()], int((stamps >= cut).sum())


def results_by_wave(data: AnalysisData, config: RoiConfig, *, headline: Metric | None = None) -> OverTime | None:
    """Each metric per wave with tests of change, and the churn models per window; None without waves."""
    raw = data.history
    if raw is None or len(raw) == 0:
        return None
    found = wave_labels(raw, data, config)
    if found is None:
        if config.waves.column is not None:
            return OverTime("", (), reason=f"waves.column {config.waves.column!r} is not a column of the responses")
        return None
    labels, source = found
    names = _order(labels, _submitted(raw))
    adjustment = config.waves.adjust
    if len(names) < 2:
        if config.waves.column is None and config.waves.period == "none":
            return None  # e.g. the export's wave column of a survey that never ran in waves: nothing to say
        return OverTime(source, tuple({"name": n} for n in names), adjustment=adjustment,
                        reason=f"only {len(names)} wave in {source}: no change to test")
    tables = []
    try:
        for name in names:
            part = raw[(labels == name).to_numpy()].reset_index(drop=True)
            part.attrs.update(raw.attrs)
            tables.append(build_responses(part, config, data.survey).frame)
    except CxroiError as error:
        return OverTime(source, (), adjustment=adjustment, reason=f"the responses of a wave cannot be read: {error}")
    stamps = _submitted(raw)
    waves = []
    found_warnings: list[RoiWarning] = []
    for name, table in zip(names, tables, strict=True):
        dates = stamps[(labels == name).to_numpy()].dropna()
        waves.append({"name": name, "respondents": len(table),
                      "first_submitted": dates.min().strftime("%Y-%m-%d") if len(dates) else None,
                      "last_submitted": dates.max().strftime("%Y-%m-%d") if len(dates) else None})
        if len(table) < SMALL_WAVE:
            found_warnings.append(RoiWarning("small_sample", f"wave {name}", f"Wave {name} has only {len(table)} "
                                             "respondents; its scores have wide intervals."))
    metrics = [m for m in data.metrics if all(m.name in t.columns for t in tables)]
    columns = [[t[m.name].to_numpy(dtype=float) for t in tables] for m in metrics]
    answered = [[v[np.isfinite(v)] for v in per_wave] for per_wave in columns]
    shares = [all(np.isin(v, (0.0, 1.0)).all() for v in per_wave) for per_wave in answered]
    scores = [tuple(_score(v, share) for v in per_wave) for per_wave, share in zip(answered, shares, strict=True)]
    pairs = []
    for index in range(1, len(names)):
        pair = [_change(s[index - 1], s[index], share) for s, share in zip(scores, shares, strict=True)]
        pairs.append(adjust_changes(pair, adjustment))
    trends = tuple(WaveTrend(m.name, m.display, "share" if share else "mean", s,
                             (None, *(pair[i] for pair in pairs)))
                   for i, (m, s, share) in enumerate(zip(metrics, scores, shares, strict=True)))
    notes = [f"Changes between consecutive waves; p-values adjusted over the {len(metrics)} metrics of each pair "
             f"of waves by {ADJUSTMENT_WORDS[adjustment]}."]
    models: list[dict[str, Any]] = []
    if headline is not None:
        metric = next((m for m in data.metrics if m.name == headline.name), None)
        if metric is not None:
            metric = Metric(metric.name, metric.name, metric.polarity, metric.scale, metric.family, metric.label)
            models = [_churn_model(t, data, metric, f"wave {name}") for name, t in zip(names, tables, strict=True)]
            start = config.waves.outcome_window_start
            if start is not None:
                try:
                    models.append(_latest_before(raw, data, config, metric, start, notes))
                except CxroiError as error:
                    notes.append(f"No churn model on the latest answer before {start:%Y-%m-%d}: {error}")
    return OverTime(source, tuple(waves), trends, adjustment, tuple(models), None, tuple(notes),
                    tuple(found_warnings))


def _latest_before(raw: pd.DataFrame, data: AnalysisData, config: RoiConfig, metric: Metric, start: date,
                   notes: list[str]) -> dict[str, Any]:
    before, after = _before_window(raw, start)
    window = f"latest answer before {start:%Y-%m-%d}"
    if after:
        notes.append(f"{after} responses submitted on or after the outcome window's start ({start:%Y-%m-%d}) are "
                     "left out of the churn model on the latest answer before it.")
    if len(before) == 0:
        return {"window": window, "metric": metric.name, "n": 0, "events": 0, "term": None,
                "note": "no response was submitted before the outcome window began"}
    before = before.reset_index(drop=True)
    before.attrs.update(raw.attrs)
    table = build_responses(before, config, data.survey).frame
    return _churn_model(table, data, metric, window)


def trend_metrics(over_time: OverTime, names: Sequence[str]) -> list[WaveTrend]:
    """The trends of the named metrics, in that order (those present)."""
    by_name = {t.metric: t for t in over_time.trends}
    return [by_name[n] for n in names if n in by_name]
