"""Writing a Survey as an XLSForm workbook that pyxform, KoboToolbox and ODK accept.

Each section becomes a `begin group`; each question a row whose XLSForm type is its closest native form; grids
become a nested group with one `select_one` per row. What XLSForm cannot hold natively travels in the custom
columns `cxroi_type`/`cxroi_settings` and the extra `cxroi` sheet, so `read_xlsform` gets the same Survey back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from ..errors import InvalidDefinition, Problem
from ..model import Section, Survey
from ..questions import QuestionBase, type_tag
from ..texts import texts_of
from . import layout
from .expressions import ExportField, FieldKind, FieldRef, Untranslatable, to_show_if, to_xpath, write_bounds
from .expressions.arithmetic import from_calculation, to_calculation
from .languages import TEXT_COLUMNS, columns_for, language_label, written

Row = dict[str, Any]


class _Lists:
    """The choices sheet: named lists, shared when identical, renamed when a name is taken by other choices."""

    def __init__(self) -> None:
        self.lists: dict[str, list[tuple[str, str]]] = {}

    def add(self, preferred: str, choices: Sequence[tuple[str, str]]) -> str:
        name, suffix = preferred, 1
        while name in self.lists and self.lists[name] != list(choices):
            suffix += 1
            name = f"{preferred}_{suffix}"
        self.lists[name] = list(choices)
        return name


class _SheetWriter:
    def __init__(self, survey: Survey) -> None:
        self.survey = survey
        self.rows: list[Row] = []
        self.lists = _Lists()
        self.export_fields: dict[str, ExportField] = {}
        self.import_fields: dict[str, FieldRef] = {}
        self.problems: list[Problem] = []

    def write(self) -> None:
        """Fill `rows` and `lists` with every section, in order.

        A section holding one question of its own id and title (what a question outside any group becomes on
        import) is written as that question alone. Any other section whose id is also a question's name gets a
        group name of its own (pyxform refuses `${x}` when two elements are named x) and keeps its id in
        `cxroi_settings`."""
        taken = {question.id for question in self.survey.questions()}
        for calculation in self.survey.calculate:  # conditions may read them on any later page
            self.export_fields[calculation.id] = ExportField((calculation.id,), "number")
            self.import_fields[calculation.id] = FieldRef(calculation.id, None, "number")
        for s, section in enumerate(self.survey.sections):
            if _lone(section):
                question = section.questions[0]
                self.question(question, f"sections[{s}].questions[0]")
                self.remember(question)
                continue
            group: Row = {"type": "begin group", "name": section.id, "label": section.title,
                          "appearance": "field-list"}
            group_settings: dict[str, Any] = {}
            if section.id in taken:
                name = f"{section.id}_section"
                while name in taken:
                    name += "_"
                group["name"] = name
                group_settings["id"] = section.id
            if section.show_if:
                group["relevant"] = self.relevant(section.show_if, group_settings, f"sections[{s}].show_if")
            if group_settings:
                group["cxroi_settings"] = json.dumps(group_settings, ensure_ascii=False, separators=(",", ":"))
            taken.add(group["name"])
            self.rows.append(group)
            if section.intro:
                self.rows.append({"type": "note", "name": layout.row_name(section.id, "intro"),
                                  "label": section.intro})
            for q, question in enumerate(section.questions):
                self.question(question, f"sections[{s}].questions[{q}]")
                self.remember(question)
            self.rows.append({"type": "end group", "name": group["name"]})
        for index, calculation in enumerate(self.survey.calculate):
            self.calculation(calculation.id, calculation.expression, f"calculate[{index}].expression")

    def calculation(self, name: str, expression: str, path: str) -> None:
        """A calculated value as a `calculate` row at the end of the survey sheet; the expression travels verbatim
        in cxroi_settings when reading the calculation would not restore it."""
        try:
            written = to_calculation(expression, self.export_fields)
        except Untranslatable as error:
            self.problems.append(Problem(path, f"cannot be written as an XLSForm calculation: {error}"))
            return
        row: Row = {"type": "calculate", "name": name, "calculation": written}
        try:
            restored = from_calculation(written, self.import_fields)
        except Untranslatable:
            restored = None
        if restored != expression:
            row["cxroi_settings"] = json.dumps({"expression": expression}, ensure_ascii=False, separators=(",", ":"))
        self.rows.append(row)

    def question(self, question: QuestionBase, path: str) -> None:
        """The row(s) of one question: its closest native XLSForm type plus cxroi_type and cxroi_settings."""
        kind = type_tag(type(question))
        family = layout.family(type(question))
        mapping = question.xlsform
        head: Row = {"name": question.id, "label": question.text, "hint": question.help, "cxroi_type": kind}
        settings = layout.extra_settings(question)
        if question.show_if:
            head["relevant"] = self.relevant(question.show_if, settings, f"{path}.show_if")
        if settings:
            head["cxroi_settings"] = json.dumps(settings, ensure_ascii=False, separators=(",", ":"))
        if family == "grid":
            self.grid(question, head)
            return
        head["required"] = "yes" if question.required else None
        if family == "text":
            head["type"] = "text"
        elif family == "number":
            head["type"] = "integer" if mapping.integer_flag and getattr(question, mapping.integer_flag) else "decimal"
        elif family in ("select_one", "select_multiple"):
            head["type"] = f"{family} {self.lists.add(question.id, question.options())}"
        elif family == "scale":
            head["type"] = f"select_one {self.scale_list(question)}"
        elif family == "rank":
            head["type"] = f"rank {self.lists.add(question.id, question.options())}"
        elif family in ("date", "note"):
            head["type"] = family
            head["required"] = head["required"] if question.answered else None
        else:  # a type whose widget XLSForm cannot ask
            raise InvalidDefinition(self.survey.id, [Problem(path, f"no XLSForm mapping for the type {kind!r}")])
        if getattr(question, layout.RANDOMIZE, False) and family in ("select_one", "select_multiple", "rank"):
            head["parameters"] = f"{layout.RANDOMIZE}=true"
        if mapping.appearance_flag:
            head["appearance"] = mapping.appearance_flag if getattr(question, mapping.appearance_flag) else None
        if mapping.bounds is not None:
            lower, upper = (getattr(question, field) if field else None
                            for field in (mapping.bounds.lower, mapping.bounds.upper))
            head["constraint"] = write_bounds(lower, upper, mapping.bounds.measure)
        self.rows.append(head)

    def scale_list(self, question: QuestionBase) -> str:
        """The name of the choice list holding the question's scale points, one choice per point."""
        points = [(str(value), label) for value, label in question.scale_points()]
        return self.lists.add(layout.list_name(question), points)

    def grid(self, question: QuestionBase, head: Row) -> None:
        """A grid as a group with one select_one per row (promise, touchpoint, channel) and any follow-up texts."""
        mapping = question.xlsform
        self.rows.append(head | {"type": "begin group", "appearance": mapping.grid_appearance})
        required = "yes" if question.required else None
        if mapping.row_choices:
            choices = self.lists.add(layout.list_name(question), mapping.row_choices)
        else:
            choices = self.scale_list(question)
        picked_in = getattr(question, mapping.rows_picked_in) if mapping.rows_picked_in else None
        follow_up = question.follow_up_prompt() if mapping.follow_up_flag else None
        for row, label in question.rows(self.survey):
            name = layout.row_name(question.id, row)
            relevant = f"selected(${{{picked_in}}}, '{row}')" if picked_in else None
            self.rows.append({"type": f"select_one {choices}", "name": name, "label": label, "required": required,
                              "relevant": relevant})
            if follow_up is not None:
                self.rows.append({"type": "text", "name": layout.follow_up_name(question.id, row), "label": follow_up,
                                  "relevant": f"${{{name}}} = '{mapping.row_choices[0][0]}'",
                                  "appearance": "multiline"})
        self.rows.append({"type": "end group", "name": question.id})

    def relevant(self, show_if: str, settings: dict[str, Any], path: str) -> str | None:
        """The XLSForm relevant; the show_if travels verbatim in the settings when reading would not restore it."""
        try:
            relevant = to_xpath(show_if, self.export_fields)
        except Untranslatable as error:
            self.problems.append(Problem(path, f"cannot be written as an XLSForm relevant: {error}"))
            return None
        try:
            restored = to_show_if(relevant, self.import_fields)
        except Untranslatable:
            restored = None
        if restored != show_if:
            settings["show_if"] = show_if
        return relevant

    def remember(self, question: QuestionBase) -> None:
        """Make the question referable by the conditions of later questions, in both directions."""
        kind: FieldKind = question.value_kind
        if question.is_grid:
            names = []
            for row, _ in question.rows(self.survey):
                name = layout.row_name(question.id, row)
                names.append(name)
                self.export_fields[f"{question.id}.{row}"] = ExportField((name,), kind)
                self.import_fields[name] = FieldRef(question.id, row, kind)
            self.export_fields[question.id] = ExportField(tuple(names), "grid")
            return
        self.export_fields[question.id] = ExportField((question.id,), kind)
        self.import_fields[question.id] = FieldRef(question.id, None, kind)
        if kind == "multi":  # `q.code` reads 1/0, as in the export column
            for code, _ in question.options():
                self.export_fields[f"{question.id}.{code}"] = ExportField((question.id, code), "multi_row")


