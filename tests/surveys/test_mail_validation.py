"""`cxroi survey validate` checks the definition's `mail` templates with the check the web app applies to them
(`surveys.mail_texts.field_problems`): each problem names its definition path and language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from surveys.definition import build_survey
from surveys.errors import InvalidDefinition
from surveys.mail_texts import mail_problems
from webapp.cli import main

GOOD_TEXT = "Hello {{ name }}, {{ link }} — no more mail: {{ unsubscribe_link }}"


def _survey(mail: dict[str, Any], languages: list[str] | None = None) -> dict[str, Any]:
    return {"id": "mailed", "title": "Mailed", "languages": languages or ["en", "fr"], "mail": mail,
            "sections": [{"id": "s", "title": "S", "questions": [{"id": "q", "type": "rating", "text": "Q?"}]}]}


def _problems(mail: dict[str, Any]) -> list[str]:
    return [str(problem) for problem in mail_problems(build_survey(_survey(mail)))]


def test_good_templates_have_no_problem() -> None:
    assert _problems({"subject": {"en": "{{ survey_title }}", "fr": "{{ survey_title }} : votre avis"},
                      "text_body": {"en": GOOD_TEXT, "fr": "Bonjour {{ name }} " + GOOD_TEXT},
                      "html_body": "{% if reminder %}Rappel{% endif %} " + GOOD_TEXT}) == []


def test_an_unknown_variable_names_its_field_and_language() -> None:
    [problem] = _problems({"text_body": {"en": GOOD_TEXT, "fr": "Bonjour {{ nom }} " + GOOD_TEXT}})
    assert problem.startswith("mail.text_body.fr: 'nom' is undefined (variables: name, customer_id, link,")


def test_a_body_without_a_link_names_each_missing_one() -> None:
    assert _problems({"html_body": {"en": GOOD_TEXT, "fr": "<p>Bonjour</p> {{ link }}"},
                      "text_body": "Hello"}) == [
        "mail.text_body: must contain {{ link }}", "mail.text_body: must contain {{ unsubscribe_link }}",
        "mail.html_body.fr: must contain {{ unsubscribe_link }}"]


def test_a_subject_needs_no_link_but_a_syntax_error_gives_its_line() -> None:
    assert _problems({"subject": "Hello"}) == []
    assert _problems({"text_body": {"en": GOOD_TEXT, "fr": GOOD_TEXT + "\n\n{% if reminder %}rappel"}}) == [
        "mail.text_body.fr: line 3: Unexpected end of template. Jinja was looking for the following tags: "
        "'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'."]


def test_the_sandbox_refuses_what_the_sending_code_refuses() -> None:
    [problem] = _problems({"subject": "{{ name.__class__.__mro__ }}"})
    assert problem.startswith("mail.subject: ") and "unsafe" in problem


def test_a_language_the_survey_does_not_offer_is_refused_at_its_path() -> None:
    with pytest.raises(InvalidDefinition) as refused:
        build_survey(_survey({"text_body": {"en": GOOD_TEXT, "de": GOOD_TEXT}}))
    assert "mail.text_body: German (de) is not one of the survey's languages (en, fr)" in str(refused.value)


def test_cxroi_survey_validate_reports_every_mail_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("""\
id: mailed
title: Mailed
languages: [en, fr]
mail:
  text_body:
    en: "{{ link }} {{ unsubscribe_link }}"
    fr: "Bonjour {{ nom }} {{ link }} {{ unsubscribe_link }}"
  html_body: {en: "<a href='{{ link }}'>Answer</a>", fr: "{{ link }} {{ unsubscribe_link }}"}
sections:
  - {id: s, title: S, questions: [{id: q, type: rating, text: Q}]}
""", encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main(["survey", "validate", str(bad)])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert f"{bad}: mail.text_body.fr: 'nom' is undefined" in err
    assert f"{bad}: mail.html_body.en: must contain {{{{ unsubscribe_link }}}}" in err
    assert "Traceback" not in err
    good = tmp_path / "good.yaml"
    good.write_text(bad.read_text(encoding="utf-8").replace("{{ nom }}", "{{ name }}")
                    .replace("Answer</a>", "Answer</a> {{ unsubscribe_link }}"), encoding="utf-8")
    main(["survey", "validate", str(good)])
    assert "valid — 'Mailed'" in capsys.readouterr().out
