"""The pure edit functions of the authoring pages: new data out, input untouched, problems named by path.

Expected results are written out by hand from the small definition below."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from surveys.definition import InvalidDefinition, build_survey
from surveys.library import library_entry
from webapp.author import edits

DATA: dict[str, Any] = {
    "id": "shop",
    "title": "Shop",
    "brand_promises": [{"id": "easy", "label": "We make things easy", "description": "No hoops"}],
    "sections": [
        {"id": "a", "title": "First", "questions": [
            {"id": "q1", "type": "rating", "text": "How was the delivery?", "required": True},
            {"id": "q2", "type": "text", "text": "Anything else?", "help": "Optional"},
        ]},
        {"id": "b", "title": "Second", "questions": [{"id": "q3", "type": "nps", "text": "Recommend us?"}]},
    ],
}


def ids(data: dict[str, Any]) -> list[list[str]]:
    return [[q["id"] for q in s["questions"]] for s in data["sections"]]


@pytest.fixture
def data() -> dict[str, Any]:
    return copy.deepcopy(DATA)


def test_move_question_within_a_page_and_across_pages(data: dict[str, Any]) -> None:
    assert ids(edits.move_question(data, "q1", 1)) == [["q2", "q1"], ["q3"]]
    assert ids(edits.move_question(data, "q2", 1)) == [["q1"], ["q2", "q3"]]  # start of the next page
    assert ids(edits.move_question(data, "q3", -1)) == [["q1", "q2", "q3"], []]  # end of the previous page
    assert ids(edits.move_question(data, "q1", -1)) == [["q1", "q2"], ["q3"]]  # already first: unchanged
    assert ids(edits.move_question(data, "q3", 1)) == [["q1", "q2"], ["q3"]]  # already last: unchanged
    assert data == DATA  # the input is never changed


def test_moving_the_only_question_off_a_page_is_caught_by_validation(data: dict[str, Any]) -> None:
    moved = edits.move_question(data, "q3", -1)
    with pytest.raises(InvalidDefinition) as caught:
        build_survey(moved)
    assert [p.path for p in caught.value.problems] == ["sections[1].questions"]


def test_move_and_remove_sections(data: dict[str, Any]) -> None:
    assert [s["id"] for s in edits.move_section(data, "b", -1)["sections"]] == ["b", "a"]
    assert [s["id"] for s in edits.move_section(data, "b", 1)["sections"]] == ["a", "b"]
    assert [s["id"] for s in edits.remove_section(data, "a")["sections"]] == ["b"]
    with pytest.raises(LookupError):
        edits.move_section(data, "zzz", 1)
    with pytest.raises(ValueError):
        edits.move_section(data, "a", 2)


def test_add_question_from_the_library_takes_a_free_id_and_keeps_the_rationale(data: dict[str, Any]) -> None:
    once = edits.add_question(data, "ces", "b")
    twice = edits.add_question(once, "ces", "a")
    assert ids(twice) == [["q1", "q2", "q_ces_2"], ["q3", "q_ces"]]  # the bank's id is q_ces
    added = twice["sections"][1]["questions"][1]
    assert added["type"] == "ces"
    assert added["rationale"] == library_entry("ces").rationale
    build_survey(twice)  # still a valid survey
    with pytest.raises(LookupError):
        edits.add_question(data, "no_such_question", "a")
    with pytest.raises(LookupError):
        edits.add_question(data, "ces", "no_such_page")


def test_update_question_sets_common_fields_and_settings(data: dict[str, Any]) -> None:
    fields = {"text": "  How was the courier?  ", "help": "", "required": False, "show_if": ""}
    result = edits.update_question(data, "q1", fields, "scale: {min: 1, max: 7, min_label: Awful, max_label: Great}")
    assert result["sections"][0]["questions"][0] == {
        "id": "q1", "type": "rating", "text": "How was the courier?", "required": False,
        "scale": {"min": 1, "max": 7, "min_label": "Awful", "max_label": "Great"},
    }
    survey = build_survey(result)
    assert survey.question("q1").scale_range() == (1, 7)
    # a condition on an earlier question
    shown = edits.update_question(data, "q3", {"text": "Recommend us?", "show_if": "q1 >= 4"}, "")
    assert shown["sections"][1]["questions"][0]["show_if"] == "q1 >= 4"
    assert build_survey(shown).question("q3").show_if == "q1 >= 4"


def test_a_bad_scale_is_named_by_its_path(data: dict[str, Any]) -> None:
    result = edits.update_question(data, "q1", {"text": "How was it?"}, "scale: {min: 5, max: 3}")
    with pytest.raises(InvalidDefinition) as caught:
        build_survey(result)
    assert [p.path for p in caught.value.problems] == ["sections[0].questions[0].scale.max"]


@pytest.mark.parametrize(("settings", "message"), [
    ("scale: [1, 2", "line 1"),                      # broken YAML: where it broke
    ("- one\n- two", "'name: value' lines"),          # a list, not a mapping
    ("text: Sneaky", "'text' is not a setting"),      # a common field through the back door
])
def test_bad_settings_text_names_the_settings_of_that_question(data: dict[str, Any], settings: str,
                                                               message: str) -> None:
    with pytest.raises(InvalidDefinition) as caught:
        edits.update_question(data, "q2", {"text": "Anything else?"}, settings)
    [problem] = caught.value.problems
    assert problem.path == "sections[0].questions[1].settings"
    assert message in problem.message


def test_settings_yaml_shows_only_type_specific_settings() -> None:
    question = {"id": "q", "type": "rating", "text": "T", "required": True, "rationale": "R",
                "scale": {"min": 1, "max": 5}}
    assert edits.question_settings(question) == {"scale": {"min": 1, "max": 5}}
    assert edits.settings_yaml({"id": "q", "type": "text", "text": "T"}) == ""


def test_set_rows_reads_id_label_lines_and_keeps_descriptions(data: dict[str, Any]) -> None:
    result = edits.set_rows(data, {"brand_promises": "easy: Easy, always\n\n  partner :  We treat you as a partner ",
                                   "touchpoints": "billing: Billing"})
    assert result["brand_promises"] == [
        {"id": "easy", "label": "Easy, always", "description": "No hoops"},
        {"id": "partner", "label": "We treat you as a partner"},
    ]
    assert result["touchpoints"] == [{"id": "billing", "label": "Billing"}]
    assert "channels" not in result  # not given: untouched
    assert edits.row_lines(result["touchpoints"]) == "billing: Billing"


def test_set_rows_names_every_line_without_a_label(data: dict[str, Any]) -> None:
    with pytest.raises(InvalidDefinition) as caught:
        edits.set_rows(data, {"brand_promises": "easy: Easy\njust words", "channels": "phone"})
    assert [p.path for p in caught.value.problems] == ["brand_promises[1]", "channels[0]"]


def test_rows_with_a_bad_id_are_refused_by_validation(data: dict[str, Any]) -> None:
    result = edits.set_rows(data, {"touchpoints": "2fast: Delivery"})
    with pytest.raises(InvalidDefinition) as caught:
        build_survey(result)
    assert [p.path for p in caught.value.problems] == ["touchpoints[0].id"]


def test_update_settings_and_sections(data: dict[str, Any]) -> None:
    result = edits.update_settings(data | {"intro": "Old"}, {"title": " New title ", "intro": "", "language": "de",
                                                            "customer_id_param": "", "time_budget_minutes": "5"})
    assert result["title"] == "New title" and result["language"] == "de" and "intro" not in result
    assert build_survey(result).time_budget_minutes == 5
    page = edits.update_section(data, "b", "Last words", "Two more questions")
    assert page["sections"][1] | {"questions": []} == {"id": "b", "title": "Last words",
                                                       "intro": "Two more questions", "questions": []}
    added = edits.add_section(data, "c", "Third", "nps")
    assert ids(added) == [["q1", "q2"], ["q3"], ["q_nps"]]


def test_remove_question_and_blank_definition(data: dict[str, Any]) -> None:
    assert ids(edits.remove_question(data, "q2")) == [["q1"], ["q3"]]
    with pytest.raises(LookupError):
        edits.remove_question(data, "q9")
    blank = build_survey(edits.blank_definition("new_one", "New one"))
    assert [q.id for q in blank.questions()] == ["q_one_change"]
