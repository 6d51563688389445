"""The admins' API keys page: every key with its scope and last use, making one (its token shown once, on the
page that answers the form) and revoking one."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..accounts.guard import requires_role
from ..audit.web import actor_and_client
from ..extensions import get_db
from ..teams.service import all_teams, team_choice, team_names
from .keys import SCOPES, ApiKeyError, create_key, list_keys, revoke_key

bp = Blueprint("api_keys", __name__, url_prefix="/admin/api-keys")


class NewKeyForm(FlaskForm):
    name = StringField("What will use the key (e.g. CRM sync)", validators=[DataRequired(), Length(max=100)])
    scope = SelectField("Scope", choices=[("read", "read: fetch surveys, responses, reports and cases"),
                                          ("write", "write: also publish, close, invite and start analyses")])
    team = SelectField("Team (the key sees only this team's surveys, responses, reports and cases)",
                       coerce=team_choice, validate_choice=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.team.choices = [(team.id, team.name) for team in all_teams(get_db())]


class RevokeForm(FlaskForm):
    """Only the CSRF token: the key is in the address."""


def _page(form: NewKeyForm, *, token: str | None = None, status: int = 200) -> tuple[str, int, dict[str, str]]:
    page = render_template("api/keys.html", form=form, keys=list_keys(get_db()), token=token, scopes=SCOPES,
                           revoke_form=RevokeForm(), teams=team_names(get_db()))
    return page, status, {"Cache-Control": "no-store"}  # a page holding a new token is never cached


@bp.route("/", methods=["GET", "POST"])
@requires_role("admin")
def index() -> tuple[str, int, dict[str, str]]:
    form = NewKeyForm()
    if form.validate_on_submit():
        actor, client = actor_and_client()
        try:
            _key, token = create_key(get_db(), form.name.data or "", form.scope.data or "", actor=actor,
                                     client=client, team_id=form.team.data)
        except ApiKeyError as error:
            form.name.errors = [str(error)]
            return _page(form, status=400)
        return _page(NewKeyForm(formdata=None), token=token, status=201)
    return _page(form, status=400 if form.is_submitted() else 200)


@bp.post("/<int(max=2147483647):key_id>/revoke")
@requires_role("admin")
def revoke(key_id: int) -> WerkzeugResponse | tuple[str, int, dict[str, str]]:
    if not RevokeForm().validate_on_submit():
        return _page(NewKeyForm(formdata=None), status=400)
    actor, client = actor_and_client()
    try:
        key = revoke_key(get_db(), key_id, actor=actor, client=client)
    except ApiKeyError as error:
        flash(str(error))
        return redirect("/admin/api-keys/")
    flash(f"Revoked the key {key.name!r} ({key.prefix}); requests with it are refused from now on.")
    return redirect("/admin/api-keys/")
