"""Page logic through XLSForm (issue 13): a page's show_if is its group's `relevant`, a calculated value a
`calculate` row with its `calculation`, a screen-out a row of the cxroi sheet; both ways, losslessly, in a
workbook pyxform accepts; a calculation outside the arithmetic subset is refused naming the row, or skipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pyxform.xls2xform import convert

from surveys.definition import build_survey, to_data
from surveys.errors import InvalidDefinition
from surveys.model import Survey
from surveys.xlsform.expressions import ExportField
from surveys.xlsform.expressions.arithmetic import from_calculation, to_calculation
from surveys.xlsform.reading import import_xlsform, read_xlsform
from surveys.xlsform.writing import write_xlsform

YES_NO = [{"code": "yes", "label": {"en": "Yes", "fr": "Oui"}}, {"code": "no", "label": {"en": "No", "fr": "Non"}}]


def logic_survey() -> Survey:
    return build_survey({
        "id": "logic", "title": {"en": "Your call", "fr": "Votre appel"}, "languages": ["en", "fr"],
        "calculate": [{"id": "effort_index", "expression": "(q1 + q2) / 2"},
                      {"id": "gap", "expression": "q2 - q1*2"}],  # spacing a calculation does not restore
        "screen_out": [{"id": "not_customer", "when": 'customer == "no"',
                        "text": {"en": "This survey is for customers only.", "fr": "Réservé à nos clients."}}],
        "sections": [
            {"id": "start", "title": {"en": "Start", "fr": "Début"}, "questions": [
                {"id": "customer", "type": "single_choice", "text": {"en": "A customer?", "fr": "Client ?"},
                 "required": True, "choices": YES_NO},
                {"id": "q1", "type": "rating", "text": {"en": "Wait", "fr": "Attente"}},
                {"id": "q2", "type": "rating", "text": {"en": "Fix", "fr": "Solution"}}]},
            {"id": "hard", "title": {"en": "Hard", "fr": "Difficile"}, "show_if": "effort_index < 3",
             "questions": [{"id": "why", "type": "text", "text": {"en": "Why?", "fr": "Pourquoi ?"}}]},
            {"id": "callback", "title": {"en": "Call back", "fr": "Rappel"}, "show_if": "answered(why) and gap > 0",
             "questions": [{"id": "fixed", "type": "single_choice", "text": {"en": "Fixed?", "fr": "Réglé ?"},
                            "choices": YES_NO}]},
        ],
    })


def test_page_logic_round_trips_through_a_workbook_pyxform_accepts(tmp_path: Path) -> None:
    survey = logic_survey()
    path = tmp_path / "logic.xlsx"
    write_xlsform(survey, path)
    convert(str(path))  # pyxform accepts it
    rows = [row for row in openpyxl.load_workbook(path)["survey"].iter_rows(values_only=True)]
    header = rows[0]
    cell = {(row[header.index("type")], row[header.index("name")]): row for row in rows[1:]}
    assert cell["begin group", "hard"][header.index("relevant")] == "${effort_index} < 3"
    calculate = cell["calculate", "effort_index"]
    assert calculate[header.index("calculation")] == "(${q1} + ${q2}) div 2"
    assert cell["calculate", "gap"][header.index("calculation")] == "${q2} - ${q1} * 2"
    assert read_xlsform(path) == survey


def write_form(path: Path, rows: list[list[Any]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "survey"
    for row in rows:
        sheet.append(row)
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    choices.append(["yn", "yes", "Yes"])
    choices.append(["yn", "no", "No"])
    workbook.save(path)
    return path


def test_a_kobo_style_form_reads_calculate_rows_and_group_relevants(tmp_path: Path) -> None:
    path = write_form(tmp_path / "kobo.xlsx", [
        ["type", "name", "label", "relevant", "calculation"],
        ["begin group", "visit", "Your visit"],
        ["integer", "wait", "Minutes waited"],
        ["integer", "served", "Minutes served"],
        ["calculate", "total", None, None, "${wait} + ${served}"],
        ["end group"],
        ["begin group", "long_visit", "A long visit", "${total} > 30"],
        ["text", "why_long", "What took long?"],
        ["end group"],
    ])
    survey = read_xlsform(path)
    assert [(c.id, c.expression) for c in survey.calculate] == [("total", "wait + served")]
    assert survey.sections[1].show_if == "total > 30"
    assert survey.question("why_long").show_if is None


@pytest.mark.parametrize("calculation", ["if(${wait} > 5, 1, 0)", "${wait} mod 2", "concat(${wait}, 'x')"])
def test_a_calculation_outside_arithmetic_is_refused_or_skipped(tmp_path: Path, calculation: str) -> None:
    path = write_form(tmp_path / "calc.xlsx", [
        ["type", "name", "label", "calculation"],
        ["begin group", "visit", "Your visit"],
        ["integer", "wait", "Minutes waited"],
        ["calculate", "flag", None, calculation],
        ["end group"],
    ])
    with pytest.raises(InvalidDefinition) as caught:
        read_xlsform(path)
    [problem] = caught.value.problems
    assert problem.path == "survey sheet, row 4, column 'calculation'"
    assert "cannot be translated" in problem.message
    kept = import_xlsform(path, skip_unsupported=True)
    assert kept.survey.calculate == []
    assert [p.path for p in kept.dropped] == ["survey sheet, row 4, column 'calculation'"]
    assert kept.dropped[0].message.startswith("flag: ")


@pytest.mark.parametrize(("expression", "xpath"), [
    ("(q1 + q2) / 2", "(${q1} + ${q2}) div 2"),
    ("q1 - (q2 - 1)", "${q1} - (${q2} - 1)"),
    ("q1 / (q2 * 2)", "${q1} div (${q2} * 2)"),
    ("-q1 * 2.5", "-${q1} * 2.5"),
    ("10 - 4 - 3", "10 - 4 - 3"),
])
def test_arithmetic_to_and_from_xpath(expression: str, xpath: str) -> None:
    fields = {"q1": ExportField(("q1",), "scale"), "q2": ExportField(("q2",), "number")}
    assert to_calculation(expression, fields) == xpath
    assert from_calculation(xpath, {}) == expression


def test_the_mail_texts_round_trip_in_every_language(tmp_path: Path) -> None:
    data = to_data(logic_survey()) | {"mail": {
        "subject": {"en": "{{ survey_title }}: your opinion", "fr": "Votre avis, {{ name }}"},
        "html_body": {"en": "<p><a href='{{ link }}'>Go</a> <a href='{{ unsubscribe_link }}'>Stop</a></p>",
                      "fr": "<p><a href='{{ link }}'>Allez</a> <a href='{{ unsubscribe_link }}'>Stop</a></p>"}}}
    survey = build_survey(data)
    path = tmp_path / "mail.xlsx"
    write_xlsform(survey, path)
    convert(str(path))
    back = read_xlsform(path)
    assert back == survey and back.mail is not None
    assert back.mail.subject is not None and back.mail.subject.texts["fr"] == "Votre avis, {{ name }}"  # type: ignore[attr-defined]
