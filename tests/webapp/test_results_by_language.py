"""Results and exports split by the language a response was answered in (issue 13): the results page offers a
language filter when the survey has several languages, and its counts and scores are then those of that
language's responses (worked out by hand from `PLAN`); exports keep the language column and can be filtered.
On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveys.definition import build_survey
from tests.webapp.support.results import add_staff, data_count, sign_in, signed_in
from webapp.results.summary import UnknownLanguage, build_survey_results
from webapp.services import create_invitations, export, publish_survey
from webapp.services.responding import answer_page, start_personal
from webapp.storage.engine import open_session

SLUG = "two_tongues"
DEFINITION: dict[str, Any] = {
    "id": SLUG, "title": "Two tongues", "default_language": "en", "languages": ["en", "fr"],
    "sections": [{"id": "main", "title": {"en": "About us", "fr": "À propos"}, "questions": [
        {"id": "q_csat", "type": "csat", "required": True,
         "text": {"en": "How satisfied are you?", "fr": "Êtes-vous satisfait ?"}}]},
        {"id": "more", "title": {"en": "More", "fr": "Plus"}, "questions": [
            {"id": "q_why", "type": "text", "text": {"en": "Why?", "fr": "Pourquoi ?"}}]}]}
# (customer, language answered in, CSAT, submitted?): French complete 5, 4, 4 → mean 13/3; English complete
# 2, 3 → mean 2.5; one French respondent answered the first page only (partial).
PLAN = [("C1", "fr", 5, True), ("C2", "en", 2, True), ("C3", "fr", 4, True), ("C4", "en", 3, True),
        ("C5", "fr", 4, True), ("C6", "fr", None, False)]


def seed(session: Session) -> None:
    publish_survey(session, build_survey(DEFINITION))
    for customer, language, csat, submitted in PLAN:
        [link] = create_invitations(session, SLUG, [customer], "email")
        response = start_personal(session, link.token)
        assert answer_page(session, response.id, 0, {"q_csat": str(csat or 3)}, language=language).kind == "saved"
        if submitted:  # else stopped after the first page: partial, in its language
            assert answer_page(session, response.id, 1, {}, language=language).kind == "complete"


def _mean_csat(results: Any) -> float:
    [metric] = [m for m in results.scorecard.overall if m.name.endswith(":mean") and m.kind == "csat"]
    return float(metric.estimate)


def test_the_scores_and_counts_of_one_language(db: Session) -> None:
    seed(db)
    every = build_survey_results(db, SLUG)
    assert (every.complete, every.partial, every.languages, every.language) == (5, 1, ("en", "fr"), None)
    assert _mean_csat(every) == pytest.approx((5 + 2 + 4 + 3 + 4) / 5)
    french = build_survey_results(db, SLUG, language="fr")
    assert (french.complete, french.partial, french.language) == (3, 1, "fr")
    assert _mean_csat(french) == pytest.approx(13 / 3)
    english = build_survey_results(db, SLUG, language="en")
    assert (english.complete, english.partial) == (2, 0)
    assert _mean_csat(english) == pytest.approx(2.5)
    with pytest.raises(UnknownLanguage, match="'de' is not one of the survey's languages \\(en, fr\\)"):
        build_survey_results(db, SLUG, language="de")


def test_the_export_has_the_language_column_and_keeps_one_language(db: Session) -> None:
    seed(db)
    rows = list(export.iter_response_rows(db, SLUG))
    assert [(r["customer_id"], r["language"]) for r in rows if r["status"] == "complete"] == [
        (customer, language) for customer, language, _, submitted in PLAN if submitted]
    french = list(export.iter_response_rows(db, SLUG, language="fr", status="complete"))
    assert [(r["customer_id"], r["q_csat"]) for r in french] == [("C1", 5), ("C3", 4), ("C5", 4)]


@pytest.fixture
def analyst(app: Flask, db_url: str, db: Session) -> FlaskClient:
    add_staff(db_url)
    with open_session(db_url) as session:
        seed(session)
    return signed_in(app)


def test_the_results_page_filters_by_language(analyst: FlaskClient) -> None:
    page = analyst.get(f"/results/{SLUG}").get_data(as_text=True)
    assert '<label for="results-language">' in page and '<option value="fr">French (fr)</option>' in page
    assert (data_count(page, "complete"), data_count(page, "partial")) == ("5", "1")
    french = analyst.get(f"/results/{SLUG}?language=fr").get_data(as_text=True)
    assert (data_count(french, "complete"), data_count(french, "partial")) == ("3", "1")
    assert '<option value="fr" selected>French (fr)</option>' in french
    refused = analyst.get(f"/results/{SLUG}?language=xx")
    assert refused.status_code == 400 and "not one of the survey&#39;s languages" in refused.get_data(as_text=True)

    download = analyst.get(f"/results/{SLUG}/responses.csv?language=en")
    assert download.status_code == 200
    assert "two_tongues-responses-en.csv" in download.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert [(r["customer_id"], r["language"], r["q_csat"]) for r in rows] == [("C2", "en", "2"), ("C4", "en", "3")]
    assert analyst.get(f"/results/{SLUG}/responses.parquet?language=de").status_code == 400


def test_a_survey_in_one_language_has_no_filter(app: Flask, db_url: str) -> None:
    add_staff(db_url)
    with open_session(db_url) as session:
        publish_survey(session, build_survey({k: v for k, v in DEFINITION.items() if k != "languages"} | {
            "sections": [{"id": "main", "title": "About us", "questions": [
                {"id": "q_csat", "type": "csat", "text": "How satisfied are you?"}]}]}))
    client = app.test_client()
    sign_in(client, "analyst@example.com")
    page = client.get(f"/results/{SLUG}").get_data(as_text=True)
    assert "results-language" not in page and "export-language" not in page
