"""Checks on a survey offered in several languages: texts missing in a language, and which texts the wording checks
read (they know English only)."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Survey
from ..texts import language_name, localised, missing_texts
from .findings import Finding, finding
from .walk import placed_questions

WORDING_LANGUAGE = "en"
"""The only language the wording checks (double-barrelled, leading, jargon, …) understand."""


def wording_view(survey: Survey) -> Survey | None:
    """The survey as the wording checks should read it: its English texts, or None when it has none."""
    if WORDING_LANGUAGE not in survey.all_languages:
        return None
    return localised(survey, WORDING_LANGUAGE)


def check_languages(survey: Survey) -> Iterator[Finding]:
    """`missing_translation` for each text not given in one of the survey's languages (one finding per question
    or survey-level text and language), and `wording_not_checked` for each language the wording checks skip."""
    question_ids = {placed.path: placed.question.id for placed in placed_questions(survey)}
    grouped: dict[tuple[str, str], list[str]] = {}
    for path, language in missing_texts(survey):
        owner = next((prefix for prefix in question_ids if path.startswith(prefix + ".")), path)
        grouped.setdefault((owner, language), []).append(path)
    for (owner, language), paths in grouped.items():
        fields = ", ".join(path[len(owner) + 1:] if path != owner else path for path in paths)
        default = language_name(survey.default_language)
        yield finding("missing_translation", paths[0], question_ids.get(owner),
                      f"no {language_name(language)} text for {fields}; respondents reading {language_name(language)} "
                      f"see the {default} text",
                      f"give each text in every language of the survey: {{{survey.default_language}: …, {language}: …}}")
    others = [code for code in survey.all_languages if code != WORDING_LANGUAGE]
    if others:
        checked = "the English texts only" if WORDING_LANGUAGE in survey.all_languages else "no text (there is no English)"
        yield finding("wording_not_checked", "languages" if survey.languages else "default_language", None,
                      f"the wording checks (double-barrelled, leading, jargon, length …) read {checked}; the "
                      + ", ".join(language_name(code) for code in others) + " texts were not checked",
                      "have a native speaker review the wording in " + ", ".join(language_name(code) for code in others))
