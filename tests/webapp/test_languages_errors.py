"""The date and ranking answer errors and a respondent link's error pages in the respondent's language (issue 13):
French, German and Spanish from the catalogues, rank places written the language's way (1er/2e, 1./2., 1.º/2.º),
and a link error page (unknown, expired, closed) in the language asked for or the browser's. On SQLite and
PostgreSQL."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveys.definition import build_survey
from tests.webapp.support.web import csrf_token
from webapp.respond.languages import LINK_ERROR_TITLES, local_ordinal, translate_error, use_language
from webapp.services import close_survey, create_invitations, publish_survey
from webapp.services.errors import ClosedSurvey, ExpiredLink, HostingError, UnknownLink, UnknownSurvey
from webapp.services.invitations import UnsignedCustomerId
from webapp.services.responding import PublicLinkOff

NBSP = "\u00a0"  # French puts a no-break space before ; and :


def visit(language: str = "en") -> dict[str, object]:
    return {
        "id": "visite", "title": "Votre visite", "default_language": language,
        "sections": [{"id": "p", "title": "La visite", "questions": [
            {"id": "q_when", "type": "date", "text": "Quand ?", "min": "2026-01-01", "max": "2026-06-30",
             "required": True},
            {"id": "q_rank", "type": "ranking", "text": "Classez", "top": 3, "required": True,
             "choices": [{"code": "price", "label": "Le prix"}, {"code": "speed", "label": "La rapidité"},
                         {"code": "staff", "label": "L'accueil"}]},
        ]}],
    }


def text_of(page: str) -> str:
    return html_lib.unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", page)))  # no-break spaces kept


# --- the answer errors, from real answers --------------------------------------------------------------------

def errors_for(answers: dict[str, object]) -> dict[str, str]:
    survey = build_survey(visit())
    _, errors = survey.clean_section(survey.sections[0], answers, {})
    return {key: error.message for key, error in errors.items()}


GAP = {"q_when": "2025-12-31", "q_rank": ["speed", None, "price"]}
TWICE = {"q_when": "2026-07-01", "q_rank": ["speed", "price", "speed"]}
SHORT = {"q_when": "31/03/2026", "q_rank": ["speed"]}
NOT_A_DAY = {"q_when": "2026-02-30", "q_rank": ["speed", "price", "staff"]}


def test_the_english_messages_are_the_ones_the_table_matches() -> None:
    assert errors_for(GAP) == {"q_when": "must be 2026-01-01 or later",
                               "q_rank": "2nd is empty but 3rd is chosen: rank in order, leaving no gap"}
    assert errors_for(TWICE) == {"q_when": "must be 2026-06-30 or earlier",
                                 "q_rank": "La rapidité is chosen at both 1st and 3rd; choose each once"}
    assert errors_for(SHORT) == {"q_when": "enter the date as YYYY-MM-DD, for example 2026-03-31",
                                 "q_rank": "rank 3 choices; still empty: 2nd, 3rd"}
    assert errors_for(NOT_A_DAY)["q_when"] == ("2026-02-30 is not a day of the calendar; enter the date as "
                                               "YYYY-MM-DD, for example 2026-03-31")


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", {
        "gap": f"le 2e rang est vide mais le 3e est rempli{NBSP}: classez dans l'ordre, sans laisser de rang vide",
        "twice": f"La rapidité figure à la fois au 1er et au 3e rang{NBSP}; choisissez chaque option une seule fois",
        "short": f"classez 3 options{NBSP}; rangs encore vides{NBSP}: 2e, 3e",
        "format": "saisissez la date au format AAAA-MM-JJ, par exemple 2026-03-31",
        "day": f"2026-02-30 n'est pas un jour du calendrier{NBSP}; saisissez la date au format AAAA-MM-JJ, par "
               "exemple 2026-03-31",
        "later": "doit être au plus tôt le 2026-01-01", "earlier": "doit être au plus tard le 2026-06-30"}),
    ("de", {
        "gap": "der 2. Platz ist leer, aber der 3. ist belegt: bitte der Reihe nach ordnen, ohne Lücke",
        "twice": "La rapidité ist sowohl auf dem 1. als auch auf dem 3. Platz gewählt; bitte jede Option nur "
                 "einmal wählen",
        "short": "bitte 3 Optionen ordnen; noch leere Plätze: 2., 3.",
        "format": "bitte das Datum als JJJJ-MM-TT eingeben, zum Beispiel 2026-03-31",
        "day": "2026-02-30 ist kein Tag im Kalender; bitte das Datum als JJJJ-MM-TT eingeben, zum Beispiel "
               "2026-03-31",
        "later": "muss am 2026-01-01 oder später sein", "earlier": "muss am 2026-06-30 oder früher sein"}),
    ("es", {
        "gap": "el 2.º puesto está vacío, pero el 3.º está elegido: ordene sin dejar huecos",
        "twice": "La rapidité aparece a la vez en el 1.º y en el 3.º puesto; elija cada opción una sola vez",
        "short": "ordene 3 opciones; puestos aún vacíos: 2.º, 3.º",
        "format": "escriba la fecha como AAAA-MM-DD, por ejemplo 2026-03-31",
        "day": "2026-02-30 no es un día del calendario; escriba la fecha como AAAA-MM-DD, por ejemplo 2026-03-31",
        "later": "debe ser el 2026-01-01 o una fecha posterior", "earlier": "debe ser el 2026-06-30 o una fecha anterior"}),
])
def test_date_and_ranking_errors_are_translated(app: Flask, language: str, expected: dict[str, str]) -> None:
    gap, twice, short, day = errors_for(GAP), errors_for(TWICE), errors_for(SHORT), errors_for(NOT_A_DAY)
    with app.test_request_context("/"):
        use_language(language)
        assert translate_error(gap["q_rank"]) == expected["gap"]
        assert translate_error(twice["q_rank"]) == expected["twice"]
        assert translate_error(short["q_rank"]) == expected["short"]
        assert translate_error(short["q_when"]) == expected["format"]
        assert translate_error(day["q_when"]) == expected["day"]
        assert translate_error(gap["q_when"]) == expected["later"]
        assert translate_error(twice["q_when"]) == expected["earlier"]


def test_today_bounds_and_ordinals(app: Flask) -> None:
    with app.test_request_context("/"):
        use_language("fr")
        assert translate_error("must be today or later") == "doit être au plus tôt aujourd'hui"
        assert translate_error("must be today or earlier") == "doit être au plus tard aujourd'hui"
        assert [local_ordinal(n) for n in (1, 2, 11, 21)] == ["1er", "2e", "11e", "21e"]
        use_language("de")
        assert translate_error("must be today or earlier") == "muss heute oder früher sein"
        assert [local_ordinal(n) for n in (1, 2, 11)] == ["1.", "2.", "11."]
        use_language("es")
        assert [local_ordinal(n) for n in (1, 2, 11)] == ["1.º", "2.º", "11.º"]
        use_language("nl")  # no catalogue: English, places included
        assert translate_error("2nd is empty but 3rd is chosen: rank in order, leaving no gap") == \
            "2nd is empty but 3rd is chosen: rank in order, leaving no gap"
        assert [local_ordinal(n) for n in (1, 2, 3, 11, 22)] == ["1st", "2nd", "3rd", "11th", "22nd"]


def test_a_french_survey_page_shows_the_ranking_and_date_errors_in_french(client: FlaskClient,
                                                                          db: Session) -> None:
    survey = build_survey(visit("fr"))
    publish_survey(db, survey)
    [issued] = create_invitations(db, survey.id, ["C1"], "email")
    url = f"/s/{issued.token}"
    page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fr">' in page
    reply = client.post(url, data={"csrf_token": csrf_token(page), "page": "0", "q_when": "2025-12-31",
                                   "q_rank.1": "speed", "q_rank.2": "price", "q_rank.3": "speed"})
    assert reply.status_code == 400
    words = text_of(reply.get_data(as_text=True))
    assert f"La rapidité figure à la fois au 1er et au 3e rang{NBSP}; choisissez chaque option une seule " \
           "fois" in words
    assert "doit être au plus tôt le 2026-01-01" in words
    assert "is chosen at both" not in words and "or later" not in words


# --- the link error pages ------------------------------------------------------------------------------------

def test_an_unknown_link_is_shown_in_the_browsers_language(client: FlaskClient, db: Session) -> None:
    reply = client.get("/s/no-such-token", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert reply.status_code == 404
    page = reply.get_data(as_text=True)
    assert '<html lang="fr">' in page
    words = text_of(page)
    assert "Lien introuvable" in words
    assert f"ce lien d'enquête n'est pas valide{NBSP}; vérifiez qu'il a été copié en entier" in words
    assert "Aller au contenu principal" in words  # the page's own chrome too
    # ?lang= comes before the browser's language; a language without a catalogue falls to the browser's
    page = client.get("/s/no-such-token?lang=de", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="de">' in page and "Link nicht gefunden" in page
    page = client.get("/s/no-such-token?lang=nl", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="es">' in page and "Enlace no encontrado" in page
    page = client.get("/s/no-such-token", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "this survey link is not valid; check that it was copied whole" in page


def test_expired_and_closed_links_and_unknown_surveys(client: FlaskClient, db: Session) -> None:
    survey = build_survey(visit())
    publish_survey(db, survey)
    [expired] = create_invitations(db, survey.id, ["C1"], "email", expires=timedelta(seconds=-1))
    reply = client.get(f"/s/{expired.token}", headers={"Accept-Language": "es"})
    assert reply.status_code == 410
    words = text_of(reply.get_data(as_text=True))
    assert "Este enlace ha caducado" in words and "este enlace de la encuesta ha caducado" in words

    reply = client.get("/p/nothing_here", headers={"Accept-Language": "de"})
    assert reply.status_code == 404
    words = text_of(reply.get_data(as_text=True))
    assert "Umfrage nicht gefunden" in words and "keine veröffentlichte Umfrage heißt 'nothing_here'" in words

    [issued] = create_invitations(db, survey.id, ["C2"], "email")
    close_survey(db, survey.id)
    reply = client.get(f"/s/{issued.token}?lang=fr", headers={"Accept-Language": "en"})
    assert reply.status_code == 410
    page = reply.get_data(as_text=True)
    assert '<html lang="fr">' in page
    words = text_of(page)
    assert "Cette enquête est close" in words and "cette enquête est close et n'accepte plus de réponses" in words


def test_a_message_not_in_the_catalogues_keeps_its_whole_page_english(client: FlaskClient, db: Session) -> None:
    survey = build_survey(visit())
    publish_survey(db, survey)
    reply = client.get(f"/p/{survey.id}?channel=pigeon!", headers={"Accept-Language": "fr"})
    assert reply.status_code == 400
    page = reply.get_data(as_text=True)
    assert '<html lang="en">' in page and "Something is wrong with this request" in page
    assert "channel &#39;pigeon!&#39; must be a short name of letters, digits, - or _" in page
    assert "Skip to main content" in page


def test_every_link_error_title_is_a_catalogue_message() -> None:
    titles = {kind.title for kind in (HostingError, UnknownSurvey, UnknownLink, ClosedSurvey, ExpiredLink,
                                      PublicLinkOff, UnsignedCustomerId)}
    assert titles == set(LINK_ERROR_TITLES)
