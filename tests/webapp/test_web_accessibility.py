"""Accessibility of the respondent pages, checked on the rendered HTML: a label for every input, a fieldset
and legend for every radio group, error links and aria-describedby pointing at real ids, the survey's
language, no JavaScript, and a stylesheet with visible focus that fits a 320 px screen."""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.webapp.support.web import (
    FormReader,
    example_survey,
    first_page_token,
)
from tests.webapp.test_web_fields_contract import contract_survey
from webapp.services import create_invitations, publish_survey

CSS = Path(__file__).resolve().parents[2] / "webapp" / "static" / "respond.css"


def _check_page(html: str) -> None:
    page = FormReader(html)
    assert page.unlabelled() == []
    assert page.radios_outside_fieldset == []
    assert page.fieldsets_without_legend == 0
    for target in re.findall(r'aria-describedby="([^"]+)"', html):
        for ident in target.split():
            assert ident in page.ids, f"aria-describedby points at a missing id {ident!r}"
    for anchor in re.findall(r'href="#([^"]+)"', html):
        assert anchor in page.ids, f"a link points at a missing id {anchor!r}"
    assert "<script" not in html.lower()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_every_question_type_renders_accessibly(client: FlaskClient, db: Session) -> None:
    survey = contract_survey()
    publish_survey(db, survey)
    [issued] = create_invitations(db, survey.id, ["C1"], "phone")
    html = client.get(f"/s/{issued.token}").get_data(as_text=True)
    assert '<html lang="fr">' in html
    _check_page(html)


def test_a_page_with_errors_stays_accessible(client: FlaskClient, db: Session) -> None:
    survey = example_survey()
    publish_survey(db, survey)
    [issued] = create_invitations(db, survey.id, ["C1"], "email")
    url = f"/s/{issued.token}"
    token = first_page_token(client, url)
    reply = client.post(url, data={"page": "0", "csrf_token": token, "q_align.easy": "4"})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 400
    assert html.count('role="alert"') == 1
    assert html.index('class="error-summary"') < html.index("<form")  # the summary comes first
    assert "<title>Error: " in html
    _check_page(html)
    # both erring questions are named in the summary, each linking to its first input
    assert 'href="#q_align.partner-0"' in html and 'href="#q_ces-0"' in html


def test_stylesheet_has_focus_styles_and_fits_a_small_screen() -> None:
    css = CSS.read_text(encoding="utf-8")
    assert re.search(r"input:focus[^{]*\{[^}]*outline: 3px", css.replace("\n", " "))
    assert "max-width: 42rem" in css and "@media (max-width: 24rem)" in css  # 24rem = 384 px, below which…
    assert "width: 100%" in css  # …text boxes and the button take the full width of a 320 px screen


def test_not_applicable_no_answer_progress_back_and_branding_render_accessibly(client: FlaskClient,
                                                                              db: Session) -> None:
    """Issue 16's controls: "Not applicable" and "No answer" radios inside their fieldsets with labels, the
    progress bar named by its text, the Back button, the branded wrapper and logo (axe-core checks them in
    Chromium: tests/e2e/test_e2e_respondent_phone.py)."""
    from tests.webapp.test_respond_navigation import na_survey

    survey = na_survey(branding={"accent_color": "#1d4f91", "logo_url": "https://cdn.example.com/logo.png",
                                 "logo_alt": "Acme"})
    publish_survey(db, survey)
    [issued] = create_invitations(db, survey.id, ["C1"], "phone")
    url = f"/s/{issued.token}"
    html = client.get(url).get_data(as_text=True)
    _check_page(html)
    assert 'aria-labelledby="progress-text"' in html and 'id="progress-text"' in html
    assert 'value="n/a"' in html and 'value=""' in html and 'alt="Acme"' in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    refused = client.post(url, data={"csrf_token": token.group(1), "page": "0", "q_staff": ""})
    assert refused.status_code == 400
    _check_page(refused.get_data(as_text=True))
    saved = client.post(url, data={"csrf_token": token.group(1), "page": "0", "q_store": "n/a",
                                   "q_align.easy": "n/a", "q_align.partner": "n/a"})
    assert saved.status_code == 303
    second = client.get(saved.headers["Location"]).get_data(as_text=True)
    _check_page(second)
    assert 'class="back" name="back"' in second
