"""Reports pages: an invalid outcomes upload is refused with its row/column message and stores no job; a valid
one is queued and, once a worker has run it, is done (the page refreshes itself meanwhile), shows the HTML report, and
downloads a PDF whose text carries the report's headline; jobs are listed with their inputs."""

from __future__ import annotations

import hashlib
import html
import io
import re
import time

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from roi.report import headline
from tests.webapp.support.results import RESPONDENTS, add_staff, csrf_token, seed_survey, sign_in
from webapp.app import create_app
from webapp.queue import configure, drain
from webapp.services import reporting
from webapp.storage.engine import create_engine_for

POLL_LIMIT = 600  # polls of 0.5 s at most; a finished job usually needs a few


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Flask, str]:
    folder = tmp_path_factory.mktemp("reports")
    url = f"sqlite:///{folder / 'cxroi.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance"), "TESTING": True,
                      "SECRET_KEY": "test-secret"})
    add_staff(url)
    seed_survey(app, url)
    return app, url


@pytest.fixture
def analyst(seeded: tuple[Flask, str]) -> FlaskClient:
    client = seeded[0].test_client()
    sign_in(client, "analyst@example.com")
    return client


def job_count(url: str) -> int:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text("select count(*) from report_jobs")).scalar_one())
    finally:
        engine.dispose()


def job_status(url: str, job_id: int) -> str:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(sa.text("select status from report_jobs where id = :id"),
                                          {"id": job_id}).scalar_one())
    finally:
        engine.dispose()


