"""Texts in several languages (issue 13): `text: {en: …, fr: …}` anywhere a definition has a text, the default
language, validation naming the path and the language, the view in one language, and piping."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from surveys.definition import build_survey, json_schema, parse_survey_text, to_json, to_yaml
from surveys.errors import InvalidDefinition
from surveys.texts import LocalText, iter_texts, localised, missing_texts, pipe, piped_names

BILINGUAL: dict[str, Any] = {
    "id": "bilingual",
    "title": {"en": "How are we doing?", "fr": "Comment nous en sortons-nous ?"},
    "intro": {"en": "Five minutes.", "fr": "Cinq minutes."},
    "thank_you": {"en": "Thanks a lot.", "fr": "Merci beaucoup."},
    "languages": ["en", "fr"],
    "brand_promises": [{"id": "easy", "label": {"en": "We make it easy", "fr": "Nous simplifions tout"}}],
    "touchpoints": [{"id": "billing", "label": {"en": "Billing", "fr": "Facturation"}}],
    "sections": [
        {"id": "one", "title": {"en": "You", "fr": "Vous"}, "questions": [
            {"id": "q_plan", "type": "single_choice", "text": {"en": "Which plan?", "fr": "Quelle offre ?"},
             "help": {"en": "As on your bill.", "fr": "Comme sur votre facture."},
             "choices": [{"code": "gold", "label": {"en": "Gold", "fr": "Or"}},
                         {"code": "basic", "label": {"en": "Basic", "fr": "Essentielle"}}]},
            {"id": "q_rate", "type": "rating", "text": {"en": "Rate us", "fr": "Notez-nous"},
             "scale": {"min": 1, "max": 3, "labels": [{"en": "Bad", "fr": "Mauvais"}, {"en": "OK", "fr": "Correct"},
                                                       {"en": "Good", "fr": "Bon"}]}},
        ]},
        {"id": "two", "title": {"en": "Your {{ q_plan }} plan", "fr": "Votre offre {{ q_plan }}"},
         "intro": {"en": "Hello {{ customer.name }}", "fr": "Bonjour {{ customer.name }}"}, "questions": [
             {"id": "q_align", "type": "alignment", "text": {"en": "Did we keep it?", "fr": "L'avons-nous tenue ?"}},
             {"id": "q_friction", "type": "friction", "text": {"en": "Any doubt?", "fr": "Une hésitation ?"},
              "follow_up_text": {"en": "What was it?", "fr": "Laquelle ?"}},
         ]},
    ],
}


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidDefinition) as caught:
        build_survey(data)
    return [str(problem) for problem in caught.value.problems]


def test_every_kind_of_text_can_be_given_per_language_and_is_read_in_that_language() -> None:
    survey = build_survey(BILINGUAL)
    assert survey.title == LocalText("How are we doing?", BILINGUAL["title"])
    assert str(survey.title) == "How are we doing?"  # read without a language: the default one
    french = localised(survey, "fr")
    assert french.title == "Comment nous en sortons-nous ?"
    assert str(french.intro) == "Cinq minutes."
    assert str(french.thank_you) == "Merci beaucoup."
    assert french.grid_rows("brand_promises") == [("easy", "Nous simplifions tout")]
    assert french.grid_rows("touchpoints") == [("billing", "Facturation")]
    plan, rate = french.sections[0].questions
    assert (str(plan.text), str(plan.help)) == ("Quelle offre ?", "Comme sur votre facture.")
    assert plan.options() == [("gold", "Or"), ("basic", "Essentielle")]
    assert rate.options() == [("1", "Mauvais"), ("2", "Correct"), ("3", "Bon")]
    align, friction = french.sections[1].questions
    assert str(align.text) == "L'avons-nous tenue ?"
    assert friction.follow_up_prompt() == "Laquelle ?"
    assert align.rows(french) == [("easy", "Nous simplifions tout")]
    # the default language, or a language the survey is not offered in, is the survey itself
    assert localised(survey, "en") is survey and localised(survey, "de") is survey
    assert localised(survey, "fr") is french  # one view per language, kept


def test_the_definition_round_trips_with_its_languages() -> None:
    survey = build_survey(BILINGUAL)
    assert parse_survey_text(to_yaml(survey)) == survey
    assert parse_survey_text(to_json(survey), fmt="json") == survey
    assert "fr: Quelle offre ?" in to_yaml(survey)
    # a changed translation is a changed definition (not equal to the original)
    changed = copy.deepcopy(BILINGUAL)
    changed["sections"][0]["questions"][0]["choices"][0]["label"]["fr"] = "Doré"
    assert build_survey(changed) != survey
    # the French view keeps every translation: written out, it is the same definition
    assert parse_survey_text(to_yaml(localised(survey, "fr"))) == survey


def test_a_plain_string_is_the_default_language_text() -> None:
    data = copy.deepcopy(BILINGUAL) | {"default_language": "fr", "languages": ["fr", "en"]}
    data["sections"][0]["questions"][0]["text"] = "Quelle offre ?"
    survey = build_survey(data)
    question = survey.sections[0].questions[0]
    assert str(survey.title) == "Comment nous en sortons-nous ?"  # a mapping's default: French
    assert str(localised(survey, "en").sections[0].questions[0].text) == "Quelle offre ?"  # no English: French
    assert ("sections[0].questions[0].text", "en") in missing_texts(survey)
    assert str(question.text) == "Quelle offre ?"


def test_the_older_language_setting_is_the_default_language() -> None:
    data = {k: v for k, v in BILINGUAL.items() if k not in ("languages",)} | {"language": "fr", "languages": ["en", "fr"]}
    assert build_survey(data).default_language == "fr"
    assert build_survey(data).language == "fr"
    both = data | {"default_language": "en"}
    assert any("give default_language only" in problem for problem in problems_of(both))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["sections"][0]["questions"][0].__setitem__("text", {"fr": "Quelle offre ?"}),
         "sections[0].questions[0].text: no text in the default language, English (en) (given: fr)"),
        (lambda d: d["sections"][0]["questions"][0]["choices"][1].__setitem__("label", {"en": "Basic", "de": "Basis"}),
         "sections[0].questions[0].choices[1].label: German (de) is not one of the survey's languages (en, fr)"),
        (lambda d: d.__setitem__("languages", ["fr"]), "languages must include the default language 'en'"),
        (lambda d: d.__setitem__("languages", ["en", "fr", "en"]), "languages: a language is listed twice"),
        (lambda d: d["sections"][0]["questions"][0].__setitem__("text", {"en": "Which?", "fr": "x" * 1001}),
         "sections[0].questions[0].text: the French (fr) text has 1001 characters; at most 1000 are allowed"),
        (lambda d: d["sections"][0]["questions"][1]["scale"]["labels"].__setitem__(0, {"en": "Bad", "fr": ""}),
         "sections[0].questions[1].scale.labels[0]: the French (fr) text is empty"),
        (lambda d: d["sections"][0]["questions"][0].__setitem__("text", {"English": "Which?"}),
         "sections[0].questions[0].text: 'English' is not a language code"),
        (lambda d: d["sections"][0]["questions"][0].__setitem__("text", ["Which?"]),
         "sections[0].questions[0].text: expected a text, or one text per language"),
        (lambda d: d.__setitem__("title", {"en": "A\x00", "fr": "B"}), "title: contains a NUL character"),
    ],
)
def test_problems_with_languages_name_the_path_and_the_language(change: Any, expected: str) -> None:
    data = copy.deepcopy(BILINGUAL)
    change(data)
    problems = problems_of(data)
    assert any(expected in problem for problem in problems), problems


def test_missing_translations_are_listed_by_path_and_language() -> None:
    data = copy.deepcopy(BILINGUAL) | {"languages": ["en", "fr", "de"]}
    data["sections"][0]["questions"][0]["help"] = "As on your bill."  # plain: English only
    survey = build_survey(data)
    missing = missing_texts(survey)
    assert ("sections[0].questions[0].help", "fr") in missing
    assert ("sections[0].questions[0].help", "de") in missing
    assert ("sections[0].questions[0].text", "fr") not in missing
    # every text written in the definition lacks German: 1 title + intro + thank-you + promise + touchpoint + ...
    written = [path for path, _ in iter_texts(survey)]
    assert [path for path, language in missing if language == "de"] == written
    assert len(written) == 19


def test_the_schema_accepts_a_text_or_one_per_language() -> None:
    schema = json_schema()
    title = schema["properties"]["title"]
    assert {"type": "string", "minLength": 1, "maxLength": 1000} in title["anyOf"]
    assert any(option.get("type") == "object" for option in title["anyOf"])


# --- piping --------------------------------------------------------------------------------------------------

def test_piped_names_and_filling_them_in() -> None:
    assert piped_names("Your {{ q_plan }} plan, {{customer.name}}") == ["q_plan", "customer.name"]
    assert pipe("Your {{ q_plan }} plan, {{customer.name}}!", {"q_plan": "<b>Gold</b>", "customer.name": "Ann"}) \
        == "Your <b>Gold</b> plan, Ann!"  # plain text: the template escapes it
    assert pipe("About {{ q_skipped }}.", {}) == "About ."
    assert pipe("No braces here", {"x": "y"}) == "No braces here"


@pytest.mark.parametrize(
    ("where", "text", "expected"),
    [
        ("sections.0.title", "About {{ q_plan }}", "sections[0].title: {{ q_plan }}: 'q_plan' is not answered on "
                                                   "an earlier page"),
        ("sections.1.intro", "Hi {{ q_nope }}", "sections[1].intro: {{ q_nope }}: 'q_nope' is not a question"),
        ("sections.1.intro", "Hi {{ customer.plan }}", "sections[1].intro: {{ customer.plan }}: customers have no "
                                                       "field 'plan'"),
        ("title", {"en": "Hi", "fr": "Salut {{ q_plan }}"}, "title: {{ q_plan }} (French (fr) text): 'q_plan' is not "
                                                            "answered on an earlier page"),
    ],
)
def test_piping_refers_to_earlier_pages_and_known_customer_fields(where: str, text: Any, expected: str) -> None:
    data = copy.deepcopy(BILINGUAL)
    *parents, last = where.split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[last] = text
    problems = problems_of(data)
    assert any(problem.startswith(expected) for problem in problems), problems


def test_the_thank_you_text_may_pipe_any_question() -> None:
    data = copy.deepcopy(BILINGUAL) | {"thank_you": "Thanks for rating us {{ q_rate }}."}
    assert build_survey(data).thank_you == "Thanks for rating us {{ q_rate }}."
