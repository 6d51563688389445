"""`cxroi user create EMAIL --role author|analyst|admin [--password-stdin]`."""

from __future__ import annotations

import sys

import click

from webapp.accounts.models import ROLES
from webapp.accounts.service import create_user
from webapp.config import database_url_from_environment
from webapp.storage.engine import open_session

from .root import cli


@cli.group()
def user() -> None:
    """Manage the accounts of CX leads, analysts and admins."""


@user.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="author, analyst or admin")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
def create(email: str, role: str, password_stdin: bool) -> None:
    """Create a user who can sign in to the web app."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with open_session(database_url_from_environment()) as session:
        created = create_user(session, email, role, password)
    click.echo(f"created {created.email} ({created.role})")
