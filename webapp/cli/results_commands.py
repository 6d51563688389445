"""`cxroi results rebuild [SLUG]`: count the results page's tallies again from the stored responses."""

from __future__ import annotations

import click
import sqlalchemy as sa

from ..config import database_url_from_environment
from ..storage.engine import open_session
from .root import cli


@cli.group()
def results() -> None:
    """The results page's tallies of complete responses (docs/web-results.md)."""


@results.command("rebuild")
@click.argument("slug", required=False)
def rebuild(slug: str | None) -> None:
    """Count the tallies of SLUG (every survey when omitted) again from its stored responses.

    The submit keeps the tallies as responses complete, and imports count what they store; this is for
    responses written to the database by other means (a bulk load, a restore of the responses table alone).
    Submits wait while it runs.
    """
    from ..services.publishing import find_survey
    from ..services.tallies import rebuild_tallies
    from ..storage.models import SurveyVersion

    with open_session(database_url_from_environment()) as session:
        version_ids = None
        if slug is not None:
            record = find_survey(session, slug)
            version_ids = list(session.scalars(sa.select(SurveyVersion.id).where(SurveyVersion.survey_id == record.id)))
        session.commit()  # what finding the survey began; the rebuild is one transaction of its own
        counted = rebuild_tallies(session.connection(), version_ids)
        session.commit()
    click.echo(f"counted {counted} complete responses{f' of {slug}' if slug else ''}")
