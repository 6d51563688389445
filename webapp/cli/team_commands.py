"""`cxroi team create NAME`, `cxroi team add EMAIL TEAM`, `cxroi team remove EMAIL TEAM`, `cxroi team list`:
who sits in which team (docs/security.md, "Teams"). A person sees and changes only their teams' surveys and
what belongs to them; admins see every team."""

from __future__ import annotations

import click

from webapp.config import database_url_from_environment
from webapp.storage.engine import open_session
from webapp.teams.service import add_member, create_team, list_teams, remove_member

from .root import cli


@cli.group()
def team() -> None:
    """Teams: each survey, API key and webhook belongs to one; people sit in one or more."""


@team.command("create")
@click.argument("name")
def create(name: str) -> None:
    """Make a new, empty team."""
    with open_session(database_url_from_environment()) as session:
        made = create_team(session, name)
    click.echo(f"created team {made.name}")


@team.command("add")
@click.argument("email")
@click.argument("team_name", metavar="TEAM")
def add(email: str, team_name: str) -> None:
    """Put the user EMAIL into TEAM (they keep their other teams)."""
    with open_session(database_url_from_environment()) as session:
        added = add_member(session, email, team_name)
    click.echo(f"{email.strip().lower()} is {'now' if added else 'already'} in the team {team_name.strip()}")


@team.command("remove")
@click.argument("email")
@click.argument("team_name", metavar="TEAM")
def remove(email: str, team_name: str) -> None:
    """Take the user EMAIL out of TEAM: they no longer see its surveys."""
    with open_session(database_url_from_environment()) as session:
        removed = remove_member(session, email, team_name)
    click.echo(f"{email.strip().lower()} {'left' if removed else 'was not in'} the team {team_name.strip()}")


@team.command("list")
def list_command() -> None:
    """Every team and its members (tab-separated: team, then e-mail addresses)."""
    with open_session(database_url_from_environment()) as session:
        for summary in list_teams(session):
            click.echo("\t".join([summary.name, *summary.members]))
