"""A survey's branding on the respondent pages (Flask test client, SQLite and PostgreSQL): the accent colour as
the `--accent` custom property, the logo from the instance's branding/ folder (served only from there) or from an
https address (then allowed, by origin, in the page's Content-Security-Policy); a survey without branding is
unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.webapp.support.web import PAGE_1, PAGE_2, csrf_token, example_survey
from webapp.services import create_invitations, publish_survey

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


def _link(db: Session, **branding: Any) -> str:
    survey = example_survey(branding=branding) if branding else example_survey()
    publish_survey(db, survey)
    [issued] = create_invitations(db, survey.id, ["C1"], "email")
    return f"/s/{issued.token}"


def test_the_accent_and_the_instance_logo_are_on_every_page(app: Flask, client: FlaskClient, db: Session) -> None:
    folder = Path(app.instance_path) / "branding" / "acme"
    folder.mkdir(parents=True)
    (folder / "logo.png").write_bytes(PNG)
    url = _link(db, accent_color="#7A1F5C", logo_url="acme/logo.png", logo_alt="Acme Ltd")
    first = client.get(url)
    html = first.get_data(as_text=True)
    assert '<div class="branded" style="--accent: #7a1f5c">' in html
    assert '<img class="brand-logo" src="/branding/acme/logo.png" alt="Acme Ltd">' in html
    assert "img-src 'self' data:;" in first.headers["Content-Security-Policy"]  # nothing else needed

    logo = client.get("/branding/acme/logo.png")
    assert logo.status_code == 200 and logo.data == PNG and logo.mimetype == "image/png"
    for outside in ("/branding/../../etc/passwd", "/branding/acme/missing.png", "/branding/acme/notes.txt"):
        assert client.get(outside).status_code == 404, outside

    token = csrf_token(html)
    assert client.post(url, data=PAGE_1 | {"csrf_token": token}).status_code == 303
    done = client.post(url, data=PAGE_2 | {"csrf_token": token})
    thanks = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'style="--accent: #7a1f5c"' in thanks and 'src="/branding/acme/logo.png"' in thanks


def test_an_https_logo_is_allowed_by_its_origin_only(client: FlaskClient, db: Session) -> None:
    url = _link(db, accent_color="#1d4f91", logo_url="https://cdn.example.com/acme/logo.svg")
    reply = client.get(url)
    html = reply.get_data(as_text=True)
    assert '<img class="brand-logo" src="https://cdn.example.com/acme/logo.svg" alt="">' in html  # decoration
    policy = reply.headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://cdn.example.com;" in policy
    assert policy.endswith("frame-ancestors 'none'") and "script-src 'self'" in policy


def test_without_branding_the_page_is_as_before(client: FlaskClient, db: Session) -> None:
    reply = client.get(_link(db))
    html = reply.get_data(as_text=True)
    assert "branded" not in html and "brand-logo" not in html and "--accent" not in html
    assert "img-src 'self' data:;" in reply.headers["Content-Security-Policy"]
