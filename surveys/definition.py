"""Survey definitions as data (YAML and JSON text, the native format) with errors that name the path.

`build_survey(data)` and `parse_survey_text(text)` return a checked `Survey` or raise `InvalidDefinition`, whose
problems each carry a path into the definition in the form `sections[1].questions[0].scale.max`. Files of
every format (.yaml, .json, .xlsx) are read and written by `surveys.files`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

import yaml
from pydantic import ValidationError

from .bounded import load_yaml
from .errors import InvalidDefinition, Problem
from .expressions import parse_arithmetic
from .logic import ConditionSyntaxError, parse_condition
from .model import Survey
from .not_applicable import check_not_applicable
from .page_logic import SCREENED_OUT_COLUMN
from .questions import QUESTION_TYPES, QuestionBase
from .texts import check_texts


def format_path(loc: Iterable[Any]) -> str:
    """('sections', 1, 'questions', 0, 'rating', 'scale', 'max') → 'sections[1].questions[0].scale.max'."""
    parts: list[str] = []
    previous: Any = None
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif previous is not None and isinstance(previous, int) and item in QUESTION_TYPES:
            pass  # the discriminator tag pydantic inserts after a union member's index
        else:
            parts.append(("." if parts else "") + str(item))
        previous = item
    return "".join(parts)


def _pydantic_problems(error: ValidationError) -> list[Problem]:
    problems = []
    for detail in error.errors():
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "union_tag_invalid":
            message = f"unknown question type {detail['input'].get('type')!r}; known: {', '.join(QUESTION_TYPES)}"
        elif detail["type"] == "union_tag_not_found":
            message = "a question needs a 'type'"
        elif detail["type"] == "extra_forbidden":
            message = "unknown field"
        problems.append(Problem(format_path(detail["loc"]), message))
    return problems


def check_survey(survey: Survey) -> list[Problem]:
    """Checks across the whole definition that a single field cannot make: ids, references, grids."""
    problems: list[Problem] = []

    for name in ("brand_promises", "touchpoints", "channels", "sections"):
        ids = [item.id for item in getattr(survey, name)]
        for index, item_id in enumerate(ids):
            if item_id in ids[:index]:
                problems.append(Problem(f"{name}[{index}].id", f"duplicate id {item_id!r}"))

    seen: dict[str, QuestionBase] = {}
    page_of: dict[str, int] = {}
    columns: Counter[str] = Counter()
    ready = _calculations_ready(survey)
    for s, section in enumerate(survey.sections):
        if section.show_if is not None:
            problems.extend(_check_page_condition(section.show_if, s, seen, page_of, ready))
        for q, question in enumerate(section.questions):
            path = f"sections[{s}].questions[{q}]"
            if question.id in seen:
                problems.append(Problem(f"{path}.id", f"duplicate question id {question.id!r}"))
            if question.show_if:
                calculations = {name: None for name, page in ready.items() if page < s}
                problems.extend(_check_condition(question.show_if, f"{path}.show_if", seen, calculations))
            problems.extend(question.check(survey, path, seen))
            problems.extend(_check_rows_on_later_page(question, path, s, page_of))
            seen[question.id] = question
            page_of.setdefault(question.id, s)
            columns.update(question.columns(survey))
    for column, count in columns.items():
        if count > 1:
            problems.append(Problem("sections", f"two questions produce the export column {column!r}"))
    problems.extend(_check_calculations(survey, seen, set(columns)))
    problems.extend(_check_screen_outs(survey, seen, set(columns)))
    problems.extend(_check_follow_ups(survey, seen))
    problems.extend(_check_page_ids(survey))
    problems.extend(check_texts(survey, _calculations_ready(survey)))
    problems.extend(check_not_applicable(survey))
    return problems


def _check_follow_ups(survey: Survey, questions: dict[str, QuestionBase]) -> list[Problem]:
    """Follow-up rules: unique ids, and conditions that read questions of the survey (on any page: a rule runs
    when the response is complete) or its summary scores (`bas`; `bas.q_align` when several questions give one).
    A condition's syntax is checked by the model (`FollowUpRule.when`)."""
    problems: list[Problem] = []
    scores = survey.summary_scores()
    known = ", ".join(scores) or "none in this survey"
    for index, rule in enumerate(survey.follow_up):
        path = f"follow_up[{index}]"
        if rule.id in [other.id for other in survey.follow_up[:index]]:
            problems.append(Problem(f"{path}.id", f"duplicate follow-up rule id {rule.id!r}"))
        for name, row in parse_condition(rule.when).references():
            if name in {calculation.id for calculation in survey.calculate} and row is None:
                continue  # a calculated value, stored with the response
            if name in questions:
                if not questions[name].answered:
                    problems.append(Problem(f"{path}.when", f"refers to {name!r}, which takes no answer (a note)"))
                elif row is not None and not questions[name].row_references:
                    problems.append(Problem(f"{path}.when", f"{name!r} has no rows, so {name}.{row} means nothing"))
            elif name in scores:
                ids = scores[name]
                if row is None and len(ids) > 1:
                    problems.append(Problem(f"{path}.when", f"several questions give {name!r}; name one: "
                                            + ", ".join(f"{name}.{qid}" for qid in ids)))
                elif row is not None and row not in ids or row is not None and len(ids) == 1:
                    problems.append(Problem(f"{path}.when", f"{name}.{row} is not a summary score of this survey"))
            else:
                problems.append(Problem(f"{path}.when", f"refers to {name!r}, which is neither a question nor a "
                                                        f"summary score of this survey (summary scores: {known})"))
    return problems


