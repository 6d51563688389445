"""A respondent completes the example survey through a personal link in a real Chromium, at a phone-sized
and a desktop viewport: a validation error, a resume after closing the page, the thank-you page; every
page passes axe-core (WCAG 2.1 A/AA). A keyboard-only respondent (Tab, Space, Enter) completes it too."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.support import DESKTOP, PHONE, LiveSite, assert_accessible, shot, stored_response


def radio(page: Any, name: str, value: str) -> None:
    page.check(f'input[type=radio][name="{name}"][value="{value}"]')


def is_checked(page: Any, name: str, value: str) -> bool:
    return bool(page.is_checked(f'input[name="{name}"][value="{value}"]'))


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_respondent_completes_with_an_error_and_a_resume(site: LiveSite, new_page: Any,
                                                         viewport: dict[str, int]) -> None:
    kind = "phone" if viewport == PHONE else "desktop"
    customer = f"e2e-{kind}"
    link = site.personal_link(customer)
    page = new_page(viewport)
    page.goto(site.url(link))
    assert page.locator("h1").inner_text() == "What we promised"
    assert page.locator(".progress").inner_text() == "Page 1 of 2"
    assert_accessible(page, f"page 1 ({kind})")
    shot(page, f"respondent-{kind}-1-first-page")
    if viewport == PHONE:  # nothing wider than the phone's screen: no sideways scrolling
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The required effort question is left out: the page comes back with an error summary and the answers given.
    radio(page, "q_align.easy", "4")
    radio(page, "q_align.partner", "2")
    page.click("button[type=submit]")
    assert page.title().startswith("Error:")
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert "Acme made it easy to get what I needed." in summary.inner_text()
    assert is_checked(page, "q_align.easy", "4") and is_checked(page, "q_align.partner", "2")
    assert_accessible(page, f"page 1 with an error ({kind})")
    shot(page, f"respondent-{kind}-2-validation-error")
    stored = stored_response(site.database_url, customer)
    assert stored is not None and stored["answers"] == {} and stored["current_page"] == 0

    radio(page, "q_ces", "3")
    page.check('input[type=checkbox][name="q_channels"][value="phone"]')  # page 2 then rates only phone
    page.click("button[type=submit]")
    assert page.locator(".progress").inner_text() == "Page 2 of 2"
    # q_ces 3 ≤ 4, so the open question "what should we change" is shown (show_if: q_ces <= 4)
    assert page.locator('textarea[name="q_why"]').count() == 1
    assert_accessible(page, f"page 2 ({kind})")
    shot(page, f"respondent-{kind}-3-second-page")
    radio(page, "q_nps", "7")  # answered but never sent: the page is closed mid-way
    page.context.close()

    # Resume in a fresh browser (no cookies): the personal link opens at page 2 and page 1 kept its answers.
    page = new_page(viewport)
    page.goto(site.url(link))
    assert page.locator(".progress").inner_text() == "Page 2 of 2"
    assert not is_checked(page, "q_nps", "7")  # the unsent answer was never stored
    shot(page, f"respondent-{kind}-4-resumed")
    page.click("button.back")  # Back saves page 2 as it is (nothing given) and shows page 1
    assert page.locator(".progress").inner_text() == "Page 1 of 2"
    assert is_checked(page, "q_align.easy", "4") and is_checked(page, "q_align.partner", "2")
    assert is_checked(page, "q_ces", "3")
    shot(page, f"respondent-{kind}-5-back-to-page-1")
    page.click("button[type=submit]")

    radio(page, "q_friction.ordering", "yes")
    page.fill('[name="q_friction.ordering.what"]', "The <b>form</b> was long")
    radio(page, "q_friction.billing", "no")
    assert page.locator('input[name="q_channel.email"]').count() == 0  # only the channel ticked on page 1
    radio(page, "q_channel.phone", "5")
    page.fill('textarea[name="q_why"]', "Call back sooner")
    radio(page, "q_nps", "8")
    shot(page, f"respondent-{kind}-6-second-page-answered")
    page.click("button[type=submit]")
    assert "/thanks" in page.url
    assert_accessible(page, f"thank-you page ({kind})")
    shot(page, f"respondent-{kind}-7-thanks")

    stored = stored_response(site.database_url, customer)
    assert stored is not None and stored["status"] == "complete"
    # worked out from the clicks above and the example's rules: unused channels are not rated
    assert stored["answers"] == {
        "q_align": {"easy": 4, "partner": 2},
        "q_ces": 3,
        "q_friction": {"ordering": {"hesitated": True, "what": "The <b>form</b> was long"},
                       "billing": {"hesitated": False}},
        "q_channels": ["phone"],
        "q_channel": {"phone": 5},
        "q_why": "Call back sooner",
        "q_nps": 8,
    }

    # The link is single-use: opening it again shows "already answered" (410), and nothing changes.
    reply = page.goto(site.url(link))
    assert reply is not None and reply.status == 410
    assert_accessible(page, f"already-answered page ({kind})")
    shot(page, f"respondent-{kind}-8-link-used")
    assert stored_response(site.database_url, customer) == stored


def test_keyboard_only_completion(site: LiveSite, new_page: Any) -> None:
    """Tab moves between controls, Space picks the focused radio (the first of its group) or checkbox,
    Enter submits: the stored answers are exactly what the keyboard chose, read from the focused inputs."""
    customer = "e2e-keyboard"
    page = new_page(DESKTOP)
    page.goto(site.url(site.personal_link(customer)))
    chosen: dict[str, list[str]] = {}
    for _page in range(2):
        answered: set[str] = set()
        for _ in range(200):  # bounded: a page has far fewer controls
            page.keyboard.press("Tab")
            focused = page.evaluate(
                "() => { const e = document.activeElement; return {tag: e.tagName, type: e.type || '',"
                " name: e.name || '', value: e.value || ''}; }")
            if focused["tag"] == "BUTTON":
                with page.expect_navigation():
                    page.keyboard.press("Enter")
                break
            unused_channel = (focused["name"].startswith("q_channel.")
                              and focused["name"].split(".")[1] not in chosen.get("q_channels", []))
            if focused["type"] == "radio" and focused["name"] not in answered and not unused_channel:
                page.keyboard.press("Space")
                answered.add(focused["name"])
                chosen[focused["name"]] = [focused["value"]]
            elif focused["type"] == "checkbox" and focused["value"] == "email":
                page.keyboard.press("Space")
                chosen.setdefault(focused["name"], []).append(focused["value"])
            elif focused["tag"] == "TEXTAREA" and focused["name"] == "q_why":
                page.keyboard.type("Keyboard only")
        else:
            pytest.fail("Tab never reached the submit button")
        if page.title().startswith("Error:"):
            shot(page, "respondent-keyboard-error")
            pytest.fail(f"the keyboard-only answers were refused: {page.locator('.error-summary').inner_text()}")
    assert "/thanks" in page.url, page.url
    shot(page, "respondent-keyboard-thanks")
    stored = stored_response(site.database_url, customer)
    assert stored is not None and stored["status"] == "complete"
    answers = stored["answers"]
    # The first radio of every group is what Space picks; check a few against the focused values read above.
    assert answers["q_align"] == {"easy": int(chosen["q_align.easy"][0]), "partner": int(chosen["q_align.partner"][0])}
    assert answers["q_ces"] == int(chosen["q_ces"][0]) == 1  # "Strongly disagree" comes first
    assert answers["q_channels"] == ["email"]
    assert answers["q_channel"] == {"email": int(chosen["q_channel.email"][0])}  # only the channel used
    assert answers["q_why"] == "Keyboard only"  # q_ces 1 ≤ 4 shows the open question
