"""The respondent's language: which one a page is shown in, the page chrome's catalogues, and the texts the
question types write themselves.

A survey is offered in its `languages` (`surveys.texts`). A page is shown in the first of: the language asked for
on the page (`?lang=`, the language links, or the form's hidden `lang` field), the language the response was last
answered in, the personal link's customer language (the customer list's `language` column), the browser's
Accept-Language, the survey's default language. The page chrome (buttons, progress, errors, thank-you, hidden
accessibility texts) comes from the Flask-Babel catalogues in `translations/` (English, French, German, Spanish;
another language shows English chrome around the survey's own texts).
"""

from __future__ import annotations

import re
from pathlib import Path

from babel import Locale, UnknownLocaleError
from flask import Flask, g, request
from flask_babel import Babel, gettext, refresh

from surveys.model import Survey
from surveys.questions import FIXED_TEXTS
from surveys.texts import offered_language

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"
CHROME_LANGUAGES = ("en", "fr", "de", "es")
"""The languages the page chrome is translated into (a catalogue each in `translations/`)."""

babel = Babel()


def init_languages(app: Flask) -> None:
    """Flask-Babel for `app`: catalogues from `translations/`, the locale chosen by `chrome_locale`."""
    babel.init_app(app, default_locale="en", default_translation_directories=str(TRANSLATIONS),
                   locale_selector=chrome_locale)


def chrome_locale() -> str:
    """The page chrome's language: the respondent's (set by `use_language`) when a catalogue has it, else the
    browser's best among the catalogues, else English."""
    language = g.get("respondent_language")
    if language is not None:
        primary = language.split("-")[0]
        return primary if primary in CHROME_LANGUAGES else "en"
    if request:
        return request.accept_languages.best_match(CHROME_LANGUAGES) or "en"
    return "en"


def choose_language(survey: Survey, *, asked: str | None = None, answered: str | None = None,
                    invited: str | None = None, accept: bool = True) -> str:
    """The language to show `survey` in (see the module's docstring for the order)."""
    for candidate in (asked, answered, invited):
        chosen = offered_language(survey, candidate)
        if chosen:
            return chosen
    if accept and request:
        best = request.accept_languages.best_match(survey.all_languages)
        if best:
            return best
    return survey.default_language


def use_language(language: str) -> None:
    """Show this request's chrome in `language` (when a catalogue has it)."""
    g.respondent_language = language
    refresh()


def language_links(survey: Survey, current: str, url: str) -> list[dict[str, str | bool]]:
    """The page's language switch: one plain link per language the survey is offered in, each named in its own
    language (`Français`), the current one marked; none when there is one language."""
    if len(survey.all_languages) < 2:
        return []
    separator = "&" if "?" in url else "?"
    return [{"code": code, "name": autonym(code), "href": f"{url}{separator}lang={code}", "current": code == current}
            for code in survey.all_languages]


def autonym(code: str) -> str:
    """A language's name in that language: fr → Français."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:] if name else code


# --- texts written by the question types and the survey model (English), through the catalogues ---------------

_FIXED = frozenset(FIXED_TEXTS)
_POINT = re.compile(r"^(-?\d+) – (.+)$")


def translate_fixed(label: str) -> str:
    """A fixed scale's label ("Strongly agree", "0 – Not at all likely") or a default prompt in the chrome's
    language; any other text (the definition's own, already in the respondent's language) as it is."""
    if label in _FIXED:
        return gettext(label)
    match = _POINT.match(label)
    if match and match.group(2) in _FIXED:
        return f"{match.group(1)} – {gettext(match.group(2))}"
    return label


def N_(message: str) -> str:
    """Marks a catalogue message for `pybabel extract` (keyword N_) where it is translated later, by value."""
    return message


FIXED_MESSAGES = (
    N_("Strongly disagree"), N_("Disagree"), N_("Somewhat disagree"), N_("Neither agree nor disagree"),
    N_("Somewhat agree"), N_("Agree"), N_("Strongly agree"), N_("Very dissatisfied"), N_("Dissatisfied"),
    N_("Neither satisfied nor dissatisfied"), N_("Satisfied"), N_("Very satisfied"), N_("Not at all likely"),
    N_("Extremely likely"), N_("Very poor"), N_("Excellent"), N_("What made you hesitate?"),
)
"""`surveys.questions.FIXED_TEXTS` written out for the catalogues (a test keeps the two the same)."""

ANSWER_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^this question needs an answer$"), N_("this question needs an answer")),
    (re.compile(r"^expected a number$"), N_("expected a number")),
    (re.compile(r"^expected a finite number$"), N_("expected a finite number")),
    (re.compile(r"^expected a whole number$"), N_("expected a whole number")),
    (re.compile(r"^expected text$"), N_("expected text")),
    (re.compile(r"^answer yes or no$"), N_("answer yes or no")),
    (re.compile(r"^must be at least (?P<value>\S+)$"), N_("must be at least %(value)s")),
    (re.compile(r"^must be at most (?P<value>\S+)$"), N_("must be at most %(value)s")),
    (re.compile(r"^choose at least (?P<count>\d+)$"), N_("choose at least %(count)s")),
    (re.compile(r"^choose at most (?P<count>\d+)$"), N_("choose at most %(count)s")),
    (re.compile(r"^answer every row: (?P<rows>.+)$"), N_("answer every row: %(rows)s")),
    (re.compile(r"^the answer is (?P<length>\d+) characters long; the limit is (?P<limit>\d+)$"),
     N_("the answer is %(length)s characters long; the limit is %(limit)s")),
    (re.compile(r"^must be a whole number between (?P<low>\S+) and (?P<high>\S+)$"),
     N_("must be a whole number between %(low)s and %(high)s")),
)
"""The answer errors a respondent can meet on a page (as `surveys.questions` words them), each with its catalogue
message; an error not listed (one only a tampered form can cause) is shown in English."""


def translate_error(message: str) -> str:
    """An answer error's message in the chrome's language."""
    for pattern, msgid in ANSWER_ERRORS:
        match = pattern.match(message)
        if match:
            return gettext(msgid, **match.groupdict())
    return message
