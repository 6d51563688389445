"""What goes into a model and how its numbers come out: design matrices, controls, clusters, the metrics of
the joint and headline models, JSON-safe numbers and intervals.

Every feature module (retention, survival, revenue, comparison, drivers, money, segments, bands, …) builds
its inputs and writes its outputs with these, rather than borrowing them from another feature.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests

from ..results import FittedModel, Term
from ..types import AnalysisData, Metric

Z95 = float(norm.ppf(0.975))
"""The normal quantile of a two-sided 95% Wald interval (1.959964…)."""

# --- controls -------------------------------------------------------------------------------------------

CONTROL_LABELS = {
    "tenure_months": "tenure_months (per month)",
    "log_revenue": "ln(1 + revenue)",
    "log_revenue_prior": "ln(1 + revenue_prior)",
}
"""How a control column of `control_frame` is named in results.json."""


def control_frame(frame: pd.DataFrame, controls: Sequence[str]) -> pd.DataFrame:
    """The control columns as model inputs: tenure in months as is, revenue as ln(1 + revenue)."""
    out = pd.DataFrame(index=frame.index)
    for name in controls:
        if name not in frame.columns:
            continue
        if name in ("revenue", "revenue_prior"):
            out[f"log_{name}"] = np.log1p(frame[name].astype(float))
        else:
            out[name] = frame[name].astype(float)
    return out


# --- design matrices ------------------------------------------------------------------------------------

def build_design(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Numeric predictor columns for `columns`: numbers as floats, text/categories as 0/1 dummies.

    The first level of a categorical column is the reference (dropped), so an intercept can be added.
    Missing values stay missing; callers drop incomplete rows for the model at hand.
    """
    parts: list[pd.DataFrame] = []
    for column in columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            parts.append(values.astype(float).to_frame(column))
        else:
            dummies = pd.get_dummies(values.astype("string"), prefix=column, prefix_sep="=", drop_first=True,
                                     dtype=float)
            dummies[values.isna().to_numpy()] = np.nan
            parts.append(dummies)
    if not parts:
        return pd.DataFrame(index=frame.index)
    return pd.concat(parts, axis=1)


# --- which metrics a model uses -------------------------------------------------------------------------

SUMMARY_FAMILIES = ("bas", "ces", "csat", "nps", "friction_count")
"""Metric families that summarise a questionnaire (as opposed to its single driver items)."""

MAX_JOINT_METRICS = 30

HEADLINE_MAX_MISSING_SHARE = 0.2
"""A summary metric missing for more than this share of customers is not a headline metric."""


def joint_metrics(data: AnalysisData) -> list[Metric]:
    """The metrics of the joint models: the summary scores when a definition gave them, else every metric
    (at most 30)."""
    summary = [m for m in data.metrics if m.family in SUMMARY_FAMILIES]
    return (summary or list(data.metrics))[:MAX_JOINT_METRICS]


def headline_metrics(data: AnalysisData) -> tuple[Metric, ...]:
    """Summary metrics (not driver items) present for at least 80% of the analysed customers: the default
    predictors of the money churn model, and the metrics whose means the segment table shows."""
    item_names = {item.name for item in data.items}
    chosen = []
    for metric in data.metrics:
        if metric.name in item_names or metric.column not in data.frame:
            continue
        if pd.to_numeric(data.frame[metric.column], errors="coerce").isna().mean() <= HEADLINE_MAX_MISSING_SHARE:
            chosen.append(metric)
    return tuple(chosen)


# --- clusters -------------------------------------------------------------------------------------------

def account_clusters(frame: pd.DataFrame) -> np.ndarray | None:
    """Cluster code per row from `account_id` (a row without one is its own cluster), or None when no
    account holds more than one customer (then clustering changes nothing).

    Used by the logistic fits (`fit_logit(groups=…)`) and the drivers' cluster bootstrap.
    """
    if "account_id" not in frame.columns:
        return None
    codes, _ = pd.factorize(frame["account_id"])
    codes = np.asarray(codes)
    missing = codes < 0
    codes[missing] = codes.max(initial=-1) + 1 + np.arange(int(missing.sum()))
    if len(codes) == 0 or np.bincount(codes).max() < 2:
        return None
    return codes


