"""Reading the cells of one XLSForm row: texts in the survey's language, required, relevant, constraints, choices.

Each reader appends what it cannot map to `problems`, naming the sheet, row and column, and returns what it can.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from pyxform.aliases import yes_no
from pyxform.xls2json_backends import DefinitionData

from ..errors import Problem
from ..questions import QUESTION_TYPES
from . import layout
from .expressions import ExportField, FieldRef, Measure, Untranslatable, read_bounds, to_show_if, to_xpath
from .languages import TextValue, default_text, text_value
from .syntax import column_base, identifier, lower_keys

_ACCEPTED_COLUMNS = {
    "type", "name", "label", "caption", "hint", "required", "relevant", "relevance", "constraint", "appearance",
    "cxroi_type", "cxroi_settings", "parameters", "calculation",
    # messages ODK shows for its own checks; cxroi shows its own, so they are accepted and not kept (docs/xlsform.md)
    "constraint_message", "constraining_message", "required_message", "requiredmsg", "jr:constraintmsg",
    "jr:requiredmsg",
}
_CHOICE_COLUMNS = {"list_name", "list name", "name", "value", "label", "caption"}


class RowCells:
    """What every row reader shares: the problems found, the language, and the questions seen so far."""

    def __init__(self, workbook: DefinitionData, *, languages: Mapping[str, str], default_language: str,
                 skip_unsupported: bool = False, recognise_scales: bool = True) -> None:
        self.languages = languages
        """pyxform's language keys (`English (en)`, `default`) → language codes."""
        self.default_language = default_language
        self.skip_unsupported = skip_unsupported
        self.recognise_scales = recognise_scales
        self.problems: list[Problem] = []
        self.dropped: list[Problem] = []
        """With `skip_unsupported`: what was left out, as `Problem(where, "name: why")`."""
        self.notes: list[str] = []
        """What the import decided that the user should see (a choice list read as a scale, with its mapping)."""
        self.import_fields: dict[str, FieldRef] = {}
        """XLSForm names of earlier questions and grid rows → what they are in cxroi (for relevant → show_if)."""
        self.export_fields: dict[str, ExportField] = {}
        """The same seen from cxroi (to tell whether a carried show_if still matches its relevant)."""
        self.choice_rows: dict[tuple[str, str], int] = {}
        for index, raw in enumerate(workbook.choices or []):
            number = index + 2
            row = lower_keys(raw)
            list_name = row.get("list_name") or row.get("list name")
            self.choice_rows.setdefault((str(list_name), str(row.get("name", row.get("value")))), number)
            for column in raw:
                if column_base(str(column)) not in _CHOICE_COLUMNS and not str(column).startswith("$"):
                    self.unsupported(f"{layout.CHOICES_SHEET} sheet, row {number}, column {column!r}",
                                     "this column is not supported by cxroi (media, choice filters)", str(column))

    def unsupported(self, where: str, why: str, name: str) -> None:
        """Something cxroi cannot carry: a problem, or, with `skip_unsupported`, left out and listed."""
        if self.skip_unsupported:
            self.dropped.append(Problem(where, f"{name}: {why}" if name else why))
        else:
            self.problems.append(Problem(where, why))

    def text(self, element: Mapping[str, Any], key: str, where: str) -> TextValue | None:
        """A label or hint: a string, or one per language (`{en: …, fr: …}`) when the workbook has several; None
        when empty. `${q}` (an earlier answer) becomes cxroi's `{{ q }}`."""
        value = element.get(key)
        if isinstance(value, Mapping):
            return text_value({self.languages.get(str(name), str(name)): text for name, text in value.items()},
                              self.default_language)
        return text_value({self.default_language: value}, self.default_language) if value is not None else None

    def check_columns(self, raw: Mapping[str, Any], where: str) -> None:
        """Report every filled column of a survey row that cxroi neither reads nor deliberately ignores."""
        for column in raw:
            base = column_base(str(column))
            if base not in _ACCEPTED_COLUMNS and not base.startswith("$"):
                self.unsupported(f"{where}, column {column!r}", "this column is not supported by cxroi", str(column))

    def settings(self, element: Mapping[str, Any], where: str) -> dict[str, Any]:
        """The JSON object of the `cxroi_settings` column; empty when there is none."""
        text = element.get("cxroi_settings")
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            self.problems.append(Problem(f"{where}, column 'cxroi_settings'", f"not valid JSON: {error.msg}"))
            return {}
        if not isinstance(value, dict):
            self.problems.append(Problem(f"{where}, column 'cxroi_settings'", "expected a JSON object {…}"))
            return {}
        return value

    def randomize(self, element: Mapping[str, Any], where: str, *, allowed: bool) -> bool | None:
        """`parameters: randomize=true` (pyxform's choice shuffling) as a yes/no; None when the row has none. Other
        parameters, and randomize on a row that cannot shuffle, are reported."""
        parameters = element.get("parameters") or {}
        if not isinstance(parameters, Mapping):
            return None
        for name in parameters:
            if name != layout.RANDOMIZE or not allowed:
                self.unsupported(f"{where}, column 'parameters'", f"{name!r} is not supported here", str(name))
        value = parameters.get(layout.RANDOMIZE)
        if value is None or not allowed:
            return None
        return str(value).strip().lower() in ("true", "yes", "1")

    def required(self, element: Mapping[str, Any], where: str) -> bool:
        """`required` as yes/no; an expression is reported."""
        value = (element.get("bind") or {}).get("required")
        if value is None or str(value).strip() == "":
            return False
        if str(value).strip() in yes_no:
            return yes_no[str(value).strip()]
        self.unsupported(f"{where}, column 'required'",
                         f"{value!r}: a condition on required is not supported; use yes or no"
                         + ("; the question is optional" if self.skip_unsupported else ""), "required")
        return False

    def show_if(self, element: Mapping[str, Any], settings: Mapping[str, Any], where: str) -> str | None:
        """The row's `relevant` as a show_if, or the show_if cxroi kept verbatim while the relevant is unchanged."""
        relevant = (element.get("bind") or {}).get("relevant")
        if not relevant or not str(relevant).strip():
            return None
        carried = settings.get("show_if")
        if isinstance(carried, str):
            try:  # the condition as written in cxroi, unless the relevant column was edited since
                if to_xpath(carried, self.export_fields) == str(relevant).strip():
                    return carried
            except Untranslatable:
                pass
        try:
            return to_show_if(str(relevant), self.import_fields)
        except Untranslatable as error:
            self.unsupported(f"{where}, column 'relevant'", f"{relevant!r} cannot be translated: {error}"
                             + ("; the question is shown to everyone" if self.skip_unsupported else ""), "relevant")
            return None

    def bounds(self, constraint: Any, measure: Measure, where: str) -> tuple[float | None, float | None]:
        """(lower, upper) from a simple `constraint`; anything else is reported."""
        if not constraint:
            return None, None
        try:
            return read_bounds(str(constraint), measure)
        except Untranslatable as error:
            self.unsupported(f"{where}, column 'constraint'", f"{constraint!r} cannot be translated: {error}",
                             "constraint")
            return None, None

    @staticmethod
    def whole(value: float) -> int | float:
        return int(value) if float(value).is_integer() else value

    def choices(self, element: Mapping[str, Any], where: str) -> list[tuple[str, str, TextValue | None]] | None:
        """(XLSForm name, cxroi code, label) of each choice; None when the choices cannot be read at all."""
        list_name = str(element.get("list_name") or element.get("itemset") or "")
        if re.search(r"\.(csv|xml|geojson)$", list_name):
            self.unsupported(f"{where}, type", f"choices from the file {list_name!r} are not supported",
                             str(element.get("name")))
            return None
        out: list[tuple[str, str, TextValue | None]] = []
        for choice in element.get("choices") or []:
            name = str(choice.get("name"))
            row = self.choice_rows.get((list_name, name))
            choice_where = f"{layout.CHOICES_SHEET} sheet, " + (f"row {row}" if row else f"list {list_name!r}")
            code = identifier(name, "c")
            if code is None:
                self.problems.append(Problem(f"{choice_where}, column 'name'",
                                             f"{name!r} cannot be a cxroi choice code (letters, digits and _)"))
                continue
            if any(code == taken for _, taken, _ in out):
                self.problems.append(Problem(f"{choice_where}, column 'name'", f"{name!r} becomes the code {code!r}, "
                                                                               "which another choice already has"))
            out.append((name, code, self.text(choice, "label", choice_where)))
        return out

    def check_scale(self, data: dict[str, Any], choices: Sequence[tuple[str, str, TextValue | None]],
                    element: Mapping[str, Any], where: str) -> None:
        """The choice list of a scale question must be the scale its type and settings define."""
        try:
            model = QUESTION_TYPES[str(data["type"])].model_validate(data)
        except ValidationError:
            return  # build_survey reports what is wrong with the question itself
        expected = [(str(value), label) for value, label in model.scale_points()]
        found = [(name, default_text(label, self.default_language)) for name, _, label in choices]
        if found != expected:
            list_name = element.get("list_name") or element.get("itemset")
            wanted = ", ".join(f"{v}={label}" for v, label in expected)
            self.problems.append(Problem(f"{where}, type", f"the choices of list {list_name!r} are not the points of "
                                                           f"this {data['type']} scale ({wanted}); change the scale in "
                                                           "cxroi_settings, not the choices"))
