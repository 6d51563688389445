"""XLSForm import and export: round trips over every registered type, a KoboToolbox-style workbook, reported
problems with their sheet/row/column, broken files, and `cxroi survey convert` both ways."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pyxform.xls2xform import convert

from surveys.definition import InvalidDefinition, build_survey
from surveys.files import read_survey
from surveys.questions import QUESTION_TYPES
from surveys.xlsform import read_xlsform, write_xlsform
from webapp.cli import main

# One question per registered type, each with settings away from the defaults, so that a setting lost on the
# way through XLSForm shows up as a difference. A new type without an entry here fails test_every_type_has_an_example.
EXAMPLES: dict[str, dict[str, Any]] = {
    "text": {"id": "q_text", "type": "text", "text": "What should we change?", "multiline": False, "max_length": 300,
             "help": "One thing is enough.", "rationale": "Open text feeds the sentiment analysis."},
    "number": {"id": "q_number", "type": "number", "text": "How many orders last year?", "min": 0, "max": 250,
               "integer": True, "unit": "orders", "required": True},
    "single_choice": {"id": "q_single", "type": "single_choice", "text": "Which plan are you on?",
                      "choices": [{"code": "basic", "label": "Basic"}, {"code": "pro", "label": "Pro"}],
                      "required": True},
    "multi_choice": {"id": "q_multi", "type": "multi_choice", "text": "Which did you use to contact us?",
                     "choices": [{"code": "phone", "label": "Phone"}, {"code": "email", "label": "E-mail"},
                                 {"code": "chat", "label": "Chat"}],
                     "min_selected": 1, "max_selected": 2},
    "rating": {"id": "q_rating", "type": "rating", "text": "How was delivery?",
               "scale": {"min": 0, "max": 4, "min_label": "Awful", "max_label": "Superb"},
               "show_if": "q_multi.chat == 1"},
    "likert": {"id": "q_likert", "type": "likert", "text": "You treat me as a partner.", "points": 7,
               "show_if": "q_single == 'pro'"},
    "csat": {"id": "q_csat", "type": "csat", "text": "How satisfied are you overall?", "required": True},
    "ces": {"id": "q_ces", "type": "ces", "text": "Acme made it easy to get what I needed.",
            "show_if": "q_number >= 3 and not (q_rating <= 1)"},
    "nps": {"id": "q_nps", "type": "nps", "text": "How likely are you to recommend us?",
            "show_if": "'chat' in q_multi or answered(q_text)"},
    "alignment": {"id": "q_align", "type": "alignment", "text": "How well did we keep each promise?", "points": 7,
                  "promises": ["partner"], "required": True, "help": "Think of the last six months."},
    "friction": {"id": "q_friction", "type": "friction", "text": "Did anything make you hesitate?",
                 "follow_up_text": "What was it?", "show_if": "q_ces <= 4"},
    "channel_rating": {"id": "q_channels", "type": "channel_rating", "text": "How was each channel you used?",
                       "used_channels_from": "q_multi", "scale": {"min": 1, "max": 7},
                       "show_if": "q_single in ['basic', 'pro']"},
    "date": {"id": "q_date", "type": "date", "text": "When did your order arrive?", "min": "2025-01-01",
             "max": "today", "required": True},
    "ranking": {"id": "q_rank", "type": "ranking", "text": "Order these by how much they matter to you.",
                "choices": [{"code": "price", "label": "Price"}, {"code": "speed", "label": "Speed"},
                            {"code": "support", "label": "Support"}], "top": 2, "show_if": "'email' in q_multi"},
    "note": {"id": "q_note", "type": "note", "text": "Thanks: speed comes up a lot, so a few more on that.",
             "help": "Two more questions.", "show_if": "answered(q_date)"},
}

SURVEY_LEVEL: dict[str, Any] = {
    "id": "acme_pulse",
    "title": "Acme pulse",
    "intro": "Five minutes about your year with Acme.",
    "language": "de",
    "customer_id_param": "cid",
    "time_budget_minutes": 6.5,
    "brand_promises": [{"id": "easy", "label": "We make it easy", "description": "No hoops."},
                       {"id": "partner", "label": "We treat you as a partner"}],
    "touchpoints": [{"id": "ordering", "label": "Ordering"}, {"id": "billing", "label": "Billing"}],
    "channels": [{"id": "phone", "label": "Phone"}, {"id": "email", "label": "E-mail"}, {"id": "chat", "label": "Chat"}],
}


def every_type_survey() -> dict[str, Any]:
    questions = [EXAMPLES[name] for name in QUESTION_TYPES]  # KeyError: a registered type has no example here
    return SURVEY_LEVEL | {"sections": [
        {"id": "basics", "title": "About you", "intro": "First, a little about you.", "questions": questions[:4]},
        {"id": "scores", "title": "Scores", "questions": questions[4:]},
    ]}


def write_workbook(path: Path, survey: list[list[Any]], choices: list[list[Any]] | None = None,
                   settings: list[list[Any]] | None = None) -> Path:
    """A workbook written cell by cell, as a person in Excel or KoboToolbox would."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    for name, rows in (("choices", choices), ("settings", settings)):
        if rows is not None:
            extra = workbook.create_sheet(name)
            for row in rows:
                extra.append(row)
    workbook.save(path)
    return path


