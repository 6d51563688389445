"""An analyst signs in, uploads an outcomes file for a survey with responses, waits for the ROI analysis and
downloads the PDF; the reports pages pass axe-core. The survey (from `cxroi demo-data`, published and its
responses imported with the real commands) has markup in its title, which must come out as text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.support import DESKTOP, ROOT, LiveSite, assert_accessible, shot, sign_in

TITLE = "How are we doing? <b>ROI</b> & <script>alert(1)</script>"
ANALYSIS_TIMEOUT_MS = 300_000  # bounded wait for the background analysis (a shared 2-core machine)


def cxroi(site: LiveSite, *args: str) -> None:
    env = dict(os.environ) | {"CXROI_DATABASE_URL": site.database_url}
    done = subprocess.run([sys.executable, "-c", "from webapp.cli import main; main()", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def demo_files(site: LiveSite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo-data")
    cxroi(site, "demo-data", "--customers", "400", "--seed", "7", "--out", str(folder))
    definition = yaml.safe_load((folder / "survey.yaml").read_text(encoding="utf-8"))
    definition["title"] = TITLE
    (folder / "survey.yaml").write_text(yaml.safe_dump(definition, allow_unicode=True), encoding="utf-8")
    cxroi(site, "survey", "publish", str(folder / "survey.yaml"))
    cxroi(site, "responses", "import", definition["id"], str(folder / "responses.csv"))
    return folder


def test_analyst_uploads_outcomes_and_downloads_the_pdf(site: LiveSite, new_page: Any, demo_files: Path,
                                                       tmp_path: Path) -> None:
    from pypdf import PdfReader

    page = new_page(DESKTOP)
    sign_in(page, site, "analyst@example.com")
    page.goto(site.url("/reports/"))
    assert_accessible(page, "the reports page")
    shot(page, "analyst-1-reports")
    page.select_option("#survey", "demo_relationship")
    page.set_input_files("#outcomes", str(demo_files / "outcomes.csv"))
    page.fill("#bootstrap", "20")
    shot(page, "analyst-2-upload")
    with page.expect_navigation(timeout=ANALYSIS_TIMEOUT_MS):
        # Enter on the focused button: after a full-page screenshot of this tall page, headless Chromium
        # drops a mouse click on the button (no request is sent), while the keyboard works every time
        page.locator("main button[type=submit]").press("Enter")
    problems = page.locator(".error-summary, p.error")
    assert problems.count() == 0, problems.first.inner_text()
    assert "/reports/" in page.url
    job_url = page.url.split("?")[0]
    shot(page, "analyst-3-running")
    # While it runs the page reloads itself (meta refresh, which axe flags under WCAG 2.2.1 whatever the
    # page offers); the page links to ?refresh=off, the accessible way to read it, which is checked here.
    if page.locator('meta[http-equiv="refresh"]').count():
        page.goto(job_url + "?refresh=off")
        assert page.locator('meta[http-equiv="refresh"]').count() == 0
        assert_accessible(page, "the report job page without reloading")
        page.goto(job_url)
    # The job page refreshes itself until the analysis is done (or failed).
    page.wait_for_selector("a:has-text('Download the PDF'), .status-failed", timeout=ANALYSIS_TIMEOUT_MS)
    assert page.locator(".status-failed").count() == 0, page.locator(".status-failed").inner_text()
    assert TITLE in page.locator("h1").inner_text()  # the markup is shown as text
    assert_accessible(page, "the finished report job page")
    shot(page, "analyst-4-done")

    with page.expect_download() as download_info:
        page.click("a:has-text('Download the PDF')")
    pdf = tmp_path / "report.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    reader = PdfReader(pdf)
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    assert len(reader.pages) >= 2
    assert "<b>ROI</b>" in text  # escaped, not read as markup by reportlab (which would make it bold)
    assert "400" in text  # the 400 customers of the outcomes file are counted somewhere in the report

    page.goto(site.url("/results/demo_relationship"))  # the results pages, with charts of real answers
    assert page.locator("svg").count() >= 1
    assert_accessible(page, "the results page")
    shot(page, "analyst-5-results")

    page.goto(job_url)
    page.click("a:has-text('Read the report (HTML)')")
    assert page.locator("script").count() == 0  # the title's <script> is text, not an element (before axe's)
    assert TITLE in page.locator("body").inner_text()
    assert_accessible(page, "the HTML report")
    shot(page, "analyst-6-html-report")


def test_themes_page_and_codebook_editor_are_accessible(site: LiveSite, new_page: Any, demo_files: Path) -> None:
    """The themes page before and after an author finds themes in the demo's comments (one has markup), and
    the codebook editor with its forms (issue 17)."""
    author = new_page(DESKTOP)
    sign_in(author, site, "lead@example.com")
    author.goto(site.url("/themes/demo_relationship/codebook"))
    assert_accessible(author, "the codebook editor without a codebook")
    author.fill("#discover-themes", "4")
    author.click("button:has-text('Find themes')")
    assert author.locator("text=Version 1 in use").count() == 1
    assert_accessible(author, "the codebook editor")
    shot(author, "author-codebook")

    page = new_page(DESKTOP)
    sign_in(page, site, "analyst@example.com")
    page.goto(site.url("/results/demo_relationship/themes"))
    assert page.locator("#themes tbody tr").count() == 4
    assert page.locator("script").count() == 0  # a comment's <script> is text
    assert_accessible(page, "the themes page")
    shot(page, "analyst-7-themes")
