"""The analysis pipeline: checked inputs in, `Results` out.

`analyze(data, config, seed=…)` runs every analysis over an `AnalysisData`; `analyze_files(...)` reads and
checks the files first and records what was read (names, sizes, sha256) in `Results.inputs`. The same seed
gives the same results (only `inputs.generated_at` differs): every random draw takes its seed from it.
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from surveys.files import read_survey

from . import diagnostics
from .bands import churn_by_band, headline_metric, survival_curves
from .case_loop import compare_closed_cases
from .comparison import compare_metrics
from .config import RoiConfig, read_config, to_config_data
from .data import build_analysis_data, read_outcomes_table, read_responses_table
from .drivers import estimate_drivers
from .money import customer_lifetime_value, estimate_scenario, revenue_at_risk
from .nonresponse import compare_nonresponse
from .over_time.waves import results_by_wave
from .programme import estimate_programme
from .results import Results
from .retention import fit_retention
from .revenue import fit_revenue
from .segments import segment_summary
from .sentiment import NEGATIVE, POSITIVE, SentimentSummary, sample_comments, score_comments
from .survival import fit_survival
from .themes.codebook import Codebook, read_codebook
from .themes.language import not_english
from .themes.pipeline import analyse_themes
from .types import AnalysisData, Metric, RoiWarning

MIN_COMMENTS_FOR_METRIC = 30
"""With at least this many commenters, comment sentiment becomes a candidate metric of its own."""


def version() -> str:
    """The installed cxroi version, or "unknown" from an uninstalled source tree."""
    try:
        return metadata.version("cxroi")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def file_facts(path: str | Path) -> dict[str, Any]:
    """Name, size and sha256 of an input file, so a report can prove which data it came from."""
    path = Path(path)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"name": path.name, "bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def score_text_answers(data: AnalysisData) -> np.ndarray:
    """VADER compound score of every open-text answer, shape (rows, text columns), NaN where blank.

    Scored once (VADER is a per-comment Python loop, the slowest step at scale) and shared by the
    `sentiment` metric and the sentiment summary.
    """
    columns = list(data.text_columns)
    if not columns:
        return np.empty((len(data.frame), 0))
    stacked = pd.concat([data.frame[c] for c in columns], ignore_index=True)
    scores = score_comments(stacked).to_numpy(dtype=float)
    scores[not_english(list(stacked))] = np.nan  # VADER is English: no fake "neutral" for others (docs/themes.md)
    return scores.reshape(len(columns), len(data.frame)).T


def with_sentiment(data: AnalysisData, scores: np.ndarray) -> AnalysisData:
    """Add `sentiment` (mean compound score of each respondent's comments, −1..1) as a candidate metric when
    at least 30 respondents commented."""
    if scores.shape[1] == 0 or "sentiment" in data.frame.columns:
        return data
    answered = np.isfinite(scores)
    count = answered.sum(axis=1)
    if int((count > 0).sum()) < MIN_COMMENTS_FOR_METRIC:
        return data
    mean = np.where(count > 0, np.where(answered, scores, 0.0).sum(axis=1) / np.maximum(count, 1), np.nan)
    frame = data.frame.assign(sentiment=mean)
    frame.attrs.update(data.frame.attrs)
    metric = Metric("sentiment", "sentiment", "higher_is_better", (-1.0, 1.0), "sentiment",
                    "Sentiment of comments")
    return replace(data, frame=frame, metrics=(*data.metrics, metric), items=(*data.items, metric))


def summarise_scores(scores: np.ndarray, texts: pd.DataFrame | None = None) -> SentimentSummary:
    """`roi.sentiment.summarise_sentiment` over already computed compound scores (same thresholds), with a
    sample of the comments in `texts` (the text columns the scores came from) when given."""
    values = scores[np.isfinite(scores)]
    if len(values) == 0:
        return SentimentSummary(0, None, None, None, None)
    positive, negative = float(np.mean(values >= POSITIVE)), float(np.mean(values <= NEGATIVE))
    notes: tuple[RoiWarning, ...] = ()
    if len(values) < MIN_COMMENTS_FOR_METRIC:
        notes = (RoiWarning("small_sample", "comments", f"Only {len(values)} comments; the sentiment shares are "
                            "rough."),)
    sample = sample_comments(texts, scores) if texts is not None else ()
    return SentimentSummary(len(values), positive, 1.0 - positive - negative, negative, float(values.mean()), notes,
                            sample)


def data_quality(data: AnalysisData) -> dict[str, Any]:
    """Counts of responses, customers and matches, the match rate, dropped rows by reason, loading notes."""
    join = data.join
    frame = data.frame
    return {
        "responses": int(frame.attrs.get("responses_read", join.respondents)),
        "respondents": join.respondents,
        "customers": join.customers,
        "matched": join.matched,
        "match_rate": join.match_rate if join.respondents else None,
        "unmatched_respondent_ids_sample": list(join.unmatched_respondent_ids),
        "churned": int(frame["churned"].sum()) if "churned" in frame.columns else None,
        "dropped": dict(data.dropped),
        "notes": list(frame.attrs.get("notes", [])),
    }


def describe_metrics(data: AnalysisData) -> list[dict[str, Any]]:
    """The candidate metrics: name, label, family, polarity, scale, answered count, mean."""
    out = []
    for metric in data.metrics:
        values = data.frame[metric.column].astype(float)
        out.append({
            "name": metric.name, "label": metric.label, "family": metric.family, "polarity": metric.polarity,
            "scale": list(metric.scale) if metric.scale else None, "n": int(values.notna().sum()),
            "mean": float(values.mean()) if values.notna().any() else None,
            "driver_item": any(item.name == metric.name for item in data.items),
        })
    return out


def analyze(data: AnalysisData, config: RoiConfig, *, seed: int = 0,
            inputs: dict[str, Any] | None = None, codebook: Codebook | None = None) -> Results:
    """Run every analysis on checked data; degenerate data give warnings and null estimates, not errors.

    Open-text themes are coded with `codebook` when given, else discovered (`roi.themes`, docs/themes.md).

    Raises only `CxroiError`s for configuration the data cannot satisfy (e.g. an unknown scenario metric).
    """
    text_scores = score_text_answers(data)
    data = with_sentiment(data, text_scores)
    replicates = config.bootstrap
    found: list[RoiWarning] = list(data.warnings)
    has_churn = "churned" in data.frame.columns and data.frame["churned"].notna().any()
    has_revenue = "revenue" in data.frame.columns and data.frame["revenue"].notna().any()

    retention = fit_retention(data)
    survival = fit_survival(data)
    revenue = fit_revenue(data)
    found.extend(retention.warnings)
    if survival:
        found.extend(survival.warnings)
    if revenue:
        found.extend(revenue.warnings)

    comparison = compare_metrics(data, seed=seed) if has_churn and data.metrics else None
    drivers: dict[str, Any] = {}
    if len(data.items) >= 2:
        if has_churn:
            drivers["churned"] = estimate_drivers(data, outcome="churned", seed=seed, replicates=replicates)
        if has_revenue:
            drivers["revenue"] = estimate_drivers(data, outcome="revenue", seed=seed + 1, replicates=replicates)
    risk = revenue_at_risk(data, seed=seed, replicates=replicates) if has_churn and has_revenue else None

    scenario_config = config.scenario
    chosen_by = "roi.yaml scenario.metric"
    if scenario_config.metric is None and comparison is not None and comparison.best is not None:
        scenario_config = scenario_config.model_copy(update={"metric": comparison.best.metric})
        chosen_by = "the best predictor of churn in metric_comparison (no scenario.metric configured)"
    # a metric picked by the analysis is picked again in each resample of the refit bootstrap
    picked = data.metrics if scenario_config.metric != config.scenario.metric else None
    scenario = estimate_scenario(data, scenario=scenario_config, finance=config.finance, seed=seed,
                                 replicates=replicates, selected_from=picked) if has_churn and has_revenue else None
    segments = segment_summary(data)
    nonresponse = compare_nonresponse(data)
    sentiment = summarise_scores(text_scores, data.frame[list(data.text_columns)]) if data.text_columns else None
    # the headline metric (scenario metric, else best predictor) is the one the report bands customers by
    headline = headline_metric(data, scenario_config.metric) if has_churn else None
    bands = churn_by_band(data, headline) if headline is not None else None
    themes = analyse_themes(data, seed=seed, replicates=replicates, codebook=codebook, method=config.theme_method)
    over_time = results_by_wave(data, config, headline=headline)
    programme = estimate_programme(data, config)
    lifetime = customer_lifetime_value(data, finance=config.finance)
    case_loop = compare_closed_cases(data)
    for part in (comparison, *drivers.values(), risk, scenario, segments, nonresponse, sentiment, themes,
                 over_time, programme, lifetime, case_loop):
        if part is not None:
            found.extend(part.warnings)

    survival_dict = survival.to_dict() if survival else None
    if survival_dict is not None:
        survival_dict["curves"] = survival_curves(data, headline) if headline is not None else []
        survival_dict["curves_metric"] = headline.name if headline is not None else None
    scenario_dict = scenario.to_dict() if scenario else None
    if scenario_dict is not None:
        scenario_dict["metric_chosen_by"] = chosen_by
    meta = dict(inputs or {})
    meta.setdefault("files", {})
    meta.update({
        "seed": seed, "bootstrap": replicates, "config": to_config_data(config), "cxroi_version": version(),
        "python": platform.python_version(), "statsmodels": _package_version("statsmodels"),
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    })
    return Results(
        inputs=meta,
        data_quality=data_quality(data),
        warnings=tuple(diagnostics.unique(found)),
        metrics=describe_metrics(data),
        retention=retention.to_dict(),
        survival=survival_dict,
        revenue=revenue.to_dict() if revenue else None,
        metric_comparison=comparison.to_dict() if comparison else None,
        drivers={k: v.to_dict() for k, v in drivers.items()} or None,
        scenario=scenario_dict,
        revenue_at_risk=risk.to_dict() if risk else None,
        segments=segments.to_dict(),
        nonresponse=nonresponse.to_dict(),
        sentiment=sentiment.to_dict() if sentiment else None,
        churn_by_band=bands,
        themes=themes.to_dict() if themes else None,
        over_time=over_time.to_dict() if over_time else None,
        programme=programme.to_dict() if programme else None,
        customer_lifetime_value=lifetime.to_dict() if lifetime else None,
        case_loop=case_loop.to_dict() if case_loop else None,
    )


def _package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def analyze_files(*, responses: str | Path, outcomes: str | Path, definition: str | Path | None = None,
                  config: str | Path | None = None, seed: int = 0, codebook: str | Path | None = None) -> Results:
    """Read and check the files, then `analyze`; `Results.inputs.files` names each file with its sha256.
    `codebook` is a themes codebook (YAML, docs/themes.md) to code the comments with."""
    settings = read_config(config)
    themes_codebook = read_codebook(codebook) if codebook is not None else None
    survey = read_survey(definition) if definition is not None else None
    data = build_analysis_data(read_responses_table(responses), read_outcomes_table(outcomes), config=settings,
                               survey=survey)
    files = {"responses": file_facts(responses), "outcomes": file_facts(outcomes)}
    if definition is not None:
        files["definition"] = file_facts(definition)
    if config is not None:
        files["config"] = file_facts(config)
    if codebook is not None:
        files["codebook"] = file_facts(codebook)
    inputs: dict[str, Any] = {"files": files}
    if survey is not None:  # a definition file has no published version number
        inputs["survey"] = {"id": survey.id, "title": survey.title, "version": None}
    return analyze(data, settings, seed=seed, inputs=inputs, codebook=themes_codebook)
