"""One scorer per question type: which metrics a question gives, from which columns, and in which group.

Names: a question-level statistic is `<question_id>:<statistic>` (e.g. `q_nps:nps`, `q_ces:easy`); a grid
row's metric is named like its column, `<question_id>.<row_id>` (e.g. `q_align.easy`). Ids cannot contain
`:` or `.`, so names never collide.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from ..model import Survey
from ..questions import (
    AlignmentQuestion,
    CesQuestion,
    ChannelRatingQuestion,
    CsatQuestion,
    FrictionQuestion,
    LikertQuestion,
    MultiChoiceQuestion,
    NpsQuestion,
    NumberQuestion,
    QuestionBase,
    RatingQuestion,
    ScaleQuestion,
    SingleChoiceQuestion,
)
from .answers import InvalidValue, read_numbers, require_columns
from .intervals import Label, score_mean, score_nps, score_share
from .scorecard import Group, MetricScore

Scored = list[tuple[Group, MetricScore]]

CES_EASY = (5, 6, 7)
CSAT_TOP_2 = (4, 5)


def _title(question: QuestionBase, limit: int = 60) -> str:
    text = " ".join(question.text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_scale(responses: pd.DataFrame, question: ScaleQuestion) -> pd.Series:
    low, high = question.scale_range()
    return read_numbers(responses, question.id, low=low, high=high)


def alignment_points(responses: pd.DataFrame, question: AlignmentQuestion, survey: Survey) -> pd.DataFrame:
    """Each promise's answers rescaled to 0–100 as (x − 1)/(points − 1) × 100, one column per promise id."""
    columns = question.columns(survey)
    require_columns(responses, columns)
    rows = [row for row, _ in question.rows(survey)]
    return pd.DataFrame(
        {row: (read_numbers(responses, column, low=1, high=question.points) - 1) / (question.points - 1) * 100
         for row, column in zip(rows, columns, strict=True)},
        index=responses.index,
    )


def friction_flags(responses: pd.DataFrame, question: FrictionQuestion, survey: Survey) -> pd.DataFrame:
    """0/1 (NaN when unanswered) per touchpoint id; the `.what` text columns are not needed."""
    rows = [row for row, _ in question.rows(survey)]
    require_columns(responses, [f"{question.id}.{row}" for row in rows])
    return pd.DataFrame({row: read_numbers(responses, f"{question.id}.{row}", low=0, high=1) for row in rows},
                        index=responses.index)


def channel_ratings(responses: pd.DataFrame, question: ChannelRatingQuestion, survey: Survey) -> pd.DataFrame:
    """The rating per channel id (NaN for a channel the respondent did not rate)."""
    columns = question.columns(survey)
    require_columns(responses, columns)
    rows = [row for row, _ in question.rows(survey)]
    low, high = question.scale_range()
    return pd.DataFrame({row: read_numbers(responses, column, low=low, high=high)
                         for row, column in zip(rows, columns, strict=True)}, index=responses.index)


def friction_count(flags: pd.DataFrame) -> pd.Series:
    """Touchpoints with friction per respondent; NaN for a respondent who answered no touchpoint."""
    return flags.sum(axis=1, min_count=1)


def _nps(responses: pd.DataFrame, q: NpsQuestion, survey: Survey) -> Scored:
    answers = read_scale(responses, q)
    answered = answers.dropna()
    return [
        ("overall", score_nps(Label(f"{q.id}:nps", f"Net Promoter Score ({q.id})", "nps", "NPS", q.id), answers)),
        ("overall", score_share(Label(f"{q.id}:promoters", f"Promoters, 9–10 ({q.id})", "nps", "%", q.id),
                                (answered >= 9).astype(float))),
        ("overall", score_share(Label(f"{q.id}:detractors", f"Detractors, 0–6 ({q.id})", "nps", "%", q.id),
                                (answered <= 6).astype(float))),
    ]


def _csat(responses: pd.DataFrame, q: CsatQuestion, survey: Survey) -> Scored:
    answers = read_scale(responses, q).dropna()
    return [
        ("overall", score_share(Label(f"{q.id}:top2", f"CSAT top-2-box, 4–5 ({q.id})", "csat", "%", q.id),
                                answers.isin(CSAT_TOP_2).astype(float))),
        ("overall", score_mean(Label(f"{q.id}:mean", f"CSAT mean ({q.id})", "csat", "1–5", q.id), answers,
                               bounds=(1, 5))),
    ]


def _ces(responses: pd.DataFrame, q: CesQuestion, survey: Survey) -> Scored:
    answers = read_scale(responses, q).dropna()
    return [
        ("overall", score_mean(Label(f"{q.id}:mean", f"Customer Effort Score, mean ({q.id})", "ces", "1–7", q.id),
                               answers, bounds=(1, 7))),
        ("overall", score_share(Label(f"{q.id}:easy", f"Found it easy, 5–7 ({q.id})", "ces", "%", q.id),
                                answers.isin(CES_EASY).astype(float))),
    ]


def _alignment(responses: pd.DataFrame, q: AlignmentQuestion, survey: Survey) -> Scored:
    points = alignment_points(responses, q, survey)
    labels = dict(q.rows(survey))
    scored: Scored = [
        ("overall", score_mean(Label(f"{q.id}:bas", f"Brand Alignment Score ({q.id})", "bas", "0–100", q.id),
                               points.mean(axis=1), bounds=(0, 100))),
    ]
    for row in points.columns:
        label = Label(f"{q.id}.{row}", f"Brand alignment: {labels[row]}", "bas", "0–100", q.id, row)
        scored.append(("promises", score_mean(label, points[row], bounds=(0, 100))))
    return scored


