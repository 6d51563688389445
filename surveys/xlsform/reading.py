"""Reading an XLSForm workbook (KoboToolbox, ODK, or written by cxroi) into a checked Survey.

pyxform reads and checks the workbook (its own errors come first: a broken XLSForm is reported as pyxform sees
it); its parsed tree is then mapped onto the cxroi model by `assembly`. The extra `cxroi` sheet, which pyxform
ignores, is read with openpyxl. Every problem names the sheet, the row and the column it comes from.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import DefinitionData, get_xlsform

from ..bounded import TooLarge, check_workbook
from ..definition import build_survey
from ..errors import InvalidDefinition, Problem
from ..model import Survey
from . import layout
from .assembly import SurveyAssembler
from .languages import split_language_column, text_value
from .syntax import collapse_rows, dealias_tree, lower_keys

_SETTINGS_COLUMNS = {"form_id", "id_string", "set_form_id", "form_title", "set_form_title", "default_language",
                     "version", "style"}
"""Settings cxroi reads; `version` and `style` are accepted and not kept (cxroi numbers its own versions and
always shows one section per page)."""
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class XlsformImport:
    """What `import_xlsform` made of a workbook."""

    survey: Survey
    dropped: list[Problem]
    """With `skip_unsupported`: each thing left out, where it was (sheet, row, column) and `name: why`."""
    notes: list[str]
    """Decisions to show the user, e.g. a choice list read as a likert scale, with the mapping of its choices."""


def read_xlsform(path: str | Path) -> Survey:
    """Read an XLSForm `.xlsx` workbook into a checked Survey; raises InvalidDefinition naming sheet, row and column."""
    return import_xlsform(path).survey


def import_xlsform(path: str | Path, *, skip_unsupported: bool = False, recognise_scales: bool = True) -> XlsformImport:
    """Read an XLSForm workbook; with `skip_unsupported`, what cxroi cannot represent is left out and listed in
    `dropped` instead of refusing the workbook (problems in what is kept are still refused). `recognise_scales`
    reads standard agreement/satisfaction choice lists as likert/csat questions (listed in `notes`)."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise InvalidDefinition(source, [Problem("", "cannot read the file: it does not exist")])
    try:
        check_workbook(path, source)  # pyxform loads whole sheets: sizes are checked while streaming first
    except TooLarge as error:
        raise InvalidDefinition(source, [Problem("", str(error).removeprefix(f"{source}: "))]) from None
    try:
        workbook = get_xlsform(xlsform=path, file_type=".xlsx")
        tree = workbook_to_json(workbook, fallback_form_name=workbook.fallback_form_name, warnings=[])
    except PyXFormError as error:
        reason = str(error)
        if "was not recognized as a supported type" in reason:  # pyxform's words for "could not open it"
            reason = "the file is not an Excel .xlsx workbook (or it is damaged)"
        raise InvalidDefinition(source, [Problem("", f"not a readable XLSForm workbook: {reason}")]) from None
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:  # pyxform on malformed cells
        raise InvalidDefinition(source, [Problem("", f"not a readable XLSForm workbook: {error!r}")]) from None
    dealias_tree(tree)
    problems: list[Problem] = []
    dropped: list[Problem] = []
    survey_level, locations = _survey_level(path, workbook, tree, problems, dropped if skip_unsupported else None)
    default = str(survey_level.get("language") or "en")
    languages = _language_codes(tree, default, problems)
    if len(set(languages.values())) > 1:
        survey_level["languages"] = [default, *sorted(set(languages.values()) - {default})]
    cxroi_rows = _read_cxroi_sheet(path, problems)
    data = survey_level | _cxroi_data(cxroi_rows, problems, locations, default)
    assembler = SurveyAssembler(workbook, tree, data, languages=languages, default_language=default,
                                skip_unsupported=skip_unsupported, recognise_scales=recognise_scales)
    data["sections"] = assembler.sections()
    problems.extend(assembler.problems)
    if not data["sections"] and not problems:  # only notes, metadata, or (skipped) things cxroi cannot ask
        left = " once what cxroi cannot represent is left out" if assembler.dropped else ""
        problems.append(Problem(f"{layout.SURVEY_SHEET} sheet", f"no question cxroi can ask is left{left}"))
    dropped.extend(assembler.dropped)
    locations.update(assembler.locations)
    if problems:
        raise InvalidDefinition(source, collapse_rows(problems))
    try:
        survey = build_survey(data, source=source)
    except InvalidDefinition as error:
        raise InvalidDefinition(source, collapse_rows([_relocate(p, locations) for p in error.problems])) from None
    return XlsformImport(survey, collapse_rows(dropped), assembler.notes)


