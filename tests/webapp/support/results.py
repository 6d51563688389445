"""Helpers of the results and reports page tests: a survey answered through the real respondent pages, and
signing in staff users.

`RESPONDENTS` is the known truth the tests compare the pages with; every expected number in the tests is
worked out by hand from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.support.web import example_survey
from webapp.accounts.service import create_user
from webapp.app import create_app
from webapp.services.invitations import create_invitations
from webapp.services.publishing import publish_survey
from webapp.storage.engine import open_session

PASSWORD = "correct horse battery"
SLUG = "acme_relationship"


@dataclass(frozen=True)
class Respondent:
    customer_id: str
    channel: str
    ces: int
    easy: int  # alignment with "We make things easy", 1–5
    partner: int
    nps: int
    ordering_friction: bool
    comment: str | None = None  # q_why is shown only when q_ces <= 4


RESPONDENTS = (
    Respondent("c01", "phone", 7, 5, 4, 10, False),
    Respondent("c02", "phone", 6, 4, 4, 9, False),
    Respondent("c03", "phone", 5, 4, 3, 8, True),
    Respondent("c04", "phone", 5, 3, 3, 7, False),
    Respondent("c05", "phone", 4, 3, 2, 6, True, "The <script>alert('x')</script> hold music was awful"),
    Respondent("c06", "phone", 3, 2, 2, 10, True, "Refund took three weeks"),
    Respondent("c07", "email", 2, 1, 1, 3, True, "Nobody answered my e-mail about the refund"),
    Respondent("c08", "email", 6, 5, 5, 9, False),
    Respondent("c09", "email", 7, 5, 4, 10, False),
    Respondent("c10", "email", 1, 1, 2, 5, True, "Cancelled after the third call"),
)
PARTIAL_AFTER_PAGE_1 = ("c11", "c12")  # answered page 1 only: stopped on page 2
PARTIAL_ON_PAGE_1 = ("c13",)  # opened the link, answered nothing: stopped on page 1


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(client: FlaskClient, email: str) -> None:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def add_staff(url: str) -> None:
    with open_session(url) as session:
        for role in ("analyst", "author", "admin"):
            create_user(session, f"{role}@example.com", role, PASSWORD)


def staff_app(url: str, folder: Path) -> Flask:
    """The app on the database at `url` (its instance folder in `folder`), with the staff accounts."""
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance"), "TESTING": True,
                      "SECRET_KEY": "test-secret"})
    add_staff(url)
    return app


def seeded_app(folder: Path) -> Flask:
    """The app on a new SQLite database in `folder`, with the staff accounts and the example survey answered as
    `RESPONDENTS` say (for the read-only tests of a module to share: seeding takes a while)."""
    url = f"sqlite:///{folder / 'cxroi.sqlite3'}"
    app = staff_app(url, folder)
    seed_survey(app, url)
    return app


def signed_in(app: Flask, email: str = "analyst@example.com") -> FlaskClient:
    """A test client of `app` signed in as `email` (one of the staff accounts)."""
    client = app.test_client()
    sign_in(client, email)
    return client


def data_count(html: str, name: str) -> str:
    """The number a results page shows for the count `name` (complete, partial, matching …)."""
    match = re.search(rf'data-count="{name}">([^<]*)<', html)
    assert match, name
    return match.group(1)


def _answer(client: FlaskClient, link: str, page: dict[str, str]) -> None:
    token = csrf_token(client.get(link).get_data(as_text=True))
    response = client.post(link, data=page | {"csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:800]


def seed_survey(app: Flask, url: str) -> None:
    """Publish the example survey and answer it through its personal links as `RESPONDENTS` say, plus the
    partial responses."""
    with open_session(url) as session:
        publish_survey(session, example_survey())
        links = {}
        for channel in ("phone", "email"):
            ids = [r.customer_id for r in RESPONDENTS if r.channel == channel]
            if channel == "phone":
                ids += [*PARTIAL_AFTER_PAGE_1, *PARTIAL_ON_PAGE_1]
            links |= {link.customer_id: f"/s/{link.token}" for link in create_invitations(session, SLUG, ids, channel)}
    client = app.test_client()
    for r in RESPONDENTS:
        _answer(client, links[r.customer_id], {"page": "0", "q_align.easy": str(r.easy),
                                               "q_align.partner": str(r.partner), "q_ces": str(r.ces)})
        page_2 = {"page": "1", "q_friction.ordering": "yes" if r.ordering_friction else "no",
                  "q_friction.billing": "no", "q_nps": str(r.nps)}
        if r.comment is not None:
            page_2["q_why"] = r.comment
        _answer(client, links[r.customer_id], page_2)
    for customer in PARTIAL_AFTER_PAGE_1:
        _answer(client, links[customer], {"page": "0", "q_align.easy": "3", "q_align.partner": "3", "q_ces": "5"})
    for customer in PARTIAL_ON_PAGE_1:
        assert client.get(links[customer]).status_code == 200
