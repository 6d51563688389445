"""The admins' Teams page: every team with its members; make a team, put a person into one, take them out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Length

from ..accounts.guard import requires_role
from ..extensions import get_db
from .service import TeamError, add_member, create_team, list_teams, remove_member

bp = Blueprint("teams", __name__, url_prefix="/admin/teams")


class NewTeamForm(FlaskForm):
    name = StringField("Name of the new team", validators=[DataRequired(), Length(max=64)])


class MemberForm(FlaskForm):
    email = EmailField("E-mail of the person to add", validators=[DataRequired(), Length(max=320)])


def _page(form: NewTeamForm, status: int = 200, problem: str | None = None) -> tuple[str, int]:
    return render_template("teams/index.html", form=form, teams=list_teams(get_db()), problem=problem,
                           member_form=MemberForm(formdata=None)), status


@bp.route("/", methods=["GET", "POST"])
@requires_role("admin")
def index() -> tuple[str, int] | WerkzeugResponse:
    form = NewTeamForm()
    if form.validate_on_submit():
        try:
            made = create_team(get_db(), form.name.data or "")
        except TeamError as error:
            form.name.errors = [str(error)]
            return _page(form, 400)
        flash(f"Made the team {made.name}; add its people below.")
        return redirect(url_for("teams.index"))
    return _page(form, 400 if form.is_submitted() else 200)


@bp.post("/<team_name>/members")
@requires_role("admin")
def add(team_name: str) -> tuple[str, int] | WerkzeugResponse:
    form = MemberForm()
    if not form.validate_on_submit():
        return _page(NewTeamForm(formdata=None), 400, "Give the e-mail address of a user to add.")
    try:
        added = add_member(get_db(), form.email.data or "", team_name)
    except TeamError as error:
        return _page(NewTeamForm(formdata=None), 400 if "no user" in str(error) else 404, str(error))
    flash(f"{(form.email.data or '').strip().lower()} is {'now' if added else 'already'} in {team_name}.")
    return redirect(url_for("teams.index"))


@bp.post("/<team_name>/members/remove")
@requires_role("admin")
def remove(team_name: str) -> tuple[str, int] | WerkzeugResponse:
    if not MemberForm().validate_on_submit():
        return _page(NewTeamForm(formdata=None), 400, "The form expired; send it again.")
    email = request.form.get("email", "")
    try:
        removed = remove_member(get_db(), email, team_name)
    except TeamError as error:
        return _page(NewTeamForm(formdata=None), 404, str(error))
    flash(f"{email.strip().lower()} {'left' if removed else 'was not in'} {team_name}.")
    return redirect(url_for("teams.index"))