def test_every_type_has_an_example() -> None:
    assert set(EXAMPLES) == set(QUESTION_TYPES)


def test_round_trip_keeps_every_type_and_setting(tmp_path: Path) -> None:
    survey = build_survey(every_type_survey())
    target = tmp_path / "pulse.xlsx"
    write_xlsform(survey, target)
    assert read_xlsform(target) == survey


@pytest.mark.parametrize("type_name", list(QUESTION_TYPES))
def test_round_trip_of_each_type_with_its_defaults(type_name: str, tmp_path: Path) -> None:
    minimal = {"id": "q", "type": type_name, "text": "A question"}
    if type_name in ("single_choice", "multi_choice", "ranking"):  # a ranking needs two
        minimal["choices"] = [{"code": "a", "label": "A"}, {"code": "b", "label": "B"}]
    survey = build_survey(SURVEY_LEVEL | {"sections": [{"id": "s", "title": "S", "questions": [minimal]}]})
    write_xlsform(survey, tmp_path / "one.xlsx")
    assert read_xlsform(tmp_path / "one.xlsx") == survey


def test_exported_workbook_is_a_valid_xlsform(tmp_path: Path) -> None:
    write_xlsform(build_survey(every_type_survey()), tmp_path / "pulse.xlsx")
    result = convert(str(tmp_path / "pulse.xlsx"))  # pyxform's own XLSForm → XForm conversion
    assert "<h:title>Acme pulse</h:title>" in result.xform
    assert 'id="acme_pulse"' in result.xform
    # the alignment grid asks only the one chosen promise, and requires it
    assert 'nodeset="/data/scores/q_align/q_align__partner" type="string" required="true()"' in result.xform
    assert "q_align__easy" not in result.xform
    assert result.warnings == []


