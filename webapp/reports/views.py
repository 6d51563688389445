"""Views of the reports pages (analyst role and above); the work is done by `webapp.services.reporting`."""

from __future__ import annotations

import io
from pathlib import Path

from flask import Blueprint, current_app, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as WerkzeugResponse

from roi.report import headline
from surveys.errors import CxroiError

from ..accounts.guard import current_user, requires_role
from ..audit.web import audit
from ..config import report_jobs_per_user
from ..extensions import csrf, get_db
from ..results.summary import list_result_surveys
from ..security import body_limit
from ..services import report_schedules, reporting, sharing, uploads
from ..services.errors import UnknownSurvey
from ..storage.models import utcnow
from ..storage.reports import ReportJob
from . import kept
from .forms import ConfirmForm, ReportForm, ScheduleForm, ShareForm, choices

bp = Blueprint("reports", __name__, url_prefix="/reports")
REFRESH_SECONDS = 3
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
"""The stored report page needs inline CSS and SVG only; nothing in it may load or run anything."""


def _form(*, read_request: bool = True) -> ReportForm:
    form = ReportForm() if read_request else ReportForm(formdata=None)
    form.survey.choices = choices([(s.slug, f"{s.title} ({s.slug}, {s.complete} complete responses)")
                                   for s in list_result_surveys(get_db())])
    return form


def choice_value(choice: object) -> object:
    """The value of a select option, whichever form the installed WTForms keeps it in."""
    return getattr(choice, "value", None) if not isinstance(choice, tuple) else choice[0]


