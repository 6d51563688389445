"""The REST API (`/api/v1`, docs/api.md): bearer API keys instead of the session cookie, JSON in and out, errors
as RFC 9457 problem details, the OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from surveys.definition import InvalidDefinition
from surveys.errors import CxroiError

from ..extensions import csrf
from ..webhooks import init_webhooks
from . import admin, views
from .auth import authenticate
from .openapi import document
from .problems import ApiProblem, problem

API_PREFIX = "/api/"
OPEN_ENDPOINTS = frozenset({"api.openapi"})
"""API endpoints that need no key: the contract itself."""


def _before() -> None:
    if request.endpoint not in OPEN_ENDPOINTS:
        authenticate()


def _openapi() -> Response:
    return jsonify(document())


def _unknown(anything: str) -> Response:
    return problem(404, "Not found", f"there is no {request.method} {request.path} in this API (see "
                   "/api/v1/openapi.json)", kind="not-found")


def _definition_problem(error: InvalidDefinition) -> Response:
    errors = [{"path": item.path, "detail": item.message} for item in error.problems]
    return problem(422, "Invalid survey definition", f"{len(errors)} problem(s) in the definition; see errors",
                   kind="invalid-definition", errors=errors)


def _service_problem(error: CxroiError) -> Response:
    status = int(getattr(error, "status", 400))
    return problem(status, str(getattr(error, "title", "Request refused")), str(error),
                   kind="conflict" if status == 409 else "")


def _http_problem(error: HTTPException) -> Response:
    status = error.code or 500
    return problem(status, error.name, error.description or error.name)


_bp = views.bp
_bp.add_url_rule("/openapi.json", "openapi", _openapi)
_bp.add_url_rule("/<path:anything>", "unknown", _unknown, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
_bp.before_request(_before)
_bp.register_error_handler(ApiProblem, lambda error: error.response())
_bp.register_error_handler(ValidationError, views.validation_problem)
_bp.register_error_handler(InvalidDefinition, _definition_problem)
_bp.register_error_handler(CxroiError, _service_problem)
_bp.register_error_handler(HTTPException, _http_problem)
csrf.exempt(_bp)  # a bearer key, never the session cookie, authorises these requests


def init_api(app: Flask) -> None:
    """Register the API and the admins' API keys page on `app`."""
    app.register_blueprint(_bp)
    app.register_blueprint(admin.bp)
    init_webhooks(app)
