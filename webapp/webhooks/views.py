"""The admins' webhooks pages: subscriptions (make one, pause or resume it) and each one's delivery log with a
replay button."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectField, SelectMultipleField, URLField, widgets
from wtforms.validators import DataRequired, Length

from ..accounts.guard import requires_role
from ..audit.web import actor_and_client, audit
from ..config import webhook_allow_private_from_environment
from ..extensions import get_db
from ..teams.service import all_teams, team_choice, team_names
from . import service
from .models import EVENTS, WebhookSubscription
from .targets import TargetRefused
from .tasks import deliver_later

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")


class SubscriptionForm(FlaskForm):
    url = URLField("Address that receives the events (https://…)", validators=[DataRequired(), Length(max=2000)])
    events = SelectMultipleField("Events", choices=[(event, event) for event in EVENTS],
                                 option_widget=widgets.CheckboxInput(), widget=widgets.ListWidget(prefix_label=False))
    team = SelectField("Team (the webhook hears only events of this team's surveys)", coerce=team_choice,
                       validate_choice=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.team.choices = [(team.id, team.name) for team in all_teams(get_db())]


class ActionForm(FlaskForm):
    """Only the CSRF token."""


def _index(form: SubscriptionForm, status: int = 200, made: WebhookSubscription | None = None) -> tuple[str, int]:
    return render_template("webhooks/index.html", form=form, subscriptions=service.subscriptions(get_db()),
                           made=made, action_form=ActionForm(), teams=team_names(get_db())), status


@bp.route("/", methods=["GET", "POST"])
@requires_role("admin")
def index() -> tuple[str, int]:
    form = SubscriptionForm()
    if form.validate_on_submit():
        actor, _ = actor_and_client()
        try:
            made = service.subscribe(get_db(), form.url.data or "", list(form.events.data or []), created_by=actor,
                                     allow_private=webhook_allow_private_from_environment(), team_id=form.team.data)
        except TargetRefused as refused:
            form.url.errors = [str(refused)]
            return _index(form, 400)
        except service.WebhookError as error:
            form.events.errors = [str(error)]
            return _index(form, 400)
        audit("webhook_created", made.url, events=made.events.split())
        get_db().commit()
        return _index(SubscriptionForm(formdata=None), 201, made)
    return _index(form, 400 if form.is_submitted() else 200)


def _subscription(subscription_id: int) -> WebhookSubscription:
    found = get_db().get(WebhookSubscription, subscription_id)
    if found is None:
        abort(404)
    return found


@bp.get("/<int(max=2147483647):subscription_id>")
@requires_role("admin")
def log(subscription_id: int) -> str:
    found = _subscription(subscription_id)
    return render_template("webhooks/log.html", subscription=found,
                           deliveries=service.deliveries(get_db(), found.id), action_form=ActionForm())


@bp.post("/<int(max=2147483647):subscription_id>/active")
@requires_role("admin")
def set_state(subscription_id: int) -> WerkzeugResponse:
    """Pause (`paused=1`) or resume (`paused=0`) a webhook. The form says which state it wants, so a double
    submit or a stale page cannot undo the first click: a repeat changes nothing and records nothing."""
    found = _subscription(subscription_id)
    if ActionForm().validate_on_submit():
        wanted = request.form.get("paused")
        if wanted not in ("0", "1"):
            abort(400, description="say whether the webhook should be paused (paused=1) or resumed (paused=0)")
        active = wanted == "0"
        actor, client = actor_and_client()
        if service.set_active(get_db(), found.id, active, actor=actor, client=client) and active:
            deliver_later(service.due_deliveries(get_db()))
        flash(f"{'Resumed' if active else 'Paused'} the webhook to {found.url}.")
    return redirect(url_for(".index"))


@bp.post("/<int(max=2147483647):subscription_id>/deliveries/<int(max=2147483647):delivery_id>/replay")
@requires_role("admin")
def replay(subscription_id: int, delivery_id: int) -> WerkzeugResponse:
    found = _subscription(subscription_id)
    if ActionForm().validate_on_submit():
        delivery = get_db().get(service.WebhookDelivery, delivery_id)
        if delivery is None or delivery.subscription_id != found.id:
            abort(404)
        again = service.replay(get_db(), delivery_id)
        audit("webhook_replayed", found.url, event=delivery.event_id)
        get_db().commit()
        deliver_later([again.id])
        flash(f"Queued the {delivery.event} event {delivery.event_id} again.")
    return redirect(url_for(".log", subscription_id=found.id))
