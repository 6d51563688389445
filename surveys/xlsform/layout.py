"""How a cxroi survey is laid out in an XLSForm workbook: sheet and column names, list and row naming.

Shared by the reader and the writer so that the two directions cannot drift apart.
"""

from __future__ import annotations

from typing import Any, Literal

from ..questions import QUESTION_TYPES, QuestionBase

SURVEY_SHEET = "survey"
CHOICES_SHEET = "choices"
SETTINGS_SHEET = "settings"
CXROI_SHEET = "cxroi"
"""Extra sheet for what XLSForm has no place for: brand promises, touchpoints, channels, survey settings."""

SURVEY_COLUMNS = (
    "type", "name", "label", "hint", "required", "relevant", "constraint", "calculation", "appearance", "parameters",
    "cxroi_type", "cxroi_settings",
)
RANDOMIZE = "randomize"
"""The setting of a choice question that XLSForm's `parameters` column holds as `randomize=true` (pyxform's own)."""
CHOICES_COLUMNS = ("list_name", "name", "label")
CXROI_COLUMNS = ("kind", "id", "label", "description", "value")

CXROI_KINDS = {"brand_promise": "brand_promises", "touchpoint": "touchpoints", "channel": "channels"}
"""`kind` in the cxroi sheet → the Survey field that lists such items."""
CXROI_SETTINGS = ("intro", "customer_id_param", "time_budget_minutes", "thank_you", "title")
"""Survey-level settings kept in the cxroi sheet as `kind: setting` rows (the title only when it has translations:
the settings sheet's form_title holds one language)."""
CXROI_TEXTS = ("label", "description", "value")
"""Columns of the cxroi sheet that hold texts: one per language in a multilingual workbook (`label::French (fr)`)."""
FOLLOW_UP_KIND = "follow_up"
SCREEN_OUT_KIND = "screen_out"
"""A screen-out rule (page logic) is a `kind: screen_out` row of the cxroi sheet: its `id`, and `when` and `text` (a
text with its languages, as in a definition) as a JSON object in `value`."""
MAIL_KIND = "mail"
"""The definition's e-mail texts (surveys/mail_texts.py): one `kind: mail` row of the cxroi sheet per field (`id`:
subject, text_body, html_body), its text in `value` (one column per language)."""
JSON_KINDS = {FOLLOW_UP_KIND: "follow_up", SCREEN_OUT_KIND: "screen_out"}
"""`kind` in the cxroi sheet of the rules written as an id and a JSON object → the Survey field that lists them."""
"""A follow-up rule is a `kind: follow_up` row of the cxroi sheet: its `id`, and its other fields (when,
priority, owner or team, note, due_hours) as a JSON object in `value`."""

ROW_SEPARATOR = "__"
"""A grid question `q` asks one XLSForm question per row, named `q__row`; a row's follow-up text is `q__row__what`."""
FOLLOW_UP_SUFFIX = "what"

COMMON_FIELDS = frozenset({"id", "type", "text", "help", "required", "show_if"})

Family = Literal["text", "number", "select_one", "select_multiple", "scale", "grid", "date", "rank", "note"]
"""The native XLSForm form of a question type: a text row, an integer/decimal row, a select_one over the question's
own choices, a select_one over a shared list of its scale's points, a select_multiple, a group per grid, a date
row, a rank row over the question's own choices, or a note row."""
ROW_FAMILIES: dict[str, tuple[Family, ...]] = {
    "text": ("text",), "integer": ("number",), "decimal": ("number",), "select one": ("select_one", "scale"),
    "select all that apply": ("select_multiple",), "date": ("date",), "rank": ("rank",), "note": ("note",),
}
"""pyxform's type of a question row → the families a cxroi_type on it may have; a row without one becomes the
`untagged` type of the first family."""
MEASURE_WORDS = {"value": "value", "length": "text length", "count": "number of choices"}
"""What an XLSForm constraint bounds, in words (for a bound a type cannot hold)."""


def family(question_type: type[QuestionBase]) -> Family | None:
    """The type's native XLSForm form, from what it declares; None when XLSForm has none."""
    if question_type.is_grid:
        return "grid"
    widget, kind = question_type.widget, question_type.value_kind
    if widget == "text":
        return "text"
    if widget == "number":
        return "number"
    if widget == "checkboxes":
        return "select_multiple"
    if widget in ("date", "note"):
        return widget
    if widget == "ranking":
        return "rank"
    if widget == "radio" and kind in ("scale", "choice"):
        return "scale" if kind == "scale" else "select_one"
    return None


def untagged_type(row_kind: str) -> str | None:
    """The type tag a question row of pyxform's type `row_kind` becomes without a cxroi_type."""
    families = ROW_FAMILIES.get(row_kind)
    if not families:
        return None
    return next((tag for tag, question_type in QUESTION_TYPES.items()
                 if question_type.xlsform.untagged and family(question_type) == families[0]), None)


def grid_types() -> list[str]:
    """The tags of the registered types written as a group (grids)."""
    return [tag for tag, question_type in QUESTION_TYPES.items() if family(question_type) == "grid"]


def list_name(question: QuestionBase) -> str:
    """The preferred name of the question's shared choice list (its scale's points, or its rows' choices)."""
    return question.xlsform.list_name.format_map(dict(question))


def native_fields(question_type: type[QuestionBase]) -> frozenset[str]:
    """The settings of the type that XLSForm's own columns hold (choices, bounds, appearance, integer)."""
    mapping = question_type.xlsform
    fields = {mapping.appearance_flag, mapping.integer_flag}
    if mapping.bounds is not None:
        fields |= {mapping.bounds.lower, mapping.bounds.upper}
    if family(question_type) in ("select_one", "select_multiple", "rank"):
        fields.add(mapping.choices_field)
        if RANDOMIZE in question_type.model_fields:
            fields.add(RANDOMIZE)
    return frozenset(field for field in fields if field is not None)


def row_name(question_id: str, row: str) -> str:
    """The XLSForm name of one row of a grid question."""
    return f"{question_id}{ROW_SEPARATOR}{row}"


def follow_up_name(question_id: str, row: str) -> str:
    """The XLSForm name of the follow-up text of one grid row (friction's "what made you hesitate?")."""
    return f"{question_id}{ROW_SEPARATOR}{row}{ROW_SEPARATOR}{FOLLOW_UP_SUFFIX}"


def extra_settings(question: QuestionBase) -> dict[str, Any]:
    """The question's non-default settings that XLSForm has no column for (they go to `cxroi_settings`)."""
    native = COMMON_FIELDS | native_fields(type(question))
    data = question.model_dump(mode="json", exclude_defaults=True)
    return {key: value for key, value in data.items() if key not in native}
