"""`cxroi audit purge --before DATE [--archive FILE]`: delete audit events older than a date (at least 90 days
ago; the database refuses younger ones), first writing them to an archive file when asked (docs/security.md).
Whoever runs it holds the database's credentials, i.e. admin access to the installation; it is recorded in the
audit log as done by `cli`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from webapp.audit.retention import purge_before
from webapp.audit.service import CLI_ACTOR
from webapp.config import database_url_from_environment
from webapp.storage.engine import open_session

from .root import cli


@cli.group()
def audit() -> None:
    """The audit log: purge old events (admins read and download it on the web)."""


@audit.command("purge")
@click.option("--before", "before", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Delete events from before this day (YYYY-MM-DD, UTC; at least 90 days ago).")
@click.option("--archive", type=click.Path(dir_okay=False, path_type=Path),
              help="First append the events to this file as JSON lines (one object per event, with its id).")
def purge(before: datetime, archive: Path | None) -> None:
    """Delete old audit events, in batches, each batch with an audit_purged event."""
    with open_session(database_url_from_environment()) as session:
        if archive is None:
            deleted = purge_before(session, before, actor=CLI_ACTOR)
        else:
            with archive.open("a", encoding="utf-8") as out:
                deleted = purge_before(session, before, actor=CLI_ACTOR, archive=out)
    kept = f"; archived in {archive}" if archive is not None else ""
    click.echo(f"deleted {deleted} audit events from before {before.date().isoformat()}{kept}")