def _check_page_ids(survey: Survey) -> list[Problem]:
    """A page id that is also the id of a question a condition reads: XLSForm names pages (groups) and questions
    alike, and pyxform refuses `${x}` when two are called x. A page holding only that question (what a question
    outside any group becomes on XLSForm import) is fine: it is written as the question alone."""
    read: set[str] = set()
    for condition in [*(q.show_if for q in survey.questions() if q.show_if), *(r.when for r in survey.follow_up),
                      *(s.show_if for s in survey.sections if s.show_if), *(r.when for r in survey.screen_out)]:
        try:
            read.update(name for name, _ in parse_condition(condition).references())
        except ConditionSyntaxError:
            continue  # reported with its own path
    problems = []
    for s, section in enumerate(survey.sections):
        alone = len(section.questions) == 1 and section.questions[0].id == section.id
        if section.id in read and not alone:
            problems.append(Problem(f"sections[{s}].id", f"{section.id!r} is also the id of a question that a "
                                    f"condition reads; give the page an id of its own (e.g. {section.id}_page): "
                                    "XLSForm names pages and questions alike"))
    return problems


def _check_rows_on_later_page(question: QuestionBase, path: str, page: int, page_of: dict[str, int]) -> list[Problem]:
    """A grid whose rows follow an earlier answer (`row_dependencies`) must be on a later page than that answer:
    on the same page every row is shown before the respondent has answered, and rating a row the answer then
    excludes is refused with no way to clear it. (A dependency that is not earlier is the type's `check`.)"""
    problems = []
    for dependency in sorted(question.row_dependencies()):
        if page_of.get(dependency) == page:
            field = next((name for name in type(question).model_fields
                          if name != "id" and getattr(question, name) == dependency), None)
            problems.append(Problem(f"{path}.{field}" if field else path,
                                    f"{dependency!r} is on the same page; put this grid on a later page"))
    return problems


def _check_condition(source: str, path: str, earlier: dict[str, QuestionBase],
                     calculations: dict[str, None] | None = None) -> list[Problem]:
    """A condition reading only `earlier` questions and the `calculations` already known where it is read."""
    try:
        condition = parse_condition(source)
    except ConditionSyntaxError as error:
        return [Problem(path, str(error))]
    problems = []
    for question_id, row in condition.references():
        if calculations is not None and question_id in calculations and question_id not in earlier:
            if row is not None:
                problems.append(Problem(path, f"{question_id!r} is a calculated value, so {question_id}.{row} "
                                              "means nothing"))
        elif question_id not in earlier:
            problems.append(
                Problem(path, f"refers to {question_id!r}, which is not an earlier question")
            )
        elif not earlier[question_id].answered:
            problems.append(Problem(path, f"refers to {question_id!r}, which takes no answer (a note)"))
        elif row is not None and not earlier[question_id].row_references:
            problems.append(Problem(path, f"{question_id!r} has no rows, so {question_id}.{row} means nothing"))
    return problems


# --- page logic (surveys/page_logic.py) -------------------------------------------------------------------------


def _calculations_ready(survey: Survey) -> dict[str, int]:
    """Each calculation → the last page whose answers it reads (-1 for none): conditions on later pages may read
    it. An unknown reference counts as the last page (it is reported by `_check_calculations`)."""
    page_of = {q.id: index for index, section in enumerate(survey.sections) for q in section.questions}
    ready: dict[str, int] = {}
    for calculation in survey.calculate:
        try:
            names = [name for name, _ in parse_arithmetic(calculation.expression).references()]
        except ValueError:
            names = []
        ready[calculation.id] = max((ready.get(name, page_of.get(name, len(survey.sections)))
                                     for name in names), default=-1)
    return ready


def _check_page_condition(source: str, page: int, earlier: dict[str, QuestionBase], page_of: dict[str, int],
                          ready: dict[str, int]) -> list[Problem]:
    """A page's show_if reads only questions on earlier pages and values calculated from them."""
    path = f"sections[{page}].show_if"
    if page == 0:
        return [Problem(path, "the first page is always shown: it cannot have a show_if")]
    before = {name: question for name, question in earlier.items() if page_of.get(name, page) < page}
    problems = _check_condition(source, path, before,
                                {name: None for name, last in ready.items() if last < page})
    return [Problem(p.path, p.message.replace("not an earlier question", "not a question on an earlier page"))
            for p in problems]


