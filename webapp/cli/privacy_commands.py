"""`cxroi customers erase` and `cxroi survey retention` (issue 14, docs/privacy.md)."""

from __future__ import annotations

import click

from ..audit.service import CLI_ACTOR
from ..config import database_url_from_environment, instance_path_from_environment, secret_key_for
from ..storage.engine import open_session
from .root import cli
from .survey_commands import survey


@cli.group()
def customers() -> None:
    """Act on one customer's stored data."""


@customers.command("erase")
@click.argument("customer_id")
@click.option("--dry-run", is_flag=True, help="Only list what would be erased, per kind; change nothing.")
@click.option("--team", "team_name", default=None, help="Only what the customer left in this team's surveys.")
def erase_command(customer_id: str, dry_run: bool, team_name: str | None) -> None:
    """Erase CUSTOMER_ID: every response, invitation (and its e-mails), follow-up case (and its notes), coded
    theme and webhook delivery about them, and their rows in stored outcomes files and recurring wave lists;
    the audit log records the erasure under a keyed hash of the id. An unknown id changes nothing (exit 1)."""
    from ..privacy.erasure import erase_customer, plan_erasure
    from ..teams.scope import limit_to_teams
    from ..teams.service import find_team

    with open_session(database_url_from_environment()) as session:
        if team_name is not None:
            limit_to_teams(session, [find_team(session, team_name).id])
        if dry_run:
            plan = plan_erasure(session, customer_id)
        else:
            plan = erase_customer(session, customer_id, secret_key=secret_key_for(instance_path_from_environment()),
                                  actor=CLI_ACTOR)
    verb = "would erase" if dry_run else "erased"
    click.echo(f"{verb}: " + ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in plan.counts.items()))
    if plan.counts["opt_outs_hashed"]:
        click.echo("the customer's opt-out is kept as a keyed hash of the address: it is still never mailed")


@survey.command("retention")
@click.argument("slug")
@click.option("--months", required=True, type=int,
              help="Keep responses this many months after they were started (0: keep them for ever).")
@click.option("--action", type=click.Choice(["delete", "anonymise"]), default="delete", show_default=True,
              help="What happens to older responses, every day (the worker's schedule).")
def retention_command(slug: str, months: int, action: str) -> None:
    """Set how long SLUG's responses are kept; the worker applies it daily (docs/privacy.md)."""
    from ..privacy.retention import set_retention

    with open_session(database_url_from_environment()) as session:
        kept = set_retention(session, slug, months, action, actor=CLI_ACTOR)
    if kept.months is None:
        click.echo(f"{slug}: responses are kept (no retention)")
    else:
        click.echo(f"{slug}: responses started more than {kept.months} months ago are {kept.action}d daily")