def sheet_rows(path: Path, name: str) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(path)[name]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_exported_rows_use_native_xlsform_where_it_exists(tmp_path: Path) -> None:
    write_xlsform(build_survey(every_type_survey()), tmp_path / "pulse.xlsx")
    survey = {row["name"]: row for row in sheet_rows(tmp_path / "pulse.xlsx", "survey")
              if row["name"] and row["type"] != "end group"}
    assert survey["q_number"]["type"] == "integer"
    assert survey["q_number"]["constraint"] == ". >= 0 and . <= 250"
    assert survey["q_multi"]["type"] == "select_multiple q_multi"
    assert survey["q_multi"]["constraint"] == "count-selected(.) >= 1 and count-selected(.) <= 2"
    assert survey["q_text"]["constraint"] == "string-length(.) <= 300"
    assert survey["q_ces"]["type"] == "select_one ces7"
    assert survey["q_ces"]["cxroi_type"] == "ces"
    assert survey["q_ces"]["relevant"] == "${q_number} >= 3 and not(${q_rating} <= 1)"
    assert survey["q_nps"]["relevant"] == "selected(${q_multi}, 'chat') or string-length(${q_text}) > 0"
    assert survey["q_likert"]["relevant"] == "${q_single} = 'pro'"
    # read back, this relevant would be "q_single == 'basic' or q_single == 'pro'": the show_if travels verbatim
    assert survey["q_channels"]["relevant"] == "(${q_single} = 'basic' or ${q_single} = 'pro')"
    assert json.loads(survey["q_channels"]["cxroi_settings"])["show_if"] == "q_single in ['basic', 'pro']"
    assert survey["q_ces"]["cxroi_settings"] is None  # no extra settings, and its relevant reads back as written
    assert survey["q_align"]["type"] == "begin group"
    assert survey["q_align"]["appearance"] == "table-list"
    assert survey["q_channels__chat"]["relevant"] == "selected(${q_multi}, 'chat')"
    assert survey["q_friction__billing__what"]["relevant"] == "${q_friction__billing} = '1'"
    choices = sheet_rows(tmp_path / "pulse.xlsx", "choices")
    assert [row["name"] for row in choices if row["list_name"] == "nps11"] == [str(n) for n in range(11)]
    assert [row["name"] for row in choices if row["list_name"] == "ces7"] == [str(n) for n in range(1, 8)]
    settings = sheet_rows(tmp_path / "pulse.xlsx", "settings")
    assert settings[0]["form_id"] == "acme_pulse"
    assert settings[0]["default_language"] == "de"
    cxroi = sheet_rows(tmp_path / "pulse.xlsx", "cxroi")
    assert {"kind": "setting", "id": "customer_id_param", "label": None, "description": None, "value": "cid"} in cxroi


def test_an_edited_relevant_wins_over_the_carried_show_if(tmp_path: Path) -> None:
    survey = build_survey(every_type_survey())
    write_xlsform(survey, tmp_path / "pulse.xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "pulse.xlsx")
    sheet = workbook["survey"]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("name")].value == "q_nps":
            row[header.index("relevant")].value = "${q_csat} < 3"
    workbook.save(tmp_path / "pulse.xlsx")
    assert read_xlsform(tmp_path / "pulse.xlsx").question("q_nps").show_if == "q_csat < 3"


KOBO_SURVEY = [
    ["type", "name", "label::English (en)", "hint::English (en)", "required", "relevant", "constraint",
     "appearance", "$kuid", "calculation"],
    ["start", "start", None, None, None, None, None, None, "k1"],
    ["end", "end", None, None, None, None, None, None, "k2"],
    ["calculate", "__version__", None, None, None, None, None, None, "k2b", "'vAbC123'"],  # Kobo's version
    ["note", "welcome", "Thanks for taking part.", None, None, None, None, None, "k3"],
    ["begin_group", "visit", "Your visit", None, None, None, None, "field-list", "k4"],
    ["note", "visit_note", "About your most recent visit.", None, None, None, None, None, "k5"],
    ["select_one yesno", "found", "Did you find what you needed?", None, "true", None, None, None, "k6"],
    ["note", "careful", "Be candid.", None, None, None, None, None, "k7"],
    ["text", "why_not", "What was missing?", "A few words", None, "${found} = '0'", None, "multiline", "k8"],
    ["integer", "visits", "How many visits this year?", None, "yes", None, ". >= 0 and . <= 52", None, "k9"],
    ["select_multiple topics", "topics", "What did you ask about?", None, None, "selected(${found}, '1')", None,
     None, "k10"],
    ["end_group", None, None, None, None, None, None, None, None],
    [None],
    ["decimal", "spend", "How much did you spend?", None, None, "selected(${topics}, 'price') and ${visits} > 2",
     ". >= 0", None, "k11"],
]
KOBO_CHOICES = [
    ["list_name", "name", "label::English (en)", "$kuid"],
    ["yesno", "1", "Yes", "c1"],
    ["yesno", "0", "No", "c2"],
    ["topics", "price", "Prices", "c3"],
    ["topics", "returns", "Returns", "c4"],
]
KOBO_SETTINGS = [["form_title", "form_id", "version", "default_language"],
                 ["Store visit", "store_visit", "vAbC123", "English (en)"]]


