"""Scoring a survey's responses: NPS, CSAT, CES, Brand Alignment Score, friction and channel ratings, each with
its n and a 95% interval, plus one row of summary scores per respondent for the ROI analysis.

Pure functions over the wide responses DataFrame (DESIGN.md); the methods are documented in docs/scoring.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .answers import InvalidResponses, InvalidValue, MissingColumn, select_rows
from .intervals import frequency_weights, wilson_interval
from .scorecard import GROUPS, Group, MetricScore, Scorecard

if TYPE_CHECKING:  # the question types build on this package's primitives, so it names them for typing only
    from ..model import Survey

__all__ = [
    "GROUPS",
    "Group",
    "InvalidResponses",
    "InvalidValue",
    "MetricScore",
    "MissingColumn",
    "Scorecard",
    "frequency_weights",
    "respondent_scores",
    "score_survey",
    "wilson_interval",
]



def score_survey(responses: pd.DataFrame, survey: Survey, *, include_partial: bool = False,
                 weights: pd.Series | None = None) -> Scorecard:
    """Every metric the survey's questions give, over the `complete` responses (and `partial` ones when
    `include_partial`).

    `weights` (indexed like `responses`) makes each row stand for that many responses with the same answers
    (frequency weights: a table of distinct answers with their counts gives the numbers of the full table).

    Raises `MissingColumn` when the table lacks `status` or a column a scored question needs, and
    `InvalidValue` (naming column and index label) for a value off its question's scale.
    """
    rows = select_rows(responses, include_partial=include_partial, column=survey.metadata_columns()["status"])
    groups: dict[Group, list[MetricScore]] = {group: [] for group in GROUPS}
    with frequency_weights(weights):
        for question in survey.questions():
            for group, metric in question.score(rows, survey):
                groups[group].append(metric)
    return Scorecard(
        survey_id=survey.id,
        responses_total=len(responses) if weights is None else int(weights.sum()),
        responses_scored=len(rows) if weights is None else int(weights.reindex(rows.index).sum()),
        include_partial=include_partial,
        **{group: tuple(metrics) for group, metrics in groups.items()},
    )


def respondent_scores(responses: pd.DataFrame, survey: Survey) -> pd.DataFrame:
    """One row per response (same index as `responses`, every status), one float column per summary score:

    * `bas` — mean of the respondent's alignment answers, each rescaled to 0–100;
    * `ces`, `csat`, `nps` — the raw answer (1–7, 1–5, 0–10);
    * `friction_count` — touchpoints where the respondent hesitated (NaN when no touchpoint was answered).

    A column exists only when the survey has that kind of question; with several questions of one kind, each
    gets `<base>.<question_id>` (e.g. `bas.q_align`). Missing answers are NaN.
    """
    by_base: dict[str, list[tuple[str, pd.Series]]] = {}
    declared = sorted({q.respondent_score for q in survey.questions() if q.respondent_score is not None},
                      key=lambda score: (score.order, score.base))
    for score in declared:
        by_base[score.base] = []
    for question in survey.questions():
        if question.respondent_score is not None:
            by_base[question.respondent_score.base].append((question.id, question.respondent_values(responses, survey)))
    columns: dict[str, pd.Series] = {}
    for base, found in by_base.items():
        for question_id, values in found:
            columns[base if len(found) == 1 else f"{base}.{question_id}"] = values.astype("float64")
    return pd.DataFrame(columns, index=responses.index)
