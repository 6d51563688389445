"""The editor's tools in Chromium (issue 16): drag and drop of a question (with the site's CSP enforced, so the
script file must be allowed and no inline script is needed), the same move without JavaScript and by keyboard,
the editor coming back at the moved question, the side preview framed beside the pages, the settings form
and the condition builder with their per-field errors; axe-core clean on each page, screenshots of the editor
at phone and desktop sizes."""

from __future__ import annotations

from typing import Any

from tests.e2e.support import DESKTOP, LiveSite, assert_accessible, shot, sign_in

PHONE_TALL = {"width": 390, "height": 844}
TALL = {"width": 1280, "height": 2600}
SLUG = "e2e_tools"


def order(page: Any, section: str) -> list[str]:
    return [str(item) for item in page.eval_on_selector_all(
        f"#s-{section} .question-box", "items => items.map(item => item.dataset.question)")]


def create(page: Any, site: LiveSite) -> None:
    page.goto(site.url("/author/new"))
    page.fill("#survey_id", SLUG)
    page.fill("#title", "Tools check")
    page.select_option("#start", "relationship")
    page.click("main button[type=submit]")
    assert page.url.endswith(f"/author/{SLUG}")


def test_drag_and_drop_keyboard_and_no_script_moves(site: LiveSite, new_page: Any, browser: Any) -> None:
    # tall enough that source and target are both in view: a drag does not scroll the page under the pointer
    page = new_page(TALL, enforce_csp=True)
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    sign_in_plain(page, site)
    create(page, site)
    assert order(page, "moments") == ["q_urgent", "q_reach_human", "q_continuity", "q_valued"]
    assert page.get_attribute("#q-q_valued", "draggable") == "true"  # the script ran under the CSP
    # drop q_valued on the upper half of q_urgent: it goes first on its page, in one step
    drag(page, "#q-q_valued", "#q-q_urgent", upper=True)
    page.wait_for_url(f"**/author/{SLUG}#q-q_valued")
    assert order(page, "moments") == ["q_valued", "q_urgent", "q_reach_human", "q_continuity"]
    # onto another page: q_consistency (last of "channels") dropped before q_valued (first of "moments")
    drag(page, "#q-q_consistency", "#q-q_valued", upper=True)
    page.wait_for_url(f"**/author/{SLUG}#q-q_consistency")
    assert order(page, "channels") == ["q_channel"]
    assert order(page, "moments") == ["q_consistency", "q_valued", "q_urgent", "q_reach_human", "q_continuity"]
    # the side preview followed the address to the page of the moved question
    assert page.frame_locator("#side-preview").locator(".preview-banner").inner_text().startswith(
        "Preview of page 4.")
    # keyboard: focus q_consistency's Move up button and press Enter: back to the end of "channels"
    page.locator("#q-q_consistency button:has-text('Move up')").focus()
    with page.expect_navigation():  # the address already ends with this anchor: wait for the new page
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/author/{SLUG}#q-q_consistency")
    assert order(page, "channels") == ["q_channel", "q_consistency"]
    assert violations == []

    # without JavaScript: nothing is draggable, and the Move buttons do the same
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        plain = context.new_page()
        sign_in_plain(plain, site)
        plain.goto(site.url(f"/author/{SLUG}"))
        assert plain.get_attribute("#q-q_valued", "draggable") is None
        plain.locator("#q-q_valued button:has-text('Move down')").click()
        assert plain.url.endswith(f"/author/{SLUG}#q-q_valued")
        assert order(plain, "moments") == ["q_urgent", "q_valued", "q_reach_human", "q_continuity"]
        plain.locator("a:has-text('Preview beside')").nth(3).click()  # the frame follows the link, no script
        plain.frame_locator("#side-preview").locator(".preview-banner", has_text="Preview of page 4.").wait_for()
    finally:
        context.close()


def drag(page: Any, source: str, target: str, *, upper: bool) -> None:
    """Drag `source` by its text onto the upper (or lower) part of `target`, with both in view."""
    page.eval_on_selector("#s-channels", "element => element.scrollIntoView()")
    box = page.locator(target).bounding_box()
    assert box is not None and box["y"] >= 0
    page.drag_and_drop(f"{source} .question-text", target,
                       target_position={"x": 20, "y": 4 if upper else box["height"] - 4})


