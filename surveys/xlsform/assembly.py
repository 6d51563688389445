"""Mapping pyxform's parsed tree of an XLSForm onto the plain data of a cxroi Survey.

The tree comes from `pyxform.xls2json.workbook_to_json`; the raw rows of the survey sheet (pyxform's own reader
keeps blank rows, so row numbers stay true) are walked alongside it, to name the row and column of each problem
and to catch columns cxroi cannot carry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pyxform.xls2json_backends import DefinitionData

from ..errors import Problem
from ..questions import QUESTION_TYPES
from . import layout
from .calculations import calculation_elements, read_calculation
from .cells import RowCells
from .expressions import ExportField, FieldKind, FieldRef
from .languages import TextValue, default_text, join_texts
from .scales import RecognisedScale, recognise_scale
from .syntax import identifier, lower_keys

_METADATA = {"start", "end", "today"}
"""Recorded by cxroi itself (started_at, submitted_at), so these rows map onto the reserved columns."""
_KOBO_VERSION = re.compile(r"^_+version_+\d*$")
"""The form version KoboToolbox keeps as a calculate row (`__version__`): bookkeeping, like its `$kuid` column."""


class SurveyAssembler(RowCells):
    """Walks the tree once; `sections()` gives the sections' data, `problems` what cannot be mapped."""

    def __init__(self, workbook: DefinitionData, tree: Mapping[str, Any], survey_data: dict[str, Any], *,
                 languages: Mapping[str, str], default_language: str, skip_unsupported: bool = False,
                 recognise_scales: bool = True) -> None:
        super().__init__(workbook, languages=languages, default_language=default_language,
                         skip_unsupported=skip_unsupported, recognise_scales=recognise_scales)
        self.tree = tree
        self.survey_data = survey_data
        self.locations: dict[str, str] = {}
        rows = [(index + 2, lower_keys(row)) for index, row in enumerate(workbook.survey or [])]
        self.rows = [(number, row) for number, row in rows
                     if row and str(row.get("type", "")).strip().lower().replace("_", " ")
                     not in ("end group", "end repeat", "end loop")]
        self.position = 0
        self.sections_out: list[dict[str, Any]] = []
        for element in calculation_elements(tree, _bookkeeping):  # conditions may read a calculated value wherever its row is
            name = str(element.get("name"))
            self.import_fields[name] = FieldRef(identifier(name, "c") or name, None, "number")
            self.export_fields[identifier(name, "c") or name] = ExportField((name,), "number")

    # --- walking -------------------------------------------------------------------------------------------------

    def locate(self, element: Mapping[str, Any]) -> tuple[int | None, dict[str, Any]]:
        """The survey-sheet row an element came from; None for elements pyxform generates itself."""
        for offset in range(self.position, min(self.position + 3, len(self.rows))):
            number, raw = self.rows[offset]
            if raw.get("name") == element.get("name"):
                self.position = offset + 1
                return number, raw
        return None, {}

    def skip(self, element: Mapping[str, Any]) -> None:
        """Pass over the rows of an element that is reported as a whole, keeping rows and elements in step."""
        for child in element.get("children") or []:
            self.locate(child)
            self.skip(child)

    def sections(self) -> list[dict[str, Any]]:
        """The sections of the survey, from the top level of the tree (survey intro notes go to `survey_data`)."""
        pending: list[tuple[str, TextValue]] = []
        intro: list[TextValue] = []
        started = False
        for element in self.tree.get("children") or []:
            number, raw = self.locate(element)
            if number is None:
                continue  # pyxform's own additions (meta/instanceID; or_other's text, reported at its select)
            where = f"{layout.SURVEY_SHEET} sheet, row {number}"
            if element.get("type") == "note" and not _note_question(element):
                text = self.note(element, raw, where)
                if text is not None and not started:
                    intro.append(text)  # notes at the very top introduce the survey
                elif text is not None:
                    pending.append((where, text))
                continue
            if _bookkeeping(element):
                continue
            if element.get("type") == "calculate":
                self.calculation(element, raw, where)
                continue
            started = True
            if element.get("type") == "group" and not element.get("cxroi_type"):
                self.section(element, raw, where, [text for _, text in pending])
                pending = []
                continue
            s = len(self.sections_out)
            question = self.question(element, raw, where, pending, f"sections[{s}].questions[0]", None)
            pending = []
            if question is not None:
                self.locations[f"sections[{s}]"] = where
                self.sections_out.append({"id": question["id"], "title": question.get("text") or question["id"],
                                          "questions": [question]})
        for where, _ in pending:
            self.unsupported(where, "a note after the last question has nowhere to go in cxroi", "note")
        if intro:
            self.survey_data["intro"] = join_texts([self.survey_data.get("intro"), *intro], self.default_language)
        return self.sections_out

    def section(self, element: Mapping[str, Any], raw: Mapping[str, Any], where: str, intro: list[TextValue]) -> None:
        """A top-level group as a section; `intro` holds the notes that came right before it."""
        s = len(self.sections_out)
        self.check_columns(raw, where)
        settings = self.settings(element, where)  # cxroi writes a section's id here when its name had to differ
        condition = self.show_if(element, settings, where)
        page_condition = None
        if s > 0:  # the group's relevant is the page's show_if (the first page is always shown: there, as in
            page_condition, condition = condition, None  # workbooks before page logic, it goes to each question)
        questions: list[dict[str, Any]] = []
        pending: list[tuple[str, TextValue]] = []
        for child in element.get("children") or []:
            number, child_raw = self.locate(child)
            if number is None:
                continue
            child_where = f"{layout.SURVEY_SHEET} sheet, row {number}"
            if child.get("type") == "calculate" and not _bookkeeping(child):
                self.calculation(child, child_raw, child_where)
                continue
            if child.get("type") == "note" and not _note_question(child):
                text = self.note(child, child_raw, child_where)
                if text is not None:
                    if questions or pending:
                        pending.append((child_where, text))
                    else:
                        intro.append(text)
                continue
            if child.get("type") == "group" and not child.get("cxroi_type"):
                self.unsupported(f"{child_where}, type", "a group inside a group is not supported: cxroi sections do "
                                                         "not nest", str(child.get("name")))
                self.skip(child)
                continue
            path = f"sections[{s}].questions[{len(questions)}]"
            question = self.question(child, child_raw, child_where, pending, path, condition)
            pending = []
            if question is not None:
                questions.append(question)
        for note_where, _ in pending:
            self.unsupported(note_where, "a note after the last question of a group has nowhere to go in cxroi",
                             "note")
        name = str(element.get("name"))
        if not questions and self.skip_unsupported:
            self.unsupported(where, "nothing cxroi can ask is left in this group", name)
            return
        self.locations[f"sections[{s}]"] = where
        section_id = settings.get("id") if isinstance(settings.get("id"), str) else identifier(name, "s") or name
        section: dict[str, Any] = {"id": section_id, "title": self.text(element, "label", where)
                                   or section_id, "questions": questions}
        if page_condition:
            section["show_if"] = page_condition
        joined = join_texts([self.text(element, "hint", where), *intro], self.default_language)  # the hint leads
        if joined:
            section["intro"] = joined
        self.sections_out.append(section)

    def calculation(self, element: Mapping[str, Any], raw: Mapping[str, Any], where: str) -> None:
        """A `calculate` row as a calculated value (`Survey.calculate`), when its calculation is arithmetic."""
        read_calculation(self, element, where, self.survey_data, self.locations)

    # --- one question --------------------------------------------------------------------------------------------

    def question(self, element: Mapping[str, Any], raw: Mapping[str, Any], where: str,
                 notes: Sequence[tuple[str, TextValue]], path: str, condition: str | None) -> dict[str, Any] | None:
        """One question's data; None (with the reason in `problems`) when it cannot be mapped or is metadata."""
        kind = str(element.get("type"))
        raw_type = str(raw.get("type", kind))
        cxroi_type = element.get("cxroi_type")
        if _bookkeeping(element):
            return None
        name = str(element.get("name"))
        if re.search(r"\bor[_ ](?:specify[_ ])?other\b", raw_type):  # `or_other`, "or specify other"
            self.unsupported(f"{where}, type", f"{raw_type!r}: or_other is not supported; add an 'other' choice and "
                                               "a text question", name)
            return None
        if cxroi_type is not None and cxroi_type not in QUESTION_TYPES:
            self.problems.append(Problem(f"{where}, column 'cxroi_type'",
                                         f"unknown type {cxroi_type!r}; known: {', '.join(QUESTION_TYPES)}"))
            self.skip(element)
            return None
        grid_types = layout.grid_types()
        if kind == "group" and cxroi_type in grid_types:
            return self.grid(element, raw, where, notes, path, condition)
        if kind == "group" and cxroi_type is not None:
            self.problems.append(Problem(f"{where}, column 'cxroi_type'", f"{cxroi_type!r} on a group: only the grid "
                                         f"types ({', '.join(sorted(grid_types))}) are written as groups"))
            self.skip(element)
            return None
        untagged = layout.untagged_type(kind)
        if untagged is None:
            self.unsupported(f"{where}, type", f"{raw_type!r} is not supported", name)
            self.skip(element)
            return None
        self.check_columns(raw, where)
        settings = self.settings(element, where)
        question_type = QUESTION_TYPES[cxroi_type or untagged]
        family = layout.family(question_type)
        if family not in layout.ROW_FAMILIES[kind]:
            self.problems.append(Problem(f"{where}, column 'cxroi_type'",
                                         f"{cxroi_type!r} cannot be carried by an XLSForm {raw_type.split()[0]!r} row"))
            return None
        mapping = question_type.xlsform
        data = self.common(element, where, notes, settings, condition) | {"type": cxroi_type or untagged}
        constraint = (element.get("bind") or {}).get("constraint")
        field_kind: FieldKind = question_type.value_kind
        codes: dict[str, str] = {}
        multi_rows: list[tuple[str, str]] = []
        shuffles = family in ("select_one", "select_multiple", "rank") and layout.RANDOMIZE in question_type.model_fields
        randomize = self.randomize(element, where, allowed=shuffles)
        if randomize is not None:
            data[layout.RANDOMIZE] = randomize
        if mapping.appearance_flag:
            appearance = str((element.get("control") or {}).get("appearance", ""))
            data[mapping.appearance_flag] = mapping.appearance_flag in appearance.split()
        if mapping.integer_flag:
            data[mapping.integer_flag] = kind == "integer"
        if family in ("select_one", "select_multiple", "scale", "rank"):
            if "choices" not in element and element.get("itemset"):  # pyxform leaves a shuffled list by its name
                element = {**element, "list_name": element["itemset"],
                           "choices": (self.tree.get("choices") or {}).get(element["itemset"], [])}
            choices = self.choices(element, where)
            if choices is None:
                return None
            scale = self.scale_of(element, choices, where) if family == "select_one" and not cxroi_type else None
            if scale is not None:
                data |= {"type": scale.type, **scale.settings}
                field_kind = "scale"
                codes = {name: str(point) for (name, _, _), point in zip(choices, scale.points, strict=True)}
            elif family == "scale":
                self.check_scale(data, choices, element, where)
            else:
                data[mapping.choices_field] = [{"code": code, "label": label} for _, code, label in choices]
                codes = {name: code for name, code, _ in choices if name != code}
                if family == "select_multiple":
                    multi_rows = [(name, code) for name, code, _ in choices]
        if mapping.bounds is not None:
            bounds = mapping.bounds
            low, high = self.bounds(constraint, bounds.measure, where)
            for end, field, value in (("minimum", bounds.lower, low), ("maximum", bounds.upper, high)):
                if value is not None and field is None:
                    self.unsupported(f"{where}, column 'constraint'",
                                     f"a {end} {layout.MEASURE_WORDS[bounds.measure]} is not supported", "constraint")
                elif value is not None and field is not None:
                    data[field] = self.whole(value) if bounds.whole else value
        elif constraint:
            what = "a single choice" if kind == "select one" else "this question type"
            self.unsupported(f"{where}, column 'constraint'", f"not supported on {what}", "constraint")
        self.locations[path] = where
        self.import_fields[name] = FieldRef(str(data["id"]), None, field_kind, codes)
        self.export_fields[str(data["id"])] = ExportField((str(data["id"]),), field_kind)
        for name, code in multi_rows:  # `q.code` of a multi choice, as the writer would have written it
            self.export_fields[f"{data['id']}.{code}"] = ExportField((str(data["id"]), name), "multi_row")
        return data

    def grid(self, element: Mapping[str, Any], raw: Mapping[str, Any], where: str,
             notes: Sequence[tuple[str, TextValue]], path: str, condition: str | None) -> dict[str, Any] | None:
        """A grid question from its group: one select_one per row, checked against the survey's rows."""
        self.check_columns(raw, where)
        settings = self.settings(element, where)
        element = _with_table_list_label(element)
        data = self.common(element, where, notes, settings, condition) | {"type": element["cxroi_type"]}
        question_id = str(data["id"])
        question_type = QUESTION_TYPES[data["type"]]
        mapping = question_type.xlsform
        source, subset = question_type.row_source, question_type.row_subset_field
        expected = settings.get(subset) or [str(item.get("id")) for item in self.survey_data.get(source, [])]
        rows: list[str] = []
        required: list[bool] = []
        follow_ups: list[str] = []
        first_row: Mapping[str, Any] | None = None
        prefix = question_id + layout.ROW_SEPARATOR
        suffix = layout.ROW_SEPARATOR + layout.FOLLOW_UP_SUFFIX
        for child in element.get("children") or []:
            number, child_raw = self.locate(child)
            if number is None:
                continue
            child_where = f"{layout.SURVEY_SHEET} sheet, row {number}"
            self.check_columns(child_raw, child_where)
            name = str(child.get("name"))
            if mapping.follow_up_flag and child.get("type") == "text" and name.endswith(suffix):
                follow_ups.append(name.removeprefix(prefix).removesuffix(suffix))
            elif name.startswith(prefix) and child.get("type") == "select one":
                rows.append(name.removeprefix(prefix))
                required.append(self.required(child, child_where))
                first_row = first_row or child
            else:
                self.problems.append(Problem(f"{child_where}, column 'name'",
                                             f"a row of the grid {question_id!r} must be a select_one named "
                                             f"{prefix}<row id>"))
                self.skip(child)
        if rows != list(expected):
            self.problems.append(Problem(where, f"the rows of the grid {question_id!r} ({', '.join(rows)}) do not "
                                                f"match its {source} in the cxroi sheet ({', '.join(expected)})"))
        flag = mapping.follow_up_flag
        if flag and follow_ups != (rows if settings.get(flag, question_type.model_fields[flag].default) else []):
            self.problems.append(Problem(where, f"the follow-up rows of {question_id!r} ({', '.join(follow_ups)}) do "
                                                f"not match its rows and its {flag} setting"))
        if any(required) and not all(required):
            self.problems.append(Problem(f"{where}, column 'required'", f"some rows of {question_id!r} are required "
                                                                        "and some not; cxroi requires all or none"))
        data["required"] = bool(required) and all(required)
        if first_row is not None and not mapping.row_choices:
            choices = self.choices(first_row, where)
            if choices is not None:
                self.check_scale(data, choices, first_row, where)
        self.locations[path] = where
        kind: FieldKind = question_type.value_kind
        for row in rows:
            name = layout.row_name(question_id, row)
            self.import_fields[name] = FieldRef(question_id, row, kind)
            self.export_fields[f"{question_id}.{row}"] = ExportField((name,), kind)
        self.export_fields[question_id] = ExportField(tuple(layout.row_name(question_id, r) for r in rows), "grid")
        return data

    # --- parts ---------------------------------------------------------------------------------------------------

    def common(self, element: Mapping[str, Any], where: str, notes: Sequence[tuple[str, TextValue]],
               settings: dict[str, Any], condition: str | None) -> dict[str, Any]:
        """What every question has: id, text, help (notes before it first), required, show_if."""
        data = {key: value for key, value in settings.items() if key != "show_if"}
        name = str(element.get("name"))
        data["id"] = identifier(name, "q") or name  # `a.b-c` → `a_b_c`; build_survey reports what is left
        text = self.text(element, "label", where)
        if text is not None:
            data["text"] = text
        help_text = join_texts([*(note for _, note in notes), self.text(element, "hint", where)], self.default_language)
        if help_text:
            data["help"] = help_text
        data["required"] = self.required(element, where)
        show_if = _both(condition, self.show_if(element, settings, where))
        if show_if:
            data["show_if"] = show_if
        return data

    def scale_of(self, element: Mapping[str, Any], choices: Sequence[tuple[str, str, TextValue | None]],
                 where: str) -> RecognisedScale | None:
        """The standard scale a plain select_one's choices are (agreement, satisfaction), noted with its mapping."""
        if not self.recognise_scales:
            return None
        labels = [default_text(label, self.default_language) for _, _, label in choices]
        scale = recognise_scale(labels)
        if scale is None:
            return None
        list_name = element.get("list_name") or element.get("itemset")
        pairs = ", ".join(f"{name}={point} ({label})" for (name, _, _), label, point in zip(choices, labels,
                                                                                           scale.points, strict=True))
        kind = f"{scale.type} {scale.settings['points']}-point" if "points" in scale.settings else scale.type
        self.notes.append(f"{where}: the choices of list {list_name!r} are read as a {kind} scale: {pairs}; "
                          "put single_choice in the cxroi_type column to keep them as plain choices")
        return scale

    def note(self, element: Mapping[str, Any], raw: Mapping[str, Any], where: str) -> TextValue | None:
        """A note's text, to become an intro or help; a conditional note is reported."""
        self.check_columns(raw, where)
        if (element.get("bind") or {}).get("relevant"):
            self.unsupported(f"{where}, column 'relevant'", "a note shown on a condition is not supported",
                             str(element.get("name")))
            return None
        return self.text(element, "label", where)


def _note_question(element: Mapping[str, Any]) -> bool:
    """A note row read as a note question (type `note`): one cxroi wrote so, or one shown on a condition; other
    notes become the intro of their section or the help of the next question."""
    return element.get("cxroi_type") == "note" or bool((element.get("bind") or {}).get("relevant"))


def _bookkeeping(element: Mapping[str, Any]) -> bool:
    """Rows that carry nothing to ask: start/end/today stamps and KoboToolbox's `__version__`."""
    kind = element.get("type")
    return kind in _METADATA or (kind == "calculate" and bool(_KOBO_VERSION.match(str(element.get("name")))))


def _both(first: str | None, second: str | None) -> str | None:
    if not first or not second:
        return first or second
    return " and ".join(f"({c})" if " or " in c else c for c in (first, second))


def _with_table_list_label(group: Mapping[str, Any]) -> Mapping[str, Any]:
    """pyxform moves a table-list group's label and hint into a note it generates; take them back."""
    for child in group.get("children") or []:
        if str(child.get("name", "")).startswith("generated_table_list_label_"):
            return {**group, **{key: child[key] for key in ("label", "hint") if key in child}}
    return group
