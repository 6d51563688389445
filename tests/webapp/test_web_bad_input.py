"""Bad input through the Flask test client: each gets a 4xx with a clear message, never a 500, and the
stored response is exactly as it was before (read back from the database)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveys.questions import TEXT_LIMIT
from tests.webapp.support.author import PASSWORD, count_rows, page_token, signed_in
from tests.webapp.support.web import (
    PAGE_1,
    PAGE_2,
    example_survey,
    first_page_token,
    response_rows,
)
from webapp.accounts.service import create_user
from webapp.services import create_invitations, publish_survey


@pytest.fixture
def started(client: FlaskClient, db: Session) -> tuple[str, str]:
    """A personal link whose first page is saved; returns (url, csrf token)."""
    survey = example_survey()
    publish_survey(db, survey)
    [issued] = create_invitations(db, survey.id, ["C1"], "email")
    url = f"/s/{issued.token}"
    token = first_page_token(client, url)
    assert client.post(url, data=PAGE_1 | {"csrf_token": token}).status_code == 303
    return url, token


BAD_PAGE_2: list[tuple[str, dict[str, Any], int, str]] = [
    ("unknown field", {"is_admin": "1"}, 400, "does not have or sent it twice: &#39;is_admin&#39;"),
    ("row not on the page", {"q_align.easy": "5"}, 400, "&#39;q_align.easy&#39;"),
    ("unknown grid row", {"q_channel.fax": "3"}, 400, "&#39;q_channel.fax&#39;"),
    ("one answer sent twice", {"q_nps": ["3", "9"]}, 400, "sent it twice: &#39;q_nps&#39;"),
    ("scale out of range", {"q_nps": "11"}, 400, "11 is outside the scale 0..10"),
    ("negative scale", {"q_nps": "-1"}, 400, "-1 is outside the scale 0..10"),
    ("not a number", {"q_nps": "eight"}, 400, "expected a whole number from 0 to 10"),
    ("unknown choice code", {"page": "0", "q_channels": ["phone", "fax"]}, 400,
     "&#39;fax&#39; is not one of the choices"),  # on page 1, where q_channels is asked
    # page 1 said phone and chat: page 2 has no email row, so rating email is a field the page did not render
    ("rating a channel not used", {"q_channel.email": "2"}, 400, "sent it twice: &#39;q_channel.email&#39;"),
    ("friction neither yes nor no", {"q_friction.billing": "maybe"}, 400, "Billing: answer yes or no"),
    ("text over the question's limit", {"q_why": "x" * 2001}, 400,
     "the answer is 2001 characters long; the limit is 2000"),
    ("follow-up over the text limit", {"q_friction.ordering.what": "y" * (TEXT_LIMIT + 1)}, 400,
     f"longer than {TEXT_LIMIT} characters"),
    ("page not reached yet", {"page": "5"}, 400, "this survey has no page 6"),
    ("page not a number", {"page": "two"}, 400, "did not say which page"),
    ("body over the size limit", {"q_why": "z" * (1024 * 1024 + 1)}, 413, "larger than 1024 KB"),
]


@pytest.mark.parametrize(("case", "changes", "status", "message"), BAD_PAGE_2, ids=[c[0] for c in BAD_PAGE_2])
def test_bad_page_is_refused_and_nothing_changes(client: FlaskClient, db_url: str, started: tuple[str, str],
                                                 case: str, changes: dict[str, Any], status: int,
                                                 message: str) -> None:
    url, token = started
    before = response_rows(db_url)
    page = PAGE_1 if changes.get("page") == "0" else PAGE_2
    reply = client.post(url, data=page | {"csrf_token": token} | changes)
    body = reply.get_data(as_text=True)
    assert reply.status_code == status, body[:1500]
    assert message in body
    assert "Traceback" not in body
    assert response_rows(db_url) == before
    assert before[0]["status"] == "partial" and before[0]["answers"] == {"q_align": {"easy": 4, "partner": 2},
                                                                        "q_ces": 3, "q_channels": ["phone", "chat"]}


def test_invalid_answers_come_back_with_an_error_summary_tied_to_the_fields(
        client: FlaskClient, started: tuple[str, str]) -> None:
    url, token = started
    reply = client.post(url, data=PAGE_1 | {"page": "0", "q_ces": "8", "q_align.easy": "", "csrf_token": token})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 400
    assert 'class="error-summary" role="alert"' in html
    # the summary links to the first option of the erring row / question
    assert 'href="#q_align.easy-0"' in html and "answer every row: We make things easy" in html
    assert "We make things easy: answer every row" not in html  # the rows are named once, in the message
    assert 'href="#q_ces-0"' in html and "8 is outside the scale 1..7" in html
    assert 'id="q_ces-error"' in html and 'aria-describedby="q_ces-error" id="q_ces-0"' in html
    # what was typed is shown again: the partner row keeps its answer (2 → option index 1)
    assert 'checked id="q_align.partner-1"' in html


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_missing_or_wrong_csrf_token(client: FlaskClient, db_url: str, started: tuple[str, str],
                                     token: str | None) -> None:
    url, _ = started
    before = response_rows(db_url)
    data = PAGE_2 | ({"csrf_token": token} if token else {})
    reply = client.post(url, data=data)
    assert reply.status_code == 400 and "security token" in reply.get_data(as_text=True)
    assert response_rows(db_url) == before


def test_csrf_token_of_another_session(app, started: tuple[str, str], db_url: str) -> None:
    url, token = started
    stranger = app.test_client()  # no session cookie: the token was signed for the other session
    before = response_rows(db_url)
    assert stranger.post(url, data=PAGE_2 | {"csrf_token": token}).status_code == 400
    assert response_rows(db_url) == before


def test_public_post_without_a_started_response(client: FlaskClient, started: tuple[str, str],
                                                db_url: str) -> None:
    _, token = started  # a valid CSRF token of this browser, but it never opened the public link
    before = response_rows(db_url)
    reply = client.post("/p/acme_relationship", data=PAGE_1 | {"csrf_token": token})
    assert reply.status_code == 400 and "open the survey link again" in reply.get_data(as_text=True)
    assert response_rows(db_url) == before


def test_wrong_method_and_unknown_pages(client: FlaskClient) -> None:
    assert client.delete("/s/abc").status_code == 405
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "Page not found" in missing.get_data(as_text=True)


def test_question_text_from_the_definition_is_escaped(client: FlaskClient, db: Session) -> None:
    survey = example_survey(title="<script>alert(1)</script> survey")
    publish_survey(db, survey)
    [issued] = create_invitations(db, survey.id, ["C9"], "email")
    html = client.get(f"/s/{issued.token}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_control_characters_never_reach_the_database_as_errors(app, db: Session, db_url: str) -> None:
    """A NUL byte in text is refused by PostgreSQL text and JSONB columns: a customer id with one gets a 400; an
    answer with one is stored without it (every backend alike, docs/deployment.md), never a 500."""
    publish_survey(db, example_survey(customer_id_param="cid"))
    from itsdangerous import TimestampSigner

    from webapp.services.invitations import CUSTOMER_ID_SALT, sign_customer_id

    # a NUL byte in a customer id signed by the app (the app never signs one) is still refused, never stored
    nul = TimestampSigner("test-secret", salt=CUSTOMER_ID_SALT + "acme_relationship").sign("C\x001").decode()
    refused = app.test_client().get(f"/p/acme_relationship?channel=email&cid={nul}")
    assert refused.status_code == 400 and "control characters" in refused.get_data(as_text=True)
    assert app.test_client().get("/p/acme_relationship?channel=email&cid=C%001").status_code == 400  # unsigned
    browser = app.test_client()
    signed = sign_customer_id("test-secret", "acme_relationship", "C1")
    token = first_page_token(browser, f"/p/acme_relationship?channel=email&cid={signed}")
    assert browser.post("/p/acme_relationship", data=PAGE_1 | {"csrf_token": token}).status_code == 303
    reply = browser.post("/p/acme_relationship", data=PAGE_2 | {"csrf_token": token, "q_why": "a\x00b"})
    assert reply.status_code == 303
    [row] = response_rows(db_url)
    assert row["answers"]["q_why"] == "ab"


# A NUL byte (or another control character) in a URL or a sign-in form is bad input, not a database
# error: PostgreSQL refuses NUL in text, which made these a 500 there. Run on each backend.
@pytest.mark.parametrize("path", ["/p/%00", "/p/a%00b", "/p/" + "a" * 65, "/author/%00", "/results/%00",
                                  "/author/%00/links"])
def test_a_nul_byte_or_an_impossible_slug_in_the_url_is_a_404(app: Flask, db_url: str, db: Session,
                                                               path: str) -> None:
    publish_survey(db, example_survey())
    client = signed_in(app, db_url, "author")
    response = client.get(path)
    assert response.status_code == 404
    assert "no published survey is called" in response.get_data(as_text=True)


def test_sign_in_with_a_nul_byte_in_the_address_is_refused_and_counted(app: Flask, db_url: str,
                                                                       db: Session) -> None:
    create_user(db, "ann@example.com", "author", PASSWORD)
    client = app.test_client()
    token = page_token(client, "/login")
    response = client.post("/login", data={"email": "ann\x00@example.com", "password": "wrong password",
                                           "csrf_token": token})
    assert response.status_code == 401
    assert count_rows(db_url, "login_attempts") == 1
