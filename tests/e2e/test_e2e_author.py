"""A CX lead signs in, builds a survey from the library's relationship template, sees and fixes a lint
finding on a question, previews it as a respondent and publishes it; every page passes axe-core."""

from __future__ import annotations

from typing import Any

from tests.e2e.support import DESKTOP, LiveSite, assert_accessible, shot, sign_in

LEADING = "Don't you agree that we made it easy to get what you needed?"
NEUTRAL = "How easy or difficult was it to get what you needed?"


def test_login_errors_are_accessible(site: LiveSite, new_page: Any) -> None:
    page = new_page(DESKTOP)
    page.goto(site.url("/login"))
    page.fill("#email", "lead@example.com")
    page.fill("#password", "not the password at all")
    page.click("main button[type=submit]")
    assert "/login" in page.url
    assert page.locator("#password").input_value() == ""  # a refused password is never sent back
    assert_accessible(page, "the sign-in page with an error")
    shot(page, "sign-in-refused")


def test_cx_lead_builds_fixes_previews_and_publishes(site: LiveSite, new_page: Any) -> None:
    page = new_page(DESKTOP)
    sign_in(page, site, "lead@example.com")
    page.goto(site.url("/author/"))
    assert_accessible(page, "the survey list")
    shot(page, "author-1-survey-list")

    page.goto(site.url("/author/new"))
    assert_accessible(page, "the new-survey page")
    page.fill("#survey_id", "9 not an id")
    page.click("main button[type=submit]")
    assert page.title().startswith("Error:")
    assert_accessible(page, "the new-survey page with an error")
    shot(page, "author-2a-new-survey-error")
    page.fill("#survey_id", "e2e_relationship")
    page.fill("#title", "How are we doing, e2e?")
    page.select_option("#start", "relationship")
    shot(page, "author-2-new-from-template")
    page.click("main button[type=submit]")
    assert page.url.endswith("/author/e2e_relationship")
    assert page.locator("h1").inner_text() == "How are we doing, e2e?"
    assert_accessible(page, "the editor")
    shot(page, "author-3-editor")

    # Make the effort question leading: the editor shows the linter's finding next to it.
    page.goto(site.url("/author/e2e_relationship/questions/q_ces"))
    assert_accessible(page, "the question editor")
    page.fill("#text", LEADING)
    page.click("main button[type=submit]")
    assert page.url.endswith("/author/e2e_relationship#q-q_ces")  # back at the question just edited
    finding = page.locator(".finding", has_text="leading_wording")
    assert finding.count() == 1
    assert "Don't you agree" in finding.inner_text() or "Don’t you agree" in finding.inner_text()
    assert_accessible(page, "the editor with a finding")
    shot(page, "author-4-lint-finding")

    page.goto(site.url("/author/e2e_relationship/sections/" + first_section_id(page)))
    assert_accessible(page, "the page (section) editor")
    shot(page, "author-4b-section-editor")

    page.goto(site.url("/author/e2e_relationship/questions/q_ces"))
    page.fill("#text", NEUTRAL)
    page.click("main button[type=submit]")
    assert page.locator(".finding", has_text="leading_wording").count() == 0
    shot(page, "author-5-finding-fixed")

    page.click("text=Preview as a respondent")
    assert "/preview" in page.url
    assert_accessible(page, "the preview")
    assert page.get_by_text(NEUTRAL).count() >= 1  # the preview shows the draft as changed
    shot(page, "author-6-preview")

    page.goto(site.url("/author/e2e_relationship"))
    page.click("text=Publish a new version")  # the confirmation says what changes for respondents
    assert "Publish version 1 of" in page.locator("h1").inner_text()
    assert_accessible(page, "the publish confirmation")
    shot(page, "author-7a-publish-confirmation")
    page.click("button:has-text('Publish version 1')")
    assert "1 published version" in page.locator("main").inner_text()
    shot(page, "author-7-published")
    page.click("text=Links for respondents")
    assert_accessible(page, "the links page")
    shot(page, "author-8-links")

    # The published version holds the fixed text, and its public link (with a signed customer id) opens.
    assert published_text(site, "e2e_relationship", "q_ces") == NEUTRAL
    respondent = new_page(DESKTOP)
    from webapp.services.invitations import sign_customer_id

    cid = sign_customer_id("e2e-secret", "e2e_relationship", "e2e-public")  # signed as the CSV of links carries it
    reply = respondent.goto(site.url(f"/p/e2e_relationship?channel=email&cid={cid}"))
    assert reply is not None and reply.status == 200
    assert respondent.locator(".survey-title").inner_text() == "How are we doing, e2e?"
    assert_accessible(respondent, "the published survey's first page")
    shot(respondent, "author-9-public-link")


def first_section_id(page: Any) -> str:
    """The id of the first page of the survey, from the editor's "Edit page" link."""
    page.goto(page.url.split("#")[0])
    href = page.locator("a:has-text('Edit page')").first.get_attribute("href") or ""
    return href.rstrip("/").rsplit("/", 1)[-1]


def published_text(site: LiveSite, slug: str, question_id: str) -> str:
    """The text of a question in the survey's newest published version, read from the database."""
    import json

    import sqlalchemy as sa

    from webapp.storage.engine import create_engine_for

    engine = create_engine_for(site.database_url)
    try:
        with engine.connect() as connection:
            raw = connection.execute(sa.text(
                "select v.definition from survey_versions v join surveys s on s.id = v.survey_id "
                "where s.slug = :slug order by v.number desc limit 1"), {"slug": slug}).scalar_one()
    finally:
        engine.dispose()
    definition = json.loads(raw) if isinstance(raw, str) else raw
    texts = [q["text"] for section in definition["sections"] for q in section["questions"] if q["id"] == question_id]
    assert len(texts) == 1
    return str(texts[0])
