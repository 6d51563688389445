"""The outcomes file does not have to be chosen again after a form error (issue 16): a refusal by the service
(a mapped column missing from the file), not only by the form's own checks, keeps the file for the next try; the
kept file serves only the person who sent it."""

from __future__ import annotations

import hashlib
import html
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.support.reports import outcomes_csv
from tests.webapp.support.results import csrf_token, seeded_app, sign_in

KEPT_TOKEN = re.compile(r'name="kept_outcomes" type="hidden" value="([^"]+)"')


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return seeded_app(tmp_path_factory.mktemp("kept"))


def send(client: FlaskClient, content: bytes | None, **fields: str) -> tuple[int, str, str | None, str]:
    """(status, page, kept file's token, Location) of the report form sent with `fields` (and the file)."""
    token = csrf_token(client.get("/reports/").get_data(as_text=True))
    data: dict[str, object] = {"csrf_token": token, "survey": "acme_relationship", "customer_id": "Customer",
                               "churned": "Lost", "tenure_months": "Months", "revenue": "Annual revenue",
                               "revenue_period": "year", "horizon_years": "1", "delta": "1",
                               "population": "respondents", "bootstrap": "0"} | fields
    if content is not None:
        data["outcomes"] = (io.BytesIO(content), "crm export.csv")
    response = client.post("/reports/", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    kept = KEPT_TOKEN.search(page)
    return response.status_code, page, kept.group(1) if kept else None, response.headers.get("Location", "")


def test_a_refusal_of_the_mapping_keeps_the_file_for_the_next_try_of_its_sender_only(app: Flask) -> None:
    analyst, author = app.test_client(), app.test_client()
    sign_in(analyst, "analyst@example.com")
    sign_in(author, "author@example.com")
    content = outcomes_csv()
    status, page, kept, _ = send(analyst, content, customer_id="Client")  # no such column in the file
    assert status == 400 and "column 'Client'" in html.unescape(page)
    assert kept and "Kept from your last try: crm export.csv" in html.unescape(page)

    # someone else cannot use it
    status, page, _, _ = send(author, None, kept_outcomes=kept)
    assert status == 400 and "choose the outcomes file to upload" in page

    # its sender corrects the mapping and sends the form without choosing the file again
    status, page, _, location = send(analyst, None, kept_outcomes=kept)
    assert status == 303, page[:1500]
    job_page = analyst.get(location).get_data(as_text=True)  # the new job shows the kept file's fingerprint
    assert "crm export.csv" in job_page and hashlib.sha256(content).hexdigest() in job_page
