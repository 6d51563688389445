"""Edits of a survey definition, each a pure function: plain definition data in, new data out.

The input is never changed. A function raises `InvalidDefinition` (with path-named `Problem`s) for input it
cannot apply, e.g. a line of promises without a label, and `LookupError` for a question or section that is
not in the definition. Whether the result is a valid survey is checked afterwards, once, by
`surveys.definition.build_survey` (the authoring service does that before storing anything).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

import yaml

from surveys.bounded import load_yaml
from surveys.definition import InvalidDefinition, Problem
from surveys.library import build_question, library_entry

COMMON_FIELDS = ("id", "type", "text", "help", "required", "show_if", "rationale")
"""Fields every question has; everything else is a type-specific setting (edited as YAML)."""
ROW_SOURCES = ("brand_promises", "touchpoints", "channels")
_ROW_LINE = re.compile(r"^\s*([^:]+?)\s*:\s*(.*?)\s*$")


def default_language(data: Mapping[str, Any]) -> str:
    """The draft's default language (`language` is the setting's older name)."""
    return str(data.get("default_language") or data.get("language") or "en")


def shown_text(value: Any, data: Mapping[str, Any]) -> str:
    """A text as the editor's form shows it: the default language's, when it is given per language."""
    if isinstance(value, Mapping):
        return str(value.get(default_language(data)) or next(iter(value.values()), ""))
    return "" if value is None else str(value)


def _keep_translations(old: Any, new: Any, data: Mapping[str, Any]) -> Any:
    """A text edited in the default language (what the editor shows) keeps its other languages."""
    if isinstance(old, Mapping) and isinstance(new, str) and new:
        return {**old, default_language(data): new}
    return new


def _copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(dict(data))


def _locate(data: Mapping[str, Any], question_id: str) -> tuple[int, int]:
    for s, section in enumerate(data.get("sections", [])):
        for q, question in enumerate(section.get("questions", [])):
            if question.get("id") == question_id:
                return s, q
    raise LookupError(f"no question {question_id!r} in this survey")


def _section_index(data: Mapping[str, Any], section_id: str) -> int:
    for s, section in enumerate(data.get("sections", [])):
        if section.get("id") == section_id:
            return s
    raise LookupError(f"no section {section_id!r} in this survey")


def question_ids(data: Mapping[str, Any]) -> list[str]:
    """Every question id of the definition, in order."""
    return [q.get("id") for s in data.get("sections", []) for q in s.get("questions", [])]


def _library_question(key: str, taken: list[str]) -> dict[str, Any]:
    question = build_question(key, taken=taken)
    return {"id": question.id, "type": question.type} | question.model_dump(mode="json", exclude_defaults=True)


def add_question(data: Mapping[str, Any], key: str, section_id: str) -> dict[str, Any]:
    """Append the library question `key` to the section; its id gets `_2`, `_3` … if already taken."""
    library_entry(key)  # UnknownLibraryItem (a LookupError) before anything else
    result = _copy(data)
    index = _section_index(result, section_id)
    result["sections"][index]["questions"].append(_library_question(key, question_ids(result)))
    return result


def remove_question(data: Mapping[str, Any], question_id: str) -> dict[str, Any]:
    """Take the question out (a section left without questions is then reported by the validation)."""
    result = _copy(data)
    s, q = _locate(result, question_id)
    del result["sections"][s]["questions"][q]
    return result


def move_question(data: Mapping[str, Any], question_id: str, step: int) -> dict[str, Any]:
    """Move a question one place up (-1) or down (+1); past the edge of its page it goes to the end of the
    previous page or the start of the next one. At the very first or last place nothing changes."""
    if step not in (-1, 1):
        raise ValueError("step must be -1 or +1")
    result = _copy(data)
    sections = result["sections"]
    s, q = _locate(result, question_id)
    questions = sections[s]["questions"]
    if 0 <= q + step < len(questions):
        questions[q], questions[q + step] = questions[q + step], questions[q]
    elif 0 <= s + step < len(sections):
        moved = questions.pop(q)
        target = sections[s + step]["questions"]
        target.insert(len(target) if step < 0 else 0, moved)
    return result


def place_question(data: Mapping[str, Any], question_id: str, section_id: str, position: int) -> dict[str, Any]:
    """Put a question on page `section_id` at `position` (0 first; counted among that page's other questions,
    past the end means last), as a drag and drop does. Raises LookupError for an unknown question or page."""
    result = _copy(data)
    s, q = _locate(result, question_id)
    target = _section_index(result, section_id)
    moved = result["sections"][s]["questions"].pop(q)
    questions = result["sections"][target]["questions"]
    questions.insert(min(max(position, 0), len(questions)), moved)
    return result


def section_of(data: Mapping[str, Any], question_id: str) -> str:
    """The id of the page a question is on (LookupError when there is no such question)."""
    return str(data["sections"][_locate(data, question_id)[0]].get("id"))


def update_question(data: Mapping[str, Any], question_id: str, fields: Mapping[str, Any],
                    settings_yaml: str) -> dict[str, Any]:
    """Replace a question's common fields (`text`, `help`, `required`, `show_if`; empty text means none)
    and its type-specific settings, given as YAML text (e.g. `scale: {min: 1, max: 7}`).

    The id, type and rationale are kept. Settings that are not a YAML mapping, or that name a common field,
    raise `InvalidDefinition` with the question's path.
    """
    result = _copy(data)
    s, q = _locate(result, question_id)
    path = f"sections[{s}].questions[{q}]"
    old = result["sections"][s]["questions"][q]
    settings = _read_settings(settings_yaml, path)
    question: dict[str, Any] = {"id": old["id"], "type": old["type"]}
    for name in ("text", "help", "show_if"):
        value = fields.get(name)
        text = value.strip() if isinstance(value, str) else value
        if text:
            question[name] = _keep_translations(old.get(name), text, result)
        elif name == "text":
            question[name] = ""  # the validation names the empty text at its path
    question["required"] = bool(fields.get("required"))
    if old.get("rationale"):
        question["rationale"] = old["rationale"]
    question.update(settings)
    result["sections"][s]["questions"][q] = question
    return result


def set_question_settings(data: Mapping[str, Any], question_id: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Replace a question's type-specific settings (the settings form's result); the common fields stay."""
    result = _copy(data)
    s, q = _locate(result, question_id)
    old = result["sections"][s]["questions"][q]
    common = [str(name) for name in settings if name in COMMON_FIELDS]
    if common:
        raise InvalidDefinition("settings", [Problem(f"sections[{s}].questions[{q}].settings",
                                                     f"{common[0]!r} is not a setting")])
    result["sections"][s]["questions"][q] = {name: value for name, value in old.items()
                                             if name in COMMON_FIELDS} | copy.deepcopy(dict(settings))
    return result


