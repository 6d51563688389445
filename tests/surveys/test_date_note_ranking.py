"""The date, note and ranking question types (issue 13): definitions accepted and refused with their paths, answers
cleaned and refused with clear messages, export columns and read-back, and XLSForm rows from other tools (untagged
`date`, `rank`, conditional `note`) read as these types. Expected values are worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pyxform.xls2xform import convert

from surveys.definition import InvalidDefinition, build_survey
from surveys.model import Survey
from surveys.questions import AnswerError
from surveys.xlsform import read_xlsform, write_xlsform

from .test_xlsform import write_workbook

CHOICES = [{"code": "price", "label": "Price"}, {"code": "speed", "label": "Speed"},
           {"code": "support", "label": "Support"}, {"code": "range", "label": "Range"}]


def survey_of(*questions: dict[str, Any]) -> Survey:
    return build_survey({"id": "s", "title": "S", "sections": [{"id": "p", "title": "P", "questions": list(questions)}]})


def refused(question: dict[str, Any]) -> str:
    with pytest.raises(InvalidDefinition) as caught:
        survey_of(question)
    return str(caught.value)


def clean(survey: Survey, answers: dict[str, Any]) -> tuple[dict[str, Any], dict[str, AnswerError]]:
    return survey.clean_section(survey.sections[0], answers, {})


# --- date ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("settings", "where", "words"), [
    ({"min": "2026-02-30"}, "sections[0].questions[0].min", "'2026-02-30' is not a day of the calendar"),
    ({"max": "31/03/2026"}, "sections[0].questions[0].max", "write YYYY-MM-DD (e.g. 2026-03-31) or today"),
    ({"min": "2026-05-01", "max": "2026-04-30"}, "sections[0].questions[0]", "max (2026-04-30) must not be before"),
    ({"min": "today", "max": "today"}, "sections[0].questions[0]", "nothing to ask"),
])
def test_a_date_with_bad_bounds_is_refused_at_its_path(settings: dict[str, Any], where: str, words: str) -> None:
    message = refused({"id": "q_when", "type": "date", "text": "When did it arrive?"} | settings)
    assert f"{where}: " in message and words in message


def test_a_date_answer_is_an_iso_date_within_its_bounds() -> None:
    survey = survey_of({"id": "q_when", "type": "date", "text": "When?", "min": "2026-01-01", "max": "2026-12-31"})
    assert clean(survey, {"q_when": " 2026-02-28 "}) == ({"q_when": "2026-02-28"}, {})
    for raw, words in [("28/02/2026", "enter the date as YYYY-MM-DD"), ("2026-2-28", "enter the date as YYYY-MM-DD"),
                       ("2026-02-29", "2026-02-29 is not a day of the calendar"), ("yesterday", "YYYY-MM-DD"),
                       (["2026-02-28"], "YYYY-MM-DD"), ("2025-12-31", "must be 2026-01-01 or later"),
                       ("2027-01-01", "must be 2026-12-31 or earlier")]:
        _, errors = clean(survey, {"q_when": raw})
        assert words in errors["q_when"].message, (raw, errors)


def test_a_date_bounded_by_today_follows_the_calendar() -> None:
    survey = survey_of({"id": "q_when", "type": "date", "text": "When did you call?", "max": "today"})
    today = datetime.now(UTC).date()
    assert clean(survey, {"q_when": today.isoformat()}) == ({"q_when": today.isoformat()}, {})
    _, errors = clean(survey, {"q_when": (today + timedelta(days=2)).isoformat()})
    assert errors["q_when"].message == "must be today or earlier"


def test_a_date_is_one_text_column_read_back_as_it_was() -> None:
    survey = survey_of({"id": "q_when", "type": "date", "text": "When?"})
    question = survey.question("q_when")
    assert question.columns(survey) == ["q_when"] and question.column_kinds(survey) == {"q_when": "date"}
    assert survey.to_row({"q_when": "2026-03-31"}) == {"q_when": "2026-03-31"}
    assert survey.from_row({"q_when": "2026-03-31"}) == ({"q_when": "2026-03-31"}, {})
    # a date read back from a Parquet or Excel file arrives as a date or a timestamp: the same day
    assert survey.from_row({"q_when": datetime(2026, 3, 31, 0, 0)}) == ({"q_when": "2026-03-31"}, {})


# --- note ------------------------------------------------------------------------------------------------------

def test_a_note_takes_no_answer_and_has_no_column() -> None:
    survey = survey_of({"id": "q_visit", "type": "single_choice", "text": "Did you visit?",
                        "choices": [{"code": "yes", "label": "Yes"}, {"code": "no", "label": "No"}]},
                       {"id": "n_thanks", "type": "note", "text": "Thank you for visiting.", "show_if": "q_visit == 'yes'"})
    assert "n_thanks" not in " ".join(survey.columns())
    assert clean(survey, {"q_visit": "yes", "n_thanks": None}) == ({"q_visit": "yes"}, {})
    assert survey.to_row({"q_visit": "yes"}) == {"q_visit": "yes"}


def test_a_required_note_and_a_condition_on_a_note_are_refused() -> None:
    assert "sections[0].questions[0].required: a note takes no answer, so it cannot be required" in refused(
        {"id": "n", "type": "note", "text": "Read this.", "required": True})
    with pytest.raises(InvalidDefinition) as caught:
        survey_of({"id": "n", "type": "note", "text": "Read this."},
                  {"id": "q", "type": "text", "text": "Why?", "show_if": "answered(n)"})
    assert "sections[0].questions[1].show_if: refers to 'n', which takes no answer (a note)" in str(caught.value)


# --- ranking ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("settings", "where", "words"), [
    ({"choices": CHOICES[:1]}, "sections[0].questions[0]", "a ranking needs at least two choices"),
    ({"choices": CHOICES, "top": 5}, "sections[0].questions[0]", "top (5) is more than the 4 choices"),
    ({"choices": CHOICES, "top": 0}, "sections[0].questions[0].top", "greater than or equal to 1"),
    ({"choices": [*CHOICES, CHOICES[0]]}, "sections[0].questions[0].choices", "choice code 'price' is used twice"),
])
def test_a_bad_ranking_is_refused_at_its_path(settings: dict[str, Any], where: str, words: str) -> None:
    message = refused({"id": "q_rank", "type": "ranking", "text": "Order these."} | settings)
    assert f"{where}: " in message and words in message


def test_a_ranking_answer_is_the_codes_in_rank_order() -> None:
    survey = survey_of({"id": "q_rank", "type": "ranking", "text": "Order these.", "choices": CHOICES})
    assert clean(survey, {"q_rank": ["speed", "price", "range", "support"]}) == (
        {"q_rank": ["speed", "price", "range", "support"]}, {})
    # optional: ranking the first two only is an answer; the empty places after them are not a gap
    assert clean(survey, {"q_rank": ["speed", "price", "", None]}) == ({"q_rank": ["speed", "price"]}, {})


@pytest.mark.parametrize(("raw", "message", "position"), [
    (["speed", "price", "speed", ""], "Speed is chosen at both 1st and 3rd; choose each once", "3"),
    (["speed", "", "price", ""], "2nd is empty but 3rd is chosen: rank in order, leaving no gap", "2"),
    (["speed", "cost"], "2nd: 'cost' is not one of the choices", "2"),
])
def test_a_bad_ranking_answer_names_the_place(raw: list[str], message: str, position: str) -> None:
    survey = survey_of({"id": "q_rank", "type": "ranking", "text": "Order these.", "choices": CHOICES})
    _, errors = clean(survey, {"q_rank": raw})
    assert errors["q_rank"].message == message and errors["q_rank"].row == position


def test_a_required_ranking_needs_every_place_and_a_top_n_only_n() -> None:
    survey = survey_of({"id": "q_rank", "type": "ranking", "text": "Order these.", "choices": CHOICES,
                        "required": True, "top": 3})
    _, errors = clean(survey, {"q_rank": ["speed", ""]})
    assert errors["q_rank"].message == "rank 3 choices; still empty: 2nd, 3rd"
    _, errors = clean(survey, {"q_rank": ["speed", "price", "range", "support"]})
    assert errors["q_rank"].message == "rank at most 3 choices"
    assert clean(survey, {"q_rank": ["support", "speed", "price"]}) == ({"q_rank": ["support", "speed", "price"]}, {})


def test_a_ranking_exports_one_rank_column_per_choice_and_reads_back() -> None:
    survey = survey_of({"id": "q_rank", "type": "ranking", "text": "Order these.", "choices": CHOICES, "top": 2})
    question = survey.question("q_rank")
    assert question.columns(survey) == ["q_rank.price", "q_rank.speed", "q_rank.support", "q_rank.range"]
    row = survey.to_row({"q_rank": ["support", "price"]})
    assert row == {"q_rank.price": 2, "q_rank.speed": None, "q_rank.support": 1, "q_rank.range": None}
    assert survey.from_row(row) == ({"q_rank": ["support", "price"]}, {})
    # a table edited by hand: two choices ranked 1st is an error naming both, not a silent pick
    _, errors = survey.from_row({"q_rank.price": 1, "q_rank.speed": 1.0})
    assert errors["q_rank"].message == "Speed and Price are both ranked 1"
    _, errors = survey.from_row({"q_rank.price": 3})
    assert errors["q_rank"].message == "Price: the rank must be a whole number from 1 to 2"


# --- XLSForm ---------------------------------------------------------------------------------------------------

def test_untagged_date_rank_and_conditional_note_rows_are_read_as_these_types(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "kobo.xlsx", [
        ["type", "name", "label", "relevant", "required"],
        ["begin_group", "visit", "Your visit"],
        ["date", "visited_on", "When did you visit?", "", "yes"],
        ["rank touchpoints", "ranked", "Order these by importance", "", ""],
        ["note", "thanks", "Thanks for ranking!", "${ranked} != ''", ""],
        ["text", "why", "Why?", "", ""],
        ["end_group"],
    ], [["list_name", "name", "label"], ["touchpoints", "shop", "The shop"], ["touchpoints", "web", "The website"]])
    convert(str(path))  # pyxform accepts the workbook as written
    survey = read_xlsform(path)
    date, rank, note = (survey.question(name) for name in ("visited_on", "ranked", "thanks"))
    assert (date.type, date.required) == ("date", True)
    assert rank.type == "ranking" and [(c.code, c.label) for c in rank.own_choices()] == [
        ("shop", "The shop"), ("web", "The website")]
    assert (note.type, note.text, note.show_if) == ("note", "Thanks for ranking!", "answered(ranked)")


def test_the_new_types_round_trip_through_a_workbook_pyxform_accepts(tmp_path: Path) -> None:
    survey = build_survey({"id": "s", "title": "S", "sections": [
        {"id": "p1", "title": "First", "questions": [
            {"id": "q_when", "type": "date", "text": "When?", "min": "2025-01-01", "max": "today", "required": True},
            {"id": "q_rank", "type": "ranking", "text": "Order these.", "choices": CHOICES, "top": 2,
             "help": "Most important first."}]},
        {"id": "p2", "title": "Second", "questions": [  # a piped, conditional note
            {"id": "n_more", "type": "note", "text": "Price matters to many; your visit on {{ q_when }} too.",
             "show_if": "'price' in q_rank"},
            {"id": "q_why", "type": "text", "text": "Why?"}]},
    ]})
    path = tmp_path / "new_types.xlsx"
    write_xlsform(survey, path)
    convert(str(path))
    assert read_xlsform(path) == survey


# --- linter ----------------------------------------------------------------------------------------------------

def test_a_ranking_of_more_than_seven_places_is_flagged_and_a_top_seven_is_not() -> None:
    from surveys.lint import lint_survey

    nine = [{"code": f"c{i}", "label": f"Touchpoint {i}"} for i in range(1, 10)]
    base = {"id": "q_rank", "type": "ranking", "text": "Which matter most to you?", "choices": nine}
    [found] = [f for f in lint_survey(survey_of(base)) if f.code == "long_ranking"]
    assert (found.path, found.severity, found.question_id) == ("sections[0].questions[0]", "warning", "q_rank")
    assert found.message.startswith("9 places to rank (more than 7)")
    assert not [f for f in lint_survey(survey_of(base | {"top": 7})) if f.code == "long_ranking"]  # near miss


def test_notes_are_not_counted_as_questions() -> None:
    from surveys.lint import lint_survey

    texts = [{"id": f"q{i}", "type": "text", "text": f"What could we improve about step {i}?"} for i in range(25)]
    notes = [{"id": f"n{i}", "type": "note", "text": f"Step {i} is next."} for i in range(5)]
    assert not [f for f in lint_survey(survey_of(*texts, *notes)) if f.code == "too_many_questions"]
    assert [f for f in lint_survey(survey_of(*texts, *notes, {"id": "q_x", "type": "date", "text": "When?"}))
            if f.code == "too_many_questions"]