def _friction(responses: pd.DataFrame, q: FrictionQuestion, survey: Survey) -> Scored:
    flags = friction_flags(responses, q, survey)
    labels = dict(q.rows(survey))
    per_respondent = Label(f"{q.id}:count", f"Touchpoints with friction per respondent ({q.id})", "friction",
                           "touchpoints", q.id)
    scored: Scored = [("overall", score_mean(per_respondent, friction_count(flags), bounds=(0, len(labels))))]
    for row in flags.columns:
        label = Label(f"{q.id}.{row}", f"Friction: {labels[row]}", "friction", "%", q.id, row)
        scored.append(("touchpoints", score_share(label, flags[row])))
    return scored


def _channels(responses: pd.DataFrame, q: ChannelRatingQuestion, survey: Survey) -> Scored:
    ratings = channel_ratings(responses, q, survey)
    labels = dict(q.rows(survey))
    low, high = q.scale_range()
    unit = f"{low}–{high}"
    # Consistency: for each respondent who rated two or more channels, best minus worst rating; 0 = consistent.
    rated_two = ratings.notna().sum(axis=1) >= 2
    spread = (ratings.max(axis=1) - ratings.min(axis=1))[rated_two]
    consistency = Label(f"{q.id}:consistency", f"Gap between best and worst channel ({q.id})", "channel",
                        "points", q.id)
    scored: Scored = [("overall", score_mean(consistency, spread, bounds=(0, high - low)))]
    for row in ratings.columns:
        label = Label(f"{q.id}.{row}", f"{labels[row]} rating", "channel", unit, q.id, row)
        scored.append(("channels", score_mean(label, ratings[row], bounds=(low, high))))
    return scored


def _item(responses: pd.DataFrame, q: RatingQuestion | LikertQuestion, survey: Survey) -> Scored:
    low, high = q.scale_range()
    label = Label(f"{q.id}:mean", f"{_title(q)} ({q.id})", "item", f"{low}–{high}", q.id)
    return [("items", score_mean(label, read_scale(responses, q), bounds=(low, high)))]


def _number(responses: pd.DataFrame, q: NumberQuestion, survey: Survey) -> Scored:
    values = read_numbers(responses, q.id, low=q.min, high=q.max, whole=q.integer)
    label = Label(f"{q.id}:mean", f"{_title(q)} ({q.id})", "item", q.unit or "", q.id)
    return [("items", score_mean(label, values))]


def _single_choice(responses: pd.DataFrame, q: SingleChoiceQuestion, survey: Survey) -> Scored:
    require_columns(responses, [q.id])
    answers = responses[q.id].map(lambda v: v.strip() if isinstance(v, str) else v)
    answers = answers.where(answers.map(lambda v: isinstance(v, str) and v != ""))
    codes = [c.code for c in q.choices]
    unknown = answers.notna() & ~answers.isin(codes)
    if unknown.any():
        at = int(unknown.to_numpy().nonzero()[0][0])
        problem = f"{str(answers.iloc[at])[:40]!r} is not one of the choice codes ({', '.join(codes)})"
        raise InvalidValue(q.id, answers.index[at], problem)
    answered = answers.dropna()
    return [("items", score_share(Label(f"{q.id}.{c.code}", f"{_title(q, 40)}: {c.label}", "choice", "%", q.id,
                                        c.code), (answered == c.code).astype(float))) for c in q.choices]


def _multi_choice(responses: pd.DataFrame, q: MultiChoiceQuestion, survey: Survey) -> Scored:
    require_columns(responses, q.columns(survey))
    return [("items", score_share(Label(f"{q.id}.{c.code}", f"{_title(q, 40)}: {c.label}", "choice", "%", q.id,
                                        c.code), read_numbers(responses, f"{q.id}.{c.code}", low=0, high=1)))
            for c in q.choices]


SCORERS: dict[type[QuestionBase], Callable[[pd.DataFrame, QuestionBase, Survey], Scored]] = {
    NpsQuestion: _nps,  # type: ignore[dict-item]
    CsatQuestion: _csat,  # type: ignore[dict-item]
    CesQuestion: _ces,  # type: ignore[dict-item]
    AlignmentQuestion: _alignment,  # type: ignore[dict-item]
    FrictionQuestion: _friction,  # type: ignore[dict-item]
    ChannelRatingQuestion: _channels,  # type: ignore[dict-item]
    RatingQuestion: _item,  # type: ignore[dict-item]
    LikertQuestion: _item,  # type: ignore[dict-item]
    NumberQuestion: _number,  # type: ignore[dict-item]
    SingleChoiceQuestion: _single_choice,  # type: ignore[dict-item]
    MultiChoiceQuestion: _multi_choice,  # type: ignore[dict-item]
}
"""The scorer of each question type; open text has none (its sentiment is scored in `roi`)."""


def score_question(responses: pd.DataFrame, question: QuestionBase, survey: Survey) -> Scored:
    """(group, metric) pairs for one question; an empty list for a type that is not scored (open text)."""
    scorer = SCORERS.get(type(question))
    return [] if scorer is None else scorer(responses, question, survey)
