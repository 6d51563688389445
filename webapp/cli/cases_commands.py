"""`cxroi cases list [--survey SLUG] [--status S] [--owner EMAIL] [--format text|json|csv]` and
`cxroi cases team EMAIL [TEAM]` (put an account in the team a follow-up rule's `team:` names)."""

from __future__ import annotations

import csv
import json
import sys

import click

from ..cases import service
from ..config import database_url_from_environment
from ..storage.engine import open_session
from ..storage.models import CASE_STATUSES
from .root import cli


@cli.group()
def cases() -> None:
    """Follow-up cases opened by the surveys' follow-up rules."""


@cases.command("list")
@click.option("--survey", "slug", default=None, help="Only the cases of this survey (its slug).")
@click.option("--status", type=click.Choice(CASE_STATUSES), default=None, help="Only cases with this status.")
@click.option("--owner", default=None, help="Only the cases of this owner (e-mail), or team:NAME.")
@click.option("--format", "fmt", type=click.Choice(("text", "json", "csv")), default="text", show_default=True)
def list_command(slug: str | None, status: str | None, owner: str | None, fmt: str) -> None:
    """List the cases, newest first, on standard output."""
    with open_session(database_url_from_environment()) as session:
        rows = service.list_cases(session, survey=slug, status=status, owner=owner)
    if fmt == "json":
        click.echo(json.dumps([row.as_dict() for row in rows], indent=2, ensure_ascii=False))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=service.COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(row.as_dict() for row in rows)
    else:
        for row in rows:
            click.echo(f"{row.id}\t{row.survey}\t{row.customer_id or '-'}\t{row.rule_id}\t{row.priority}\t"
                       f"{row.status}\t{row.owner or 'team ' + (row.team or '?')}\tdue {row.due_at:%Y-%m-%d %H:%M}")
        click.echo(f"{len(rows)} case(s)", err=True)


@cases.command("team")
@click.argument("email")
@click.argument("team", required=False)
def team_command(email: str, team: str | None) -> None:
    """Put the account EMAIL in TEAM (without TEAM: in no team); a rule's `team:` notifies its members."""
    with open_session(database_url_from_environment()) as session:
        user = service.set_team(session, email, team or None)
        click.echo(f"{user.email}: team {user.team}" if user.team else f"{user.email}: in no team")


@cases.command("risk")
@click.argument("slug")
@click.option("--threshold", type=float, default=None,
              help="Open a case when a new response's predicted churn risk reaches this probability (e.g. 0.3).")
@click.option("--owner", default=None, help="Owner (e-mail of an author, agent or admin) of the risk cases.")
@click.option("--team", default=None, help="Team that owns the risk cases (instead of --owner).")
@click.option("--priority", type=click.Choice(("low", "normal", "high", "urgent")), default="high",
              show_default=True)
@click.option("--off", is_flag=True, help="Stop scoring this survey's new responses.")
def risk_command(slug: str, threshold: float | None, owner: str | None, team: str | None, priority: str,
                 off: bool) -> None:
    """Score each newly completed response of SLUG with its latest analysis' retention model and open a case
    when the predicted churn risk reaches --threshold (docs/cases.md, "Churn risk")."""
    from ..cases.churn_risk import RiskRuleError, set_risk_rule

    if off == (threshold is not None):
        raise RiskRuleError("give either --threshold P (with --owner or --team) or --off")
    with open_session(database_url_from_environment()) as session:
        set_risk_rule(session, slug, None if off else threshold, owner=owner, team=team, priority=priority)
    click.echo(f"{slug}: churn-risk cases off" if off else
               f"{slug}: a new response whose predicted churn risk is {threshold:.0%} or more opens a {priority} "
               f"case for {owner or 'team ' + str(team)}")
