"""XLSForm defects of issue 13, each with the smallest workbook or definition that shows it: the group-name clash
on the way out, names with dots, the spellings pyxform accepts (type aliases, `label:Lang`, upper-case headers,
choice names with `-`/`'`, `bind::` columns), one line per column-level problem, standard scales recognised."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pyxform.xls2xform import convert

from surveys.definition import build_survey
from surveys.errors import InvalidDefinition
from surveys.files import read_survey
from surveys.model import Survey
from surveys.xlsform import import_xlsform, read_xlsform, write_xlsform
from surveys.xlsform.expressions import FieldRef, Untranslatable, to_show_if
from surveys.xlsform.syntax import row_ranges

from .test_xlsform import write_workbook

YES_NO = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]


def round_trip(survey: Any, path: Path) -> Any:
    write_xlsform(survey, path)
    convert(str(path))  # pyxform accepts what cxroi wrote (it raises on a duplicate name)
    return read_xlsform(path)


def test_a_question_outside_any_group_referred_to_by_a_condition_round_trips(tmp_path: Path) -> None:
    source = write_workbook(tmp_path / "visit.xlsx", [
        ["type", "name", "label", "relevant"],
        ["select_one yn", "visited", "Did you visit a store?", None],
        ["text", "why", "Why not?", "${visited} = 'no'"],
    ], YES_NO)
    survey = read_xlsform(source)
    assert [section.id for section in survey.sections] == ["visited", "why"]
    again = round_trip(survey, tmp_path / "out.xlsx")
    assert again == survey
    rows = list(openpyxl.load_workbook(tmp_path / "out.xlsx")["survey"].iter_rows(values_only=True))
    assert [row[:2] for row in rows[1:]] == [("select_one visited", "visited"), ("text", "why")]  # no group


def test_a_section_named_like_a_question_of_another_section_gets_a_group_name_of_its_own(tmp_path: Path) -> None:
    # validate refuses this definition (the test below); the writer copes with it all the same, for a Survey made
    # in Python without the whole-definition checks
    survey = Survey.model_validate({"id": "visits", "title": "Visits", "sections": [
        {"id": "visited", "title": "Your visit", "questions": [{"id": "q_when", "type": "text", "text": "When?"}]},
        {"id": "more", "title": "More", "questions": [
            {"id": "visited", "type": "single_choice", "text": "Did you visit?",
             "choices": [{"code": "yes", "label": "Yes"}, {"code": "no", "label": "No"}]},
        ]},
        {"id": "last", "title": "Last", "questions": [
            {"id": "why", "type": "text", "text": "Why not?", "show_if": "visited == 'no'"}]},
    ]})
    write_xlsform(survey, tmp_path / "out.xlsx")
    convert(str(tmp_path / "out.xlsx"))  # pyxform accepts ${visited}: one element has that name
    names = [row[1] for row in openpyxl.load_workbook(tmp_path / "out.xlsx")["survey"].iter_rows(values_only=True)]
    assert names.count("visited") == 1 and "visited_section" in names
    with pytest.raises(InvalidDefinition, match="'visited' is also the id of a question that a condition reads"):
        read_xlsform(tmp_path / "out.xlsx")  # the page keeps its id (in cxroi_settings), which validate refuses


def test_a_name_with_two_dots_referred_to_by_a_condition_comes_in_as_an_id(tmp_path: Path) -> None:
    source = write_workbook(tmp_path / "dots.xlsx", [
        ["type", "name", "label", "relevant"],
        ["text", "visit.store.name", "Which store?", None],
        ["integer", "visit.count", "How many visits?", "${visit.store.name} != ''"],
    ])
    survey = read_xlsform(source)
    assert [q.id for q in survey.questions()] == ["visit_store_name", "visit_count"]
    assert survey.question("visit_count").show_if == "answered(visit_store_name)"


def test_a_translated_condition_that_is_no_show_if_is_untranslatable_not_a_traceback() -> None:
    fields = {"a.b.c": FieldRef("a.b.c", None, "text")}  # a reference no cxroi id can be
    with pytest.raises(Untranslatable, match="not a valid show_if"):
        to_show_if("${a.b.c} = 'x'", fields)


@pytest.mark.parametrize(("header", "row", "expected"), [
    (["type", "name", "label"], ["string", "q", "Your name?"], {"type": "text"}),
    (["type", "name", "label"], ["int", "q", "How many?"], {"type": "number", "integer": True}),
    (["type", "name", "label"], ["q decimal", "q", "How much?"], {"type": "number", "integer": False}),
    (["type", "name", "label:English (en)"], ["text", "q", "Your name?"], {"type": "text", "text": "Your name?"}),
    (["TYPE", "NAME", "LABEL", "REQUIRED"], ["text", "q", "Your name?", "yes"], {"type": "text", "required": True}),
    (["type", "name", "label", "bind::required"], ["text", "q", "Your name?", "yes"], {"required": True}),
    (["type", "name", "label", "control::appearance"], ["text", "q", "Your name?", "multiline"],
     {"multiline": True}),
])
def test_spellings_pyxform_accepts_are_read(header: list[str], row: list[Any], expected: dict[str, Any],
                                            tmp_path: Path) -> None:
    source = write_workbook(tmp_path / "form.xlsx", [header, row])
    convert(str(source))  # pyxform accepts it, so cxroi must too
    question = read_xlsform(source).question("q")
    assert {key: getattr(question, key) for key in expected} == expected


def test_upper_case_choice_headers_choice_names_with_dash_and_quote_and_bind_relevant(tmp_path: Path) -> None:
    source = write_workbook(tmp_path / "form.xlsx", [
        ["TYPE", "NAME", "LABEL", "BIND::RELEVANT"],
        ["select_one mood", "q_mood", "How was it?", None],
        ["text", "q_why", "What went wrong?", "${q_mood} = 'not-good' or ${q_mood} = \"don't know\""],
    ], [["LIST_NAME", "NAME", "LABEL"], ["mood", "good", "Good"], ["mood", "not-good", "Not good"],
        ["mood", "don't know", "Don't know"]])
    convert(str(source))
    survey = read_xlsform(source)
    assert [(c.code, c.label) for c in survey.question("q_mood").choices] == [
        ("good", "Good"), ("not_good", "Not good"), ("don_t_know", "Don't know")]
    assert survey.question("q_why").show_if == "q_mood == 'not_good' or q_mood == 'don_t_know'"


def test_a_column_level_problem_is_reported_once_with_its_rows(tmp_path: Path) -> None:
    rows = [["type", "name", "label", "image"]]
    rows += [["text", f"q{n}", f"Question {n}", "photo.jpg"] for n in range(1, 31)]  # rows 2–31
    rows += [["text", "q_last", "Last", None], ["text", "q_after", "After", "after.jpg"]]  # rows 32, 33
    with pytest.raises(InvalidDefinition) as raised:
        read_xlsform(write_workbook(tmp_path / "media.xlsx", rows))
    assert [str(p) for p in raised.value.problems] == [
        "survey sheet, rows 2–31, 33, column 'image': this column is not supported by cxroi"]


def test_row_ranges() -> None:
    assert row_ranges([7, 2, 3, 4, 9, 10]) == "2–4, 7, 9–10"
    assert row_ranges([5]) == "5"


AGREE_DESCENDING = [["list_name", "name", "label"], ["agree", "sa", "Strongly agree"], ["agree", "a", "Agree"],
                    ["agree", "n", "Neutral"], ["agree", "d", "Disagree"], ["agree", "sd", "Strongly disagree"]]


def test_an_agreement_list_is_read_as_a_likert_scale_with_its_mapping_shown(tmp_path: Path) -> None:
    source = write_workbook(tmp_path / "agree.xlsx", [
        ["type", "name", "label", "relevant"],
        ["select_one agree", "q_easy", "Ordering was easy.", None],
        ["text", "q_why", "What made it hard?", "${q_easy} = 'sd' or ${q_easy} = 'd'"],
    ], AGREE_DESCENDING)
    result = import_xlsform(source)
    question = result.survey.question("q_easy")
    assert (question.type, question.points) == ("likert", 5)
    # Strongly disagree is point 1 whatever the order of the list; 'd' (Disagree) is 2
    assert result.survey.question("q_why").show_if == "q_easy == 1 or q_easy == 2"
    assert result.notes == ["survey sheet, row 2: the choices of list 'agree' are read as a likert 5-point scale: "
                            "sa=5 (Strongly agree), a=4 (Agree), n=3 (Neutral), d=2 (Disagree), sd=1 (Strongly "
                            "disagree); put single_choice in the cxroi_type column to keep them as plain choices"]


def test_satisfaction_and_seven_point_agreement_lists_are_recognised(tmp_path: Path) -> None:
    satisfied = ["1 - Very dissatisfied", "2 - Dissatisfied", "3 - Neither satisfied nor dissatisfied",
                 "4 - Satisfied", "5 - Very satisfied"]
    agree7 = ["Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree", "Somewhat agree",
              "Agree", "Strongly agree"]
    choices = [["list_name", "name", "label"], *[["sat", str(n), label] for n, label in enumerate(satisfied, 1)],
               *[["ag7", f"p{n}", label] for n, label in enumerate(agree7, 1)]]
    source = write_workbook(tmp_path / "scales.xlsx", [
        ["type", "name", "label"], ["select_one sat", "q_sat", "How satisfied are you?"],
        ["select_one ag7", "q_ag", "Staff were helpful."]], choices)
    survey = read_xlsform(source)
    assert survey.question("q_sat").type == "csat"
    assert (survey.question("q_ag").type, survey.question("q_ag").points) == ("likert", 7)


def test_cxroi_type_single_choice_keeps_a_scale_list_as_choices_and_near_misses_stay_choices(tmp_path: Path) -> None:
    source = write_workbook(tmp_path / "keep.xlsx", [
        ["type", "name", "label", "cxroi_type"],
        ["select_one agree", "q_kept", "Ordering was easy.", "single_choice"],
        ["select_one four", "q_four", "Ordering was easy.", None],   # no midpoint: not the standard scale
        ["select_one mixed", "q_mixed", "Ordering was easy.", None],  # out of order
    ], [*AGREE_DESCENDING,
        *[["four", code, label] for code, label in [("sd", "Strongly disagree"), ("d", "Disagree"), ("a", "Agree"),
                                                    ("sa", "Strongly agree")]],
        *[["mixed", code, label] for code, label in [("a", "Agree"), ("sd", "Strongly disagree"), ("n", "Neutral"),
                                                     ("d", "Disagree"), ("sa", "Strongly agree")]]])
    result = import_xlsform(source)
    assert [q.type for q in result.survey.questions()] == ["single_choice"] * 3
    assert result.notes == []
    without = import_xlsform(source, recognise_scales=False)
    assert without.survey == result.survey


def test_validate_refuses_a_page_named_like_a_question_a_condition_reads(tmp_path: Path) -> None:
    from webapp.cli import main

    definition = tmp_path / "visits.yaml"
    definition.write_text("""
