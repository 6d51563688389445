"""Respondent pages in several languages (issue 13): the chrome catalogues are complete, the language is chosen
link → ?lang= → Accept-Language and can be switched on the page, the response records it, and earlier answers and
customer fields are piped into the texts, escaped. On SQLite and PostgreSQL."""

from __future__ import annotations

import html as html_lib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveys.definition import build_survey, parse_survey_text
from surveys.questions import FIXED_TEXTS
from surveys.texts import LocalText, localised
from tests.webapp.support.web import ROOT, csrf_token
from webapp.respond.languages import (
    ANSWER_ERRORS,
    CHROME_LANGUAGES,
    FIXED_MESSAGES,
    choose_language,
    translate_error,
    translate_fixed,
    use_language,
)
from webapp.services import create_invitations, publish_survey
from webapp.services.customer_lists import read_customer_list
from webapp.storage.engine import create_engine_for

BILINGUAL = ROOT / "examples" / "bilingual.yaml"
TRANSLATIONS = ROOT / "translations"


def bilingual():  # type: ignore[no-untyped-def]
    return parse_survey_text(BILINGUAL.read_text(encoding="utf-8"))


# --- the catalogues ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every chrome message as pybabel extracts it from the respondent pages' code and templates now."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
                    "-o", str(pot), "--no-location", "--omit-header", str(ROOT)],
                   check=True, capture_output=True, cwd=ROOT)
    with pot.open("rb") as handle:
        return {str(message.id): "" for message in read_po(handle) if message.id}


def test_extraction_finds_the_pages_chrome(extracted: dict[str, str]) -> None:
    for message in ("Next", "Submit", "Page %(number)s of %(pages)s", "There is a problem", "Skip to main content",
                    "(optional)", "Thank you", "Language", "this question needs an answer", "Strongly agree"):
        assert message in extracted
    assert len(extracted) >= 49


@pytest.mark.parametrize("language", CHROME_LANGUAGES)
def test_no_chrome_message_is_missing_from_a_catalogue(extracted: dict[str, str], language: str) -> None:
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as handle:
        catalogue = {str(m.id): m for m in read_po(handle) if m.id}
    missing = [msgid for msgid in extracted if msgid not in catalogue or not catalogue[msgid].string]
    assert missing == [], f"{language}: no translation for {missing}"
    assert [m for m in catalogue.values() if m.fuzzy] == []
    for msgid, message in catalogue.items():  # a translation keeps every placeholder of its message
        assert sorted(re.findall(r"%\(\w+\)s", str(message.string))) == sorted(re.findall(r"%\(\w+\)s", msgid))
        if language == "en":
            assert message.string == msgid
    # the compiled catalogue the app loads is the one written in the .po file
    with (folder / "messages.mo").open("rb") as handle:
        compiled = {str(m.id): str(m.string) for m in read_mo(handle) if m.id}
    assert compiled == {msgid: str(m.string) for msgid, m in catalogue.items()}


def test_the_fixed_texts_of_the_question_types_are_catalogue_messages() -> None:
    assert sorted(FIXED_MESSAGES) == sorted(FIXED_TEXTS)


# --- chrome helpers ------------------------------------------------------------------------------------------

def test_fixed_labels_and_answer_errors_are_translated(app: Flask) -> None:
    survey = build_survey({"id": "s", "title": "S", "sections": [{"id": "a", "title": "A", "questions": [
        {"id": "q_n", "type": "number", "text": "How many?", "min": 3},
        {"id": "q_m", "type": "multi_choice", "text": "Which?", "min_selected": 2,
         "choices": [{"code": "x", "label": "X"}, {"code": "y", "label": "Y"}]},
        {"id": "q_t", "type": "text", "text": "Why?", "max_length": 5, "required": True}]}]})
    _, errors = survey.clean_section(survey.sections[0], {"q_n": "1", "q_m": ["x"], "q_t": "toolong"}, {})
    messages = {key: error.message for key, error in errors.items()}
    assert messages == {"q_n": "must be at least 3", "q_m": "choose at least 2",
                        "q_t": "the answer is 7 characters long; the limit is 5"}
    _, missing = survey.clean_section(survey.sections[0], {}, {})
    with app.test_request_context("/"):
        use_language("fr")
        assert translate_error(messages["q_n"]) == "doit être au moins 3"
        assert translate_error(messages["q_m"]) == "choisissez-en au moins 2"
        assert translate_error(messages["q_t"]) == "la réponse compte 7 caractères\u00a0; la limite est de 5"
        assert translate_error(missing["q_t"].message) == "cette question demande une réponse"
        assert translate_error("something only a tampered form causes") == "something only a tampered form causes"
        assert translate_fixed("Strongly agree") == "Tout à fait d'accord"
        assert translate_fixed("0 – Not at all likely") == "0 – Pas du tout probable"
        assert translate_fixed("Our own label") == "Our own label"
        use_language("de")
        assert translate_fixed("Very poor") == "Sehr schlecht"
        use_language("nl")  # a survey language without a chrome catalogue: English chrome
        assert translate_fixed("Very poor") == "Very poor"
    assert all(pattern.pattern.startswith("^") for pattern, _ in ANSWER_ERRORS)