def _lone(section: Section) -> bool:
    """A section that reading the question alone, outside any group, gives back exactly."""
    if len(section.questions) != 1 or section.intro or section.show_if:
        return False
    question = section.questions[0]
    return section.id == question.id and section.title == (question.text or question.id)


def build_workbook(survey: Survey) -> Workbook:
    """The XLSForm workbook of a survey; raises InvalidDefinition for a show_if XLSForm cannot express."""
    writer = _SheetWriter(survey)
    writer.write()
    if writer.problems:
        raise InvalidDefinition(survey.id, writer.problems)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new Workbook always has one sheet
    sheet.title = layout.SURVEY_SHEET
    languages = survey.all_languages  # several: one label and hint column per language (docs/xlsform.md)
    default = survey.default_language
    _fill(sheet, columns_for(layout.SURVEY_COLUMNS, TEXT_COLUMNS, languages), writer.rows, default, pipe=True)
    choices = [{"list_name": name, "name": code, "label": label}
               for name, items in writer.lists.lists.items() for code, label in items]
    _fill(workbook.create_sheet(layout.CHOICES_SHEET), columns_for(layout.CHOICES_COLUMNS, TEXT_COLUMNS, languages),
          choices, default, pipe=True)
    settings = {"form_id": survey.id, "form_title": str(survey.title),
                "default_language": language_label(default) if len(languages) > 1 else default,
                "style": "pages"}  # pages: ODK and Enketo show one group per screen, as cxroi shows one section
    _fill(workbook.create_sheet(layout.SETTINGS_SHEET), columns_for(settings, (), languages), [settings], default,
          pipe=False)
    _fill(workbook.create_sheet(layout.CXROI_SHEET), columns_for(layout.CXROI_COLUMNS, layout.CXROI_TEXTS, languages),
          _cxroi_rows(survey), default, pipe=False)
    return workbook


