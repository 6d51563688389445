"""Uploads are read in a child process under a memory and a time limit (webapp.services.isolated): a file whose
reading needs more than the limits is refused with a message naming the limit (413, never a 500), nothing is
stored, and the web worker goes on serving (a valid upload right after works). The limits are set low here
(CXROI_UPLOAD_MEMORY_MB / CXROI_UPLOAD_SECONDS as app settings) so that a file within the request size limit
exceeds them: about 0.9 MB of YAML list items makes PyYAML build far more than 24 MB of nodes, and takes far
more than 0.3 s to parse."""

from __future__ import annotations

import io
import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from roi.config import build_config
from roi.data import OutcomeDataError
from surveys.errors import InvalidDefinition
from tests.webapp.support.author import page_token, signed_in, stored_draft
from tests.webapp.support.results import add_staff, csrf_token, seed_survey, sign_in
from webapp.app import create_app
from webapp.config import upload_limits
from webapp.services.isolated import Limits, UploadTooDemanding, run_isolated
from webapp.services.uploads import count_outcomes, read_definition

HUGE_YAML = b"id: acme\ntitle: Acme\nsections:\n" + b"- x\n" * 225_000
"""0.9 MB that parses into 225,000 YAML nodes (hundreds of MB of Python objects) before validation refuses it."""


def app_with_limits(tmp_path: Path, db_url: str, memory_mb: int, seconds: float) -> Flask:
    return create_app({"DATABASE_URL": db_url, "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                       "SECRET_KEY": "test-secret", "UPLOAD_MEMORY_MB": memory_mb, "UPLOAD_SECONDS": seconds})


def upload(client: FlaskClient, token: str, content: bytes, name: str) -> Any:
    return client.post("/author/acme/upload", data={"csrf_token": token, "definition": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def author_client(app: Flask, db_url: str) -> tuple[FlaskClient, str]:
    client = signed_in(app, db_url, "author")
    token = page_token(client, "/author/new")
    assert client.post("/author/new", data={"survey_id": "acme", "title": "Acme", "start": "blank",
                                            "csrf_token": token}).status_code == 302
    return client, token


def valid_yaml() -> bytes:
    return (b"id: acme\ntitle: Acme again\nsections:\n- id: s1\n  title: One\n  questions:\n"
            b"  - id: q_ces\n    type: ces\n    text: How easy was it?\n")


@pytest.mark.parametrize(("memory_mb", "seconds", "said"), [
    (24, 120.0, "needed more than 24 MB of memory to read"),
    (1024, 0.3, "needed more than 0.3 seconds to read"),
])
def test_a_definition_too_demanding_to_read_is_refused_and_the_worker_goes_on(
        tmp_path: Path, sqlite_url: str, memory_mb: int, seconds: float, said: str) -> None:
    app = app_with_limits(tmp_path, sqlite_url, memory_mb, seconds)
    client, token = author_client(app, sqlite_url)
    before = stored_draft(sqlite_url, "acme")[0]
    response = upload(client, token, HUGE_YAML, "huge.yaml")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert f"huge.yaml: huge.yaml {said}" in page
    assert "nothing was changed" in page
    assert stored_draft(sqlite_url, "acme")[0] == before
    assert multiprocessing.active_children() == []  # the child was ended, not left behind
    # The same worker (this process) serves the next upload, which is read in a fresh child and stored.
    pid = os.getpid()
    assert upload(client, token, valid_yaml(), "acme.yaml").status_code == 302
    assert stored_draft(sqlite_url, "acme")[0]["title"] == "Acme again"
    assert os.getpid() == pid


def test_an_invalid_definition_keeps_every_problem_through_the_child(tmp_path: Path, sqlite_url: str) -> None:
    app = app_with_limits(tmp_path, sqlite_url, 1024, 60.0)
    client, token = author_client(app, sqlite_url)
    bad = valid_yaml().replace(b"type: ces", b"type: ces\n    scale: {min: 1, max: 99}")
    response = upload(client, token, bad, "acme.yaml")
    assert response.status_code == 400
    assert "sections[0].questions[0]" in response.get_data(as_text=True)


def test_outcomes_too_demanding_to_read_are_refused_with_no_job(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cxroi.sqlite3'}"
    app = app_with_limits(tmp_path, url, 64, 120.0)
    # The app-wide body limit (1 MiB) applies before the reports view raises it for its file (see the report
    # of issue 15): raised here, as the view means it to be, so that the file can be larger than the memory cap.
    app.config["MAX_CONTENT_LENGTH"] = 70 * 1024 * 1024
    add_staff(url)
    seed_survey(app, url)
    client = app.test_client()
    sign_in(client, "analyst@example.com")
    # 20 MB, 600,000 customers: 2.4 million text cells, far more than 64 MB once read.
    rows = "".join(f"c{n:07d},{n % 2},{n % 40 + 1},{1000 + n}\n" for n in range(600_000))
    content = ("Customer,Lost,Months,Annual revenue\n" + rows).encode()
    token = csrf_token(client.get("/reports/").get_data(as_text=True))
    data = {"csrf_token": token, "survey": "acme_relationship", "customer_id": "Customer", "churned": "Lost",
            "tenure_months": "Months", "revenue": "Annual revenue", "revenue_period": "year", "horizon_years": "1",
            "delta": "1", "population": "respondents", "bootstrap": "20",
            "outcomes": (io.BytesIO(content), "big crm.csv")}
    response = client.post("/reports/", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "big crm.csv needed more than 64 MB of memory to read" in response.get_data(as_text=True)
    assert "/reports/1" not in response.get_data(as_text=True)
    assert client.get("/reports/").status_code == 200


def test_the_child_gives_back_results_and_errors_with_their_details() -> None:
    limits = Limits(memory_mb=1024, seconds=120.0)
    survey = read_definition(valid_yaml(), "acme.yaml", limits=limits)
    assert survey.id == "acme" and [q.id for q in survey.questions()] == ["q_ces"]
    with pytest.raises(InvalidDefinition) as invalid:
        read_definition(b"id: acme\ntitle: [unclosed\n", "acme.yaml", limits=limits)
    assert invalid.value.problems and all(p.message for p in invalid.value.problems)
    assert "acme.yaml" in str(invalid.value)
    config = build_config({"columns": {"customer_id": "id", "churned": "gone"}}, source="test")
    assert count_outcomes(b"id,gone\na,0\nb,1\nc,0\n", "crm.csv", config, limits=limits) == 3
    with pytest.raises(OutcomeDataError, match=r"crm\.csv, row 3, column 'gone \(churned\)'"):
        count_outcomes(b"id,gone\na,0\nb,7\n", "crm.csv", config, limits=limits)


def test_a_child_that_dies_is_a_refusal_not_a_crash() -> None:
    with pytest.raises(UploadTooDemanding, match="needed more than 50 MB of memory"):
        run_isolated(os.abort, limits=Limits(memory_mb=50, seconds=60.0), what="the file")


@pytest.mark.parametrize(("memory", "seconds"), [("0", None), ("x", None), (None, "0"), (None, "inf")])
def test_bad_upload_limit_settings_are_refused(memory: str | None, seconds: str | None) -> None:
    with pytest.raises(ValueError, match="UPLOAD_"):
        upload_limits(memory, seconds)
    assert upload_limits(None, "") == (1024, 30.0)
