"""`cxroi api-key create NAME --scope read|write`, `cxroi api-key list`, `cxroi api-key revoke ID`, `cxroi api-key
transfer PREFIX EMAIL`: keys for the REST API (docs/api.md), recorded in the audit log as made by `cli`."""

from __future__ import annotations

import click

from webapp.audit.service import CLI_ACTOR
from webapp.config import database_url_from_environment
from webapp.storage.engine import open_session
from webapp.teams.service import find_team

from .root import cli

SCOPES = ("read", "write")
"""`webapp.api.keys.SCOPES`, named here: importing `webapp.api` loads the whole REST API (and the analysis
behind it), which every other command would then pay for at start-up (tests/webapp/test_export_cli_imports.py
checks the two agree)."""


@cli.group("api-key")
def api_key() -> None:
    """Keys for programs that use the REST API."""


@api_key.command("create")
@click.argument("name")
@click.option("--scope", type=click.Choice(SCOPES), required=True, help="read, or write (also changes)")
@click.option("--team", "team_name", default=None, help="The team whose surveys the key sees (default: 'default').")
def create(name: str, scope: str, team_name: str | None) -> None:
    """Make a key of one team; the key itself is printed once, on standard output (only its hash is stored)."""
    from webapp.api.keys import create_key  # here: webapp.api loads the whole REST API

    with open_session(database_url_from_environment()) as session:
        team_id = None if team_name is None else find_team(session, team_name).id
        key, token = create_key(session, name, scope, actor=CLI_ACTOR, team_id=team_id)
        click.echo(f"made key {key.id} ({key.prefix}, {key.scope}) for {key.name}; it is shown only now:", err=True)
    click.echo(token)


@api_key.command("list")
def list_command() -> None:
    """Every key: id, prefix, scope, name, last use, revoked or live."""
    from webapp.api.keys import list_keys  # here: webapp.api loads the whole REST API

    with open_session(database_url_from_environment()) as session:
        for key in list_keys(session):
            used = key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "never used"
            state = "revoked" if key.revoked_at else "live"
            click.echo(f"{key.id}\t{key.prefix}\t{key.scope}\t{key.name}\t{used}\t{state}")


@api_key.command("revoke")
@click.argument("key_id", type=int)
def revoke(key_id: int) -> None:
    """Refuse every request made with the key from now on."""
    from webapp.api.keys import revoke_key  # here: webapp.api loads the whole REST API

    with open_session(database_url_from_environment()) as session:
        key = revoke_key(session, key_id, actor=CLI_ACTOR)
        click.echo(f"revoked key {key.id} ({key.prefix}) of {key.name}")


@api_key.command("transfer")
@click.argument("prefix")
@click.argument("email")
def transfer(prefix: str, email: str) -> None:
    """Hand the key PREFIX to the active admin EMAIL, so deactivating its maker does not revoke it."""
    from webapp.api.keys import transfer_key  # here: webapp.api loads the whole REST API

    with open_session(database_url_from_environment()) as session:
        key = transfer_key(session, prefix, email, actor=CLI_ACTOR)
        click.echo(f"the key {key.prefix} ({key.name}) is now held by {key.created_by}")