def _index(form: ReportForm, problem: str | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("reports/index.html", form=form, problem=problem,
                           jobs=reporting.list_report_jobs(get_db())), status


@bp.get("/")
@requires_role("analyst")
def index() -> ResponseReturnValue:
    """The report form and every report made so far; `?survey=SLUG` preselects a survey."""
    form = _form()
    wanted = request.args.get("survey")
    if wanted and any(choice_value(c) == wanted for c in form.survey.choices or ()):
        form.survey.data = wanted
    return _index(form)


@bp.post("/")
@csrf.exempt
@requires_role("analyst")
@body_limit(lambda: reporting.OUTCOMES_LIMIT + 1024 * 1024)  # the file plus the form's fields
def submit() -> ResponseReturnValue:
    """Check the upload and settings; store and start a job, or show what is wrong (400, nothing stored).

    The form checks its CSRF token itself, after raising the body size limit for the file (the app-wide limit
    is made for answer pages): the view is exempt from the app-wide check, which would read the body first.
    """
    form = _form()
    valid = form.validate_on_submit()
    user = current_user()
    owner = user.email if user is not None else ""
    instance = Path(current_app.instance_path)
    upload = form.outcomes.data
    kept_token = form.kept_outcomes.data or ""
    fresh = upload is not None and bool(getattr(upload, "filename", ""))
    if fresh:  # a new file replaces one kept before
        name, content = upload.filename or "outcomes", upload.read()
    elif (found := kept.take(instance, owner, kept_token)) is not None:
        name, content = found.name, found.content
    else:
        name, content = "", b""
        form.outcomes.errors = [*form.outcomes.errors, "choose the outcomes file to upload"]
        valid = False
    if not valid:
        return _again(form, instance, owner, name, content, kept_token, fresh,
                      "The report was not started: correct the fields marked below.", 400)
    try:
        job = reporting.create_report_job(
            get_db(), slug=form.survey.data or "", outcomes_name=name, content=content,
            config_data=form.to_config_data(), created_by=user.email if user is not None else None,
            per_user_limit=report_jobs_per_user(current_app.config.get("REPORT_JOBS_PER_USER")),
            limits=uploads.limits_from(current_app.config),
        )
        reporting.queue_report_job(get_db(), job.id)  # a worker (`cxroi worker`) runs it
    except UnknownSurvey:
        raise
    except CxroiError as error:  # bad input (400), too many waiting (429), the queue down (503)
        return _again(form, instance, owner, name, content, kept_token, fresh, str(error),
                      getattr(error, "status", 400))
    kept.forget(instance, kept_token)
    return redirect(url_for(".job", job_id=job.id), 303)


def _again(form: ReportForm, instance: Path, owner: str, name: str, content: bytes, token: str, fresh: bool,
           problem: str, status: int) -> tuple[str, int]:
    """The form again with its problem; the file sent (or kept before) is kept, so it need not be chosen again.
    A file just sent replaces the one kept before."""
    if content:
        if fresh:
            kept.forget(instance, token)
            token = kept.keep(instance, owner, name, content)
        form.kept_outcomes.data = token
    return render_template("reports/index.html", form=form, problem=problem, kept_name=name if content else None,
                           jobs=reporting.list_report_jobs(get_db())), status


@bp.errorhandler(413)
def too_large(_error: Exception) -> ResponseReturnValue:
    """An outcomes file over the limit: the form again with the limit stated (the generic page speaks of
    survey answers)."""
    limit = reporting.OUTCOMES_LIMIT // (1024 * 1024)
    return _index(_form(read_request=False), f"The uploaded file is larger than {limit} MB; upload only the columns the analysis "
                           "needs (customer id, churned, revenue, tenure, dates, segments), or a Parquet file.", 413)


@bp.get("/<int(max=2147483647):job_id>")
@requires_role("analyst")
def job(job_id: int) -> ResponseReturnValue:
    """One report: its inputs, its progress (the page refreshes itself while it runs), its result."""
    return render_job_page(reporting.find_report_job(get_db(), job_id))


def render_job_page(found: ReportJob, *, status: int = 200, share_form: ShareForm | None = None,
                    schedule_form: ScheduleForm | None = None, new_link: str | None = None) -> tuple[str, int]:
    """The job page; when finished, with its shared links and monthly schedules and the forms to add them."""
    running = found.status in ("queued", "running")
    summary = headline(found.results) if found.status == "done" and found.results else None
    # Reloading can be turned off (WCAG 2.2.1): a screen-reader user may not want the page to start over.
    refresh = REFRESH_SECONDS if running and request.args.get("refresh") != "off" else None
    done = found.status == "done"
    return render_template(
        "reports/job.html", job=found, running=running, refresh=refresh, headline=summary,
        worker_lost=reporting.worker_lost(found), new_link=new_link, now=utcnow(),
        shares=sharing.shares_of(get_db(), found.id) if done else [],
        schedules=report_schedules.schedules_of(get_db(), found.id) if done else [],
        next_run=report_schedules.next_run,
        share_form=share_form or ShareForm(formdata=None), schedule_form=schedule_form or ScheduleForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None)), status


@bp.get("/<int(max=2147483647):job_id>/report.html")
@requires_role("analyst")
def report_html(job_id: int) -> WerkzeugResponse:
    """The finished report as its own HTML page."""
    response = current_app.response_class(reporting.report_html(get_db(), job_id), mimetype="text/html")
    response.headers["Content-Security-Policy"] = REPORT_CSP
    return response


def _downloaded(job_id: int, kind: str) -> None:
    audit("report_downloaded", str(job_id), format=kind)
    get_db().commit()


@bp.get("/<int(max=2147483647):job_id>/report.pdf")
@requires_role("analyst")
def report_pdf(job_id: int) -> WerkzeugResponse:
    """The finished report as PDF, drawn from its stored results."""
    name, content = reporting.report_pdf(get_db(), job_id)
    _downloaded(job_id, "pdf")
    return send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True, download_name=name)


@bp.get("/<int(max=2147483647):job_id>/results.json")
@requires_role("analyst")
def results_json(job_id: int) -> WerkzeugResponse:
    """The results.json document of the finished report (docs/results.md)."""
    name, text = reporting.report_results_json(get_db(), job_id)
    _downloaded(job_id, "json")
    return send_file(io.BytesIO(text.encode("utf-8")), mimetype="application/json", as_attachment=True,
                     download_name=name)