def account_codes(frame: pd.DataFrame) -> np.ndarray | None:
    """Cluster code per row from `account_id` for the revenue models, or None when no row names an account.

    Unlike `account_clusters`, rows without an account share one cluster, and the codes are given even when
    every account holds a single customer (the revenue models are then `ols_cluster` all the same).
    """
    if "account_id" in frame.columns and frame["account_id"].notna().any():
        return np.asarray(pd.factorize(frame["account_id"].fillna("<none>"))[0])
    return None


# --- numbers for results.json ---------------------------------------------------------------------------

def finite_or_none(value: Any) -> float | None:
    """A float that JSON can carry: NaN and infinities become None."""
    if value is None:
        return None
    number = float(value)
    return number if np.isfinite(number) else None


def interval_or_none(low: Any, high: Any) -> list[float | None]:
    """A two-element [low, high] list with non-finite ends as None."""
    return [finite_or_none(low), finite_or_none(high)]


def percentile_interval(values: np.ndarray) -> tuple[float | None, float | None]:
    """2.5th and 97.5th percentiles of the finite values (a 95% percentile interval of bootstrap or
    parametric draws), or (None, None) when fewer than two are finite."""
    finite = values[np.isfinite(values)]
    if len(finite) < 2:
        return None, None
    low, high = np.percentile(finite, [2.5, 97.5])
    return float(low), float(high)


def wald_term(name: str, coef: float, se: float, *, ame: float | None = None,
              ame_se: float | None = None) -> Term:
    """A term of a logistic or Cox model: coefficient, standard error, 95% Wald interval coef ± 1.96·se,
    two-sided normal p-value (None when se is not positive), and the ratio exp(coef) with exp(interval)
    (an end beyond e^700, which would overflow, is None)."""
    low, high = coef - Z95 * se, coef + Z95 * se
    return Term(name, coef, se, (low, high), float(2 * norm.sf(abs(coef / se))) if se > 0 else None,
                ratio=float(np.exp(coef)) if abs(coef) < 700 else None,
                ratio_ci=(float(np.exp(low)) if low < 700 else None, float(np.exp(high)) if high < 700 else None),
                ame=ame, ame_se=ame_se)


def benjamini_hochberg(p_values: Sequence[float | None]) -> list[float | None]:
    """Benjamini–Hochberg q-values (false-discovery-rate adjusted p-values, statsmodels `fdr_bh`) over the
    p-values that exist; None stays None."""
    known = [i for i, p in enumerate(p_values) if p is not None and np.isfinite(p)]
    out: list[float | None] = [None] * len(p_values)
    if known:
        adjusted = multipletests([float(p_values[i]) for i in known], method="fdr_bh")[1]  # type: ignore[arg-type]
        for i, q in zip(known, adjusted, strict=True):
            out[i] = float(q)
    return out


def with_false_discovery_rate(models: Sequence[FittedModel], metrics: Sequence[str]) -> list[FittedModel]:
    """Each single model's metric term with its Benjamini–Hochberg q-value across all the models (the report
    ranks the metrics and calls some significant, so the many tests are controlled together)."""
    terms = [model.term(name) for model, name in zip(models, metrics, strict=True)]
    q_values = benjamini_hochberg([t.p if t is not None else None for t in terms])
    out = []
    for model, name, q in zip(models, metrics, q_values, strict=True):
        if q is not None:
            model = replace(model, terms=tuple(replace(t, q=q) if t.name == name else t for t in model.terms))
        out.append(model)
    return out


def resample_counts(rng: np.random.Generator, n: int, clusters: np.ndarray | None) -> np.ndarray:
    """How many times each row is drawn in one bootstrap resample: rows drawn with replacement, or, with
    `clusters` (codes 0..m−1, each used, as `account_clusters` gives), m whole clusters drawn with replacement
    so a row counts as often as its cluster."""
    if clusters is None:
        return np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
    m = int(clusters.max()) + 1
    return np.bincount(rng.integers(0, m, m), minlength=m)[clusters].astype(float)
