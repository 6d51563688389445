"""The cases pages (authors, admins and agents): the list with its filters and the loop's figures per survey, one
case with the answers that triggered it, and its status, notes and owner (every POST CSRF-checked by the app's
CSRFProtect)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ..accounts.guard import current_user, requires_role
from ..extensions import get_db
from ..services import case_tasks
from ..services.publishing import find_survey, survey_of
from ..storage.models import CASE_PRIORITIES, CASE_STATUSES, SurveyRecord
from . import notifications, service
from .owners import case_accounts, survey_team

bp = Blueprint("cases", __name__, url_prefix="/cases")
LIST_LIMIT = 500
STATUS_LABELS = {"open": "Open", "contacted": "Contacted", "resolved": "Resolved", "won_back": "Won back",
                 "lost": "Lost"}


def _by() -> str | None:
    user = current_user()
    return user.email if user is not None else None


@bp.get("/")
@requires_role("agent")
def index() -> ResponseReturnValue:
    """Cases, newest first; `?survey=SLUG&status=S&owner=EMAIL` filter them (`owner=team:NAME` a team's)."""
    db = get_db()
    survey = request.args.get("survey") or None
    status = request.args.get("status") or None
    owner = request.args.get("owner") or None
    status_code = 200
    problem = None
    try:
        rows = service.list_cases(db, survey=survey, status=status, owner=owner, limit=LIST_LIMIT)
    except service.HostingError as error:  # an unknown survey or status in the address
        rows, problem, status_code = [], str(error), 400
    surveys = [(slug, title) for slug, title in db.execute(
        sa.select(SurveyRecord.slug, SurveyRecord.title).order_by(SurveyRecord.slug))]
    owners = [user.email for user in case_accounts(db)]
    figures = service.loop_figures(db, survey=survey)
    db.commit()
    return render_template("cases/index.html", rows=rows, surveys=surveys, owners=owners, statuses=CASE_STATUSES,
                           labels=STATUS_LABELS, figures=figures, problem=problem, limit=LIST_LIMIT,
                           selected={"survey": survey, "status": status, "owner": owner},
                           now=service.utcnow()), status_code


@bp.get("/<int(max=2147483647):case_id>")
@requires_role("agent")
def case(case_id: int) -> ResponseReturnValue:
    """One case: customer, survey, rule, priority, due time, the answers that triggered it, notes and history."""
    db = get_db()
    found = service.get_case(db, case_id)
    survey = survey_of(found.response.version)
    triggered = notifications.triggering_answers(survey, found, found.response.answers or {})
    owners = [user.email for user in case_accounts(db, survey_team(db, found.survey_id))]
    page = render_template("cases/case.html", case=found, triggered=triggered, statuses=CASE_STATUSES,
                           labels=STATUS_LABELS, owners=owners, priorities=CASE_PRIORITIES, now=service.utcnow())
    db.commit()
    return page


@bp.post("/<int(max=2147483647):case_id>/status")
@requires_role("agent")
def status(case_id: int) -> ResponseReturnValue:
    service.set_status(get_db(), case_id, request.form.get("status", ""), by=_by())
    flash(f"Status: {STATUS_LABELS.get(request.form.get('status', ''), '')}.")
    return redirect(url_for(".case", case_id=case_id), 303)


@bp.post("/<int(max=2147483647):case_id>/note")
@requires_role("agent")
def note(case_id: int) -> ResponseReturnValue:
    service.add_note(get_db(), case_id, request.form.get("text", ""), by=_by())
    flash("Note added.")
    return redirect(url_for(".case", case_id=case_id), 303)


@bp.post("/<int(max=2147483647):case_id>/owner")
@requires_role("agent")
def owner(case_id: int) -> ResponseReturnValue:
    notify = service.set_owner(get_db(), case_id, request.form.get("owner", ""), by=_by())
    case_tasks.notify_later(notify)
    flash("Owner changed; the new owner is notified by e-mail." if notify else "The owner is unchanged.")
    return redirect(url_for(".case", case_id=case_id), 303)


@bp.route("/risk/<slug>", methods=["GET", "POST"])
@requires_role("author")
def risk(slug: str) -> ResponseReturnValue:
    """The CX lead sets the survey's churn-risk threshold (docs/cases.md, "Churn risk"), or turns it off."""
    from .churn_risk import RiskRuleError, risk_settings, set_risk_rule

    db = get_db()
    problem = None
    if request.method == "POST":
        try:
            threshold = None if request.form.get("action") == "off" else _percent(request.form.get("threshold"))
            set_risk_rule(db, slug, threshold, owner=request.form.get("owner") or None,
                          priority=request.form.get("priority") or "high", set_by=_by())
        except RiskRuleError as error:
            db.rollback()
            problem = str(error)
        else:
            flash("The churn-risk rule is saved." if threshold is not None else "Churn-risk cases are off.")
            return redirect(url_for("cases.risk", slug=slug), 303)
    settings = risk_settings(db, slug)
    owners = [user.email for user in case_accounts(db, find_survey(db, slug).team_id)]
    db.commit()
    return render_template("cases/risk.html", settings=settings, owners=owners, priorities=CASE_PRIORITIES,
                           problem=problem, form=request.form), (400 if problem else 200)


def _percent(text: str | None) -> float:
    from .churn_risk import RiskRuleError

    try:
        value = float((text or "").strip().rstrip("%"))
    except ValueError:
        raise RiskRuleError("threshold: a percentage between 1 and 99, e.g. 30") from None
    if not 0 < value < 100:
        raise RiskRuleError(f"threshold: a percentage between 1 and 99, not {value:g}")
    return value / 100
