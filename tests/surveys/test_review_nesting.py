"""Deeply nested input is bad input, not a RecursionError: a `show_if` condition, an XLSForm `relevant`
expression. Each is refused with a message naming where."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import yaml

from surveys.definition import InvalidDefinition, build_survey
from surveys.files import read_survey, write_survey
from surveys.logic import MAX_NESTING, ConditionSyntaxError, parse_condition

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "relationship.yaml"


def test_nesting_up_to_the_limit_parses_and_evaluates() -> None:
    condition = parse_condition("(" * MAX_NESTING + "q > 1" + ")" * MAX_NESTING)
    assert condition.evaluate({"q": 2}) is True and condition.evaluate({"q": 1}) is False
    # an even number of `not`s is the plain condition
    assert parse_condition("not " * MAX_NESTING + "answered(q)").evaluate({"q": 3}) is True


@pytest.mark.parametrize("source", [
    "(" * (MAX_NESTING + 1) + "q > 1" + ")" * (MAX_NESTING + 1),
    "(" * 5000 + "q > 1" + ")" * 5000,
    "not " * 5000 + "answered(q)",
    "q in " + "[" * 5000 + "1" + "]" * 5000,
])
def test_deeper_nesting_is_a_syntax_error(source: str) -> None:
    with pytest.raises(ConditionSyntaxError, match=f"nested more than {MAX_NESTING} levels deep"):
        parse_condition(source)


def example() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def test_a_deep_show_if_in_a_definition_names_its_path() -> None:
    data = example()
    data["sections"][1]["questions"][3]["show_if"] = "(" * 400 + "q_ces <= 4" + ")" * 400
    with pytest.raises(InvalidDefinition) as caught:
        build_survey(data)
    [problem] = caught.value.problems
    assert problem.path == "sections[1].questions[3].show_if" and "nested more than 50" in problem.message


def test_a_deep_relevant_in_an_xlsform_names_its_row_and_column(tmp_path: Path) -> None:
    workbook_path = tmp_path / "survey.xlsx"
    write_survey(build_survey(example()), workbook_path)
    workbook = openpyxl.load_workbook(workbook_path)
    sheet = workbook["survey"]
    header = [cell.value for cell in sheet[1]]
    column, name = header.index("relevant"), header.index("name")
    rows = [row for row in sheet.iter_rows(min_row=2) if row[name].value == "q_why"]
    assert len(rows) == 1 and rows[0][column].value  # q_why has the example's show_if
    rows[0][column].value = "(" * 2000 + str(rows[0][column].value) + ")" * 2000
    workbook.save(workbook_path)
    with pytest.raises(InvalidDefinition) as caught:
        read_survey(workbook_path)
    message = str(caught.value)
    assert f"row {rows[0][column].row}, column 'relevant'" in message and "nested too deeply" in message
