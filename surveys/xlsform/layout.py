"""How a cxroi survey is laid out in an XLSForm workbook: sheet and column names, list and row naming.

Shared by the reader and the writer so that the two directions cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from ..questions import QuestionBase

SURVEY_SHEET = "survey"
CHOICES_SHEET = "choices"
SETTINGS_SHEET = "settings"
CXROI_SHEET = "cxroi"
"""Extra sheet for what XLSForm has no place for: brand promises, touchpoints, channels, survey settings."""

SURVEY_COLUMNS = (
    "type", "name", "label", "hint", "required", "relevant", "constraint", "appearance", "cxroi_type", "cxroi_settings",
)
CHOICES_COLUMNS = ("list_name", "name", "label")
CXROI_COLUMNS = ("kind", "id", "label", "description", "value")

CXROI_KINDS = {"brand_promise": "brand_promises", "touchpoint": "touchpoints", "channel": "channels"}
"""`kind` in the cxroi sheet → the Survey field that lists such items."""
CXROI_SETTINGS = ("intro", "customer_id_param", "time_budget_minutes")
"""Survey-level settings kept in the cxroi sheet as `kind: setting` rows."""

ROW_SEPARATOR = "__"
"""A grid question `q` asks one XLSForm question per row, named `q__row`; friction follow-ups are `q__row__what`."""
FOLLOW_UP_SUFFIX = "what"

SCALE_LISTS = {"csat": "csat5", "ces": "ces7", "nps": "nps11"}
"""Shared choice lists of the fixed-scale types; likert and alignment use `likert5`/`likert7`."""
HESITATED_LIST = "hesitated"
HESITATED_CHOICES = (("1", "Yes"), ("0", "No"))

NATIVE_FIELDS: dict[str, frozenset[str]] = {
    "text": frozenset({"multiline", "max_length"}),
    "number": frozenset({"min", "max", "integer"}),
    "single_choice": frozenset({"choices"}),
    "multi_choice": frozenset({"choices", "min_selected", "max_selected"}),
}
"""Per type, the settings XLSForm expresses natively (columns, choices); every other setting travels as JSON in
`cxroi_settings`, so a setting added to a type later round-trips without a change here."""
COMMON_FIELDS = frozenset({"id", "type", "text", "help", "required", "show_if"})

GRID_APPEARANCE = {"alignment": "table-list", "channel_rating": "table-list", "friction": "field-list"}
"""table-list needs every row to share one choice list; friction rows carry a text follow-up, so field-list."""


def row_name(question_id: str, row: str) -> str:
    """The XLSForm name of one row of a grid question."""
    return f"{question_id}{ROW_SEPARATOR}{row}"


def follow_up_name(question_id: str, row: str) -> str:
    """The XLSForm name of the "what made you hesitate?" text of one friction row."""
    return f"{question_id}{ROW_SEPARATOR}{row}{ROW_SEPARATOR}{FOLLOW_UP_SUFFIX}"


def type_of(question: QuestionBase) -> str:
    """The question's `type` tag (QuestionBase itself declares none; every registered type does)."""
    return str(type(question).model_fields["type"].default)


def extra_settings(question: QuestionBase) -> dict[str, Any]:
    """The question's non-default settings that XLSForm has no column for (they go to `cxroi_settings`)."""
    native = COMMON_FIELDS | NATIVE_FIELDS.get(type_of(question), frozenset())
    data = question.model_dump(mode="json", exclude_defaults=True)
    return {key: value for key, value in data.items() if key not in native}
