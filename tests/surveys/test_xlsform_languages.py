"""XLSForm in several languages and with piping (issue 13): `label::English (en)` / `hint::…` columns read into
`{en: …, fr: …}` texts and written back, losslessly; `${q}` in labels ↔ `{{ q }}`."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from pyxform.xls2xform import convert

from surveys.definition import build_survey, to_data
from surveys.errors import InvalidDefinition
from surveys.files import read_survey
from surveys.lint import lint_survey
from surveys.texts import localised
from surveys.xlsform import read_xlsform, write_xlsform
from tests.surveys.test_xlsform import write_workbook

ROOT = Path(__file__).resolve().parents[2]


def test_a_bilingual_survey_round_trips_and_pyxform_accepts_it(tmp_path: Path) -> None:
    survey = read_survey(ROOT / "examples" / "bilingual.yaml")
    path = tmp_path / "bilingual.xlsx"
    write_xlsform(survey, path)
    assert read_xlsform(path) == survey  # every text in both languages, the thank-you and piping included
    workbook = openpyxl.load_workbook(path)
    header = [cell.value for cell in workbook["survey"][1]]
    assert header[2:6] == ["label::English (en)", "label::French (fr)", "hint::English (en)", "hint::French (fr)"]
    rows = {row[1]: row for row in workbook["survey"].iter_rows(min_row=2, values_only=True) if row[0] != "end group"}
    assert rows["journey"][2:4] == ("Your ${q_plan} plan", "Votre offre ${q_plan}")  # piping, as XLSForm writes it
    assert rows["q_plan"][4:6] == ("As shown on your invoice.", "Comme indiqué sur votre facture.")
    assert [c.value for c in workbook["settings"][2]][2] == "English (en)"
    result = convert(xlsform=str(path), warnings=[])
    assert 'lang="French (fr)"' in result.xform
    assert '<text id="/data/journey:label"><value> Votre offre <output value=" /data/promises/q_plan "/> </value>' \
        in result.xform  # pyxform reads the piped answer, in each language


def test_a_kobo_style_workbook_in_two_languages_is_read(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "kobo.xlsx", [
        ["type", "name", "label::English (en)", "label::Français (fr)", "hint::English (en)", "hint::Français (fr)"],
        ["begin group", "about", "About you", "À propos de vous"],
        ["select_one plan", "plan", "Which plan?", "Quelle offre ?", "See your bill", "Voir votre facture"],
        ["end group"],
        ["begin group", "more", "More", "Plus"],
        ["text", "why", "Why ${plan}?", "Pourquoi ${plan} ?", None, None],
        ["integer", "age", "Age", None],  # no French label: the English one, reported by the linter
        ["end group"],
    ], [["list_name", "name", "label::English (en)", "label::Français (fr)"],
        ["plan", "gold", "Gold", "Or"], ["plan", "basic", "Basic", "Essentielle"]],
        [["form_id", "default_language"], ["kobo", "English (en)"]])
    survey = read_xlsform(path)
    assert survey.default_language == "en" and survey.all_languages == ["en", "fr"]
    french = localised(survey, "fr")
    assert str(french.sections[0].title) == "À propos de vous"
    plan = french.question("plan")
    assert (str(plan.text), str(plan.help)) == ("Quelle offre ?", "Voir votre facture")
    assert plan.options() == [("gold", "Or"), ("basic", "Essentielle")]
    assert str(french.question("why").text) == "Pourquoi {{ plan }} ?"
    assert str(survey.question("why").text) == "Why {{ plan }}?"
    assert survey.question("age").text == "Age" and not getattr(survey.question("age").text, "texts", {})
    missing = [f for f in lint_survey(survey) if f.code == "missing_translation"]
    # the title comes from form_id (XLSForm's form_title has one language), so French lacks it too
    assert [(f.path, f.question_id) for f in missing] == [("title", None), ("sections[1].questions[1].text", "age")]


def test_a_language_column_without_a_code_is_reported(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "nocode.xlsx", [
        ["type", "name", "label::English (en)", "label::Français"],
        ["text", "why", "Why?", "Pourquoi ?"],
    ])
    with pytest.raises(InvalidDefinition) as caught:
        read_xlsform(path)
    assert any("cannot tell the language code of 'Français'" in str(p) for p in caught.value.problems)


def test_piping_a_later_question_is_refused_at_its_row(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "later.xlsx", [
        ["type", "name", "label"],
        ["begin group", "one", "One"],
        ["text", "why", "Why ${plan}?"],
        ["end group"],
        ["begin group", "two", "Two"],
        ["text", "plan", "Plan?"],
        ["end group"],
    ])
    with pytest.raises(InvalidDefinition) as caught:
        read_xlsform(path)
    [problem] = caught.value.problems
    assert problem.path == "survey sheet, row 3 (sections[0].questions[0].text)"
    assert "'plan' is not answered on an earlier page" in problem.message


def test_a_one_language_survey_keeps_plain_columns_with_piping(tmp_path: Path) -> None:
    survey = read_survey(ROOT / "examples" / "relationship.yaml")
    data = to_data(survey)
    data["sections"][1]["title"] = "About your {{ q_ces }} score"
    piped = build_survey(data)
    path = tmp_path / "plain.xlsx"
    write_xlsform(piped, path)
    header = [cell.value for cell in openpyxl.load_workbook(path)["survey"][1]]
    assert "label" in header and not any("::" in str(h) for h in header)
    assert read_xlsform(path) == piped