id: visits
title: Visits
sections:
  - id: visited
    title: Your visit
    questions:
      - {id: q_when, type: text, text: "When?"}
  - id: more
    title: More
    questions:
      - {id: visited, type: single_choice, text: "Did you visit?", choices: [{code: "yes", label: "Yes"}]}
      - {id: why, type: text, text: "Why?", show_if: "visited == 'yes'"}
""", encoding="utf-8")
    with pytest.raises(InvalidDefinition) as raised:
        read_survey(definition)
    assert [str(p) for p in raised.value.problems] == [
        "sections[0].id: 'visited' is also the id of a question that a condition reads; give the page an id of its "
        "own (e.g. visited_page): XLSForm names pages and questions alike"]
    with pytest.raises(SystemExit) as done:
        main(["survey", "validate", str(definition)])
    assert done.value.code == 2


def test_a_page_holding_only_its_namesake_question_is_valid() -> None:
    survey = build_survey({"id": "v", "title": "V", "sections": [
        {"id": "visited", "title": "Visited?", "questions": [
            {"id": "visited", "type": "single_choice", "text": "Visited?", "choices": [{"code": "yes", "label": "Y"}]}]},
        {"id": "why", "title": "Why?", "questions": [
            {"id": "why", "type": "text", "text": "Why?", "show_if": "visited == 'yes'"}]}]})
    assert [s.id for s in survey.sections] == ["visited", "why"]


def test_or_specify_other_is_reported_not_dropped_silently(tmp_path: Path) -> None:
    source = write_workbook(tmp_path / "other.xlsx", [
        ["type", "name", "label"], ["select one from sexes or specify other", "q_plan", "Which plan?"]],
        [["list name", "name", "label"], ["sexes", "basic", "Basic"], ["sexes", "pro", "Pro"]])
    with pytest.raises(InvalidDefinition) as raised:
        read_xlsform(source)
    assert [str(p) for p in raised.value.problems] == [
        "survey sheet, row 2, type: 'select one from sexes or specify other': or_other is not supported; add an "
        "'other' choice and a text question"]


def test_an_upper_case_default_language_code_is_read(tmp_path: Path) -> None:
    source = write_workbook(tmp_path / "en.xlsx", [["type", "name", "label"], ["text", "q", "Name?"]],
                            settings=[["form_id", "default_language"], ["f", "EN"]])
    assert read_xlsform(source).language == "en"


def test_status_and_channel_names_of_a_real_form_stay_the_question_ids(tmp_path: Path) -> None:
    source = write_workbook(tmp_path / "status.xlsx", [
        ["type", "name", "label", "relevant"],
        ["select_one st", "status", "What is your status?", None],
        ["text", "channel", "How did you hear about us?", "${status} = 'member'"]],
        [["list_name", "name", "label"], ["st", "member", "Member"], ["st", "guest", "Guest"]])
    result = import_xlsform(source)
    # the responses table names the response's own columns response_status, response_channel (docs/results.md)
    assert [q.id for q in result.survey.questions()] == ["status", "channel"]
    assert result.survey.question("channel").show_if == "status == 'member'"
    assert result.notes == []
