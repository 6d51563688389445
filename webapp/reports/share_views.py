"""Views of a finished report's shared links and monthly schedules, on its job page (the `reports` blueprint,
analyst role and above; the team scope of the page guard answers 404 for another team's report before these
run). The work is done by `webapp.services.sharing` and `webapp.services.report_schedules`."""

from __future__ import annotations

from flask import redirect, url_for
from flask.typing import ResponseReturnValue

from ..accounts.guard import requires_role
from ..audit.web import actor_and_client
from ..extensions import get_db
from ..services import report_schedules, reporting, sharing
from .forms import ConfirmForm, ScheduleForm, ShareForm
from .views import bp, render_job_page

_ID = "int(max=2147483647)"


@bp.post(f"/<{_ID}:job_id>/shares")
@requires_role("analyst")
def create_share(job_id: int) -> ResponseReturnValue:
    """Make a link; the page shows it once (only its hash is kept), like a new API key."""
    job = reporting.find_report_job(get_db(), job_id)
    form = ShareForm()
    if not form.validate_on_submit():
        return render_job_page(job, status=400, share_form=form)
    actor, client = actor_and_client()
    try:
        _share, token = sharing.create_share(get_db(), job_id, days=form.days.data or 0, label=form.label.data or "",
                                             actor=actor, client=client)
    except sharing.ShareError as error:
        form.days.errors = [*form.days.errors, str(error)]
        return render_job_page(job, status=error.status, share_form=form)
    return render_job_page(job, status=201, new_link=url_for("shared.report", token=token, _external=True))


@bp.post(f"/<{_ID}:job_id>/shares/<{_ID}:number>/revoke")
@requires_role("analyst")
def revoke_share(job_id: int, number: int) -> ResponseReturnValue:
    """Revoke the report's link `number`."""
    job = reporting.find_report_job(get_db(), job_id)
    if not ConfirmForm().validate_on_submit():
        return render_job_page(job, status=400)
    actor, client = actor_and_client()
    sharing.revoke_share(get_db(), job_id, number, actor=actor, client=client)
    return redirect(url_for("reports.job", job_id=job_id, _anchor="shared-links"), 303)


@bp.post(f"/<{_ID}:job_id>/schedules")
@requires_role("analyst")
def create_schedule(job_id: int) -> ResponseReturnValue:
    """Mail the report, made again from its inputs, every month to a list of addresses."""
    job = reporting.find_report_job(get_db(), job_id)
    form = ScheduleForm()
    if not form.validate_on_submit():
        return render_job_page(job, status=400, schedule_form=form)
    actor, client = actor_and_client()
    try:
        report_schedules.create_schedule(get_db(), job_id, day_of_month=form.day_of_month.data or 0,
                                         recipients=form.recipients.data or "", delivery=form.delivery.data or "",
                                         actor=actor, client=client)
    except report_schedules.ScheduleError as error:
        form.recipients.errors = [*form.recipients.errors, str(error)]
        return render_job_page(job, status=error.status, schedule_form=form)
    return redirect(url_for("reports.job", job_id=job_id, _anchor="schedules"), 303)


@bp.post(f"/<{_ID}:job_id>/schedules/<{_ID}:number>/remove")
@requires_role("analyst")
def remove_schedule(job_id: int, number: int) -> ResponseReturnValue:
    """Stop the report's monthly schedule `number`."""
    job = reporting.find_report_job(get_db(), job_id)
    if not ConfirmForm().validate_on_submit():
        return render_job_page(job, status=400)
    actor, client = actor_and_client()
    report_schedules.remove_schedule(get_db(), job_id, number, actor=actor, client=client)
    return redirect(url_for("reports.job", job_id=job_id, _anchor="schedules"), 303)