def test_the_language_is_the_one_asked_then_answered_then_invited_then_the_browsers(app: Flask) -> None:
    survey = bilingual()
    with app.test_request_context("/", headers={"Accept-Language": "de-DE,fr;q=0.8,en;q=0.5"}):
        assert choose_language(survey) == "fr"  # German is not offered; French comes before English
        assert choose_language(survey, invited="en") == "en"
        assert choose_language(survey, invited="fr-CA") == "fr"  # the primary tag is offered
        assert choose_language(survey, answered="en", invited="fr") == "en"
        assert choose_language(survey, asked="fr", answered="en", invited="en") == "fr"
        assert choose_language(survey, asked="xx", answered="en") == "en"  # not offered: ignored
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert choose_language(survey) == "en"  # the default language


# --- pages -----------------------------------------------------------------------------------------------------

def stored(db_url: str, column: str) -> list[object]:
    engine = create_engine_for(db_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(f"select {column} from responses order by id")).scalars())
    finally:
        engine.dispose()


def text_of(page: str) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_a_personal_link_opens_in_the_customers_language_and_the_response_records_it(
        client: FlaskClient, db: Session, db_url: str) -> None:
    survey = bilingual()
    publish_survey(db, survey)
    customers = read_customer_list("customer_id,language,name\nC1,fr-FR,Zoé <b>\n".encode())
    [issued] = create_invitations(db, survey.id, customers.rows, "email")
    url = f"/s/{issued.token}"
    page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fr">' in page
    words = text_of(page)
    assert "Comment nous en sortons-nous ?" in words and "Nos promesses" in words
    assert "Page 1 sur 2" in words and "Suivant" in words and "Aller au contenu principal" in words
    assert "Nous vous simplifions la vie" in words and "Tout à fait d'accord" in words
    assert "Professionnelle" in words and "Comme indiqué sur votre facture." in words
    assert '<nav class="languages" aria-label="Langue">' in page
    assert f'href="{url}?page=0&amp;lang=en" lang="en" hreflang="en">English</a>' in page
    assert 'aria-current="true">Français</a>' in page
    assert '<input type="hidden" name="lang" value="fr">' in page

    # a page with errors: the messages and the row names in French
    token = csrf_token(page)
    reply = client.post(url, data={"csrf_token": token, "page": "0", "lang": "fr", "q_align.easy": "4"})
    assert reply.status_code == 400
    words = text_of(reply.get_data(as_text=True))
    assert "Il y a un problème" in words and "Erreur :" in words
    assert "répondez pour chaque ligne : Nous vous traitons en partenaire" in words
    assert "cette question demande une réponse" in words

    reply = client.post(url, data={"csrf_token": token, "page": "0", "lang": "fr", "q_align.easy": "4",
                                   "q_align.partner": "5", "q_plan": "pro", "q_channels": ["phone"]})
    assert reply.status_code == 303
    assert stored(db_url, "language") == ["fr"]
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    words = text_of(page)
    assert "Votre offre Professionnelle" in words  # the earlier answer piped in, by its French label
    assert "Téléphone" in words and "Commande" in words and "Qu'est-ce qui vous a fait hésiter ?" in words
    assert "E-mail" not in words  # the channel grid asks about the channels used only
    reply = client.post(url, data={"csrf_token": token, "page": "1", "lang": "fr", "q_nps": "9"})
    assert reply.status_code == 303
    thanks = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "Merci, Zoé &lt;b&gt; : chaque réponse est lue par une personne." in thanks  # escaped
    assert "<b>" not in thanks
    assert "Vos réponses ont bien été reçues." in text_of(thanks)
    assert stored(db_url, "language") == ["fr"] and stored(db_url, "status") == ["complete"]


