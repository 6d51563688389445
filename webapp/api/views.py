"""The REST API, version 1 (docs/api.md; the contract is `openapi.json`, served at /api/v1/openapi.json).

Thin views over the services the web pages use: authentication, scope and rate limit are checked before each
request (`auth.authenticate`), and every error is an RFC 9457 problem (`problems`).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from surveys.definition import build_survey
from webapp.audit.service import record
from webapp.cases.service import list_cases
from webapp.config import report_jobs_per_user
from webapp.extensions import get_db
from webapp.security import body_limit
from webapp.services import authoring, reporting, uploads
from webapp.services.customer_lists import CustomerList, customer_rows
from webapp.services.invitations import create_invitations
from webapp.services.publishing import close_survey
from webapp.storage.models import utcnow

from . import resources
from .auth import calling_key
from .problems import ApiProblem

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _json(value: Any, status: int = 200, **headers: str) -> Response:
    response = jsonify(value)
    response.status_code = status
    response.headers.update({"Cache-Control": "no-store", **headers})
    return response


def _audit(action: str, target: str, **detail: Any) -> None:
    key = calling_key()
    record(get_db(), action, actor=key.actor, target=target, client=request.remote_addr or "", detail=detail)
    get_db().commit()


def _body() -> Any:
    if not request.is_json:
        raise ApiProblem(415, "JSON expected", "send the body as JSON with Content-Type: application/json",
                         kind="unsupported-media-type")
    return request.get_json()  # malformed JSON: a 400 (werkzeug BadRequest), shown as a problem


# --- surveys ------------------------------------------------------------------------------------------------


@bp.get("/surveys")
def surveys() -> Response:
    return _json({"data": resources.surveys(get_db())})


@bp.get("/surveys/<slug>")
def survey(slug: str) -> Response:
    return _json(resources.survey(get_db(), slug))


@bp.get("/surveys/<slug>/versions/<int(max=2147483647):number>")
def version(slug: str, number: int) -> Response:
    return _json(resources.version(get_db(), slug, number))


@bp.post("/surveys/<slug>/versions")
def publish(slug: str) -> Response:
    """Publish the definition in the body as the survey's next version (the survey is created by its first)."""
    data = _body()
    survey_model = build_survey(data, source="the request body")
    if survey_model.id != slug:
        raise ApiProblem(422, "Survey id does not match", f"the definition's id is {survey_model.id!r} but the "
                         f"address names {slug!r}", kind="invalid-definition",
                         errors=[{"pointer": "/id", "detail": f"must be {slug!r}"}])
    published = authoring.publish_checked(get_db(), survey_model)
    _audit("survey_published", slug, version=published.number)
    location = url_for(".version", slug=slug, number=published.number)
    return _json(resources.version(get_db(), slug, published.number), 201, Location=location)


def _closed(slug: str) -> bool:
    return resources.survey(get_db(), slug)["closed_at"] is not None


@bp.post("/surveys/<slug>/close")
def close(slug: str) -> Response:
    """Idempotent: closing a closed survey changes nothing and records no second event."""
    was_closed = _closed(slug)
    close_survey(get_db(), slug)
    if not was_closed:
        _audit("survey_closed", slug)
    return _json(resources.survey(get_db(), slug))


@bp.post("/surveys/<slug>/reopen")
def reopen(slug: str) -> Response:
    """Idempotent: reopening an open survey changes nothing and records no event."""
    was_closed = _closed(slug)
    authoring.reopen_survey(get_db(), slug)
    if was_closed:
        _audit("survey_reopened", slug)
    return _json(resources.survey(get_db(), slug))


# --- invitations --------------------------------------------------------------------------------------------


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: str = Field(max_length=1000)
    email: str | None = Field(None, max_length=1000)
    name: str | None = Field(None, max_length=1000)
    language: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=100)


class InvitationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str | None = Field(None, max_length=64)
    customers: list[Customer] = Field(min_length=1, max_length=10_000)
    expires_in_days: int = Field(30, ge=1, le=365)
    send: bool = False
    """Also e-mail each customer their link (through the task queue), as `cxroi invite --send` does."""


