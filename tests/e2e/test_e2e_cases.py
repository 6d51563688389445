"""Closing the loop in a real Chromium (issue 11): respondents of two waves answer through their personal links;
one answer matches the survey's follow-up rule, so a case opens; the CX lead, who owns it, finds it on the cases
page, opens it, records a note and a status change. The cases pages (and the churn-risk threshold), the mail template
editor, the unsubscribe page and the results page's "By wave" section pass axe-core (WCAG 2.1 A/AA)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from surveys.definition import build_survey
from tests.e2e.support import DESKTOP, EXAMPLE, LiveSite, assert_accessible, shot, sign_in
from webapp.services.customer_lists import read_customer_list
from webapp.services.mailing import unsubscribe_token
from webapp.services.publishing import publish_survey
from webapp.services.waves import start_wave
from webapp.storage.engine import open_session

SLUG = "e2e_loop"
RULE = {"id": "hard_to_deal_with", "when": "q_ces <= 3", "priority": "high", "owner": "lead@example.com",
        "note": "Call the customer back within a day"}
SECRET = "e2e-secret"  # the live site's CXROI_SECRET_KEY (tests/e2e/support.py)


def radio(page: Any, name: str, value: str) -> None:
    page.check(f'input[type=radio][name="{name}"][value="{value}"]')


def answer(page: Any, site: LiveSite, link: str, ces: str) -> None:
    """Answer both pages of the example survey through the real pages."""
    page.goto(site.url(link))
    radio(page, "q_align.easy", "4")
    radio(page, "q_align.partner", "3")
    radio(page, "q_ces", ces)
    page.check('input[type=checkbox][name="q_channels"][value="phone"]')
    page.click("button[type=submit]")
    radio(page, "q_friction.ordering", "no")
    radio(page, "q_friction.billing", "no")
    radio(page, "q_channel.phone", "4")
    radio(page, "q_nps", "8")
    page.click("button[type=submit]")
    assert page.locator("h1").count() == 1 and "/s/" in page.url


def test_cases_waves_and_mail_pages(site: LiveSite, new_page: Any) -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")) | {"id": SLUG, "follow_up": [RULE]}
    with open_session(site.database_url, upgrade=False) as session:
        publish_survey(session, build_survey(data))
        first = start_wave(session, SLUG, read_customer_list(b"customer_id\nw1-a\nw1-b\n"), name="Q1", contact_days=0)
        second = start_wave(session, SLUG, read_customer_list(b"customer_id\nw2-a\nw2-b\n"), name="Q2",
                            contact_days=0)
    links = {link.customer_id: f"/s/{link.token}" for wave in (first, second) for link in wave.links}
    respondent = new_page(DESKTOP)
    for customer, ces in (("w1-a", "6"), ("w1-b", "5"), ("w2-a", "2"), ("w2-b", "7")):
        answer(respondent, site, links[customer], ces)  # w2-a's effort score 2 matches the rule: a case opens

    page = new_page(DESKTOP)
    sign_in(page, site, "lead@example.com")
    page.goto(site.url("/cases/"))
    assert_accessible(page, "the cases page")
    shot(page, "cases-1-list")
    row = page.locator("main").get_by_role("link", name=re.compile(r"^Case \d+"))
    assert row.count() == 1
    row.first.click()
    assert "/cases/" in page.url and "w2-a" in page.locator("main").inner_text()
    assert "Call the customer back within a day" in page.locator("main").inner_text()
    assert_accessible(page, "a case")
    shot(page, "cases-2-case")
    page.fill("textarea[name=text]", "Called: the refund is on its way")
    page.locator("form", has=page.locator("textarea[name=text]")).locator("button[type=submit]").click()
    assert "Called: the refund is on its way" in page.locator("main").inner_text()
    page.select_option("select[name=status]", "contacted")
    page.locator("form", has=page.locator("select[name=status]")).locator("button[type=submit]").click()
    assert "open → contacted" in page.locator("main").inner_text()
    assert_accessible(page, "a case with a note and a status change")
    shot(page, "cases-3-worked")

    page.goto(site.url(f"/cases/risk/{SLUG}"))  # the CX lead's churn-risk threshold
    assert_accessible(page, "the churn-risk threshold page")
    page.fill("#r-threshold", "")  # (the browser itself refuses numbers outside 1-99)
    page.click("main button[value=save]")
    assert page.title().startswith("Error:")
    assert_accessible(page, "the churn-risk threshold page with an error")
    page.fill("#r-threshold", "40")
    page.click("main button[value=save]")
    assert page.locator("#r-threshold").input_value() == "40"
    shot(page, "cases-4-risk-threshold")

    page.goto(site.url(f"/author/{SLUG}/mail"))
    assert_accessible(page, "the mail template editor")
    shot(page, "mail-1-templates")

    page.goto(site.url(f"/results/{SLUG}"))
    assert page.locator("#h-waves").count() == 1
    assert_accessible(page, "the results page with its By wave section")
    shot(page, "results-by-wave")

    reader = new_page(DESKTOP)
    reader.goto(site.url(f"/unsubscribe/{unsubscribe_token(SECRET, 'w2-a@example.com', SLUG)}"))
    assert "w2-a@example.com" in reader.locator("main").inner_text()
    assert_accessible(reader, "the unsubscribe page")
    reader.locator("main button[type=submit]").click()
    assert "You are unsubscribed" in reader.locator("main").inner_text()
    assert_accessible(reader, "the unsubscribe confirmation")
    shot(reader, "unsubscribe-done")