def test_the_language_can_be_switched_on_the_page(client: FlaskClient, db: Session, db_url: str) -> None:
    survey = bilingual()
    publish_survey(db, survey)
    [issued] = create_invitations(db, survey.id, ["C2"], "email")  # no language in the customer list
    url = f"/s/{issued.token}"
    page = client.get(url, headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert '<html lang="fr">' in page  # the browser's language
    page = client.get(f"{url}?page=0&lang=en", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "What we promised" in page and "Page 1 of 2" in page
    reply = client.post(url, data={"csrf_token": csrf_token(page), "page": "0", "lang": "en", "q_align.easy": "4",
                                   "q_align.partner": "5", "q_plan": "basic"}, headers={"Accept-Language": "fr"})
    assert reply.status_code == 303
    assert stored(db_url, "language") == ["en"]
    # the next page follows the recorded language, not the browser's
    page = client.get(reply.headers["Location"], headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Your Basic plan" in page


def test_a_public_link_follows_the_browser_and_keeps_its_query_when_switching(
        client: FlaskClient, db: Session, db_url: str) -> None:
    survey = bilingual()
    publish_survey(db, survey)
    page = client.get("/p/acme_bilingual?channel=email", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="fr">' in page and "Nos promesses" in page
    assert 'href="/p/acme_bilingual?page=0&amp;lang=en"' in page
    page = client.get("/p/acme_bilingual?page=0&lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page
    reply = client.post("/p/acme_bilingual", data={"csrf_token": csrf_token(page), "page": "0", "lang": "en",
                                                   "q_align.easy": "4", "q_align.partner": "5", "q_plan": "basic"})
    assert reply.status_code == 303
    assert stored(db_url, "language") == ["en"]
    assert stored(db_url, "channel") == ["email"]  # switching language kept the link's channel


def test_a_survey_in_one_language_shows_english_chrome_and_no_switch(client: FlaskClient, db: Session) -> None:
    survey = build_survey({"id": "mono", "title": "Hoe gaat het?", "default_language": "nl", "sections": [
        {"id": "a", "title": "Vragen", "questions": [{"id": "q", "type": "csat", "text": "Tevreden?"}]}]})
    publish_survey(db, survey)
    [issued] = create_invitations(db, survey.id, ["C3"], None)
    page = client.get(f"/s/{issued.token}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="nl">' in page and "Submit" in page and "Very satisfied" in page
    assert 'class="languages"' not in page


def test_localised_views_share_ids_with_the_definition() -> None:
    survey = bilingual()
    french = localised(survey, "fr")
    assert [q.id for q in french.questions()] == [q.id for q in survey.questions()]
    assert french.columns() == survey.columns()
    assert isinstance(french.title, LocalText) and french.title.texts == survey.title.texts  # type: ignore[attr-defined]


def test_examples_bilingual_is_valid() -> None:
    assert Path(BILINGUAL).exists()
    assert bilingual().all_languages == ["en", "fr"]


# --- the authoring editor edits the default language and keeps the others -------------------------------------

def test_editing_a_bilingual_draft_keeps_its_translations() -> None:
    from surveys.definition import to_data
    from webapp.author import edits

    data = to_data(bilingual())
    stored = data["sections"][0]["questions"][1]
    assert edits.shown_text(stored["text"], data) == "Which plan do you have?"  # what the form shows
    edited = edits.update_question(data, "q_plan", {"text": "Which plan are you on?", "help": "As shown on your invoice.",
                                                    "required": True}, edits.settings_yaml(stored))
    edited = edits.update_section(edited, "promises", "What we promise", "")
    edited = edits.set_rows(edited, {"touchpoints": "ordering: Placing an order\nbilling: Billing"})
    edited = edits.update_settings(edited, {"title": "How are we doing?", "language": "en"})
    survey = build_survey(edited)
    plan = survey.question("q_plan")
    assert plan.text.texts == {"en": "Which plan are you on?", "fr": "Quelle offre avez-vous ?"}  # type: ignore[attr-defined]
    assert plan.help.texts == {"en": "As shown on your invoice.", "fr": "Comme indiqué sur votre facture."}  # type: ignore[union-attr]
    assert plan.options() == [("basic", "Basic"), ("pro", "Professional")]
    assert localised(survey, "fr").question("q_plan").options() == [("basic", "Essentielle"),
                                                                     ("pro", "Professionnelle")]
    assert survey.sections[0].title.texts == {"en": "What we promise", "fr": "Nos promesses"}  # type: ignore[attr-defined]
    assert survey.touchpoints[0].label.texts == {"en": "Placing an order", "fr": "Commande"}  # type: ignore[attr-defined]
    assert survey.title.texts["fr"] == "Comment nous en sortons-nous ?"  # type: ignore[attr-defined]
    assert edits.row_lines(edited["touchpoints"], edited) == "ordering: Placing an order\nbilling: Billing"
    # the settings form's language is the default language, written under the draft's own name for it
    assert build_survey(edits.update_settings(edited, {"language": "fr"})).default_language == "fr"


def test_error_pages_follow_the_browser(client: FlaskClient) -> None:
    page = client.get("/no/such/page", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert '<html lang="fr">' in html and "Page introuvable" in html and "Aller au contenu principal" in html
    german = client.get("/no/such/page", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Seite nicht gefunden" in german
    # a link's error worded by the services follows the browser too when the catalogues have it
    # (more in test_languages_errors.py, with the English page of a message they do not have)
    unknown = client.get("/s/not-a-token", headers={"Accept-Language": "fr"})
    html = unknown.get_data(as_text=True)
    assert unknown.status_code == 404 and '<html lang="fr">' in html and "Aller au contenu principal" in html
    assert "Lien introuvable" in html and "ce lien d&#39;enquête n&#39;est pas valide" in html


def test_imported_responses_keep_the_exports_language_column(db: Session, db_url: str) -> None:
    import pandas as pd

    from webapp.services.importing import import_responses

    survey = bilingual()
    publish_survey(db, survey)
    rows = pd.DataFrame([{"response_id": "r1", "language": "fr", "q_plan": "pro", "q_nps": 9},
                         {"response_id": "r2", "language": "", "q_plan": "basic"}])
    assert import_responses(db, survey.id, rows) == 2
    assert stored(db_url, "language") == ["fr", None]
    bad = pd.DataFrame([{"response_id": "r3", "language": "de", "q_plan": "pro"}])
    with pytest.raises(Exception, match=r"row 2, column 'language': 'de' is not one of the survey's languages "
                                        r"\(en, fr\)"):
        import_responses(db, survey.id, bad)


def test_links_made_on_the_links_page_keep_the_lists_language_and_name(app: Flask, db: Session, db_url: str) -> None:
    from tests.webapp.support.author import page_token, signed_in

    survey = bilingual()
    publish_survey(db, survey)
    author = signed_in(app, db_url, "author")
    token = page_token(author, f"/author/{survey.id}/links")
    upload = (io.BytesIO("customer_id,language,name\nC7,fr,Zoé\nC8,,\n".encode()), "customers.csv")
    preview = author.post(f"/author/{survey.id}/links/preview", content_type="multipart/form-data",
                          data={"csrf_token": token, "channel": "email", "customers": upload})
    assert preview.status_code == 200, text_of(preview.get_data(as_text=True))[:600]
    hidden = re.search(r'name="customer_ids"[^>]*value="([^"]*)"', preview.get_data(as_text=True))
    assert hidden is not None
    created = author.post(f"/author/{survey.id}/links/create", data={
        "csrf_token": token, "customer_ids": html_lib.unescape(hidden.group(1)), "channel": "email"})
    assert created.status_code == 200, text_of(created.get_data(as_text=True))[:600]
    engine = create_engine_for(db_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("select customer_id, language, customer_name from invitations "
                                              "order by customer_id")).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [("C7", "fr", "Zoé"), ("C8", None, None)]
    # a forged confirmation with a language that is no language code is refused, nothing stored
    forged = author.post(f"/author/{survey.id}/links/create", data={
        "csrf_token": token, "customer_ids": '[["C9", "not a language!", null]]', "channel": "email"})
    assert forged.status_code == 400 and "is not a language code" in html_lib.unescape(forged.get_data(as_text=True))