def set_show_if(data: Mapping[str, Any], question_id: str, condition: str) -> dict[str, Any]:
    """Set a question's condition (the condition builder's result); empty text removes it."""
    result = _copy(data)
    s, q = _locate(result, question_id)
    question = result["sections"][s]["questions"][q]
    if condition.strip():
        question["show_if"] = condition.strip()
    else:
        question.pop("show_if", None)
    return result


def apply_rewrite(data: Mapping[str, Any], question_id: str, rewrites: tuple[str, ...]) -> dict[str, Any]:
    """Apply a lint finding's rewrite to a question's text: one text replaces it (its other languages kept);
    two split the question in two — it keeps the first text, and a copy with the second (id `<id>_2`, or the
    next free number) follows it on the same page."""
    if len(rewrites) not in (1, 2):
        raise ValueError("a rewrite is one text, or two for a split")
    result = _copy(data)
    s, q = _locate(result, question_id)
    questions = result["sections"][s]["questions"]
    original = questions[q]
    original["text"] = _keep_translations(original.get("text"), rewrites[0], result)
    if len(rewrites) == 2:
        taken, number = set(question_ids(result)), 2
        while f"{question_id}_{number}" in taken:
            number += 1
        copy_of = copy.deepcopy(original) | {"id": f"{question_id}_{number}", "text": rewrites[1]}
        questions.insert(q + 1, copy_of)
    return result


