"""Question types: each one declared once, in one class, and registered by `@register`.

A type is a pydantic model with a literal `type` tag (see `base.QuestionBase` for everything a type declares:
its widget, answer cleaning, export columns and read-back, scale and polarity, scorer, role as an ROI metric,
and what the linter needs). The registry (`registry.QUESTION_TYPES`) is built from the declarations; the
modules of this package are imported here, so a new module in this folder is all a new type takes
(docs/question-types.md).
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import (
    AGREEMENT_5,
    AGREEMENT_7,
    FIXED_TEXTS,
    SATISFACTION_5,
    TEXT_LIMIT,
    AnswerError,
    Choice,
    ColumnKind,
    Identifier,
    MetricColumn,
    MissingAnswer,
    MissingRows,
    Polarity,
    QuestionBase,
    RespondentScore,
    Scale,
    ScaleQuestion,
    Scored,
    ShowIf,
    Strict,
    ValueKind,
    Widget,
    is_blank,
    title,
)
from .registry import QUESTION_TYPES, Question, register, registered, type_tag, unregister

BUILT_IN = ("plain", "grids")
"""The modules of the built-in types, registered first and in this order (the order of the docs); any other
module of this folder follows, alphabetically."""

for _name in sorted((m.name for m in pkgutil.iter_modules(__path__)),
                    key=lambda name: (BUILT_IN.index(name) if name in BUILT_IN else len(BUILT_IN), name)):
    importlib.import_module(f"{__name__}.{_name}")  # each module registers the types it declares

__all__ = [
    "AGREEMENT_5", "AGREEMENT_7", "FIXED_TEXTS", "QUESTION_TYPES", "SATISFACTION_5", "TEXT_LIMIT", "AnswerError", "Choice",
    "ColumnKind", "Identifier", "MetricColumn", "MissingAnswer", "MissingRows", "Polarity", "Question",
    "QuestionBase",
    "RespondentScore", "Scale", "ScaleQuestion", "Scored", "ShowIf", "Strict", "ValueKind", "Widget", "is_blank",
    "register", "registered", "title", "type_tag", "unregister",
]