INVITATIONS_BODY_LIMIT = 8 * 1024 * 1024
"""10,000 customers with an e-mail, name, language and phone each fit (the schema's maxItems)."""


@bp.post("/surveys/<slug>/invitations")
@body_limit(INVITATIONS_BODY_LIMIT)
def invite(slug: str) -> Response:
    wanted = InvitationRequest.model_validate(_body())
    rows = customer_rows((index, c.customer_id.strip(), {k: (getattr(c, k) or "").strip() for k in
                                                        ("email", "name", "language", "phone")})
                         for index, c in enumerate(wanted.customers))
    bad = [{"pointer": f"/customers/{row.line}", "detail": row.problem} for row in rows if row.problem]
    if bad:
        raise ApiProblem(422, "Invalid customers", f"{len(bad)} customer(s) cannot be invited; see errors",
                         kind="invalid-customers", errors=bad)
    expires = timedelta(days=wanted.expires_in_days)
    if wanted.send:
        return _send(slug, CustomerList(rows, [], ("email", "name", "language", "phone")), wanted.channel, expires)
    links = create_invitations(get_db(), slug, rows, wanted.channel, expires)
    _audit("invitations_created", slug, count=len(links))
    base = current_app.config.get("BASE_URL") or request.host_url.rstrip("/")
    return _json({"survey": slug, "sent": False,
                  "links": [{"customer_id": link.customer_id, "url": f"{base}/s/{link.token}",
                             "expires_at": resources.stamp(link.expires_at)} for link in links],
                  "skipped": [skip.customer_id for skip in links.skipped]}, 201)


def _send(slug: str, customers: CustomerList, channel: str | None, expires: timedelta) -> Response:
    from webapp.services import mailing
    from webapp.services.mail_tasks import enqueue

    queued = mailing.queue_invitations(get_db(), slug, customers, channel, current_app.secret_key or "",
                                       expires=expires, name="the customers")
    enqueue(queued.message_ids)
    _audit("invitations_created", slug, count=len(queued.message_ids), sent=True)
    return _json({"survey": slug, "sent": True, "queued": len(queued.message_ids), "links": [],
                  "opted_out": list(queued.opted_out),
                  "skipped": [skip.customer_id for skip in queued.recently_contacted]}, 202)


# --- responses ----------------------------------------------------------------------------------------------


