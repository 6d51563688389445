"""The audit log page for admins: newest first, filtered by action, person, target and dates, and downloaded
as CSV or JSON with the same filter."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, render_template, request
from wtforms import DateField, Form, SelectField, StringField
from wtforms.validators import Length, Optional

from ..accounts.guard import requires_role
from ..extensions import get_db
from .service import ACTIONS, AuditFilter, as_csv, as_rows, events

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
SHOWN = 500


class AuditFilterForm(Form):
    """A GET form (nothing changes), so no CSRF token."""

    action = SelectField("Action", choices=[("", "any action"), *((name, name) for name in ACTIONS)],
                         validators=[Optional()])
    actor = StringField("Done by (e-mail, cli or anonymous)", validators=[Optional(), Length(max=320)])
    target = StringField("Done to (survey, user or report)", validators=[Optional(), Length(max=400)])
    since = DateField("From (inclusive)", validators=[Optional()])
    until = DateField("To (inclusive)", validators=[Optional()])


def _start(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day) if day is not None else None


@bp.get("/")
@requires_role("admin")
def index() -> Response | tuple[str, int]:
    form = AuditFilterForm(request.args)
    if request.args and not form.validate():
        return render_template("audit/index.html", form=form, events=[], shown=SHOWN), 400
    until = _start(form.until.data)
    wanted = AuditFilter(action=form.action.data or "", actor=form.actor.data or "", target=form.target.data or "",
                         since=_start(form.since.data), until=until + timedelta(days=1) if until else None)
    download = request.args.get("format", "")
    if download in ("csv", "json"):
        found = events(get_db(), wanted, limit=None)
        body = as_csv(found) if download == "csv" else json.dumps(as_rows(found), indent=1)
        return Response(body, mimetype="text/csv" if download == "csv" else "application/json",
                        headers={"Content-Disposition": f"attachment; filename=audit-log.{download}",
                                 "Cache-Control": "no-store"})
    return render_template("audit/index.html", form=form, events=as_rows(events(get_db(), wanted)), shown=SHOWN), 200