def test_kobotoolbox_workbook_comes_in(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "kobo.xlsx", KOBO_SURVEY, KOBO_CHOICES, KOBO_SETTINGS)
    expected = build_survey({
        "id": "store_visit", "title": "Store visit", "language": "en",
        "intro": "Thanks for taking part.",  # the top note, before any question or group
        "sections": [
            {"id": "visit", "title": "Your visit", "intro": "About your most recent visit.", "questions": [
                # choice names that are not identifiers get a letter in front: 1 → c1, 0 → c0
                {"id": "found", "type": "single_choice", "text": "Did you find what you needed?", "required": True,
                 "choices": [{"code": "c1", "label": "Yes"}, {"code": "c0", "label": "No"}]},
                # a note in the middle of a group goes before the next question's hint
                {"id": "why_not", "type": "text", "text": "What was missing?", "help": "Be candid.\n\nA few words",
                 "multiline": True, "show_if": "found == 'c0'"},
                {"id": "visits", "type": "number", "text": "How many visits this year?", "required": True,
                 "integer": True, "min": 0, "max": 52},
                {"id": "topics", "type": "multi_choice", "text": "What did you ask about?", "show_if": "found == 'c1'",
                 "choices": [{"code": "price", "label": "Prices"}, {"code": "returns", "label": "Returns"}]},
            ]},
            # a question outside any group becomes a section of its own, titled by its label
            {"id": "spend", "title": "How much did you spend?", "questions": [
                {"id": "spend", "type": "number", "text": "How much did you spend?", "min": 0,
                 "show_if": "'price' in topics and visits > 2"},
            ]},
        ],
    })
    assert read_xlsform(path) == expected


def test_group_relevant_is_the_pages_show_if(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "g.xlsx", [
        ["type", "name", "label", "relevant"],
        ["integer", "age", "Age"],
        ["begin group", "adult", "Adults only", "${age} >= 18"],
        ["text", "job", "Your job?"],
        ["text", "boss", "Your boss?", "string-length(${job}) > 0 or ${age} > 60"],
        ["end group"],
    ])
    survey = read_xlsform(path)  # page logic (issue 13): the group's relevant is its page's show_if
    assert survey.sections[1].show_if == "age >= 18"
    assert survey.question("job").show_if is None
    assert survey.question("boss").show_if == "answered(job) or age > 60"


BASE_HEADER = ["type", "name", "label", "required", "relevant", "calculation", "media::image"]


@pytest.mark.parametrize(("row", "where", "words"), [
    (["geopoint", "where", "Where are you?"], "survey sheet, row 7, type", "'geopoint' is not supported"),
    (["datetime", "when", "When?"], "survey sheet, row 7, type", "'datetime' is not supported"),
    (["calculate", "total", None, None, None, "if(${q1} > 2, 1, 0)"], "survey sheet, row 7, column 'calculation'",
     "cannot be translated"),  # arithmetic is read as a calculated value (issue 13, test_xlsform_page_logic.py)
    (["range", "level", "Level"], "survey sheet, row 7, type", "'range' is not supported"),
    (["barcode", "code", "Scan"], "survey sheet, row 7, type", "'barcode' is not supported"),
    (["image", "photo", "Photo"], "survey sheet, row 7, type", "'image' is not supported"),
    (["text", "t", "T", None, "${q1} + 1 > 3"], "survey sheet, row 7, column 'relevant'", "cannot be translated"),
    (["text", "t", "T", "${q1} > 2"], "survey sheet, row 7, column 'required'", "a condition on required"),
    (["text", "t", "T", None, None, None, "pic.png"], "survey sheet, row 7, column 'media::image'", "not supported"),
    (["select_one yn or_other", "t", "T"], "survey sheet, row 7, type", "or_other is not supported"),
    # ${q1} is piped as {{ q1 }} (docs/xlsform.md), which must refer to an earlier page: q1 is on the same one
    (["text", "t", "Hello ${q1}"], "survey sheet, row 7 (sections[0].questions[1].text)",
     "'q1' is not answered on an earlier page"),
])
def test_unsupported_features_are_reported_with_sheet_row_and_column(
    row: list[Any], where: str, words: str, tmp_path: Path
) -> None:
    survey = [BASE_HEADER, ["begin group", "g", "G"], ["integer", "q1", "Q1"], [None], [None], [None], row,
              ["end group"]]  # the reported row is sheet row 7: header, then rows 2..6
    path = write_workbook(tmp_path / "bad.xlsx", survey, [["list_name", "name", "label"], ["yn", "y", "Yes"]])
    with pytest.raises(InvalidDefinition) as caught:
        read_xlsform(path)
    assert [p.path for p in caught.value.problems] == [where]
    assert words in caught.value.problems[0].message


