"""A blank question's HTML is kept for the next respondent (`webapp.respond.rendering`): what is kept must never
show one respondent what belongs to another, or to another language. Each test reads the pages of two
respondents in turn, so the second one meets whatever the first left kept."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveys.definition import build_survey
from surveys.model import Survey
from tests.webapp.support.web import csrf_token
from webapp.respond import rendering
from webapp.services import create_invitations, publish_survey


@pytest.fixture(autouse=True)
def _nothing_kept() -> Iterator[None]:
    """Each test counts what it keeps from an empty store (another test's pages may have filled it)."""
    rendering._BLANK.clear()
    yield


STORES = ["north", "south", "east", "west", "harbour", "airport", "station", "market"]


def visit_survey(*, piped: bool = False) -> Survey:
    """Two pages; with `piped`, page 2's open question pipes the store answered on page 1 (nothing is kept for a
    piped survey)."""
    why = {"en": "Why {{ q_store }}?", "fr": "Pourquoi {{ q_store }} ?"} if piped else {"en": "Why?", "fr": "Pourquoi ?"}
    return build_survey({
        "id": "kept_visit", "title": {"en": "Your visit", "fr": "Votre visite"}, "languages": ["en", "fr"],
        "brand_promises": [{"id": "easy", "label": {"en": "We make things easy", "fr": "Tout est simple"}}],
        "sections": [
            {"id": "visit", "title": {"en": "The visit", "fr": "La visite"}, "questions": [
                {"id": "q_staff", "type": "rating", "text": {"en": "How helpful were the staff?",
                                                             "fr": "Le personnel vous a-t-il aidé ?"}},
                {"id": "q_store", "type": "single_choice", "required": True, "randomize": True,
                 "text": {"en": "Which store?", "fr": "Quel magasin ?"},
                 "choices": [{"code": code, "label": {"en": code.title(), "fr": code.upper()}} for code in STORES]},
            ]},
            {"id": "more", "title": {"en": "More", "fr": "Encore"}, "questions": [
                {"id": "q_align", "type": "alignment", "text": {"en": "How well did we keep this?",
                                                                "fr": "Avons-nous tenu parole ?"}},
                {"id": "q_why", "type": "text", "text": why},
            ]},
        ],
    })


def _links(db: Session, survey: Survey, count: int) -> list[str]:
    publish_survey(db, survey)
    customers = [f"C{number}" for number in range(1, count + 1)]
    return [f"/s/{issued.token}" for issued in create_invitations(db, survey.id, customers, "email")]


def _checked(html: str) -> list[str]:
    """The name=value of every checked input of the page."""
    return [f"{m.group(1)}={m.group(2)}" for m in re.finditer(
        r'<input [^>]*checked [^>]*name="([^"]+)" type="(?:radio|checkbox)" value="([^"]*)"', html)]


def _store_order(html: str) -> list[str]:
    return re.findall(r'name="q_store" type="radio" value="([^"]*)"', html)


def test_an_answered_question_is_never_shown_blank_and_a_blank_one_never_shows_an_answer(
        client: FlaskClient, db: Session) -> None:
    first, second = _links(db, visit_survey(), 2)
    blank = client.get(first).get_data(as_text=True)  # the first respondent's blank page: kept
    assert _checked(blank) == []
    assert len(rendering._BLANK) == 1  # q_staff kept; q_store is shuffled per respondent
    token = csrf_token(blank)
    sent = client.post(second, data={"csrf_token": token, "page": "0", "q_staff": "4", "q_store": "east"})
    assert sent.status_code == 303
    again = client.get(f"{second}?page=0").get_data(as_text=True)  # the second respondent goes back to page 1
    assert sorted(_checked(again)) == ["q_staff=4", "q_store=east"]
    assert _checked(client.get(first).get_data(as_text=True)) == []  # and the first still sees it empty


def test_a_question_shown_again_with_its_error_is_not_the_kept_blank_one(client: FlaskClient, db: Session) -> None:
    first, second = _links(db, visit_survey(), 2)
    token = csrf_token(client.get(first).get_data(as_text=True))
    refused = client.post(second, data={"csrf_token": token, "page": "0", "q_staff": "2"})  # q_store is required
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert 'id="q_store-error"' in html and "q_staff=2" in _checked(html)
    assert 'id="q_store-error"' not in client.get(first).get_data(as_text=True)


def test_shuffled_choices_follow_each_respondent(client: FlaskClient, db: Session) -> None:
    links = _links(db, visit_survey(), 6)
    orders = [_store_order(client.get(link).get_data(as_text=True)) for link in links]
    # Each in the order its own seed gives (plain.for_respondent: random.Random(f"{seed}/{id}"), every choice
    # loose), read back from the page it was shown on.
    for link, order in zip(links, orders, strict=True):
        assert sorted(order) == sorted(STORES)
        again = _store_order(client.get(link).get_data(as_text=True))
        assert again == order  # the same respondent: the same order
    assert len({tuple(order) for order in orders}) > 1  # 6 respondents, 8! orders: not all one kept order
    seeded = list(STORES)
    random.Random("invitation-1/q_store").shuffle(seeded)
    assert orders[0] == seeded


def test_each_language_keeps_its_own(client: FlaskClient, db: Session) -> None:
    first, second, third = _links(db, visit_survey(), 3)
    english = client.get(first).get_data(as_text=True)
    french = client.get(f"{second}?lang=fr").get_data(as_text=True)
    assert len(rendering._BLANK) == 2  # q_staff in each language
    assert "How helpful were the staff?" in english and "(optional)" in english
    assert "Le personnel vous a-t-il aidé ?" in french and "How helpful" not in french
    assert "(optional)" not in french  # the chrome follows the page's language too
    again = client.get(f"{third}?lang=fr").get_data(as_text=True)  # from what is kept
    assert len(rendering._BLANK) == 2
    assert "Le personnel vous a-t-il aidé ?" in again and "How helpful" not in again and "(optional)" not in again


def test_each_respondents_piped_text_is_their_own(client: FlaskClient, db: Session) -> None:
    first, second = _links(db, visit_survey(piped=True), 2)
    token = csrf_token(client.get(first).get_data(as_text=True))
    for link, store, language in ((first, "north", "en"), (second, "south", "fr")):
        sent = client.post(link, data={"csrf_token": token, "page": "0", "q_store": store, "lang": language})
        assert sent.status_code == 303
    assert "Why North?" in client.get(f"{first}?page=1").get_data(as_text=True)
    page = client.get(f"{second}?page=1").get_data(as_text=True)  # in French, as last answered
    assert "Pourquoi SOUTH ?" in page and "North" not in page
    assert len(rendering._BLANK) == 0  # a piped survey keeps nothing
