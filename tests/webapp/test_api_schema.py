"""The API keeps its contract: the OpenAPI document is valid OpenAPI 3.1, and a bounded property-based run of
schemathesis against the app (in process, over a database holding a published survey, answers and a report)
finds no 5xx, no undocumented status code or content type, no response that breaks the schema, and — for the
reads, whose inputs the schema describes exactly — no schema-valid request refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis import checks

from tests.webapp.support.web import answer_all, example_survey
from webapp.api.keys import create_key
from webapp.app import create_app
from webapp.services.invitations import create_invitations
from webapp.services.publishing import publish_survey
from webapp.storage.engine import open_session, upgrade_database

EXAMPLES = 20
"""Generated requests per operation (about 300 in all): bounded, and enough to find what earlier runs found."""
ALWAYS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> tuple[Flask, str]:
    folder: Path = tmp_path_factory.mktemp("api-schema")
    url = f"sqlite:///{folder / 'cxroi.sqlite3'}"
    upgrade_database(url)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance"), "TESTING": True,
                      "SECRET_KEY": "test-secret", "API_RATE_PER_MINUTE": 0})
    with open_session(url) as session:
        publish_survey(session, example_survey())
        links = create_invitations(session, "acme_relationship", ["C1", "C2"], "email")
        _, token = create_key(session, "fuzz", "write", actor="test")
    for link in links:
        answer_all(app.test_client(), f"/s/{link.token}")
    return app, token


def test_the_document_is_valid_openapi_3_1(api: tuple[Flask, str]) -> None:
    app, _ = api
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    routes = {rule.rule.removeprefix("/api/v1") for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("api.") and rule.endpoint not in ("api.openapi", "api.unknown")}
    documented = {path.replace("{", "<").replace("}", ">") for path in document["paths"]}
    assert {path.split("<")[0] for path in routes} == {path.split("<")[0] for path in documented}


def _operations(app: Flask) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_generated_requests_find_no_error_and_no_broken_response(api: tuple[Flask, str]) -> None:
    app, token = api
    operations = _operations(app)
    assert len(operations) >= 14

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def exercise(data: st.DataObject) -> None:
        for operation in operations:
            case = data.draw(operation.as_strategy(), label=f"{operation.method} {operation.path}")
            extra = [checks.positive_data_acceptance] if operation.method.upper() == "GET" else []
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=ALWAYS + extra)

    exercise()
