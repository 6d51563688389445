"""A finished report's sharing and monthly-mailing forms in Chromium, axe-clean in every state (new link shown,
a field refused, a schedule listed), and the shared link opened by a reader without an account — the report with
its PDF offered, then, once revoked, a clear 404 page (issue 16)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import DESKTOP, PHONE, LiveSite, assert_accessible, shot, sign_in
from tests.webapp.support.reports import finished_report
from tests.webapp.support.results import add_staff
from webapp.app import create_app
from webapp.storage.engine import open_session
from webapp.storage.reports import ReportJob


@pytest.fixture(scope="module")
def job_id(site: LiveSite, tmp_path_factory: pytest.TempPathFactory) -> int:
    """A finished report in the live site's database: analysed on a database of its own (so the site's survey
    keeps its responses and versions), then stored as a finished job of the site's survey."""
    folder = tmp_path_factory.mktemp("shared-report")
    url = f"sqlite:///{folder / 'cxroi.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance"), "TESTING": True,
                      "SECRET_KEY": "test-secret"})
    add_staff(url)
    with open_session(url, upgrade=False) as session:
        made = session.get_one(ReportJob, finished_report(app, url))
        copy = {name: getattr(made, name) for name in ("survey_title", "status", "progress", "outcomes_name",
                                                       "outcomes_sha256", "outcomes_bytes", "outcomes_file",
                                                       "config", "seed", "results", "created_by", "created_at",
                                                       "started_at", "finished_at", "updated_at")}
    with open_session(site.database_url, upgrade=False) as session:
        job = ReportJob(survey_slug=site.slug, **copy)
        session.add(job)
        session.commit()
        return job.id


def test_sharing_and_scheduling_forms_and_the_shared_page(site: LiveSite, new_page: Any, job_id: int,
                                                          tmp_path: Path) -> None:
    page = new_page(DESKTOP)
    sign_in(page, site, "analyst@example.com")
    page.goto(site.url(f"/reports/{job_id}"))
    assert_accessible(page, "the finished report's page with its sharing and mailing forms")

    page.fill("#days", "14")
    page.fill("#label", "Chief financial officer")
    page.locator("button:has-text('Make a link')").press("Enter")
    link = page.locator("#new-link").input_value()
    assert link.startswith(site.base_url + "/shared/")
    assert_accessible(page, "the report page showing a new link")
    shot(page, "analyst-8-shared-link")

    page.goto(site.url(f"/reports/{job_id}"))
    page.fill("#day_of_month", "5")
    page.fill("#recipients", "cfo@example.com\nnot-an-address")
    page.locator("button:has-text('Schedule')").press("Enter")
    assert "line 2: malformed e-mail address 'not-an-address'" in page.locator("#recipients-error").inner_text()
    assert_accessible(page, "the report page with a refused address")
    page.fill("#recipients", "cfo@example.com")
    page.locator("button:has-text('Schedule')").press("Enter")
    assert page.locator("text=Stop mailing").count() == 1
    assert_accessible(page, "the report page with a monthly mailing")
    shot(page, "analyst-9-monthly-mailing")

    for size, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        reader = new_page(size)  # no account, no cookies
        reader.goto(link)
        assert reader.locator("a:has-text('Download the PDF')").count() == 1
        assert "what customer experience is worth" in reader.locator("h1").inner_text()
        assert_accessible(reader, f"the shared report ({name})")
        shot(reader, f"reader-shared-report-{name}")
        with reader.expect_download() as download_info:
            reader.click("a:has-text('Download the PDF')")
        pdf = tmp_path / f"shared-{name}.pdf"
        download_info.value.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF-")

    page.goto(site.url(f"/reports/{job_id}"))
    page.locator("button:has-text('Revoke link')").first.press("Enter")
    gone = new_page(PHONE)
    response = gone.goto(link)
    assert response is not None and response.status == 404
    assert "may have been revoked" in gone.locator("main").inner_text()
    assert_accessible(gone, "the page of a revoked link")
