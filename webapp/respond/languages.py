"""The respondent's language: which one a page is shown in, the page chrome's catalogues, and the texts the
question types write themselves.

A survey is offered in its `languages` (`surveys.texts`). A page is shown in the first of: the language asked for
on the page (`?lang=`, the language links, or the form's hidden `lang` field), the language the response was last
answered in, the personal link's customer language (the customer list's `language` column), the browser's
Accept-Language, the survey's default language. The page chrome (buttons, progress, errors, thank-you, hidden
accessibility texts) comes from the Flask-Babel catalogues in `translations/` (English, French, German, Spanish;
another language shows English chrome around the survey's own texts). The answer errors the question types word
(`ANSWER_ERRORS`) and a respondent link's error pages (`LINK_ERRORS`, in the language asked for or the browser's)
are matched to catalogue messages too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from flask import Flask, g, request
from flask_babel import Babel, get_locale, get_translations, refresh

from surveys.model import Survey
from surveys.questions import FIXED_TEXTS
from surveys.questions.ranking import ordinal
from surveys.texts import offered_language

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"
CHROME_LANGUAGES = ("en", "fr", "de", "es")
"""The languages the page chrome is translated into (a catalogue each in `translations/`)."""

babel = Babel()


def init_languages(app: Flask) -> None:
    """Flask-Babel for `app`: catalogues from `translations/`, the locale chosen by `chrome_locale`."""
    babel.init_app(app, default_locale="en", default_translation_directories=str(TRANSLATIONS),
                   locale_selector=chrome_locale)
    app.jinja_env.install_gettext_callables(  # the templates' _() through the catalogue found once per locale
        gettext=chrome_gettext, ngettext=lambda s, p, n: get_translations().ungettext(s, p, n), newstyle=True,
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: get_translations().unpgettext(c, s, p, n))


_CATALOGUES: dict[Locale | None, Any] = {}


def chrome_gettext(message: str, **variables: Any) -> str:
    """`flask_babel.gettext`, with each locale's catalogue looked up once per process: Flask-Babel finds the
    request's context three times on every call, which made a page's few dozen chrome texts a measurable share of
    the respondent's request (benchmarks/profile_respondent.py). Follows `force_locale` and `use_language`."""
    locale = get_locale()
    catalogue = _CATALOGUES.get(locale)
    if catalogue is None:
        catalogue = _CATALOGUES[locale] = get_translations()
    text: str = catalogue.ugettext(message)
    return text % variables if variables else text


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
        return chrome_gettext(label)
    match = _POINT.match(label)
    if match and match.group(2) in _FIXED:
        return f"{match.group(1)} – {chrome_gettext(match.group(2))}"
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

_PLACE = r"\d+(?:st|nd|rd|th)"
"""A rank position as `surveys.questions.ranking.ordinal` writes it (1st, 2nd, 3rd, 11th)."""
_DAY = r"\d{4}-\d{2}-\d{2}"

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
    # date (surveys/questions/dates.py): a browser without a date box sends what was typed
    (re.compile(r"^enter the date as YYYY-MM-DD, for example 2026-03-31$"),
     N_("enter the date as YYYY-MM-DD, for example 2026-03-31")),
    (re.compile(rf"^(?P<value>{_DAY}) is not a day of the calendar; enter the date as YYYY-MM-DD, for example "
                r"2026-03-31$"),
     N_("%(value)s is not a day of the calendar; enter the date as YYYY-MM-DD, for example 2026-03-31")),
    (re.compile(r"^must be today or later$"), N_("must be today or later")),
    (re.compile(r"^must be today or earlier$"), N_("must be today or earlier")),
    (re.compile(rf"^must be (?P<day>{_DAY}) or later$"), N_("must be %(day)s or later")),
    (re.compile(rf"^must be (?P<day>{_DAY}) or earlier$"), N_("must be %(day)s or earlier")),
    # ranking (surveys/questions/ranking.py): the places are written again in the chrome's language
    (re.compile(rf"^(?P<place>{_PLACE}) is empty but (?P<later_place>{_PLACE}) is chosen: rank in order, "
                r"leaving no gap$"),
     N_("%(place)s is empty but %(later_place)s is chosen: rank in order, leaving no gap")),
    (re.compile(rf"^(?P<choice>.+) is chosen at both (?P<first_place>{_PLACE}) and (?P<place>{_PLACE}); "
                r"choose each once$"),
     N_("%(choice)s is chosen at both %(first_place)s and %(place)s; choose each once")),
    (re.compile(rf"^rank (?P<count>\d+) choices; still empty: (?P<empty_places>{_PLACE}(?:, {_PLACE})*)$"),
     N_("rank %(count)s choices; still empty: %(empty_places)s")),
)
"""The answer errors a respondent can meet on a page (as `surveys.questions` words them), each with its catalogue
message; an error not listed (one only a tampered form can cause) is shown in English. A group named `…place` or
`…places` holds rank positions (`1st`, `2nd, 3rd`), rewritten by `local_ordinal`."""

