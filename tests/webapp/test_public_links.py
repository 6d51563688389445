"""Public links `/p/<slug>`, on SQLite and PostgreSQL (issue 15, "500s and integrity"):

* with `customer_id_param`, the customer id in the link must be signed by the app (HMAC with a timestamp, salted
  with the survey's slug) and younger than `PUBLIC_LINK_DAYS`: an unsigned, altered, other-survey or expired id
  is a 400 and never a stored response;
* opening the link stores nothing; the respondent's first POST creates the response, once;
* a survey's public link can be switched off (a friendly 404), personal links keep working.
"""

from __future__ import annotations

import csv
import html
import io
import re
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.webapp.support.author import page_token, signed_in
from tests.webapp.support.web import (
    ANSWERS,
    EXAMPLE,
    PAGE_1,
    PAGE_2,
    csrf_token,
    example_survey,
    response_rows,
)
from webapp.app import create_app
from webapp.services import create_invitations, publish_survey
from webapp.services.invitations import set_public_link, sign_customer_id, unsign_customer_id
from webapp.storage.models import SurveyRecord

SECRET = "test-secret"  # the `app` fixture's SECRET_KEY
SLUG = "acme_relationship"
URL = f"/p/{SLUG}"
NOT_SIGNED = "this link&#39;s customer id is not signed or has expired; use the link you were sent"
DAY = 86400


def link(cid: str, channel: str = "email") -> str:
    return f"{URL}?{urlencode({'channel': channel, 'cid': cid})}"


def signed(customer_id: str, *, slug: str = SLUG, days_ago: float = 0, secret: str = SECRET) -> str:
    return sign_customer_id(secret, slug, customer_id, timestamp=int(time.time() - days_ago * DAY))


@pytest.fixture
def with_cid(db: Session) -> Session:
    publish_survey(db, example_survey(customer_id_param="cid"))
    return db


def refused(app: Flask, url: str, db_url: str) -> None:
    """The link is a 400 with the clear page, and a POST from that browser stores nothing either."""
    browser = app.test_client()
    reply = browser.get(url)
    assert reply.status_code == 400, reply.get_data(as_text=True)[:300]
    page = reply.get_data(as_text=True)
    assert NOT_SIGNED in page and "This link cannot be used" in page
    posted = browser.post(URL, data=PAGE_1)
    assert posted.status_code == 400
    assert response_rows(db_url) == []


# -- signed customer ids ---------------------------------------------------------------------------------------


def test_an_unsigned_customer_id_is_refused(app: Flask, with_cid: Session, db_url: str) -> None:
    refused(app, link("XS1"), db_url)
    refused(app, link("XS1.AAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAA"), db_url)


def test_a_tampered_signature_or_id_is_refused(app: Flask, with_cid: Session, db_url: str) -> None:
    good = signed("XS1")
    customer, stamp, signature = good.rsplit(".", 2)
    # the first base64 character: all six of its bits are signature bits (the last one's low bits may be padding)
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    refused(app, link(f"{customer}.{stamp}.{flipped}"), db_url)  # signature altered
    refused(app, link(f"XS2.{stamp}.{signature}"), db_url)  # another customer under XS1's signature
    refused(app, link(good, channel="email") + "x", db_url)
    refused(app, link(signed("XS1", secret="another-server")), db_url)  # signed with another key


def test_a_signature_for_another_survey_is_refused(app: Flask, with_cid: Session, db_url: str) -> None:
    publish_survey(with_cid, example_survey(id="other_survey", customer_id_param="cid"))
    other = signed("XS1", slug="other_survey")
    assert app.test_client().get(f"/p/other_survey?channel=email&cid={other}").status_code == 200
    refused(app, link(other), db_url)


def test_an_expired_customer_id_is_refused(app: Flask, with_cid: Session, db_url: str) -> None:
    refused(app, link(signed("XS1", days_ago=91)), db_url)  # the default maximum age is 90 days
    assert app.test_client().get(link(signed("XS1", days_ago=89))).status_code == 200


