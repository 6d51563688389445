"""The linter on a survey in several languages (issue 13): missing translations, and wording checks on English only,
saying so for the other languages."""

from __future__ import annotations

import copy
from typing import Any

from surveys.definition import build_survey
from surveys.lint import has_errors, lint_survey

SURVEY: dict[str, Any] = {
    "id": "bilingual", "languages": ["en", "fr"],
    "title": {"en": "How are we doing?", "fr": "Comment allons-nous ?"},
    "sections": [{"id": "one", "title": {"en": "You", "fr": "Vous"}, "questions": [
        {"id": "q_ces", "type": "ces", "text": {"en": "Acme made it easy to get what I needed.",
                                                 "fr": "Acme m'a facilité les choses."}},
        {"id": "q_plan", "type": "single_choice", "text": {"en": "Which plan?", "fr": "Quelle offre ?"},
         "choices": [{"code": "a", "label": {"en": "Basic", "fr": "Essentielle"}},
                     {"code": "b", "label": "Professional"}]},
    ]}],
}


def codes(data: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(f.code, f.path, f.question_id) for f in lint_survey(build_survey(data))]


def test_a_text_missing_in_a_language_is_a_warning_naming_the_question_and_its_fields() -> None:
    data = copy.deepcopy(SURVEY)
    data["sections"][0]["questions"][1]["help"] = "As on your invoice."
    findings = [f for f in lint_survey(build_survey(data)) if f.code == "missing_translation"]
    assert [(f.path, f.question_id) for f in findings] == [("sections[0].questions[1].help", "q_plan")]
    assert findings[0].message == ("no French (fr) text for help, choices[1].label; respondents reading French (fr) "
                                   "see the English (en) text")
    # a warning, not an error: respondents read the default language's text (docs/linter.md)
    assert findings[0].severity == "warning" and not has_errors(findings)


def test_survey_level_texts_and_a_third_language_are_reported_each() -> None:
    data = copy.deepcopy(SURVEY) | {"languages": ["en", "fr", "de"], "intro": "Five minutes."}
    data["sections"][0]["questions"][1]["choices"][1]["label"] = {"en": "Professional", "fr": "Pro"}
    missing = [(f.path, f.message.split(" text for ")[0]) for f in lint_survey(build_survey(data))
               if f.code == "missing_translation"]
    assert ("intro", "no French (fr)") in missing and ("intro", "no German (de)") in missing
    assert ("title", "no German (de)") in missing and ("sections[0].title", "no German (de)") in missing
    assert ("sections[0].questions[0].text", "no German (de)") in missing
    assert len(missing) == 6  # intro in French and German; in German: title, section title, each question once
    assert not any("(fr)" in message and path.startswith("sections") for path, message in missing)


def test_a_complete_translation_has_no_missing_text_but_says_the_french_wording_was_not_checked() -> None:
    data = copy.deepcopy(SURVEY)
    data["sections"][0]["questions"][1]["choices"][1]["label"] = {"en": "Professional", "fr": "Pro"}
    found = codes(data)
    assert not any(code == "missing_translation" for code, _, _ in found)
    [note] = [f for f in lint_survey(build_survey(data)) if f.code == "wording_not_checked"]
    assert note.severity == "info" and note.path == "languages"
    assert "read the English texts only; the French (fr) texts were not checked" in note.message


def test_wording_checks_read_the_english_text_whatever_the_default_language() -> None:
    data = copy.deepcopy(SURVEY) | {"default_language": "fr"}
    # double-barrelled in English only; the French text is one thing
    data["sections"][0]["questions"][0]["text"] = {"fr": "Acme m'a facilité les choses.",
                                                   "en": "Acme was fast and friendly."}
    assert ("double_barrelled", "sections[0].questions[0].text", "q_ces") in codes(data)
    # and the same double-barrelled wording in French only is not read (the info finding says so)
    data["sections"][0]["questions"][0]["text"] = {"fr": "Acme était rapide and aimable.",
                                                   "en": "Acme made it easy to get what I needed."}
    assert not any(code == "double_barrelled" for code, _, _ in codes(data))


def test_a_survey_without_english_gets_no_wording_finding_and_is_told_so() -> None:
    data = {"id": "fr_only", "default_language": "fr", "title": "Enquête", "sections": [
        {"id": "a", "title": "A", "questions": [{"id": "q", "type": "csat", "text": "Rapide and aimable ?"}]}]}
    found = lint_survey(build_survey(data))
    assert not any(f.code == "double_barrelled" for f in found)
    [note] = [f for f in found if f.code == "wording_not_checked"]
    assert note.path == "default_language" and "read no text (there is no English)" in note.message


def test_an_english_only_survey_has_no_language_finding() -> None:
    data = {"id": "en_only", "title": "Survey", "sections": [
        {"id": "a", "title": "A", "questions": [{"id": "q", "type": "csat", "text": "Was it fast and friendly?"}]}]}
    found = codes(data)
    assert not any(code in ("missing_translation", "wording_not_checked") for code, _, _ in found)
    assert ("double_barrelled", "sections[0].questions[0].text", "q") in found