def _cxroi_rows(survey: Survey) -> list[Row]:
    rows: list[Row] = []
    for kind, attribute in layout.CXROI_KINDS.items():
        for item in getattr(survey, attribute):  # the fields as they are: a text keeps its languages
            rows.append({"kind": kind, **{key: value for key, value in item if value is not None}})
    data = survey.model_dump(exclude_defaults=True)
    for setting in layout.CXROI_SETTINGS:
        value = getattr(survey, setting)
        if setting in data and (setting != "title" or texts_of(value, survey.default_language).keys() - {
                survey.default_language}):  # the title: only when it has translations (form_title holds one)
            rows.append({"kind": "setting", "id": setting, "value": value})
    for rule in survey.follow_up:
        fields = rule.model_dump(mode="json", exclude_none=True, exclude_defaults=True, exclude={"id"})
        rows.append({"kind": layout.FOLLOW_UP_KIND, "id": rule.id,
                     "value": json.dumps(fields, ensure_ascii=False, separators=(",", ":"))})
    if survey.mail is not None:
        for field, text in survey.mail:
            if text is not None:
                rows.append({"kind": layout.MAIL_KIND, "id": field, "value": text})
    for screen_out in survey.screen_out:
        fields = screen_out.model_dump(mode="json", exclude_none=True, exclude_defaults=True, exclude={"id"})
        rows.append({"kind": layout.SCREEN_OUT_KIND, "id": screen_out.id,
                     "value": json.dumps(fields, ensure_ascii=False, separators=(",", ":"))})
    return rows


def _fill(sheet: Any, columns: Sequence[tuple[str, str, str | None]], rows: Sequence[Row], default: str, *,
          pipe: bool) -> None:
    """Write `rows` under the headers of `columns` (header, field, language: see `languages.columns_for`)."""
    sheet.append([header for header, _, _ in columns])
    for row in rows:
        sheet.append([written(row.get(field), code, default, pipe=pipe and field in TEXT_COLUMNS) or None
                      for _, field, code in columns])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # a text such as "=SUM(A1)" stays text; openpyxl would write a formula


def write_xlsform(survey: Survey, path: str | Path) -> None:
    """Write a survey as an XLSForm `.xlsx` workbook (see docs/xlsform.md for the mapping).

    Raises InvalidDefinition, naming the definition path, for what XLSForm cannot express; nothing is written then.
    """
    try:
        workbook = build_workbook(survey)
    except InvalidDefinition as error:
        raise InvalidDefinition(str(path), error.problems) from None
    workbook.save(Path(path))