def test_the_maximum_age_is_a_setting(db_url: str, with_cid: Session, tmp_path: Path) -> None:
    app = create_app({"DATABASE_URL": db_url, "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                      "SECRET_KEY": SECRET, "PUBLIC_LINK_DAYS": "2"})
    refused(app, link(signed("XS1", days_ago=3)), db_url)
    assert app.test_client().get(link(signed("XS1", days_ago=1))).status_code == 200
    assert unsign_customer_id(SECRET, SLUG, signed("XS1", days_ago=1), 2 * DAY) == "XS1"


def test_a_valid_signed_link_stores_the_customer(app: Flask, with_cid: Session, db_url: str) -> None:
    browser = app.test_client()
    url = link(signed("CUST-77 & co"))
    reply = browser.get(url)
    assert reply.status_code == 200 and "Page 1 of 2" in reply.get_data(as_text=True)
    token = csrf_token(reply.get_data(as_text=True))
    assert response_rows(db_url) == []  # opening the link stores nothing
    assert browser.post(URL, data=PAGE_1 | {"csrf_token": token}).status_code == 303
    assert browser.post(URL, data=PAGE_2 | {"csrf_token": token}).status_code == 303
    [row] = response_rows(db_url)
    assert (row["customer_id"], row["channel"], row["status"]) == ("CUST-77 & co", "email", "complete")
    assert row["answers"] == ANSWERS


def test_a_forged_id_never_adds_a_response_beside_the_personal_one(app: Flask, with_cid: Session,
                                                                  db_url: str) -> None:
    [issued] = create_invitations(with_cid, SLUG, ["XS1"], "email")
    personal = app.test_client()
    token = csrf_token(personal.get(f"/s/{issued.token}").get_data(as_text=True))
    personal.post(f"/s/{issued.token}", data=PAGE_1 | {"csrf_token": token})
    assert personal.post(f"/s/{issued.token}", data=PAGE_2 | {"csrf_token": token}).status_code == 303
    before = response_rows(db_url)
    assert [(r["customer_id"], r["status"], r["invitation_id"] is not None) for r in before] == [
        ("XS1", "complete", True)]

    for forged in ("XS1", f"XS1.{signed('XS2').split('.', 1)[1]}", signed("XS1", slug="other_survey"),
                   signed("XS1", days_ago=365)):
        attacker = app.test_client()
        token = page_token(attacker, "/login")  # a session with a valid CSRF token
        assert attacker.get(link(forged)).status_code == 400
        for data in (PAGE_1, PAGE_2):  # and the pages posted as if the link had opened
            assert attacker.post(URL, data=data | {"csrf_token": token}).status_code == 400
            assert attacker.post(link(forged), data=data | {"csrf_token": token}).status_code == 400
    assert response_rows(db_url) == before  # still the one personal response, nothing beside it


def test_control_characters_in_a_signed_id_are_refused(app: Flask, with_cid: Session, db_url: str) -> None:
    from itsdangerous import TimestampSigner

    value = TimestampSigner(SECRET, salt="cxroi.public-link.customer-id:" + SLUG).sign("C\x001").decode()
    reply = app.test_client().get(link(value))
    assert reply.status_code == 400 and "control characters" in reply.get_data(as_text=True)
    assert response_rows(db_url) == []


# -- the response is created by the first POST ------------------------------------------------------------------


def test_cookieless_visits_store_nothing(app: Flask, db: Session, db_url: str) -> None:
    publish_survey(db, example_survey())
    visitor = app.test_client(use_cookies=False)
    for _ in range(50):
        assert visitor.get(f"{URL}?channel=chat").status_code == 200
    assert response_rows(db_url) == []


def test_the_first_post_creates_one_response_and_resume_works(app: Flask, db: Session, db_url: str) -> None:
    publish_survey(db, example_survey())
    browser = app.test_client()
    token = csrf_token(browser.get(f"{URL}?channel=chat").get_data(as_text=True))
    assert "Page 1 of 2" in browser.get(f"{URL}?page=0").get_data(as_text=True)  # a reload: still nothing stored
    assert response_rows(db_url) == []
    assert browser.post(URL, data=PAGE_1 | {"csrf_token": token}).status_code == 303
    [row] = response_rows(db_url)
    assert (row["channel"], row["status"], row["current_page"]) == ("chat", "partial", 1)
    assert "Page 2 of 2" in browser.get(URL).get_data(as_text=True)  # resumes
    assert browser.post(URL, data=PAGE_2 | {"csrf_token": token}).status_code == 303
    [row] = response_rows(db_url)
    assert row["status"] == "complete" and row["answers"] == ANSWERS


def test_a_double_first_post_stores_one_response(app: Flask, db: Session, db_url: str) -> None:
    publish_survey(db, example_survey())
    first = app.test_client()
    token = csrf_token(first.get(f"{URL}?channel=chat").get_data(as_text=True))
    cookie = first.get_cookie("session")
    assert cookie is not None
    second = app.test_client()  # the same browser state, sent twice (a double click before any answer came)
    second.set_cookie("session", cookie.value, domain=cookie.domain or "localhost", path=cookie.path or "/")
    assert first.post(URL, data=PAGE_1 | {"csrf_token": token}).status_code == 303
    assert second.post(URL, data=PAGE_1 | {"csrf_token": token}).status_code == 303
    assert first.post(URL, data=PAGE_1 | {"csrf_token": token}).status_code == 303
    [row] = response_rows(db_url)
    assert row["channel"] == "chat" and row["current_page"] == 1


def test_a_post_without_opening_the_link_stores_nothing(app: Flask, db: Session, db_url: str) -> None:
    publish_survey(db, example_survey())
    browser = app.test_client()
    token = page_token(browser, "/login")
    reply = browser.post(URL, data=PAGE_1 | {"csrf_token": token})
    assert reply.status_code == 400 and "open the survey link again" in reply.get_data(as_text=True)
    assert response_rows(db_url) == []


# -- switching the public link off --------------------------------------------------------------------------------


def test_a_switched_off_public_link_is_a_friendly_404_and_personal_links_work(app: Flask, db: Session,
                                                                             db_url: str) -> None:
    publish_survey(db, example_survey())
    started = app.test_client()
    token = csrf_token(started.get(URL).get_data(as_text=True))
    started.post(URL, data=PAGE_1 | {"csrf_token": token})
    [issued] = create_invitations(db, SLUG, ["C1"], "email")

    set_public_link(db, SLUG, False)
    reply = app.test_client().get(f"{URL}?channel=chat")
    page = reply.get_data(as_text=True)
    assert reply.status_code == 404 and "This link is not in use" in page and "personal link" in page
    assert started.get(URL).status_code == 404  # a respondent half-way is stopped too
    assert started.post(URL, data=PAGE_2 | {"csrf_token": token}).status_code == 404
    personal = app.test_client()
    token = csrf_token(personal.get(f"/s/{issued.token}").get_data(as_text=True))
    personal.post(f"/s/{issued.token}", data=PAGE_1 | {"csrf_token": token})
    assert personal.post(f"/s/{issued.token}", data=PAGE_2 | {"csrf_token": token}).status_code == 303
    assert [(r["customer_id"], r["status"]) for r in response_rows(db_url)] == [(None, "partial"), ("C1", "complete")]

    set_public_link(db, SLUG, True)
    assert started.get(URL).status_code == 200


# -- the authoring links page and `cxroi invite` -------------------------------------------------------------------

BASE = "https://cx.example.com"


@pytest.fixture
def author(app: Flask, db_url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[FlaskClient, str]:
    monkeypatch.setenv("CXROI_BASE_URL", BASE)
    client = signed_in(app, db_url, "author")
    token = page_token(client, "/author/new")
    assert client.post("/author/new", data={"survey_id": "acme", "title": "Acme", "start": "relationship",
                                            "csrf_token": token}).status_code == 302
    assert client.post("/author/acme/publish", data={"csrf_token": token}).status_code == 302
    return client, token


def public_flag(db_url: str) -> bool:
    from webapp.storage.engine import open_session

    with open_session(db_url, upgrade=False) as session:
        return bool(session.scalar(sa.select(SurveyRecord.public_link).where(SurveyRecord.slug == "acme")))


def test_the_links_page_switches_the_public_link_with_csrf(author: tuple[FlaskClient, str], db_url: str) -> None:
    client, token = author
    page = client.get("/author/acme/links").get_data(as_text=True)
    assert "The public link is <strong>on</strong>" in page and "Switch the public link off" in page
    assert client.post("/author/acme/links/public", data={"public_link": "off"}).status_code == 400  # no token
    assert public_flag(db_url)
    assert client.post("/author/acme/links/public", data={"public_link": "maybe", "csrf_token": token}
                       ).status_code == 400
    reply = client.post("/author/acme/links/public", data={"public_link": "off", "csrf_token": token})
    assert reply.status_code == 303 and not public_flag(db_url)
    assert "The public link is <strong>off</strong>" in client.get("/author/acme/links").get_data(as_text=True)
    assert client.application.test_client().get("/p/acme").status_code == 404
    client.post("/author/acme/links/public", data={"public_link": "on", "csrf_token": token})
    assert public_flag(db_url)
    respondent = client.application.test_client()
    assert respondent.get("/p/acme?channel=chat&cid=" + sign_customer_id(SECRET, "acme", "C9")).status_code == 200
    assert client.application.test_client().get("/p/acme?channel=chat&cid=C9").status_code == 400


def test_the_links_csv_has_signed_public_links(author: tuple[FlaskClient, str], db_url: str) -> None:
    client, token = author
    page = client.get("/author/acme/links").get_data(as_text=True)
    assert "CUSTOMER_ID" not in page and "public_link" in page  # no unsigned placeholder links any more
    preview = client.post("/author/acme/links/preview", content_type="multipart/form-data", data={
        "csrf_token": token, "channel": "email", "customers": (io.BytesIO(b"customer_id\nC1\nC2\n"), "c.csv")})
    shown = preview.get_data(as_text=True)
    ids = html.unescape(re.search(r'name="customer_ids"[^>]*value="([^"]*)"', shown).group(1))  # type: ignore[union-attr]
    created = client.post("/author/acme/links/create", data={"csrf_token": token, "customer_ids": ids,
                                                              "channel": "email"})
    rows = list(csv.DictReader(io.StringIO(created.get_data(as_text=True))))
    assert [row["customer_id"] for row in rows] == ["C1", "C2"]
    for row in rows:
        assert row["public_link"].startswith(f"{BASE}/p/acme?channel=email&cid=")
        parts = urlsplit(row["public_link"])
        assert client.application.test_client().get(f"{parts.path}?{parts.query}").status_code == 200
    assert rows[0]["public_link"] != rows[1]["public_link"]


def test_cxroi_invite_writes_signed_public_links(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str], db_url: str) -> None:
    from webapp.cli import main

    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    monkeypatch.setenv("CXROI_BASE_URL", BASE)
    monkeypatch.setenv("CXROI_SECRET_KEY", SECRET)  # the key the app signs with
    definition = tmp_path / "survey.yaml"
    definition.write_text(EXAMPLE.read_text(encoding="utf-8") + "\ncustomer_id_param: cid\n", encoding="utf-8")
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id\nC-1\n", encoding="utf-8")
    out = tmp_path / "links.csv"
    for args in (["survey", "publish", str(definition)],
                 ["invite", SLUG, "--customers", str(customers), "--channel", "chat", "-o", str(out)]):
        try:
            main(args)
        except SystemExit as done:
            assert not done.code, capsys.readouterr()
    assert "public links: one per customer, with a signed 'cid'" in capsys.readouterr().out
    [row] = list(csv.DictReader(out.open(encoding="utf-8")))
    parts = urlsplit(row["public_link"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{BASE}{URL}"
    assert app.test_client().get(f"{parts.path}?{parts.query}").status_code == 200
