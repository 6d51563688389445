"""The date, ranking and note types in a real Chromium (issue 13): the browser's date box and one list per rank
place, a choice ranked twice shown as an error at its place, a piped conditional note on the next page; every page
passes axe-core (WCAG 2.1 A/AA)."""

from __future__ import annotations

from typing import Any

from surveys.definition import build_survey
from tests.e2e.support import PHONE, LiveSite, assert_accessible, shot, stored_response
from tests.webapp.test_respond_date_note_ranking import DEFINITION
from webapp.services.customer_lists import read_customer_list
from webapp.services.invitations import create_invitations
from webapp.services.publishing import publish_survey
from webapp.storage.engine import open_session


def test_a_customer_gives_a_date_and_a_ranking(site: LiveSite, browser: Any) -> None:
    survey = build_survey(DEFINITION | {"id": "visit_e2e"})
    customers = read_customer_list(b"customer_id\ne2e-visit\n")
    with open_session(site.database_url, upgrade=False) as session:
        publish_survey(session, survey)
        [link] = create_invitations(session, survey.id, customers.rows, "email")
    context = browser.new_context(viewport=PHONE, locale="en-GB", bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(site.url(f"/s/{link.token}"))
        assert page.locator('input[name="q_when"]').get_attribute("type") == "date"
        assert page.locator("select").count() == 3
        assert_accessible(page, "date, note and ranking")
        shot(page, "new-types-1-first-page")

        page.fill('input[name="q_when"]', "2025-03-31")  # what the browser's date box sends
        page.select_option('select[name="q_rank.1"]', "speed")
        page.select_option('select[name="q_rank.2"]', "price")
        page.select_option('select[name="q_rank.3"]', "speed")
        page.click("button[type=submit]")
        assert page.title().startswith("Error:")
        summary = page.locator(".error-summary").inner_text()
        assert "Speed is chosen at both 1st and 3rd; choose each once" in summary
        assert page.input_value('select[name="q_rank.3"]') == "speed"  # kept, to be corrected
        assert_accessible(page, "ranking error")
        shot(page, "new-types-2-ranking-error")

        page.select_option('select[name="q_rank.3"]', "staff")
        page.click("button[type=submit]")
        assert "You put Speed, Price, Staff in that order: thank you." in page.locator("main").inner_text()
        assert_accessible(page, "page 2 with the piped note")
        page.click("button[type=submit]")
        stored = stored_response(site.database_url, "e2e-visit")
        assert stored is not None and stored["answers"] == {"q_when": "2025-03-31", "q_rank": ["speed", "price", "staff"]}
    finally:
        context.close()
