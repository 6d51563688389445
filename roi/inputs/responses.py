"""The responses table (DESIGN.md "Responses table") and the candidate metrics it offers.

With a survey definition, metrics come from the question types: the summary scores of
`surveys.scoring.respondent_scores` (BAS, CES, CSAT, NPS, friction count) and every alignment, likert, rating,
channel and friction item, with polarity and scale from its type. Without one, every numeric non-reserved
column is a candidate metric named by its column (polarity from `roi.yaml` `metrics`, else higher is better).

The response's own columns are read under the names the export gives them: `customer_id`, `status`, `channel` …,
or `response_status` … when a question takes the plain name (`surveys.tables.own_columns_in`); inside the
analysis they keep their plain names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveys.model import Survey
from surveys.page_logic import SCREENED_OUT_COLUMN
from surveys.questions import RespondentScore
from surveys.scoring import respondent_scores
from surveys.tables import own_columns_in

from ..config import RoiConfig
from ..types import Metric
from .tables import TableError, numeric_share, where

WAVE_COLUMNS = ("wave", "response_wave")
"""The hosting export's wave column (`webapp.services.export.WAVE_COLUMN`, `response_wave` when a question is
called `wave`): which round of the survey a response belongs to, never a metric or a comment without a definition
(with one, only the definition's questions are read)."""
LANGUAGE_COLUMNS = ("language", "response_language")
"""The hosting export's language column (`webapp.services.export.LANGUAGE_COLUMN`): the language a response was
answered in, kept as a segment like `channel`, never a metric or a comment without a definition."""


class ResponseDataError(TableError):
    """The responses table breaks its contract; the message names the file, the rows and the column."""


@dataclass(frozen=True)
class ResponseTable:
    """One row per customer (their latest response), with metric columns as floats and text columns as text."""

    frame: pd.DataFrame
    metrics: tuple[Metric, ...]
    items: tuple[Metric, ...]
    text_columns: tuple[str, ...]
    dropped: dict[str, int]
    notes: tuple[str, ...]


def _item_metrics(survey: Survey) -> tuple[list[Metric], list[Metric], list[str]]:
    """(single-question metrics, items, text columns), as each question type declares them."""
    singles: list[Metric] = []
    items: list[Metric] = []
    texts: list[str] = []
    for question in survey.questions():
        for declared in question.metric_columns(survey):
            metric = Metric(declared.column, declared.column, declared.polarity, declared.scale, declared.family,
                            declared.label)
            (singles if declared.role == "metric" else items).append(metric)
        texts.extend(question.open_text_columns(survey))
    return singles, items, texts


def _summary_scores(survey: Survey) -> list[RespondentScore]:
    """The per-respondent summary scores the survey's question types declare, in their documented order."""
    declared = {q.respondent_score for q in survey.questions() if q.respondent_score is not None}
    return sorted(declared, key=lambda score: (score.order, score.base))


def _scores(responses: pd.DataFrame, survey: Survey) -> pd.DataFrame | None:
    scores = respondent_scores(responses, survey)
    return scores.reset_index(drop=True) if len(scores) == len(responses) else None


SCREENED_OUT_REASON = "responses screened out (ended early by a screen_out rule)"
"""The `data_quality.dropped` reason of the screened-out responses (docs/methods.md, "Inputs")."""


def _screened_out(frame: pd.DataFrame, survey: Survey | None) -> pd.Series | None:
    """Which rows were screened out: the export's `screened_out` column (the screen-out rule's id, blank for a
    response that went to the end) is filled. With a definition the column is read only when the survey has
    screen-out rules (a question of a survey without them may be called `screened_out`); without one, a column of
    that name is taken to be the export's. None when the table cannot say."""
    if SCREENED_OUT_COLUMN not in frame.columns or (survey is not None and not survey.screen_out):
        return None
    column = frame[SCREENED_OUT_COLUMN]
    return column.notna() & (column.astype(str).str.strip() != "")


def _latest_per_customer(raw: pd.DataFrame, dropped: dict[str, int], notes: list[str],
                         own: dict[str, str | None], survey: Survey | None = None) -> pd.DataFrame:
    """Each customer's latest response; its customer id in the column `customer_id` (wherever `own` found it).
    Screened-out responses are set aside before: the respondent was ended early as outside the survey's
    population, so neither their few answers nor they as a respondent enter the fits."""
    source = raw.attrs.get("source", "<responses>")
    customer, status, submitted_at = own["customer_id"], own["status"], own["submitted_at"]
    if customer is None:
        raise ResponseDataError(f"{source}: no customer_id column; the analysis joins responses to outcomes by "
                                "customer id")
    frame = raw.copy()
    frame["_position"] = np.arange(len(frame))
    anonymous = frame[customer].isna()
    if anonymous.any():
        dropped["responses without a customer id"] = int(anonymous.sum())
        frame = frame[~anonymous]
    if status is not None:
        unfinished = frame[status].isin(["started", "abandoned", "invited"])
        if unfinished.any():
            dropped["responses never submitted (status started/abandoned/invited)"] = int(unfinished.sum())
            frame = frame[~unfinished]
    screened = _screened_out(frame, survey)
    if screened is not None and screened.any():
        dropped[SCREENED_OUT_REASON] = int(screened.sum())
        notes.append(f"{int(screened.sum())} screened-out responses were set aside: a screen_out rule ended them "
                     "early, so they are not respondents of the analysis")
        frame = frame[~screened]
    order = ["_position"]
    if submitted_at is not None:
        stamps = pd.to_datetime(frame[submitted_at], errors="coerce", format="mixed", utc=True)
        bad = np.flatnonzero(frame[submitted_at].notna().to_numpy() & stamps.isna().to_numpy())
        if len(bad):
            positions = frame["_position"].to_numpy()[bad]
            raise ResponseDataError(f"{where(raw, positions, submitted_at)}: not a date-time")
        frame["_submitted"] = stamps
        order = ["_submitted", "_position"]
    frame["customer_id"] = frame[customer].astype(str)
    frame = frame.sort_values(order, na_position="first", kind="stable")
    repeats = frame["customer_id"].duplicated(keep="last")
    if repeats.any():
        dropped["earlier responses by a customer who answered again"] = int(repeats.sum())
        notes.append(f"{int(repeats.sum())} customers' earlier responses were set aside: each customer's latest "
                     "submitted response is used")
        frame = frame[~repeats]
    frame = frame.sort_values("_position").drop(columns=[c for c in ("_submitted",) if c in frame.columns])
    return frame.reset_index(drop=True)


def build_responses(raw: pd.DataFrame, config: RoiConfig, survey: Survey | None = None) -> ResponseTable:
    """Pick each customer's latest response and the candidate metrics (see the module docstring)."""
    dropped: dict[str, int] = {}
    notes: list[str] = []
    own = own_columns_in(raw.columns, set(survey.question_columns()) if survey is not None else ())
    frame = _latest_per_customer(raw, dropped, notes, own, survey)
    metrics: list[Metric] = []
    items: list[Metric] = []
    texts: list[str] = []
    out = pd.DataFrame({"customer_id": frame["customer_id"]})
    if survey is not None:
        singles, items, texts = _item_metrics(survey)
        missing = [m.column for m in [*singles, *items] if m.column not in frame.columns]
        if missing:
            raise ResponseDataError(f"{raw.attrs.get('source', '<responses>')}: columns of the definition are "
                                    f"missing: {', '.join(map(repr, missing[:10]))}")
        scores = _scores(frame.drop(columns="_position"), survey)
        if scores is None:
            notes.append("summary scores (BAS, friction count) are unavailable: the scores do not line up with the responses")
            candidates = [*singles, *items]
        else:
            summary = []
            for declared in _summary_scores(survey):
                name = declared.base
                if name in scores.columns and scores[name].notna().any():
                    out[name] = pd.to_numeric(scores[name], errors="coerce").astype(float).to_numpy()
                    summary.append(Metric(name, name, declared.polarity, declared.scale, name, declared.label))
            scored = {m.family for m in summary}
            candidates = [*summary, *(m for m in singles if m.family not in scored), *items]
        for metric in candidates:
            if metric.column not in out.columns:
                out[metric.column] = _numbers(frame, raw, metric.column)
        metrics = candidates
    else:
        response_own = {column for column in own.values() if column is not None} | {"customer_id"}
        # a question called `status` or `channel` (beside `response_status` …): without the definition its answers
        # cannot be told from the response's own values the analysis uses under those names, so it is left out
        shadowed = [name for name, column in own.items() if column not in (None, name) and name in frame.columns]
        if shadowed:
            notes.append(f"the columns {', '.join(shadowed)} hold answers to questions of those names and are not "
                         "read without the survey definition (give --definition to use them)")
        for column in frame.columns:
            if column in response_own or column in shadowed or column in WAVE_COLUMNS or column in LANGUAGE_COLUMNS \
                    or column in ("_position", SCREENED_OUT_COLUMN) \
                    or frame[column].isna().all():
                continue
            if numeric_share(frame[column]) == 1.0:
                out[column] = _numbers(frame, raw, column)
                metrics.append(Metric(column, column, "higher_is_better", None, "raw", None))
            elif frame[column].map(lambda v: isinstance(v, str) and not v.replace(".", "").isdigit()).any():
                texts.append(column)
        items = list(metrics)
    metrics = [_configured(m, config) for m in metrics]
    items = [_configured(m, config) for m in items]
    for column in texts:
        if column in frame.columns:
            out[column] = frame[column]
    for name in ("channel", "submitted_at", "status"):  # the response's channel is a segment of its own
        column = own[name]
        if column is not None and name not in out.columns:
            out[name] = frame[column]
    for column in LANGUAGE_COLUMNS:  # and so is its language
        if column in frame.columns and column not in out.columns:
            out[column] = frame[column]
    return ResponseTable(out, tuple(metrics), tuple(items), tuple(t for t in texts if t in frame.columns),
                         dropped, tuple(notes))


def _numbers(frame: pd.DataFrame, raw: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").astype(float)
    bad = np.flatnonzero(frame[column].notna().to_numpy() & values.isna().to_numpy())
    if len(bad):
        positions = frame["_position"].to_numpy()[bad]
        sample = ", ".join(repr(frame[column].iloc[i]) for i in bad[:3])
        raise ResponseDataError(f"{where(raw, positions, column)}: not a number ({sample})")
    return values.to_numpy()


def _configured(metric: Metric, config: RoiConfig) -> Metric:
    """Apply `roi.yaml` `metrics` overrides (polarity, label, scale) to a metric."""
    override = config.metrics.get(metric.name)
    if override is None:
        return metric
    scale = metric.scale
    if override.scale_min is not None and override.scale_max is not None:
        scale = (override.scale_min, override.scale_max)
    fields = set(override.model_fields_set)
    return Metric(metric.name, metric.column, override.polarity if "polarity" in fields else metric.polarity,
                  scale, metric.family, override.label or metric.label)
