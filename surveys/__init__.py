"""cxroi surveys: the questionnaire model, question types, definition I/O, library, linter and scoring.

Plain Python over pydantic models and pandas DataFrames; nothing here imports the web or storage layers.
"""

from .definition import build_survey
from .errors import InvalidDefinition, Problem
from .files import read_survey, write_survey
from .logic import ConditionSyntaxError, parse_condition
from .model import RESERVED_COLUMNS, BrandPromise, Channel, Section, Survey, Touchpoint
from .questions import QUESTION_TYPES, AnswerError, Question

__all__ = [
    "QUESTION_TYPES",
    "RESERVED_COLUMNS",
    "AnswerError",
    "BrandPromise",
    "Channel",
    "ConditionSyntaxError",
    "InvalidDefinition",
    "Problem",
    "Question",
    "Section",
    "Survey",
    "Touchpoint",
    "build_survey",
    "parse_condition",
    "read_survey",
    "write_survey",
]