def _read_settings(text: str, path: str) -> dict[str, Any]:
    try:
        settings = load_yaml(text) if text.strip() else {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        reason = getattr(error, "problem", None) or "not valid YAML"
        raise InvalidDefinition("settings", [Problem(f"{path}.settings", f"{reason}{where}")]) from None
    except RecursionError:
        raise InvalidDefinition("settings", [Problem(f"{path}.settings", "nested too deeply")]) from None
    except ValueError:  # Python refuses to convert integers of more than 4,300 digits
        raise InvalidDefinition("settings", [Problem(f"{path}.settings", "a number is too long")]) from None
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        raise InvalidDefinition("settings", [Problem(f"{path}.settings", "write the settings as 'name: value' lines")])
    common = [str(name) for name in settings if name in COMMON_FIELDS]
    if common:
        raise InvalidDefinition("settings", [Problem(f"{path}.settings",
                                                     f"{common[0]!r} is not a setting; it has its own field "
                                                     "or cannot be changed")])
    return {str(name): value for name, value in settings.items()}


def question_settings(question: Mapping[str, Any]) -> dict[str, Any]:
    """The type-specific settings of a question's data (what the settings textarea shows)."""
    return {name: value for name, value in question.items() if name not in COMMON_FIELDS}


def settings_yaml(question: Mapping[str, Any]) -> str:
    """The settings as YAML text, empty when the question has none."""
    settings = question_settings(question)
    return yaml.safe_dump(settings, sort_keys=False, allow_unicode=True, width=100) if settings else ""


def add_section(data: Mapping[str, Any], section_id: str, title: str, first_key: str) -> dict[str, Any]:
    """Append a page with the library question `first_key` on it (a page cannot be empty)."""
    library_entry(first_key)
    result = _copy(data)
    result["sections"].append({"id": section_id.strip(), "title": title.strip(),
                               "questions": [_library_question(first_key, question_ids(result))]})
    return result


def update_section(data: Mapping[str, Any], section_id: str, title: str, intro: str) -> dict[str, Any]:
    """Change a page's title and intro (an empty intro means none)."""
    result = _copy(data)
    section = result["sections"][_section_index(result, section_id)]
    section["title"] = _keep_translations(section.get("title"), title.strip(), result)
    if intro.strip():
        section["intro"] = _keep_translations(section.get("intro"), intro.strip(), result)
    else:
        section.pop("intro", None)
    return result


def remove_section(data: Mapping[str, Any], section_id: str) -> dict[str, Any]:
    """Take a page out with its questions."""
    result = _copy(data)
    del result["sections"][_section_index(result, section_id)]
    return result


def move_section(data: Mapping[str, Any], section_id: str, step: int) -> dict[str, Any]:
    """Move a page one place earlier (-1) or later (+1); at either end nothing changes."""
    if step not in (-1, 1):
        raise ValueError("step must be -1 or +1")
    result = _copy(data)
    sections = result["sections"]
    s = _section_index(result, section_id)
    if 0 <= s + step < len(sections):
        sections[s], sections[s + step] = sections[s + step], sections[s]
    return result


def read_row_lines(text: str, source: str) -> list[dict[str, str]]:
    """Rows (promises, touchpoints or channels) from lines `id: label`; blank lines are skipped.

    A line without a colon raises `InvalidDefinition` naming `source[i]` (i counts the rows, from 0).
    """
    rows: list[dict[str, str]] = []
    problems: list[Problem] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = _ROW_LINE.match(line)
        if match is None:
            problems.append(Problem(f"{source}[{len(rows)}]", f"write {line.strip()[:40]!r} as 'id: label'"))
            rows.append({"id": line.strip(), "label": ""})
            continue
        rows.append({"id": match[1], "label": match[2]})
    if problems:
        raise InvalidDefinition(source, problems)
    return rows


def row_lines(rows: list[Mapping[str, Any]], data: Mapping[str, Any] | None = None) -> str:
    """Rows as the `id: label` lines of the textarea (a label given per language: the default language's)."""
    return "\n".join(f"{row['id']}: {shown_text(row['label'], data or {})}" for row in rows)


def set_rows(data: Mapping[str, Any], lines: Mapping[str, str]) -> dict[str, Any]:
    """Replace the survey's brand promises, touchpoints and channels (each given as `id: label` lines).

    A brand promise keeps its description when its id stays. All problems of all three lists are reported
    together.
    """
    result = _copy(data)
    problems: list[Problem] = []
    for source in ROW_SOURCES:
        if source not in lines:
            continue
        try:
            rows = read_row_lines(lines[source], source)
        except InvalidDefinition as error:
            problems.extend(error.problems)
            continue
        old = {row.get("id"): row for row in result.get(source, [])}
        for row in rows:
            description = old.get(row["id"], {}).get("description")
            if description:
                row["description"] = description
            row["label"] = _keep_translations(old.get(row["id"], {}).get("label"), row["label"], result)
        result[source] = rows
    if problems:
        raise InvalidDefinition("rows", problems)
    return result


def update_settings(data: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """Change the survey-wide fields: title, intro, language, customer_id_param, time_budget_minutes.

    Empty optional fields are removed (their defaults apply); the survey id never changes here.
    """
    result = _copy(data)
    for field in ("title", "intro", "language", "customer_id_param", "time_budget_minutes"):
        if field not in fields:
            continue
        value = fields[field]
        # the form's language is the default language, under whichever name the draft has it
        name = "default_language" if field == "language" and "default_language" in result else field
        if isinstance(value, str):
            value = value.strip()
        if value in ("", None) and name != "title":
            result.pop(name, None)
        else:
            result[name] = _keep_translations(result.get(name), value, result) if name in ("title", "intro") else value
    return result


def blank_definition(survey_id: str, title: str) -> dict[str, Any]:
    """A new survey's starting point: one page with the library's open "one change" question."""
    return {"id": survey_id, "title": title, "sections": [
        {"id": "main", "title": "Your experience", "questions": [_library_question("one_change", [])]},
    ]}
