"""Choice randomisation (issue 13): `randomize: true` shuffles a choice question's choices per respondent, the same
order for the same respondent, `pin_last` choices kept last; refused settings name their path; XLSForm
`parameters: randomize=true` both ways; the linter warns when an ordered scale is shuffled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pyxform.xls2xform import convert

from surveys.definition import InvalidDefinition, build_survey
from surveys.lint import lint_survey
from surveys.model import Survey
from surveys.xlsform import import_xlsform, read_xlsform, write_xlsform

from .test_xlsform import write_workbook

BRANDS = [{"code": code, "label": code.title()} for code in ("acme", "globex", "initech", "umbrella", "hooli")]
OTHER = [{"code": "other", "label": "Other"}, {"code": "none", "label": "None of these"}]


def survey_of(**question: Any) -> Survey:
    return build_survey({"id": "s", "title": "S", "sections": [{"id": "p", "title": "P", "questions": [
        {"id": "q_brand", "type": "single_choice", "text": "Which brand did you buy?", "choices": BRANDS + OTHER}
        | question]}]})


@pytest.mark.parametrize(("settings", "where", "words"), [
    ({"pin_last": ["other"]}, "sections[0].questions[0]", "add randomize: true"),
    ({"randomize": True, "pin_last": ["others"]}, "sections[0].questions[0]", "pin_last names 'others', not among"),
    ({"randomize": True, "pin_last": ["other", "other"]}, "sections[0].questions[0]", "names a choice twice"),
])
def test_bad_randomisation_settings_are_refused_at_their_path(settings: dict[str, Any], where: str,
                                                              words: str) -> None:
    with pytest.raises(InvalidDefinition) as caught:
        survey_of(**settings)
    assert f"{where}: " in str(caught.value) and words in str(caught.value)


@pytest.mark.parametrize("kind", ["single_choice", "multi_choice", "ranking"])
def test_each_respondent_has_an_order_of_their_own_kept_on_every_visit(kind: str) -> None:
    question = survey_of(type=kind, randomize=True, pin_last=["other", "none"]).question("q_brand")
    brands = {choice["code"] for choice in BRANDS}
    orders = set()
    for respondent in range(60):
        seed = f"invitation-{respondent}"
        codes = [choice.code for choice in question.for_respondent(seed).choices]
        assert codes == [choice.code for choice in question.for_respondent(seed).choices]  # a reload: the same
        assert codes[-2:] == ["other", "none"] and set(codes[:-2]) == brands  # pinned last, in their order
        orders.add(tuple(codes))
    # 5 brands have 120 orders: 60 respondents drawing uniformly see dozens of them, and every brand comes first
    assert len(orders) > 20 and {order[0] for order in orders} == brands
    # not shuffled without randomize, nor for an unnamed respondent
    plain = survey_of(type=kind).question("q_brand")
    assert plain.for_respondent("invitation-1") is plain and question.for_respondent("") is question


def test_the_shown_order_changes_nothing_stored() -> None:
    survey = survey_of(type="multi_choice", randomize=True)
    answers, errors = survey.clean_section(survey.sections[0], {"q_brand": ["umbrella", "acme"]}, {})
    assert errors == {} and answers == {"q_brand": ["acme", "umbrella"]}  # definition order, as always
    assert list(survey.to_row(answers))[:2] == ["q_brand.acme", "q_brand.globex"]


def test_randomize_is_xlsform_parameters_both_ways(tmp_path: Path) -> None:
    survey = survey_of(type="ranking", randomize=True, pin_last=["none"], top=3)
    path = tmp_path / "shuffled.xlsx"
    write_xlsform(survey, path)
    convert(str(path))  # pyxform accepts randomize=true on a rank row
    assert read_xlsform(path) == survey
    kobo = write_workbook(tmp_path / "kobo.xlsx", [
        ["type", "name", "label", "parameters"],
        ["select_one brands", "brand", "Which brand?", "randomize=true"],
        ["select_multiple brands", "also", "Which others?", "randomize=false"],
        ["select_one brands", "seeded", "Again?", "randomize=true seed=${brand}"],
    ], [["list_name", "name", "label"], ["brands", "acme", "Acme"], ["brands", "globex", "Globex"]])
    imported = import_xlsform(kobo, skip_unsupported=True)
    assert [imported.survey.question(q).model_dump()["randomize"] for q in ("brand", "also", "seeded")] == [
        True, False, True]
    assert [(p.path, p.message) for p in imported.dropped] == [
        ("survey sheet, row 4, column 'parameters'", "seed: 'seed' is not supported here")]


def test_a_shuffled_ordered_scale_is_flagged_and_a_shuffled_brand_list_is_not() -> None:
    satisfaction = [{"code": f"s{n}", "label": label} for n, label in enumerate(
        ["Very dissatisfied", "Dissatisfied", "Neither", "Satisfied", "Very satisfied"], 1)]
    survey = build_survey({"id": "s", "title": "S", "sections": [{"id": "p", "title": "P", "questions": [
        {"id": "q_sat", "type": "single_choice", "text": "How satisfied were you with the delivery?",
         "choices": satisfaction, "randomize": True}]}]})
    [found] = [f for f in lint_survey(survey) if f.code == "randomised_scale"]
    assert (found.path, found.severity) == ("sections[0].questions[0].randomize", "warning")
    assert "“Very dissatisfied” to “Very satisfied”" in found.message
    assert not [f for f in lint_survey(survey_of(randomize=True)) if f.code == "randomised_scale"]
