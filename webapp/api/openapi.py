"""The API's contract: an OpenAPI 3.1 document, served at /api/v1/openapi.json, checked by
openapi-spec-validator and exercised by schemathesis in the tests (tests/webapp/test_api_schema.py)."""

from __future__ import annotations

from typing import Any

from webapp.storage.models import CASE_STATUSES

_STAMP = {"type": ["string", "null"], "format": "date-time"}
_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]{0,63}$"}}
_ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(schema: dict[str, Any], status: str = "200", description: str = "OK") -> dict[str, Any]:
    return {status: {"description": description, "content": {"application/json": {"schema": schema}}}}


_PROBLEMS = {code: {"$ref": f"#/components/responses/{name}"} for code, name in
             (("400", "BadRequest"), ("401", "Unauthorized"), ("403", "Forbidden"), ("404", "NotFound"),
              ("429", "TooManyRequests"))}


def _operation(summary: str, responses: dict[str, Any], *, parameters: list[Any] | None = None,
               body: dict[str, Any] | None = None, write: bool = False, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "parameters": parameters or [],
                                 "responses": {**responses, **_PROBLEMS,
                                               **{code: {"$ref": f"#/components/responses/{name}"}
                                                  for code, name in (("409", "Conflict"), ("410", "Gone"),
                                                                     ("413", "TooLarge"), ("415", "Unsupported"),
                                                                     ("422", "Unprocessable"), ("503", "Unavailable"))
                                                  if code in extra}},
                                 "security": [{"apiKey": []}]}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": body}
    if write:
        operation["description"] = "Needs a key with the write scope."
    return operation


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": _ref("Problem")}}}


