"""`cxroi user create EMAIL --role ROLE [--password-stdin]`, `list`, `deactivate`, `activate`, `set-role EMAIL
ROLE`, `reset-password EMAIL [--password-stdin]` and `unlink-sso EMAIL`; each change is recorded in the audit log as done by `cli`."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa

from webapp.accounts.models import ROLES, User
from webapp.audit.service import CLI_ACTOR
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
    from webapp.accounts.service import create_user  # here: it loads argon2

    password = _read_password(password_stdin)
    with open_session(database_url_from_environment()) as session:
        created = create_user(session, email, role, password)
    click.echo(f"created {created.email} ({created.role})")


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@user.command("list")
def list_users() -> None:
    """Show every user: e-mail, role, active or deactivated."""
    with open_session(database_url_from_environment()) as session:
        for person in session.scalars(sa.select(User).order_by(User.email)):
            click.echo(f"{person.email}\t{person.role}\t{'active' if person.active else 'deactivated'}")


@user.command("deactivate")
@click.argument("email")
def deactivate(email: str) -> None:
    """Stop a user signing in; every session of theirs ends at once."""
    from webapp.accounts.lifecycle import set_active  # here: it loads argon2 and the REST API's keys

    with open_session(database_url_from_environment()) as session:
        done = set_active(session, email, False, actor=CLI_ACTOR)
    click.echo(f"deactivated {done.email}; their sessions have ended")


@user.command("activate")
@click.argument("email")
def activate(email: str) -> None:
    """Let a deactivated user sign in again."""
    from webapp.accounts.lifecycle import set_active  # here: it loads argon2 and the REST API's keys

    with open_session(database_url_from_environment()) as session:
        done = set_active(session, email, True, actor=CLI_ACTOR)
    click.echo(f"activated {done.email}")


@user.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def change_role(email: str, role: str) -> None:
    """Give a user another role (from their next request)."""
    from webapp.accounts.lifecycle import set_role  # here: it loads argon2 and the REST API's keys

    with open_session(database_url_from_environment()) as session:
        done = set_role(session, email, role, actor=CLI_ACTOR)
    click.echo(f"{done.email} is now {done.role}")


@user.command("reset-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input (for scripts).")
def change_password(email: str, password_stdin: bool) -> None:
    """Set a new password; every session of the user ends."""
    from webapp.accounts.lifecycle import reset_password  # here: it loads argon2 and the REST API's keys

    password = _read_password(password_stdin)
    with open_session(database_url_from_environment()) as session:
        done = reset_password(session, email, password, actor=CLI_ACTOR)
    click.echo(f"the password of {done.email} is reset; their sessions have ended")


@user.command("unlink-sso")
@click.argument("email")
def unlink_sso(email: str) -> None:
    """Forget the single sign-on identity bound to a user; every session of theirs ends."""
    from webapp.accounts.lifecycle import unlink_identity  # here: it loads argon2 and the REST API's keys

    with open_session(database_url_from_environment()) as session:
        done = unlink_identity(session, email, actor=CLI_ACTOR)
    click.echo(f"{done.email} is bound to no single sign-on identity; their sessions have ended")