_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th)")
_ORDINALS = {
    "fr": lambda number: "1er" if number == 1 else f"{number}e",
    "de": lambda number: f"{number}.",
    "es": lambda number: f"{number}.º",
}


def local_ordinal(number: int) -> str:
    """A rank position as the chrome's language writes it: 1st, 2nd (English), 1er, 2e (French), 1., 2. (German),
    1.º, 2.º (Spanish; the masculine, as the messages say "puesto")."""
    write = _ORDINALS.get(str(get_locale() or "en").split("_")[0])
    return write(number) if write else ordinal(number)


def translate_error(message: str) -> str:
    """An answer error's message in the chrome's language."""
    for pattern, msgid in ANSWER_ERRORS:
        match = pattern.match(message)
        if match:
            values = {name: _ORDINAL.sub(lambda place: local_ordinal(int(place.group(1))), value)
                      if name.endswith(("place", "places")) else value
                      for name, value in match.groupdict().items()}
            return chrome_gettext(msgid, **values)
    return message


# --- the error pages of a respondent link (webapp.services' HostingError), through the catalogues --------------

LINK_ERROR_TITLES = frozenset((
    N_("Something is wrong with this request"), N_("Survey not found"), N_("Link not found"),
    N_("This survey is closed"), N_("This link has expired"), N_("This link is not in use"),
    N_("This link cannot be used"),
))
"""The titles of the `HostingError` classes a respondent link can raise (a test keeps them the same)."""

_QUOTED = r"'[^']{1,80}'"
LINK_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^this survey link is not valid; check that it was copied whole$"),
     N_("this survey link is not valid; check that it was copied whole")),
    (re.compile(r"^this survey link has expired$"), N_("this survey link has expired")),
    (re.compile(r"^this survey is closed and takes no more answers$"),
     N_("this survey is closed and takes no more answers")),
    (re.compile(rf"^the survey (?P<name>{_QUOTED}) is closed and takes no more answers$"),
     N_("the survey %(name)s is closed and takes no more answers")),
    (re.compile(rf"^no published survey is called (?P<name>{_QUOTED})$"),
     N_("no published survey is called %(name)s")),
    (re.compile(rf"^the survey (?P<name>{_QUOTED}) has no published version$"),
     N_("the survey %(name)s has no published version")),
    (re.compile(r"^this response no longer exists$"), N_("this response no longer exists")),
    (re.compile(r"^this survey does not take answers through its public link; if you were sent a personal link, "
                r"use that one$"),
     N_("this survey does not take answers through its public link; if you were sent a personal link, use that "
        "one")),
    (re.compile(r"^this link's customer id is not signed or has expired; use the link you were sent$"),
     N_("this link's customer id is not signed or has expired; use the link you were sent")),
    (re.compile(rf"^this link needs a customer id in its (?P<name>{_QUOTED}) parameter$"),
     N_("this link needs a customer id in its %(name)s parameter")),
    (re.compile(r"^your session has ended \(cookies may be blocked\); open the survey link again$"),
     N_("your session has ended (cookies may be blocked); open the survey link again")),
    (re.compile(r"^page (?P<page>\d+) cannot be answered yet; go back to page (?P<current>\d+)$"),
     N_("page %(page)s cannot be answered yet; go back to page %(current)s")),
)
"""The messages of a respondent link's error pages (as `webapp.services` words them: an unknown, expired or used
up link, a closed survey …), each with its catalogue message; a page whose message is not listed is all English."""


def link_error_language() -> str:
    """The language of a respondent link's error page: the page's own (set by `use_language` before the error),
    else the one asked for (`?lang=` or the form's `lang`), else the browser's best among the catalogues, else
    English — as the survey pages choose it, without the survey (the link may name none)."""
    chosen = g.get("respondent_language")
    asked = request.args.get("lang") or (request.form.get("lang") if request.method == "POST" else None)
    for candidate in (chosen, asked):
        primary = (candidate or "").split("-")[0].lower()
        if primary in CHROME_LANGUAGES:
            return primary
    return request.accept_languages.best_match(CHROME_LANGUAGES) or "en"


def translate_link_error(title: str, message: str) -> tuple[str, str] | None:
    """A link error page's title and message in the chrome's language; None when the message is not one of
    `LINK_ERRORS` (the page is then shown all in English)."""
    for pattern, msgid in LINK_ERRORS:
        match = pattern.match(message)
        if match:
            shown_title = chrome_gettext(title) if title in LINK_ERROR_TITLES else title
            return shown_title, chrome_gettext(msgid, **match.groupdict())
    return None