def test_repeats_and_nested_groups_are_reported_and_translations_are_read(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "bad.xlsx", [
        ["type", "name", "label::English (en)", "label::Français (fr)"],
        ["begin group", "outer", "Outer", "Extérieur"],
        ["begin group", "inner", "Inner", "Intérieur"],
        ["text", "a", "A", "A"],
        ["end group"],
        ["end group"],
        ["begin repeat", "kids", "Kids", "Enfants"],
        ["text", "name_of_kid", "Name", "Nom"],
        ["end repeat"],
    ])
    with pytest.raises(InvalidDefinition) as caught:
        read_xlsform(path)
    paths = [p.path for p in caught.value.problems]
    assert "survey sheet, row 3, type" in paths  # the nested group
    assert "survey sheet, row 7, type" in paths  # the repeat
    assert "survey sheet, label columns" not in paths  # two languages are read (test_xlsform_languages.py)


def test_choice_media_and_bad_choice_names_are_reported(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "bad.xlsx", [["type", "name", "label"], ["select_one colours", "c", "Colour"]],
                          [["list_name", "name", "label", "image"], ["colours", "red", "Red", "red.png"],
                           ["colours", "¿?", "Dark blue"]])  # `dark-blue` is read as dark_blue (issue 13)
    with pytest.raises(InvalidDefinition) as caught:
        read_xlsform(path)
    assert [p.path for p in caught.value.problems] == [
        "choices sheet, row 2, column 'image'", "choices sheet, row 3, column 'name'"]


def test_model_errors_name_the_row_they_come_from(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "bad.xlsx", [
        ["type", "name", "label", "constraint"],
        ["begin group", "s", "S"],
        ["integer", "age", "Age", ". >= 10 and . <= 5"],
        ["end group"],
    ])
    with pytest.raises(InvalidDefinition) as caught:
        read_xlsform(path)
    assert str(caught.value) == (f"{path}: survey sheet, row 3 (sections[0].questions[0]): "
                                 "max (5.0) must be greater than min (10.0)")