def sign_in_plain(page: Any, site: LiveSite) -> None:
    page.goto(site.url("/login"))
    page.fill("#email", "lead@example.com")
    from tests.e2e.support import PASSWORD

    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_preview_settings_form_and_condition_builder(site: LiveSite, new_page: Any) -> None:
    page = new_page(DESKTOP)
    sign_in(page, site, "lead@example.com")
    if page.goto(site.url(f"/author/{SLUG}")).status != 200:  # this test may run alone
        create(page, site)
    preview = page.frame_locator("#side-preview")
    assert preview.locator(".preview-banner").inner_text().startswith("Preview of page 1.")
    page.locator("#s-finally a:has-text('Preview beside')").click()
    preview.locator(".preview-banner", has_text="Preview of page 5.").wait_for()  # the frame follows the link
    split = page.evaluate("() => { const r = [document.querySelector('.editor-pages'), "
                          "document.querySelector('.side-preview')].map(e => e.getBoundingClientRect()); "
                          "return r[1].left >= r[0].right; }")
    assert split is True  # beside the pages on a desktop
    assert_accessible(page, "the editor with its side preview")
    shot(page, "author-tools-editor-desktop")

    # the settings form of the channel grid: a word where a number goes, then a valid scale
    page.goto(site.url(f"/author/{SLUG}/questions/q_channel"))
    assert_accessible(page, "the question editor with its settings form")
    page.fill("#set-scale-max", "seven")
    page.click("button:has-text('Save the settings')")
    assert page.title().startswith("Error:")
    assert page.locator("#set-scale-max-error").inner_text() == "enter a whole number, not 'seven'"
    assert page.locator("#set-scale-max").get_attribute("aria-invalid") == "true"
    assert_accessible(page, "the settings form with an error")
    shot(page, "author-tools-settings-error")
    page.fill("#set-scale-max", "7")
    page.click("button:has-text('Save the settings')")  # the template names five points: seven labels needed
    assert page.locator("#set-scale-labels-error").inner_text().startswith("labels must name every point: 7 labels")
    page.fill("#set-scale-labels", "")  # the ends' labels are enough
    page.click("button:has-text('Save the settings')")
    assert page.url.endswith(f"/author/{SLUG}#q-q_channel")
    page.goto(site.url(f"/author/{SLUG}/questions/q_channel"))
    assert page.locator("#set-scale-max").input_value() == "7"

    # the condition builder on the last question
    page.goto(site.url(f"/author/{SLUG}/questions/q_one_change"))
    page.select_option("#cond-question", "q_ces")
    page.select_option("#cond-operator", "<")
    page.fill("#cond-value", "nine")
    page.click("button:has-text('Set the condition')")
    assert page.locator("#cond-value-error").inner_text() == "'nine' is not an answer of q_ces; it can be 1, 2, 3, 4, 5, 6, 7"
    assert_accessible(page, "the condition builder with an error")
    shot(page, "author-tools-condition-error")
    page.fill("#cond-value", "4")
    page.click("button:has-text('Set the condition')")
    assert page.url.endswith(f"/author/{SLUG}#q-q_one_change")
    assert "shown if q_ces < 4" in page.locator("#q-q_one_change").inner_text()
    page.goto(site.url(f"/author/{SLUG}/questions/q_one_change"))
    assert page.locator("#show_if").input_value() == "q_ces < 4"  # the expert text box shows what it wrote

    phone = new_page(PHONE_TALL)
    sign_in(phone, site, "lead@example.com")
    phone.goto(site.url(f"/author/{SLUG}"))
    stacked = phone.evaluate("() => { const r = [document.querySelector('.editor-pages'), "
                             "document.querySelector('.side-preview')].map(e => e.getBoundingClientRect()); "
                             "return r[1].top >= r[0].bottom && r[1].width <= window.innerWidth; }")
    assert stacked is True  # stacked under the pages on a phone
    assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(phone, "the editor on a phone")
    shot(phone, "author-tools-editor-phone")