def _survey_level(
    path: Path, workbook: DefinitionData, tree: Mapping[str, Any], problems: list[Problem],
    dropped: list[Problem] | None,
) -> tuple[dict[str, Any], dict[str, str]]:
    settings: dict[str, Any] = lower_keys(workbook.settings[0]) if workbook.settings else {}
    for column, value in settings.items():
        if column not in _SETTINGS_COLUMNS and not column.startswith("$") and value not in (None, ""):
            where = f"{layout.SETTINGS_SHEET} sheet, column {column!r}"
            if dropped is None:
                problems.append(Problem(where, "this setting is not supported by cxroi"))
            else:
                dropped.append(Problem(where, f"{column}: this setting is not supported by cxroi"))
    form_id = settings.get("form_id") or settings.get("id_string") or settings.get("set_form_id")
    if not form_id:  # like pyxform, fall back on the file name, made into an identifier
        form_id = re.sub(r"[^A-Za-z0-9_]", "_", path.stem)
        form_id = form_id if form_id[:1].isalpha() else f"form_{form_id}"
    title = settings.get("form_title") or settings.get("set_form_title") or form_id
    data: dict[str, Any] = {"id": form_id, "title": title}
    language = settings.get("default_language") or _only_language(tree)
    if language:
        code = language_code(language)
        if code is None:
            problems.append(Problem(f"{layout.SETTINGS_SHEET} sheet, default_language",
                                    f"cannot tell the language code of {language!r}; write it as 'Name (code)', "
                                    "e.g. 'English (en)'"))
        else:
            data["language"] = code
    where = f"{layout.SETTINGS_SHEET} sheet"
    return data, {"id": f"{where}, form_id", "title": f"{where}, form_title", "language": f"{where}, default_language"}


def language_code(language: str) -> str | None:
    """'English (en)' → 'en'; 'en' or 'EN' → 'en'; 'default' (no language given) → 'en'; otherwise None."""
    match = re.search(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\)\s*$", language)
    if match:
        first, _, rest = match.group(1).partition("-")
        return first.lower() + (f"-{rest}" if rest else "")
    first, _, rest = language.strip().partition("-")
    code = first.lower() + (f"-{rest}" if rest else "")  # 'EN' (as pyxform's own test forms write it) → 'en'
    if _LANGUAGE_CODE.match(code):
        return code
    if language.strip().lower() in ("default", "english"):
        return "en"
    return None