SCHEMAS: dict[str, Any] = {
    "Problem": {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "instance": {"type": "string"}, "retry_after": {"type": "integer"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "pointer": {"type": "string"}, "field": {"type": "string"}, "path": {"type": "string"},
            "detail": {"type": "string"}}}}}},
    "SurveySummary": {"type": "object", "required": ["id", "title", "status", "versions", "responses"], "properties": {
        "id": {"type": "string"}, "title": {"type": "string"},
        "status": {"enum": ["draft", "live", "closed"]}, "versions": {"type": "integer"},
        "responses": {"type": "integer"}}},
    "Survey": {"type": "object", "required": ["id", "title", "status", "versions"], "properties": {
        "id": {"type": "string"}, "title": {"type": "string"}, "status": {"enum": ["draft", "live", "closed"]},
        "public_link": {"type": "boolean"}, "created_at": _STAMP, "closed_at": _STAMP,
        "versions": {"type": "array", "items": {"type": "object", "required": ["number"], "properties": {
            "number": {"type": "integer"}, "published_at": _STAMP}}}}},
    "Version": {"type": "object", "required": ["survey", "number", "definition"], "properties": {
        "survey": {"type": "string"}, "number": {"type": "integer"}, "published_at": _STAMP,
        "definition": {"type": "object", "description": "The survey definition (docs/definition-format.md)."}}},
    "Response": {"type": "object", "required": ["id", "survey", "version", "status", "answers"], "properties": {
        "id": {"type": "integer"}, "survey": {"type": "string"}, "version": {"type": "integer"},
        "status": {"enum": ["partial", "complete"]}, "customer_id": {"type": ["string", "null"]},
        "channel": {"type": ["string", "null"]}, "wave": {"type": ["string", "null"]},
        "language": {"type": ["string", "null"]}, "started_at": _STAMP, "updated_at": _STAMP,
        "submitted_at": _STAMP, "answers": {"type": "object"}}},
    "ResponsePage": {"type": "object", "required": ["data", "next_cursor", "next_since"], "properties": {
        "data": {"type": "array", "items": _ref("Response")}, "next_cursor": {"type": ["string", "null"]},
        "next_since": {**_STAMP, "description": (
            "On the first page of a run (asked without cursor): the since to send in the next run, the server's "
            "time of this query minus an overlap; null on later pages. Drop repeats by id (docs/api.md).")}}},
    "Customer": {"type": "object", "required": ["customer_id"], "additionalProperties": False, "properties": {
        "customer_id": {"type": "string", "maxLength": 1000}, "email": {"type": ["string", "null"], "maxLength": 1000},
        "name": {"type": ["string", "null"], "maxLength": 1000}, "language": {"type": ["string", "null"], "maxLength": 100},
        "phone": {"type": ["string", "null"], "maxLength": 100}}},
    "InvitationRequest": {"type": "object", "required": ["customers"], "additionalProperties": False, "properties": {
        "channel": {"type": ["string", "null"], "maxLength": 64},
        "customers": {"type": "array", "minItems": 1, "maxItems": 10000, "items": _ref("Customer")},
        "expires_in_days": {"type": "integer", "minimum": 1, "maximum": 365, "default": 30},
        "send": {"type": "boolean", "default": False}}},
    "Invitations": {"type": "object", "required": ["survey", "sent", "links"], "properties": {
        "survey": {"type": "string"}, "sent": {"type": "boolean"}, "queued": {"type": "integer"},
        "links": {"type": "array", "items": {"type": "object", "properties": {
            "customer_id": {"type": "string"}, "url": {"type": "string"}, "expires_at": _STAMP}}},
        "skipped": {"type": "array", "items": {"type": "string"}},
        "opted_out": {"type": "array", "items": {"type": "string"}}}},
    "Report": {"type": "object", "required": ["id", "survey", "status", "links"], "properties": {
        "id": {"type": "integer"}, "survey": {"type": "string"},
        "status": {"enum": ["queued", "running", "done", "failed"]}, "progress": {"type": "string"},
        "error": {"type": ["string", "null"]}, "outcomes_name": {"type": "string"}, "created_at": _STAMP,
        "started_at": _STAMP, "finished_at": _STAMP, "links": {"type": "object", "properties": {
            "self": {"type": "string"}, "results": {"type": ["string", "null"]}, "pdf": {"type": ["string", "null"]}}}}},
    "Case": {"type": "object", "required": ["id", "survey", "status"], "properties": {
        "id": {"type": "integer"}, "survey": {"type": "string"}, "survey_title": {"type": "string"},
        "customer_id": {"type": ["string", "null"]}, "response_id": {"type": "integer"}, "rule_id": {"type": "string"},
        "priority": {"type": "string"}, "status": {"type": "string"}, "owner": {"type": ["string", "null"]},
        "team": {"type": ["string", "null"]}, "created_at": {"type": "string"}, "due_at": {"type": "string"},
        "first_contact_at": {"type": ["string", "null"]}, "closed_at": {"type": ["string", "null"]},
        "notify_state": {"type": "string"}}},
}


