"""Issue 16 in a real Chromium: at a 320 × 640 viewport a page with scale grids, a 0–10 scale and long labels
has no sideways scrolling, grid rows stack (legend above its scale), the 0–10 scale wraps with both end labels
on screen; "Not applicable" and "No answer" are radios reached by the keyboard; the progress bar, the Back
button (which keeps what was given) and the survey's branding (accent colour, logo from the instance folder) pass
axe-core (WCAG 2.1 A/AA)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from surveys.definition import build_survey
from tests.e2e.support import DESKTOP, LiveSite, assert_accessible, shot, stored_response
from webapp.services.invitations import create_invitations
from webapp.services.publishing import publish_survey
from webapp.storage.engine import open_session

SMALL = {"width": 320, "height": 640}
ACCENT = "#7a1f5c"  # 8.9:1 against white
ACCENT_RGB = "rgb(122, 31, 92)"
LONG = "Our account managers understood the particular requirements of your organisation's procurement process"


def _logo(site: LiveSite) -> None:
    """A 120 × 40 PNG in the live site's instance folder, branding/acme/logo.png."""
    from PIL import Image

    folder = Path(site.database_url.removeprefix("sqlite:///")).parent / "instance" / "branding" / "acme"
    folder.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (120, 40), (122, 31, 92)).save(folder / "logo.png")


@pytest.fixture(scope="module")
def phone_survey(site: LiveSite) -> str:
    _logo(site)
    survey = build_survey({
        "id": "phone_check", "title": "Your account review",
        "branding": {"accent_color": ACCENT, "logo_url": "acme/logo.png", "logo_alt": "Acme"},
        "not_applicable": True,
        "brand_promises": [{"id": "easy", "label": "We make things easy"},
                           {"id": "understood", "label": LONG}],
        "sections": [
            {"id": "review", "title": "The review", "questions": [
                {"id": "q_align", "type": "alignment", "points": 7, "required": True,
                 "text": "How well did your experience over the last year match each of these promises?"},
                {"id": "q_nps", "type": "nps", "text": "How likely are you to recommend Acme to a colleague?"},
                {"id": "q_staff", "type": "rating", "text": "How helpful was your account manager?",
                 "scale": {"min": 1, "max": 5, "min_label": "Not at all helpful", "max_label": "Extremely helpful"}},
            ]},
            {"id": "more", "title": "A little more", "questions": [
                {"id": "q_why", "type": "text", "text": "What should we change?"},
            ]},
        ],
    })
    with open_session(site.database_url, upgrade=False) as session:
        publish_survey(session, survey)
    return survey.id


def _link(site: LiveSite, slug: str, customer: str) -> str:
    with open_session(site.database_url, upgrade=False) as session:
        (link,) = create_invitations(session, slug, [customer], "email")
    return f"/s/{link.token}"


def _right_edge(page: Any, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return float(box["x"] + box["width"])


def test_a_page_of_grids_and_a_0_to_10_scale_fits_320_px(site: LiveSite, new_page: Any, phone_survey: str) -> None:
    page = new_page(SMALL)
    page.goto(site.url(_link(site, phone_survey, "phone-320")))
    assert page.evaluate("document.scrollingElement.scrollWidth") <= SMALL["width"]
    # grid rows are fieldsets stacked one under the other, each legend above its scale
    rows = page.locator("fieldset.grid-row")
    assert rows.count() == 2
    first, second = rows.nth(0).bounding_box(), rows.nth(1).bounding_box()
    assert first is not None and second is not None and second["y"] >= first["y"] + first["height"]
    legend = rows.nth(1).locator("legend").bounding_box()
    option = rows.nth(1).locator(".option").first.bounding_box()
    assert legend is not None and option is not None and option["y"] >= legend["y"] + legend["height"]
    # the 0–10 scale wraps inside the screen and both end labels are shown in full
    for label in ("0 – Not at all likely", "10 – Extremely likely"):
        locator = page.locator("label", has_text=label)
        assert locator.is_visible()
        assert _right_edge(page, f'label:has-text("{label}")') <= SMALL["width"]
    last_point = page.locator('input[name="q_nps"][value="10"]').bounding_box()
    first_point = page.locator('input[name="q_nps"][value="0"]').bounding_box()
    assert last_point is not None and first_point is not None and last_point["y"] > first_point["y"]  # wrapped
    # progress, N/A and No answer, the logo: all checked by axe-core
    assert page.locator("progress").get_attribute("value") == "1"
    assert page.locator('img.brand-logo').evaluate("img => img.complete && img.naturalWidth") == 120
    assert page.locator("button[type=submit]").first.evaluate(
        "b => getComputedStyle(b).backgroundColor") == ACCENT_RGB
    assert_accessible(page, "a page of grids at 320 px")
    shot(page, "respondent-320-grids-and-scales")


def test_no_answer_and_not_applicable_by_keyboard_then_back_keeps_them(site: LiveSite, new_page: Any,
                                                                        phone_survey: str) -> None:
    customer = "phone-keyboard"
    page = new_page(DESKTOP)
    page.goto(site.url(_link(site, phone_survey, customer)))
    # q_staff: pick 3, then arrow through the group (one tab stop) to "No answer", the last radio
    page.check('input[name="q_staff"][value="3"]')
    for _ in range(10):
        page.keyboard.press("ArrowDown")
        if page.evaluate("document.activeElement.value") == "":
            break
    assert page.is_checked('input[name="q_staff"][value=""]')
    # a grid row answered "Not applicable" by Space on its focused radio
    page.focus('input[name="q_align.easy"][value="n/a"]')
    page.keyboard.press("Space")
    page.check('input[name="q_align.understood"][value="6"]')
    page.check('input[name="q_nps"][value="9"]')
    page.click("button[type=submit]")
    assert page.locator(".progress").inner_text() == "Page 2 of 2"
    page.fill('textarea[name="q_why"]', "Fewer forms")
    assert_accessible(page, "page 2 with the Back button")
    page.click("button.back")  # saves the comment, shows page 1 with its answers
    assert page.locator(".progress").inner_text() == "Page 1 of 2"
    assert page.is_checked('input[name="q_align.easy"][value="n/a"]')
    assert page.is_checked('input[name="q_nps"][value="9"]')
    assert not page.is_checked('input[name="q_staff"][value="3"]')
    assert_accessible(page, "page 1 after Back, with Not applicable ticked")
    shot(page, "respondent-back-keeps-not-applicable")
    stored = stored_response(site.database_url, customer)
    assert stored is not None
    assert stored["answers"] == {"q_align": {"understood": 6}, "q_nps": 9, "q_why": "Fewer forms",
                                 "_not_applicable": ["q_align.easy"]}
    page.click("button[type=submit]")
    assert page.locator('textarea[name="q_why"]').input_value() == "Fewer forms"