def _languages(tree: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()

    def visit(element: Mapping[str, Any]) -> None:
        for key in ("label", "hint"):
            if isinstance(element.get(key), Mapping):
                found.update(element[key])
        choices = element.get("choices") or []
        if isinstance(choices, Mapping):  # the tree's top level keeps every list by name
            choices = [choice for items in choices.values() for choice in items]
        for choice in choices:
            if isinstance(choice.get("label"), Mapping):
                found.update(choice["label"])
        for child in element.get("children") or []:
            visit(child)

    visit(tree)
    return found


def _only_language(tree: Mapping[str, Any]) -> str | None:
    languages = _languages(tree)
    return next(iter(languages)) if len(languages) == 1 else None


def _language_codes(tree: Mapping[str, Any], default: str, problems: list[Problem]) -> dict[str, str]:
    """pyxform's language keys of the workbook's texts (`English (en)`; `default` for plain columns) → language
    codes; a key whose code cannot be told is reported."""
    codes: dict[str, str] = {}
    for key in sorted(_languages(tree)):
        code = default if key == "default" else language_code(key)
        if code is None:
            problems.append(Problem(f"{layout.SURVEY_SHEET} sheet, label columns",
                                    f"cannot tell the language code of {key!r}; name the columns 'label::Name (code)', "
                                    "e.g. 'label::Français (fr)'"))
        else:
            codes[key] = code
    return codes


def _read_cxroi_sheet(path: Path, problems: list[Problem]) -> list[tuple[int, dict[str, Any]]]:
    """(row number, {column: value}) of the extra cxroi sheet; empty when the workbook has none."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        problems.append(Problem(f"{layout.CXROI_SHEET} sheet", f"cannot be read: {error}"))
        return []
    try:
        sheet = next((workbook[name] for name in workbook.sheetnames if name.lower() == layout.CXROI_SHEET), None)
        if sheet is None:
            return []
        rows = list(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()
    if not rows:
        return []
    header = [str(cell).strip() if cell is not None else "" for cell in rows[0]]
    out = []
    for number, cells in enumerate(rows[1:], start=2):
        row = {header[i]: cell for i, cell in enumerate(cells) if i < len(header) and header[i] and cell is not None
               and str(cell).strip() != ""}
        if row:
            out.append((number, row))
    return out


def _cxroi_data(
    rows: Sequence[tuple[int, dict[str, Any]]], problems: list[Problem], locations: dict[str, str], default: str
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for number, cells in rows:
        where = f"{layout.CXROI_SHEET} sheet, row {number}"
        row = _cxroi_texts(cells, default)
        unknown = sorted(set(row) - set(layout.CXROI_COLUMNS))
        if unknown:
            problems.append(Problem(f"{where}, column {unknown[0]!r}", "unknown column"))
            continue
        kind = str(row.get("kind", "")).strip()
        if kind in layout.CXROI_KINDS:
            attribute = layout.CXROI_KINDS[kind]
            items = data.setdefault(attribute, [])
            locations[f"{attribute}[{len(items)}]"] = where
            items.append({key: value if isinstance(value, dict) else str(value) for key, value in row.items()
                          if key in ("id", "label", "description")})
            if "value" in row:
                problems.append(Problem(f"{where}, column 'value'", f"a {kind} has no value; use label"))
        elif kind == "setting":
            setting = str(row.get("id", ""))
            if setting not in layout.CXROI_SETTINGS:
                problems.append(Problem(f"{where}, column 'id'",
                                        f"unknown setting {setting!r}; known: {', '.join(layout.CXROI_SETTINGS)}"))
                continue
            locations[setting] = where
            data[setting] = row.get("value")
        elif kind == layout.MAIL_KIND:
            field = str(row.get("id", ""))
            locations[f"mail.{field}"] = where
            data.setdefault("mail", {})[field] = row.get("value")
        elif kind in layout.JSON_KINDS:
            attribute = layout.JSON_KINDS[kind]
            rules = data.setdefault(attribute, [])
            locations[f"{attribute}[{len(rules)}]"] = where
            try:
                fields = json.loads(str(row.get("value", "{}")))
            except ValueError as error:
                problems.append(Problem(f"{where}, column 'value'", f"not a JSON object: {error}"))
                continue
            if not isinstance(fields, dict):
                problems.append(Problem(f"{where}, column 'value'", "not a JSON object"))
                continue
            rules.append(fields | {"id": str(row.get("id", ""))})
        else:
            known = ", ".join([*layout.CXROI_KINDS, "setting", layout.MAIL_KIND, *layout.JSON_KINDS])
            problems.append(Problem(f"{where}, column 'kind'", f"unknown kind {kind!r}; known: {known}"))
    return data


def _cxroi_texts(cells: Mapping[str, Any], default: str) -> dict[str, Any]:
    """A cxroi-sheet row with its per-language text columns (`label::French (fr)`) gathered into one text each."""
    row: dict[str, Any] = {}
    texts: dict[str, dict[str, str]] = {}
    for column, value in cells.items():
        base, language = split_language_column(column)
        code = language_code(language) if language else None
        if base in layout.CXROI_TEXTS and code is not None:
            texts.setdefault(base, {})[code] = str(value)
        else:
            row[column] = value
    for base, given in texts.items():
        value = text_value(given, default)
        if value is not None:
            row[base] = value
    return row


def _relocate(problem: Problem, locations: Mapping[str, str]) -> Problem:
    """A definition path (`sections[0].questions[2].text`) named by its sheet and row as well."""
    best = ""
    for key in locations:
        if (problem.path == key or problem.path.startswith((f"{key}.", f"{key}["))) and len(key) > len(best):
            best = key
    if not best:
        return problem
    return Problem(f"{locations[best]} ({problem.path})", problem.message)