def outcomes_csv(rows: list[tuple[str, str, str, str]]) -> bytes:
    """A file in the user's own column names (mapped in the form)."""
    lines = ["Customer,Lost,Months,Annual revenue"] + [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def valid_rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for number, r in enumerate(RESPONDENTS):
        churned = "1" if r.ces <= 3 else "0"  # the unhappiest left
        rows.append((r.customer_id, churned, str(12 + number), str(1000 + 100 * number)))
    rows += [(f"x{n:02d}", str(n % 2), str(n + 1), "800") for n in range(20)]  # customers never surveyed
    return rows


KEPT = b"(no file chosen)"


def post_report(client: FlaskClient, content: bytes, name: str = "crm export.csv", **fields: str) -> object:
    token = csrf_token(client.get("/reports/").get_data(as_text=True))
    data = {"csrf_token": token, "survey": "acme_relationship", "customer_id": "Customer", "churned": "Lost",
            "tenure_months": "Months", "revenue": "Annual revenue", "revenue_period": "year",
            "program_cost": "5000", "margin": "0.4", "horizon_years": "1", "delta": "1", "population": "respondents",
            "bootstrap": "20", "outcomes": (io.BytesIO(content), name)} | fields
    if content == KEPT:  # no file chosen: the one kept from the last try
        del data["outcomes"]
    return client.post("/reports/", data=data, content_type="multipart/form-data")


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize(("rows", "message"), [
    # rows 2 and 4 of the spreadsheet (header is row 1) hold the same id
    ([("c01", "0", "1", "10"), ("c02", "0", "1", "10"), ("c01", "1", "1", "10")],
     "crm export.csv, rows 2, 4, column 'Customer (customer_id)': duplicate customer ids (e.g. 'c01')"),
    ([("c01", "0", "1", "10"), ("c02", "2", "1", "10")],
     "crm export.csv, row 3, column 'Lost (churned)': churned must be 0 or 1 ('2')"),
])
def test_invalid_outcomes_show_row_and_column_and_store_no_job(
        seeded: tuple[Flask, str], analyst: FlaskClient, rows: list[tuple[str, str, str, str]], message: str) -> None:
    before = job_count(seeded[1])
    response = post_report(analyst, outcomes_csv(rows))
    assert response.status_code == 400
    assert message in text_of(response.get_data(as_text=True)).replace("&#39;", "'")
    assert job_count(seeded[1]) == before


def test_wrong_file_type_and_bad_numbers_are_refused(seeded: tuple[Flask, str], analyst: FlaskClient) -> None:
    before = job_count(seeded[1])
    response = post_report(analyst, b"hello", name="notes.txt")
    assert response.status_code == 400
    assert "notes.txt: expected a .csv, .xlsx or .parquet file" in response.get_data(as_text=True)
    response = post_report(analyst, outcomes_csv(valid_rows()), margin="1.5")
    assert response.status_code == 400
    assert 'id="margin-error"' in response.get_data(as_text=True)
    response = post_report(analyst, outcomes_csv(valid_rows()), customer_id="Client")
    assert response.status_code == 400
    assert "column 'Client' (mapped to customer_id in the configuration) is not in the file" in (
        response.get_data(as_text=True).replace("&#39;", "'"))
    assert job_count(seeded[1]) == before


def run_worker(app: Flask) -> None:
    """What `cxroi worker --burst` does, in this process, on the app's queue and database (the real worker
    subprocess is in test_reports_jobs.py)."""
    configure(queue_url=app.config["QUEUE_URL"], queue_name=app.config["QUEUE_NAME"],
              database_url=app.config["DATABASE_URL"])
    try:
        drain(periodic=False)
    finally:
        configure()


def wait_for(client: FlaskClient, location: str) -> str:
    """The job page once the job has finished (a worker run, then a bounded poll; no timing is asserted)."""
    run_worker(client.application)
    for _ in range(POLL_LIMIT):
        html = client.get(location).get_data(as_text=True)
        if 'http-equiv="refresh"' not in html:
            return html
        time.sleep(0.5)
    raise AssertionError(f"the job did not finish: {text_of(html)[:500]}")


def test_valid_upload_runs_to_done_with_html_and_pdf(seeded: tuple[Flask, str], analyst: FlaskClient) -> None:
    content = outcomes_csv(valid_rows())
    response = post_report(analyst, content)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    job_id = int(location.rstrip("/").rsplit("/", 1)[1])
    # the request came back before the analysis ran: it is queued for a worker, never run in the request
    assert job_status(seeded[1], job_id) == "queued"
    first = analyst.get(location).get_data(as_text=True)
    # inputs are shown from the start, whatever the state
    assert "crm export.csv" in first and hashlib.sha256(content).hexdigest() in first
    done = wait_for(analyst, location)
    assert "<h2>Done</h2>" in done, text_of(done)[:1500]

    results = analyst.get(f"/reports/{job_id}/results.json").get_json()
    # the results record the inputs: the file by sha256, the mapping and finance assumptions from the form
    assert results["inputs"]["files"]["outcomes"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert results["inputs"]["config"]["columns"]["churned"] == "Lost"
    assert results["inputs"]["config"]["finance"]["program_cost"] == 5000
    assert results["data_quality"]["matched"] == 10  # the 10 complete respondents, all in the file
    assert results["data_quality"]["customers"] == 30

    page = analyst.get(f"/reports/{job_id}/report.html")
    assert page.status_code == 200 and "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "How are we doing?" in page.get_data(as_text=True)

    pdf = analyst.get(f"/reports/{job_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.data[:4] == b"%PDF"
    text = " ".join(" ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.data)).pages).split())
    assert "How are we doing?: what customer experience is worth" in text
    sentence = " ".join(headline(results).split())
    assert sentence[:60] in text  # the headline, read back from the PDF (line breaks aside)

    listing = analyst.get("/reports/").get_data(as_text=True)
    assert f'href="/reports/{job_id}"' in listing and "crm export.csv" in listing


def test_a_failing_analysis_shows_a_clear_message(seeded: tuple[Flask, str], analyst: FlaskClient) -> None:
    # valid file and settings, but the scenario names a metric the survey does not have: fails inside the job
    response = post_report(analyst, outcomes_csv(valid_rows()), scenario_metric="no_such_metric")
    assert response.status_code == 303
    html = wait_for(analyst, response.headers["Location"])
    assert "The analysis did not finish" in html
    assert "no_such_metric" in html
    assert "Traceback" not in html


def test_pages_of_an_unknown_or_unfinished_report(analyst: FlaskClient) -> None:
    assert analyst.get("/reports/999999").status_code == 404
    assert analyst.get("/reports/999999/report.pdf").status_code == 404


@pytest.mark.parametrize("path", ["/reports/", "/reports/1", "/reports/1/report.pdf", "/reports/1/report.html"])
def test_anonymous_is_sent_to_sign_in(seeded: tuple[Flask, str], path: str) -> None:
    response = seeded[0].test_client().get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_anonymous_upload_is_refused(seeded: tuple[Flask, str]) -> None:
    before = job_count(seeded[1])
    response = seeded[0].test_client().post("/reports/", data={"survey": "acme_relationship"})
    assert response.status_code == 401
    assert job_count(seeded[1]) == before


def test_author_can_use_reports(seeded: tuple[Flask, str]) -> None:
    client = seeded[0].test_client()
    sign_in(client, "author@example.com")
    assert client.get("/reports/").status_code == 200



def test_an_upload_over_the_limit_is_refused_with_the_limit(seeded: tuple[Flask, str], analyst: FlaskClient,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp.services import reporting

    monkeypatch.setattr(reporting, "OUTCOMES_LIMIT", 1024 * 1024)  # 1 MB + 1 MB for the fields: 2 MB in all
    before = job_count(seeded[1])
    response = post_report(analyst, b"customer_id\n" + b"x" * (3 * 1024 * 1024))
    assert response.status_code == 413
    assert "larger than 1 MB" in response.get_data(as_text=True)
    assert job_count(seeded[1]) == before


def test_an_upload_without_its_csrf_token_is_refused(seeded: tuple[Flask, str], analyst: FlaskClient) -> None:
    # the upload view checks its token through its form (it is exempt from the app-wide check so that the
    # body limit can be raised first): a missing or wrong token must still stop it
    before = job_count(seeded[1])
    for token in ("", "forged"):
        response = post_report(analyst, outcomes_csv(valid_rows()), csrf_token=token)
        assert response.status_code == 400
        assert "security token" in response.get_data(as_text=True)
    assert job_count(seeded[1]) == before


def test_every_form_field_has_a_label(analyst: FlaskClient) -> None:
    from tests.webapp.support.web import FormReader

    reader = FormReader(analyst.get("/reports/").get_data(as_text=True))
    assert len(reader.inputs) > 15
    assert reader.unlabelled() == []
    assert reader.fieldsets_without_legend == 0


def test_a_survey_can_be_preselected(analyst: FlaskClient) -> None:
    html = analyst.get("/reports/?survey=acme_relationship").get_data(as_text=True)
    assert re.search(r'<option[^>]*selected[^>]*value="acme_relationship"|<option[^>]*value="acme_relationship"[^>]*selected',
                     html)
    html = analyst.get("/reports/?survey=unknown").get_data(as_text=True)
    assert "selected" not in html.split('id="survey"', 1)[1].split("</select>", 1)[0]


def test_the_outcomes_file_is_kept_after_a_form_error(seeded: tuple[Flask, str], analyst: FlaskClient) -> None:
    content = outcomes_csv(valid_rows())
    before = job_count(seeded[1])
    refused = post_report(analyst, content, margin="7")  # a margin over 1: the form comes back
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Kept from your last try: crm export.csv" in html.unescape(page)
    token = re.search(r'name="kept_outcomes" type="hidden" value="([^"]+)"', page) or re.search(
        r'id="kept_outcomes" name="kept_outcomes" type="hidden" value="([^"]+)"', page)
    assert token, page[:3000]
    # sent again with the margin corrected and no file chosen: the kept file is used
    fixed = post_report(analyst, KEPT, margin="0.4", kept_outcomes=token.group(1))
    assert fixed.status_code == 303, text_of(fixed.get_data(as_text=True))[:1500]
    assert job_count(seeded[1]) == before + 1
    job_id = int(fixed.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert hashlib.sha256(content).hexdigest() in analyst.get(f"/reports/{job_id}").get_data(as_text=True)
    # used once: the same token does not serve again (a kept file serves only the analyst who sent it)
    again = post_report(analyst, KEPT, kept_outcomes=token.group(1))
    assert again.status_code == 400 and "choose the outcomes file to upload" in again.get_data(as_text=True)


def test_the_currency_is_a_setting_of_the_form(seeded: tuple[Flask, str], analyst: FlaskClient) -> None:
    refused = post_report(analyst, outcomes_csv(valid_rows()), currency="euro")
    assert refused.status_code == 400 and "three-letter ISO code" in refused.get_data(as_text=True)
    started = post_report(analyst, outcomes_csv(valid_rows()), currency="eur")
    assert started.status_code == 303
    location = started.headers["Location"]
    job_id = int(location.rstrip("/").rsplit("/", 1)[1])
    done = wait_for(analyst, location)
    assert "<h2>Done</h2>" in done
    results = analyst.get(f"/reports/{job_id}/results.json").get_json()
    assert results["inputs"]["config"]["finance"]["currency"] == "EUR"  # the report writes it (test_report_currency)


def test_an_outcomes_file_over_the_answer_pages_limit_is_taken(seeded: tuple[Flask, str],
                                                               analyst: FlaskClient) -> None:
    # 1.5 MB: over the app-wide 1 MiB limit made for answer pages, well under the outcomes limit
    rows = valid_rows() + [(f"extra{n:06d}", str(n % 2), str(1 + n % 60), str(500 + n % 900)) for n in range(60_000)]
    content = outcomes_csv(rows)
    assert 1024 * 1024 < len(content) < reporting.OUTCOMES_LIMIT
    started = post_report(analyst, content)
    assert started.status_code == 303, text_of(started.get_data(as_text=True))[:800]


def test_a_file_sent_again_replaces_the_kept_one(seeded: tuple[Flask, str], analyst: FlaskClient) -> None:
    first = outcomes_csv(valid_rows())
    second = outcomes_csv(valid_rows()[:-1])  # one customer fewer: another file
    refused = post_report(analyst, first, "first.csv", margin="7").get_data(as_text=True)
    token = re.search(r'name="kept_outcomes" type="hidden" value="([^"]+)"', refused)
    assert token
    again = post_report(analyst, second, "second.csv", margin="7", kept_outcomes=token.group(1))
    page = again.get_data(as_text=True)
    assert "Kept from your last try: second.csv" in html.unescape(page)
    newer = re.search(r'name="kept_outcomes" type="hidden" value="([^"]+)"', page)
    assert newer and newer.group(1) != token.group(1)
    fixed = post_report(analyst, KEPT, margin="0.4", kept_outcomes=newer.group(1))
    assert fixed.status_code == 303
    job_id = int(fixed.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    shown = analyst.get(f"/reports/{job_id}").get_data(as_text=True)
    assert hashlib.sha256(second).hexdigest() in shown and hashlib.sha256(first).hexdigest() not in shown
    # the first file's token serves no more
    assert post_report(analyst, KEPT, kept_outcomes=token.group(1)).status_code == 400