def document() -> dict[str, Any]:
    number = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    query = [
        {"name": "survey", "in": "query", "schema": _SLUG["schema"]},
        {"name": "version", "in": "query", "schema": number},
        {"name": "wave", "in": "query", "schema": {"type": "string", "maxLength": 64}},
        {"name": "status", "in": "query", "schema": {"enum": ["partial", "complete"]}},
        {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"},
         "description": "Only responses changed at or after this time: the next_since of the previous run."},
        {"name": "cursor", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
         "description": "The next_cursor of the previous page."},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
    ]
    report_id = [{"name": "job_id", "in": "path", "required": True, "schema": _ID}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "cxroi API", "version": "1",
                 "description": "Surveys, invitations, responses, analyses and follow-up cases (docs/api.md)."},
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/surveys": {"get": _operation("Every survey", _ok({"type": "object", "required": ["data"], "properties": {
                "data": {"type": "array", "items": _ref("SurveySummary")}}}))},
            "/surveys/{slug}": {"get": _operation("One survey and its versions", _ok(_ref("Survey")),
                                                  parameters=[_SLUG])},
            "/surveys/{slug}/versions": {"post": _operation(
                "Publish a definition as the survey's next version", _ok(_ref("Version"), "201", "Published"),
                parameters=[_SLUG], body={"application/json": {"schema": {"type": "object"}}}, write=True,
                extra=("409", "413", "415", "422"))},
            "/surveys/{slug}/versions/{number}": {"get": _operation(
                "One published version with its definition", _ok(_ref("Version")),
                parameters=[_SLUG, {"name": "number", "in": "path", "required": True, "schema": number}])},
            "/surveys/{slug}/close": {"post": _operation("Stop taking answers", _ok(_ref("Survey")),
                                                         parameters=[_SLUG], write=True)},
            "/surveys/{slug}/reopen": {"post": _operation("Take answers again", _ok(_ref("Survey")),
                                                          parameters=[_SLUG], write=True)},
            "/surveys/{slug}/invitations": {"post": _operation(
                "Personal links for customers (and, with send, their e-mails)",
                {**_ok(_ref("Invitations"), "201", "Links made"), **_ok(_ref("Invitations"), "202", "E-mails queued")},
                parameters=[_SLUG], body={"application/json": {"schema": _ref("InvitationRequest")}}, write=True,
                extra=("410", "413", "415", "422"))},
            "/surveys/{slug}/reports": {"post": _operation(
                "Start an analysis of the survey against an outcomes file", _ok(_ref("Report"), "202", "Queued"),
                parameters=[_SLUG], write=True, extra=("413", "422", "503"),
                body={"multipart/form-data": {"schema": {"type": "object", "required": ["outcomes"], "properties": {
                    "outcomes": {"type": "string", "format": "binary"},
                    "settings": {"type": "string", "description": "roi.yaml's settings as a JSON object"}}}}})},
            "/responses": {"get": _operation("Responses, oldest first, a page at a time", _ok(_ref("ResponsePage")),
                                             parameters=query)},
            "/responses/{response_id}": {"get": _operation(
                "One response", _ok(_ref("Response")),
                parameters=[{"name": "response_id", "in": "path", "required": True, "schema": _ID}])},
            "/reports/{job_id}": {"get": _operation("An analysis and its status", _ok(_ref("Report")),
                                                    parameters=report_id)},
            "/reports/{job_id}/results.json": {"get": _operation(
                "The finished analysis' results.json (docs/results.md)", _ok({"type": "object"}),
                parameters=report_id, extra=("409",))},
            "/reports/{job_id}/report.pdf": {"get": _operation(
                "The finished analysis' report for finance",
                {"200": {"description": "PDF", "content": {"application/pdf": {"schema": {"type": "string",
                                                                                         "format": "binary"}}}}},
                parameters=report_id, extra=("409",))},
            "/cases": {"get": _operation("Follow-up cases, newest first", _ok({
                "type": "object", "required": ["data"], "properties": {"data": {"type": "array", "items": _ref("Case")}}}),
                parameters=[{"name": "survey", "in": "query", "schema": _SLUG["schema"]},
                            {"name": "status", "in": "query", "schema": {"enum": list(CASE_STATUSES)}},
                            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                        "maximum": 1000}}])},
        },
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer",
                                           "description": "An API key: cxroi_<prefix>_<secret>"}},
            "schemas": SCHEMAS,
            "responses": {name: _problem_response(text) for name, text in (
                ("BadRequest", "The request cannot be read"), ("Unauthorized", "No valid API key"),
                ("Forbidden", "The key's scope does not allow this"), ("NotFound", "No such resource"),
                ("Conflict", "The request conflicts with what is stored"), ("Gone", "The survey is closed"),
                ("TooLarge", "The body is too large"), ("Unsupported", "The body is not JSON"),
                ("Unprocessable", "The body's content is invalid"), ("TooManyRequests", "The key's rate limit"),
                ("Unavailable", "The task queue cannot be reached"))},
        },
        "security": [{"apiKey": []}],
    }