def _check_calculations(survey: Survey, questions: dict[str, QuestionBase], columns: set[str]) -> list[Problem]:
    """Calculations: ids of their own, expressions reading questions that take an answer or earlier calculations."""
    problems: list[Problem] = []
    earlier: set[str] = set()
    for index, calculation in enumerate(survey.calculate):
        path = f"calculate[{index}]"
        if calculation.id in earlier:
            problems.append(Problem(f"{path}.id", f"duplicate calculation id {calculation.id!r}"))
        elif calculation.id in questions or calculation.id in columns or calculation.id == SCREENED_OUT_COLUMN:
            problems.append(Problem(f"{path}.id", f"{calculation.id!r} is already the id of a question or an "
                                                  "export column; give the calculation an id of its own"))
        for name, row in parse_arithmetic(calculation.expression).references():
            if name in earlier:
                if row is not None:
                    problems.append(Problem(f"{path}.expression", f"{name!r} is a calculated value, so "
                                                                  f"{name}.{row} means nothing"))
            elif name not in questions:
                problems.append(Problem(f"{path}.expression", f"refers to {name!r}, which is neither a question "
                                                              "nor an earlier calculation"))
            elif not questions[name].answered:
                problems.append(Problem(f"{path}.expression", f"refers to {name!r}, which takes no answer (a note)"))
            elif row is not None and not questions[name].row_references:
                problems.append(Problem(f"{path}.expression", f"{name!r} has no rows, so {name}.{row} means nothing"))
        earlier.add(calculation.id)
    return problems


def _check_screen_outs(survey: Survey, questions: dict[str, QuestionBase], columns: set[str]) -> list[Problem]:
    """Screen-out rules: ids of their own, conditions reading questions (any page) and calculations."""
    problems: list[Problem] = []
    calculations = dict.fromkeys(calculation.id for calculation in survey.calculate)
    for index, rule in enumerate(survey.screen_out):
        path = f"screen_out[{index}]"
        if rule.id in [other.id for other in survey.screen_out[:index]]:
            problems.append(Problem(f"{path}.id", f"duplicate screen-out rule id {rule.id!r}"))
        problems.extend(Problem(p.path, p.message.replace("not an earlier question", "not a question of this survey"))
                        for p in _check_condition(rule.when, f"{path}.when", questions, calculations))
    if survey.screen_out and SCREENED_OUT_COLUMN in columns:
        problems.append(Problem("screen_out", f"a question produces the export column {SCREENED_OUT_COLUMN!r}, "
                                              "which a survey with screen-out rules keeps for the rule that ended "
                                              "each response; rename that question"))
    return problems


def build_survey(data: Any, *, source: str = "<definition>") -> Survey:
    """A checked Survey from plain data (as parsed from YAML or JSON); raises InvalidDefinition."""
    if not isinstance(data, dict):
        raise InvalidDefinition(source, [Problem("", "the definition must be a mapping with id, title and sections")])
    try:
        survey = Survey.model_validate(data)
    except ValidationError as error:
        raise InvalidDefinition(source, _pydantic_problems(error)) from None
    problems = check_survey(survey)
    if problems:
        raise InvalidDefinition(source, problems)
    return survey


def parse_survey_text(text: str, *, fmt: str = "yaml", source: str = "<definition>") -> Survey:
    """A checked Survey from YAML or JSON text."""
    try:
        data = json.loads(text) if fmt == "json" else load_yaml(text)
    except json.JSONDecodeError as error:
        raise InvalidDefinition(source, [Problem(f"line {error.lineno}, column {error.colno}", error.msg)]) from None
    except RecursionError:
        raise InvalidDefinition(source, [Problem("", "the document is nested too deeply to be a survey")]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InvalidDefinition(source, [Problem(where, str(getattr(error, "problem", None) or error))]) from None
    except ValueError:  # Python refuses to convert integers of more than 4,300 digits
        raise InvalidDefinition(source, [Problem("", "a number is too long (thousands of digits)")]) from None
    return build_survey(data, source=source)


def to_data(survey: Survey) -> dict[str, Any]:
    """Plain data for YAML/JSON, leaving out defaults so files stay short."""
    return survey.model_dump(mode="json", exclude_defaults=True, by_alias=True) | {
        "sections": [
            section.model_dump(mode="json", exclude_defaults=True)
            | {"questions": [{"id": q.id, "type": q.type} | q.model_dump(mode="json", exclude_defaults=True)
                             for q in section.questions]}
            for section in survey.sections
        ]
    }


def to_yaml(survey: Survey) -> str:
    return yaml.safe_dump(to_data(survey), sort_keys=False, allow_unicode=True, width=100)


def to_json(survey: Survey) -> str:
    return json.dumps(to_data(survey), indent=2, ensure_ascii=False)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the definition format."""
    schema = Survey.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "cxroi survey definition"
    return schema