def _since(value: str | None) -> datetime | None:
    """An RFC 3339 time (any case of T and Z; a leap second read as the second before), as naive UTC."""
    if value is None:
        return None
    text = value.strip().upper().replace("Z", "+00:00")
    text = re.sub(r"(T\d\d:\d\d):60", r"\1:59", text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ApiProblem(400, "Invalid since", "since must be an RFC 3339 time, e.g. 2026-12-01T00:00:00Z",
                         kind="invalid-query") from None
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # beyond the calendar's ends: before or after any stored time
            return datetime.min if moment.year == 1 else datetime.max
    return moment


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    value = request.args.get(name)
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise ApiProblem(400, f"Invalid {name}", f"{name} must be a whole number from {low} to {high}",
                         kind="invalid-query")
    return int(value)


SYNC_OVERLAP = timedelta(minutes=5)
"""How far `next_since` reaches back before the time of the query: longer than a write transaction lasts and
than app servers' clocks differ, so a response written before the query but committed after it is in the next
run (docs/api.md, "Pagination and incremental sync")."""


@bp.get("/responses")
def responses() -> Response:
    args = request.args
    cursor = args.get("cursor")
    queried_at = utcnow()  # before the query: whatever it cannot see yet is changed at or after this
    page = resources.responses_page(
        get_db(), slug=args.get("survey"), version_number=_int_arg("version", None, 1, 2**31 - 1),
        wave=args.get("wave"), status=args.get("status"), since=_since(args.get("since")),
        after_id=resources.read_cursor(cursor) if cursor is not None else 0,
        limit=_int_arg("limit", resources.PAGE_LIMIT, 1, resources.MAX_PAGE_LIMIT) or resources.PAGE_LIMIT)
    _audit("responses_exported", args.get("survey") or "*", format="api", responses=len(page["data"]))
    # the watermark of a sync run: its first page only (a later page's query time would skip what changed
    # behind the cursor while the run was paging)
    page["next_since"] = resources.stamp(queried_at - SYNC_OVERLAP) if cursor is None else None
    return _json(page)


@bp.get("/responses/<int(max=2147483647):response_id>")
def one_response(response_id: int) -> Response:
    found = resources.one_response(get_db(), response_id)
    _audit("responses_exported", found["survey"], format="api", response=response_id)
    return _json(found)


# --- analyses -----------------------------------------------------------------------------------------------


@bp.post("/surveys/<slug>/reports")
@body_limit(lambda: reporting.OUTCOMES_LIMIT + 1024 * 1024)
def start_report(slug: str) -> Response:
    """Start an analysis: multipart form with the `outcomes` file and optional `settings` (roi.yaml as JSON)."""
    upload = request.files.get("outcomes")
    if upload is None:
        raise ApiProblem(422, "Outcomes file needed", "send the outcomes file as the multipart field 'outcomes'",
                         kind="invalid-request", errors=[{"field": "outcomes", "detail": "missing"}])
    settings: Any = {}
    if request.form.get("settings"):
        try:
            settings = json.loads(request.form["settings"])
        except ValueError as error:
            raise ApiProblem(422, "Invalid settings", f"settings is not JSON ({error})", kind="invalid-request",
                             errors=[{"field": "settings", "detail": str(error)}]) from None
        if not isinstance(settings, dict):
            raise ApiProblem(422, "Invalid settings", "settings must be a JSON object (roi.yaml's keys)",
                             kind="invalid-request", errors=[{"field": "settings", "detail": "not an object"}])
    key = calling_key()
    job = reporting.create_report_job(
        get_db(), slug=slug, outcomes_name=upload.filename or "outcomes", content=upload.read(),
        config_data=settings, created_by=key.actor,
        per_user_limit=report_jobs_per_user(current_app.config.get("REPORT_JOBS_PER_USER")),
        limits=uploads.limits_from(current_app.config))
    reporting.queue_report_job(get_db(), job.id)
    _audit("report_started", slug, report=job.id)
    return _json(resources.report(job), 202, Location=url_for(".report", job_id=job.id))


@bp.get("/reports/<int(max=2147483647):job_id>")
def report(job_id: int) -> Response:
    return _json(resources.report(reporting.find_report_job(get_db(), job_id)))


@bp.get("/reports/<int(max=2147483647):job_id>/results.json")
def report_results(job_id: int) -> Response:
    _name, text = reporting.report_results_json(get_db(), job_id)
    _audit("report_downloaded", str(job_id), format="json")
    return Response(text, mimetype="application/json", headers={"Cache-Control": "no-store"})


@bp.get("/reports/<int(max=2147483647):job_id>/report.pdf")
def report_pdf(job_id: int) -> Response:
    name, content = reporting.report_pdf(get_db(), job_id)
    _audit("report_downloaded", str(job_id), format="pdf")
    return Response(content, mimetype="application/pdf",
                    headers={"Cache-Control": "no-store", "Content-Disposition": f'attachment; filename="{name}"'})


# --- follow-up cases ----------------------------------------------------------------------------------------


@bp.get("/cases")
def cases() -> Response:
    found = list_cases(get_db(), survey=request.args.get("survey"), status=request.args.get("status"),
                       limit=_int_arg("limit", resources.PAGE_LIMIT, 1, resources.MAX_PAGE_LIMIT))
    return _json({"data": [row.as_dict() for row in found]})


def validation_problem(error: ValidationError) -> Response:
    errors = [{"pointer": "/" + "/".join(str(part) for part in item["loc"]), "detail": item["msg"]}
              for item in error.errors()[:100]]
    return ApiProblem(422, "Invalid request body", f"{error.error_count()} problem(s) in the body; see errors",
                      kind="invalid-request", errors=errors).response()
