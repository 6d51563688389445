"""Page logic in a real Chromium (issue 13): a customer whose marks hide a page goes straight past it, forward and
back; another is screened out after the first page and reads the screen-out's own closing text, and their link
then says they have answered. Every page passes axe-core (WCAG 2.1 A/AA)."""

from __future__ import annotations

from typing import Any

from surveys.definition import build_survey, to_data
from tests.e2e.support import PHONE, LiveSite, assert_accessible, shot, stored_response
from tests.webapp.test_respond_page_logic import logic_survey
from webapp.services.customer_lists import read_customer_list
from webapp.services.invitations import create_invitations
from webapp.services.publishing import publish_survey
from webapp.storage.engine import open_session


def test_a_skipped_page_and_a_screen_out(site: LiveSite, browser: Any) -> None:
    survey = build_survey(to_data(logic_survey()) | {"id": "page_logic_e2e"})
    customers = read_customer_list(b"customer_id\ne2e-logic-1\ne2e-logic-2\n")
    with open_session(site.database_url, upgrade=False) as session:
        publish_survey(session, survey)
        links = create_invitations(session, survey.id, customers.rows, "email")
    context = browser.new_context(viewport=PHONE, locale="en-GB", bypass_csp=True)
    try:
        page = context.new_page()
        # a customer with good marks: (4 + 5) / 2 = 4.5, so "What was hard" (and the call back after it) is skipped
        page.goto(site.url(f"/s/{links[0].token}"))
        assert_accessible(page, "page logic, first page")
        page.check('input[name="q_customer"][value="yes"]')
        page.check('input[name="q_wait"][value="4"]')
        page.check('input[name="q_fix"][value="5"]')
        page.click("button[type=submit]:not([name=back])")
        main = page.locator("main").inner_text()
        assert "Anything else?" in main and "What made it hard?" not in main
        assert_accessible(page, "page logic, last page after a skipped page")
        shot(page, "page-logic-1-skipped")
        page.click("button[name=back]")  # Back goes over the skipped pages to the first one
        assert page.is_checked('input[name="q_fix"][value="5"]')
        page.click("button[type=submit]:not([name=back])")
        page.fill('textarea[name="q_more"]', "All good")
        page.click("button[type=submit]:not([name=back])")
        assert "Thank you" in page.locator("h1").inner_text()
        stored = stored_response(site.database_url, "e2e-logic-1")
        assert stored is not None and stored["answers"] == {"q_customer": "yes", "q_wait": 4, "q_fix": 5,
                                                             "q_more": "All good", "effort_index": 4.5}

        # not a customer: screened out after the first page, with the rule's own closing text
        page.goto(site.url(f"/s/{links[1].token}"))
        page.check('input[name="q_customer"][value="no"]')
        page.click("button[type=submit]:not([name=back])")
        assert "This survey is only for our customers. Thank you for your time." in page.locator("main").inner_text()
        assert_accessible(page, "screen-out closing text")
        shot(page, "page-logic-2-screened-out")
        stored = stored_response(site.database_url, "e2e-logic-2")
        assert stored is not None and stored["status"] == "complete"
        assert stored["answers"] == {"q_customer": "no", "_screened_out": "not_customer"}
        page.goto(site.url(f"/s/{links[1].token}"))  # reopened: already answered, nothing to continue
        assert "You have already answered this survey" in page.locator("h1").inner_text()
        assert_accessible(page, "screened-out link reopened")
    finally:
        context.close()
