"""`cxroi db upgrade`, `cxroi serve`, `cxroi survey publish`, `cxroi invite`, `cxroi responses export`.

The database is the one named by `CXROI_DATABASE_URL`, or the SQLite file in the instance folder; every
command creates or upgrades it first, so nothing needs setting up.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from surveys.files import read_survey

from ..audit.service import CLI_ACTOR, record
from ..config import base_url_from_environment, database_url_from_environment
from ..services.errors import HostingError
from .mail_support import check_mail_settings, enqueue_or_explain, report_skipped
from .root import cli
from .survey_commands import survey


def _session() -> Any:
    from ..storage.engine import open_session

    return open_session(database_url_from_environment())


@cli.group()
def db() -> None:
    """Manage the database."""


@db.command()
def upgrade() -> None:
    """Create the database or migrate it to the latest schema."""
    from ..storage.engine import upgrade_database

    url = database_url_from_environment()
    upgrade_database(url)
    click.echo(f"database is up to date: {_shown(url)}")


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@survey.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def publish(file: Path) -> None:
    """Store FILE as a new immutable version of its survey; prints the slug and version."""
    from ..services import publish_survey

    survey = read_survey(file)
    with _session() as session:
        version = publish_survey(session, survey)
        record(session, "survey_published", actor=CLI_ACTOR, target=survey.id, detail={"version": version.number})
        session.commit()
        click.echo(f"published {survey.id} version {version.number}")
        if survey.customer_id_param:  # the link needs each customer's signed id: made by `cxroi invite`
            click.echo(f"public links: one per customer, with a signed {survey.customer_id_param!r}, in the "
                       "public_link column of `cxroi invite -o`")
        else:
            click.echo(f"public link: {base_url_from_environment()}/p/{survey.id}")


@cli.command()
@click.argument("slug")
@click.option("--customers", "customers", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV with a customer_id column (or the ids in its first column), header on line 1.")
@click.option("--channel", required=True, help="Channel the links are sent through (one of the survey's channels).")
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV to write: customer_id, channel, url (and public_link when the survey has customer_id_param).")
@click.option("--send", is_flag=True, default=False,
              help="Queue one invitation e-mail per customer instead (the file needs an email column; "
                   "`cxroi worker` sends them through CXROI_MAIL_URL).")
@click.option("--base-url", default=None, help="Public address of the app (default: $CXROI_BASE_URL).")
@click.option("--expires-days", type=click.IntRange(min=1), default=30, show_default=True,
              help="Days until the links expire.")
@click.option("--contact-days", type=click.FloatRange(min=0), default=None,
              help="Contact rule for this run: leave out customers surveyed (by any survey) less than this many "
                   "days ago; 0: no rule. Default: CXROI_CONTACT_DAYS, else 90 (docs/waves.md).")
@click.option("--skipped", "skipped_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the customers the contact rule left out to this CSV.")
def invite(slug: str, customers: Path, channel: str, output: Path | None, send: bool, base_url: str | None,
           expires_days: int, contact_days: float | None, skipped_path: Path | None) -> None:
    """One personal single-use link per customer of FILE for survey SLUG, written to -o or, with --send, queued
    as one invitation e-mail per customer (FILE then needs an email column; optional name, language, phone).

    An empty or duplicate customer id refuses the whole file (exit 2, every such row listed): no link is made
    until the list is clean. When the survey's definition sets `customer_id_param`, each row also gets the
    customer's public link, their id signed with the app's secret key (valid CXROI_PUBLIC_LINK_DAYS days).
    """
    from ..config import contact_days_from_environment, instance_path_from_environment, secret_key_for
    from ..services import create_invitations, latest_version, survey_of
    from ..services.customer_lists import read_customer_file
    from ..services.invitations import LinksCsvWriter, signed_public_link

    days = contact_days_from_environment() if contact_days is None else contact_days
    if send:
        if output is not None:
            raise HostingError("use either -o (write the links) or --send (e-mail them), not both")
        _send_invitations(slug, customers, channel, expires_days, days, skipped_path)
        return
    if output is None:
        raise HostingError("say where to write the links (-o links.csv), or e-mail them with --send")
    ids = read_customer_file(customers).rows  # each with its language and name, kept on its invitation
    base = (base_url or base_url_from_environment()).rstrip("/")
    # The database keeps only the tokens' hashes, so links made but not written would be lost: make sure the
    # output can be written before making any, and replace the file only once every link is in it.
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by the `with` below
            "w", newline="", encoding="utf-8", dir=output.parent or ".",
            prefix=f".{output.name}.", suffix=".tmp", delete=False)
    except OSError as error:
        raise HostingError(f"{output}: cannot write the links there ({error.strerror}); no link was made") from None
    try:
        with handle:
            with _session() as session:
                links = create_invitations(session, slug, ids, channel, timedelta(days=expires_days),
                                           contact_days=days)
                param = survey_of(latest_version(session, slug)).customer_id_param
            secret = secret_key_for(instance_path_from_environment()) if param else ""  # the app's SECRET_KEY
            writer = LinksCsvWriter(handle)  # the exports' formula guard on every cell
            writer.writerow(["customer_id", "channel", "url"] + (["public_link"] if param else []))
            for link in links:
                public = [signed_public_link(secret, base, slug, param, link.customer_id, link.channel)] if param else []
                writer.writerow([link.customer_id, link.channel, link.url(base)] + public)
        os.replace(handle.name, output)
    finally:
        Path(handle.name).unlink(missing_ok=True)
    click.echo(f"wrote {len(links)} personal links to {output} (they expire in {expires_days} days)")
    report_skipped(links.skipped, days, skipped_path)


def _send_invitations(slug: str, customers: Path, channel: str, expires_days: int, contact_days: float,
                      skipped_path: Path | None) -> None:
    """`cxroi invite --send`: the invitations and their e-mails stored, one send task queued per e-mail."""
    from ..config import instance_path_from_environment, mail_url_from_environment, secret_key_for
    from ..services import mailing
    from ..services.customer_lists import read_customer_file

    check_mail_settings()
    listed = read_customer_file(customers)
    problem = mailing.mail_rows_problem(listed, str(customers))
    if problem:
        raise mailing.MailError(problem)
    secret = secret_key_for(instance_path_from_environment())  # the app's SECRET_KEY: the worker derives the links
    with _session() as session:
        queued = mailing.queue_invitations(session, slug, listed, channel, secret,
                                           expires=timedelta(days=expires_days), name=str(customers),
                                           contact_days=contact_days)
    enqueue_or_explain(queued.message_ids, "invitation")
    click.echo(f"queued {len(queued.message_ids)} invitation e-mails for {slug} (links expire in {expires_days} days)")
    if queued.opted_out:
        click.echo(f"left out {len(queued.opted_out)} customer(s) whose address opted out: "
                   + ", ".join(queued.opted_out))

    report_skipped(queued.recently_contacted, contact_days, skipped_path)
    if not mail_url_from_environment():
        click.echo("note: CXROI_MAIL_URL is not set; the worker will write the messages to its log and mark "
                   "them not sent", err=True)


@cli.command()
@click.argument("slug")
@click.option("--after-days", type=click.FloatRange(min=0), default=3, show_default=True,
              help="Remind only invitees whose invitation e-mail went out at least this many days ago.")
@click.option("--max", "max_count", type=click.IntRange(min=1), default=None,
              help="Queue at most this many reminders now (oldest invitations first).")
def remind(slug: str, after_days: float, max_count: int | None) -> None:
    """Queue one reminder e-mail to each invitee of SLUG who has neither completed the survey nor opted out
    (never a second reminder, never to someone who answered); `cxroi worker` sends them."""
    from ..services import mailing

    check_mail_settings()
    with _session() as session:
        queued = mailing.queue_reminders(session, slug, after_days=after_days, max_count=max_count)
    enqueue_or_explain(queued.message_ids, "reminder")
    click.echo(f"queued {len(queued.message_ids)} reminder e-mails for {slug}; left out {queued.answered} who "
               f"answered and {len(queued.opted_out)} who opted out")


@cli.group()
def responses() -> None:
    """Work with stored responses."""


@responses.command("export")
@click.argument("slug")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help=".csv, .xlsx, .parquet, .sav (SPSS) or .dta (Stata)")
@click.option("--status", type=click.Choice(["partial", "complete"]), default=None,
              help="Only partial or only complete responses (default: all, with a status column).")
@click.option("--pseudonymise", is_flag=True,
              help="Replace each customer id by a keyed hash of it (the same in every export of this deployment).")
@click.option("--language", default=None, metavar="CODE",
              help="Only the responses answered in this language (one of the survey's, e.g. fr).")
def export(slug: str, output: Path, status: str | None, pseudonymise: bool, language: str | None) -> None:
    """Write every response of SLUG as the wide responses table."""
    from ..config import instance_path_from_environment, secret_key_for
    from ..privacy.keys import pseudonymiser
    from ..services import export_responses

    pseudonym = pseudonymiser(secret_key_for(instance_path_from_environment())) if pseudonymise else None
    with _session() as session:
        if language is not None:  # an unknown one: exit 2 naming it and the survey's languages, no file written
            from ..results.summary import check_language  # only here: webapp.results loads scipy

            language = check_language(session, slug, language.strip()) or _empty_language(language)
        count = export_responses(session, slug, output, status=status, pseudonym=pseudonym, language=language)
        record(session, "responses_exported", actor=CLI_ACTOR, target=slug,
               detail={"format": output.suffix.lstrip(".").lower(), "responses": count,
                       **({"language": language} if language else {})})
        session.commit()
    click.echo(f"wrote {count} responses{f' answered in {language}' if language else ''} to {output}")


def _empty_language(given: str) -> str:
    raise click.UsageError(f"--language: {given!r} is empty; give a language code such as fr, or leave the option out")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),  # server.DEFAULT_THREADS
              help="Threads per worker (gunicorn gthread workers): slow clients tie up a thread, not a worker.")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Run the web app under gunicorn (gthread workers)."""
    from ..app import check_startup
    from ..config import instance_path_from_environment, settings_from_environment
    from ..server import run_gunicorn

    # once, before any worker starts: no shared database without CXROI_SECRET_KEY; SQLite (or
    # CXROI_AUTO_UPGRADE=1) is migrated, another database must be at the latest schema (`cxroi db upgrade`)
    check_startup(settings_from_environment(instance_path_from_environment()))
    click.echo(f"serving on http://{host}:{port} with {workers} worker(s) of {threads} thread(s)", err=True)
    sys.stdout.flush()
    run_gunicorn(host=host, port=port, workers=workers, threads=threads)
