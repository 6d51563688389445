"""`cxroi responses import SLUG FILE`: store responses collected elsewhere (the wide table)."""

from __future__ import annotations

from pathlib import Path

import click

from surveys.tables import read_responses_table

from ..config import database_url_from_environment
from ..storage.engine import open_session
from .hosting_commands import responses


@responses.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_(slug: str, file: Path) -> None:
    """Store the rows of FILE (.csv, .xlsx, .parquet) as responses to the latest version of SLUG.

    The whole file is checked first; a bad row refuses it (exit 2, each problem with row and column).
    Importing the same file again adds nothing (rows are known by their response_id).
    """
    from ..services.importing import import_responses

    table = read_responses_table(file)
    with open_session(database_url_from_environment()) as session:
        added = import_responses(session, slug, table, source=str(file))
    click.echo(f"imported {added} new responses from {file} ({len(table) - added} already stored)")