def test_scale_choices_edited_away_from_the_scale_are_reported(tmp_path: Path) -> None:
    survey = build_survey(every_type_survey())
    write_xlsform(survey, tmp_path / "pulse.xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "pulse.xlsx")
    sheet = workbook["choices"]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "ces7" and row[1].value == "7":
            row[2].value = "Totally agree"
    workbook.save(tmp_path / "pulse.xlsx")
    with pytest.raises(InvalidDefinition) as caught:
        read_xlsform(tmp_path / "pulse.xlsx")
    assert len(caught.value.problems) == 1
    assert "the choices of list 'ces7' are not the points of this ces scale" in caught.value.problems[0].message


def test_untranslatable_show_if_is_reported_on_export(tmp_path: Path) -> None:
    data = every_type_survey()
    data["sections"][1]["questions"].append(
        {"id": "q_after", "type": "text", "text": "Anything else?", "show_if": "q_multi == 'chat'"})
    with pytest.raises(InvalidDefinition) as caught:
        write_xlsform(build_survey(data), tmp_path / "x.xlsx")
    assert [p.path for p in caught.value.problems] == ["sections[1].questions[11].show_if"]
    assert str(caught.value).startswith(f"{tmp_path / 'x.xlsx'}: sections[1].questions[11].show_if: cannot be written")
    assert not (tmp_path / "x.xlsx").exists()


def a_zip_that_is_not_a_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.mark.parametrize("content", [b"", b"just some text\n", b"PK\x03\x04 not really a zip",
                                     a_zip_that_is_not_a_workbook()])
def test_a_file_that_is_not_an_xlsx_workbook_is_a_clear_error(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    with pytest.raises(InvalidDefinition) as caught:
        read_xlsform(path)
    assert str(caught.value) == (f"{path}: not a readable XLSForm workbook: "
                                 "the file is not an Excel .xlsx workbook (or it is damaged)")


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidDefinition, match="does not exist"):
        read_survey(tmp_path / "nowhere.xlsx")


def test_a_workbook_without_a_survey_sheet_is_a_clear_error(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "questions"  # type: ignore[union-attr]
    workbook.create_sheet("choices")
    workbook.save(tmp_path / "nosurvey.xlsx")
    with pytest.raises(InvalidDefinition, match="survey"):
        read_xlsform(tmp_path / "nosurvey.xlsx")


def run_cli(args: list[str]) -> int:
    with pytest.raises(SystemExit) as done:
        main(args)
        raise SystemExit(0)  # main returns normally on success
    return int(done.value.code or 0)


def test_cli_convert_round_trips_yaml_through_xlsform(tmp_path: Path, example_path: Path) -> None:
    assert run_cli(["survey", "convert", str(example_path), str(tmp_path / "rel.xlsx")]) == 0
    assert run_cli(["survey", "convert", str(tmp_path / "rel.xlsx"), str(tmp_path / "back.yaml")]) == 0
    assert read_survey(tmp_path / "back.yaml") == read_survey(example_path)


def test_cli_convert_reports_a_bad_workbook_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_workbook(tmp_path / "geo.xlsx", [["type", "name", "label"], ["geopoint", "where", "Where?"]])
    assert run_cli(["survey", "convert", str(path), str(tmp_path / "out.yaml")]) == 2
    err = capsys.readouterr().err
    assert "survey sheet, row 2, type: 'geopoint' is not supported" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out.yaml").exists()


def test_notes_and_group_hints_go_with_what_follows_them(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "notes.xlsx", [
        ["type", "name", "label", "hint"],
        ["text", "first", "First?"],
        ["note", "before_group", "Now about the shop."],
        ["begin group", "shop", "The shop", "Think of your last visit."],
        ["note", "shop_note", "It only takes a minute."],
        ["text", "clean", "Was it clean?"],
        ["end group"],
    ])
    survey = read_xlsform(path)
    # no note before "first", so no survey intro; the note before the group and the group's own hint open its intro
    assert survey.intro is None
    assert [s.id for s in survey.sections] == ["first", "shop"]
    assert survey.sections[1].intro == "Think of your last visit.\n\nNow about the shop.\n\nIt only takes a minute."
    assert survey.question("clean").help is None


def test_a_trailing_note_is_reported_and_a_conditional_note_is_a_note_question(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "notes.xlsx", [
        ["type", "name", "label", "relevant"],  # row 1
        ["begin group", "g", "G"],
        ["text", "a", "A"],
        ["note", "shown_if", "Only sometimes", "${a} = 'x'"],
        ["text", "b", "B"],
        ["note", "bye", "Thank you!"],
        ["end group"],
    ])
    with pytest.raises(InvalidDefinition) as caught:
        read_xlsform(path)
    assert [p.path for p in caught.value.problems] == ["survey sheet, row 6"]
    path = write_workbook(tmp_path / "notes.xlsx", [
        ["type", "name", "label", "relevant"],
        ["begin group", "g", "G"],
        ["text", "a", "A"],
        ["note", "shown_if", "Only sometimes", "${a} = 'x'"],
        ["text", "b", "B"],
        ["end group"],
    ])
    note = read_xlsform(path).question("shown_if")
    assert (note.type, note.text, note.show_if) == ("note", "Only sometimes", "a == 'x'")


def test_renamed_choice_codes_that_collide_are_reported(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "codes.xlsx", [["type", "name", "label"], ["select_one l", "q", "Q"]],
                          [["list_name", "name", "label"], ["l", "c1", "One"], ["l", "1", "Also one"]])
    with pytest.raises(InvalidDefinition) as caught:
        read_xlsform(path)
    assert [p.path for p in caught.value.problems] == ["choices sheet, row 3, column 'name'"]
    assert "'c1', which another choice already has" in caught.value.problems[0].message


def test_grid_rows_must_match_the_survey_level_items(tmp_path: Path) -> None:
    survey = build_survey(every_type_survey())
    write_xlsform(survey, tmp_path / "pulse.xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "pulse.xlsx")
    sheet = workbook["cxroi"]
    for row in sheet.iter_rows(min_row=2):
        if row[1].value == "billing":
            row[1].value = "invoicing"  # renamed in the cxroi sheet, not in the friction grid
    workbook.save(tmp_path / "pulse.xlsx")
    with pytest.raises(InvalidDefinition) as caught:
        read_xlsform(tmp_path / "pulse.xlsx")
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].message == ("the rows of the grid 'q_friction' (ordering, billing) do not match "
                                                "its touchpoints in the cxroi sheet (ordering, invoicing)")


def test_an_imported_kobotoolbox_survey_goes_back_out_and_in_unchanged(tmp_path: Path) -> None:
    imported = read_xlsform(write_workbook(tmp_path / "kobo.xlsx", KOBO_SURVEY, KOBO_CHOICES, KOBO_SETTINGS))
    write_xlsform(imported, tmp_path / "again.xlsx")
    assert convert(str(tmp_path / "again.xlsx")).warnings == []  # a section named like its only question is fine
    assert read_xlsform(tmp_path / "again.xlsx") == imported


@pytest.mark.parametrize(("row", "message"), [
    (["select_one l", "q", "Q", "CES"], "unknown type 'CES'; known: text, number"),
    (["text", "q", "Q", "nps"], "'nps' cannot be carried by an XLSForm 'text' row"),
    (["select_one l", "q", "Q", "friction"], "'friction' cannot be carried by an XLSForm 'select_one' row"),
])
def test_a_wrong_cxroi_type_is_reported(row: list[Any], message: str, tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", [["type", "name", "label", "cxroi_type"], row],
                          [["list_name", "name", "label"], ["l", "a", "A"]])
    with pytest.raises(InvalidDefinition) as caught:
        read_xlsform(path)
    assert [p.path for p in caught.value.problems] == ["survey sheet, row 2, column 'cxroi_type'"]
    assert message in caught.value.problems[0].message


def test_a_non_grid_cxroi_type_on_a_group_is_reported(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", [["type", "name", "label", "cxroi_type"],
                                                ["begin group", "g", "G", "ces"], ["text", "a", "A"], ["end group"]])
    with pytest.raises(InvalidDefinition) as caught:
        read_xlsform(path)
    assert [p.path for p in caught.value.problems] == ["survey sheet, row 2, column 'cxroi_type'"]


def test_what_pyxform_rejects_is_reported_in_pyxforms_words(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", [["type", "name", "label"], ["select_one colours", "c", "Colour"]],
                          [["list_name", "name", "label"], ["sizes", "s", "Small"]])
    with pytest.raises(InvalidDefinition) as caught:
        read_xlsform(path)
    assert str(caught.value).startswith(f"{path}: not a readable XLSForm workbook: ")
    assert "colours" in str(caught.value)  # pyxform names the list that does not exist


# A deeply nested `relevant` is bad input, not a RecursionError: refused naming its row and column.
def test_a_deep_relevant_in_an_xlsform_names_its_row_and_column(tmp_path: Path, example_path: Path) -> None:
    workbook_path = tmp_path / "survey.xlsx"
    write_xlsform(read_survey(example_path), workbook_path)
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
