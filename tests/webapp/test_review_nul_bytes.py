"""A NUL byte (or another control character) in a URL or a sign-in form is bad input, not a database
error: PostgreSQL refuses NUL in text, which made these a 500 there. Run on each backend."""

from __future__ import annotations

import pytest
from author_support import PASSWORD, count_rows, page_token, signed_in
from flask import Flask
from sqlalchemy.orm import Session
from web_support import example_survey

from webapp.accounts.service import AccountError, create_user
from webapp.services import publish_survey


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


def test_an_address_with_a_control_character_is_not_an_account(db: Session) -> None:
    for email in ("ann\x00@example.com", "ann@exa\x07mple.com"):
        with pytest.raises(AccountError, match="is not an e-mail address"):
            create_user(db, email, "author", PASSWORD)
    assert count_rows(str(db.get_bind().url.render_as_string(hide_password=False)), "users") == 0
