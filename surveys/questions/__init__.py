"""Question types: each one declared once, with its settings, its answer validation and its export columns.

Every type is a pydantic model with a literal `type` tag; `Question` is their discriminated union.
A type knows:

* `rows(survey)` — the rows of a grid (brand promises, touchpoints, channels), empty for plain questions;
* `columns(survey)` — its columns in the wide responses table (`question_id` or `question_id.row_id`);
* `clean_answer(raw, survey)` — the stored answer for a raw value from a form, JSON or a file, or
  `AnswerError` naming what is wrong;
* `to_columns(answer, survey)` — the stored answer spread over its export columns;
* `scale_range()` and `polarity` — what scoring and the ROI analysis need to read a number.

The types live in `base.py` (shared parts), `plain.py` (one-value questions) and `grids.py` (grids); this
module assembles the discriminated union `Question` and the registry `QUESTION_TYPES`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import Field

from .base import (
    AGREEMENT_5,
    AGREEMENT_7,
    SATISFACTION_5,
    TEXT_LIMIT,
    AnswerError,
    Choice,
    Identifier,
    Polarity,
    QuestionBase,
    Scale,
    ScaleQuestion,
    Strict,
    _agreement,
    is_blank,
)
from .grids import AlignmentQuestion, ChannelRatingQuestion, FrictionQuestion, GridQuestion
from .plain import (
    CesQuestion,
    ChoiceQuestionBase,
    CsatQuestion,
    LikertQuestion,
    MultiChoiceQuestion,
    NpsQuestion,
    NumberQuestion,
    RatingQuestion,
    SingleChoiceQuestion,
    TextQuestion,
)

Question = Annotated[
    TextQuestion
    | NumberQuestion
    | SingleChoiceQuestion
    | MultiChoiceQuestion
    | RatingQuestion
    | LikertQuestion
    | CsatQuestion
    | CesQuestion
    | NpsQuestion
    | AlignmentQuestion
    | FrictionQuestion
    | ChannelRatingQuestion,
    Field(discriminator="type"),
]

QUESTION_TYPES: dict[str, type[QuestionBase]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        TextQuestion, NumberQuestion, SingleChoiceQuestion, MultiChoiceQuestion, RatingQuestion, LikertQuestion,
        CsatQuestion, CesQuestion, NpsQuestion, AlignmentQuestion, FrictionQuestion, ChannelRatingQuestion,
    )
}
"""Every registered question type by its `type` tag; contract tests iterate over this."""


def scale_labels(question: QuestionBase) -> Sequence[tuple[int, str]]:
    """(value, label) for every point of a scale question's scale, for forms and reports."""
    if isinstance(question, ScaleQuestion):
        scale = question.effective_scale
    elif isinstance(question, ChannelRatingQuestion):
        scale = question.scale
    elif isinstance(question, AlignmentQuestion):
        scale = _agreement(question.points)
    else:
        return []
    return [(value, scale.label_of(value)) for value in range(scale.min, scale.max + 1)]


__all__ = [
    "AGREEMENT_5", "AGREEMENT_7", "QUESTION_TYPES", "SATISFACTION_5", "TEXT_LIMIT", "AlignmentQuestion",
    "AnswerError", "CesQuestion", "ChannelRatingQuestion", "Choice", "ChoiceQuestionBase", "CsatQuestion",
    "FrictionQuestion", "GridQuestion", "Identifier", "LikertQuestion", "MultiChoiceQuestion", "NpsQuestion",
    "NumberQuestion", "Polarity", "Question", "QuestionBase", "RatingQuestion", "Scale", "ScaleQuestion",
    "SingleChoiceQuestion", "Strict", "TextQuestion", "is_blank", "scale_labels",
]
