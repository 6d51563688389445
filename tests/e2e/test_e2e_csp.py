"""With the site's Content-Security-Policy enforced (no bypass), the pages load without a single CSP
violation in Chromium: nothing on them relies on inline script, and styles come from the site's own files."""

from __future__ import annotations

from typing import Any

from tests.e2e.support import DESKTOP, PASSWORD, LiveSite, shot


def test_pages_raise_no_csp_violations(site: LiveSite, new_page: Any) -> None:
    page = new_page(DESKTOP, enforce_csp=True)
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    reply = page.goto(site.url(site.personal_link("e2e-csp")))
    assert reply is not None and "default-src 'self'" in reply.headers["content-security-policy"]
    # the stylesheet applied: the submit button is styled by respond.css, not the browser's default
    assert page.locator("button[type=submit]").evaluate("b => getComputedStyle(b).backgroundColor") != "rgb(239, 239, 239)"
    page.goto(site.url("/login"))
    page.fill("#email", "analyst@example.com")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    for path in ("/results/", "/results/acme_relationship", "/reports/"):
        reply = page.goto(site.url(path))
        assert reply is not None and reply.status == 200, path
    shot(page, "csp-enforced-reports")
    assert violations == []
