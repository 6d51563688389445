"""`cxroi wave start` and `cxroi wave list`: a survey run in named waves (docs/waves.md)."""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from ..config import base_url_from_environment, database_url_from_environment
from ..services.errors import HostingError
from .mail_support import check_mail_settings, enqueue_or_explain, report_skipped
from .root import cli

"""Customers left out by the contact rule printed by name (all of them go to --skipped FILE)."""


def _session() -> Any:
    from ..storage.engine import open_session

    return open_session(database_url_from_environment())


@cli.group()
def wave() -> None:
    """Run a survey in waves: the same survey, round after round, each response recording its wave."""


@wave.command("start")
@click.argument("slug")
@click.option("--customers", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV with a customer_id column (and an email column for --send), header on line 1.")
@click.option("--name", default=None, help="The wave's name, unique in the survey, e.g. Q3-2026 (default wave-N).")
@click.option("--channel", default=None,
              help="Channel of the invitations (one of the survey's channels); default email with --send.")
@click.option("--send", is_flag=True, default=False,
              help="Queue one invitation e-mail per customer (`cxroi worker` sends them through CXROI_MAIL_URL).")
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Without --send: the CSV of personal links to write (customer_id, channel, url).")
@click.option("--contact-days", type=click.FloatRange(min=0), default=None,
              help="Contact rule for this run: leave out customers surveyed (by any survey) less than this many "
                   "days ago; 0: no rule. Default: CXROI_CONTACT_DAYS, else 90.")
@click.option("--skipped", "skipped_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the customers the contact rule left out to this CSV.")
@click.option("--base-url", default=None, help="Public address of the app (default: $CXROI_BASE_URL).")
@click.option("--expires-days", type=click.IntRange(min=1), default=30, show_default=True,
              help="Days until the links expire.")
def start(slug: str, customers: Path, name: str | None, channel: str | None, send: bool, output: Path | None,
          contact_days: float | None, skipped_path: Path | None, base_url: str | None, expires_days: int) -> None:
    """Start a new wave of survey SLUG (its latest published version) for the customers of FILE: one personal
    link each, written to -o, or with --send one queued invitation e-mail each. Customers surveyed too recently
    (the contact rule) are left out and listed. A bad file or a taken name stores nothing (exit 2)."""
    from ..config import contact_days_from_environment, instance_path_from_environment, secret_key_for
    from ..services import latest_version, survey_of
    from ..services.customer_lists import read_customer_file
    from ..services.invitations import LinksCsvWriter
    from ..services.waves import start_wave

    if send and output is not None:
        raise HostingError("use either -o (write the links) or --send (e-mail them), not both")
    if not send and output is None:
        raise HostingError("say where to write the links (-o links.csv), or e-mail them with --send")
    days = contact_days_from_environment() if contact_days is None else contact_days
    if send:
        check_mail_settings()
    listed = read_customer_file(customers)
    secret = secret_key_for(instance_path_from_environment())
    handle = _temporary_beside(output) if output is not None else None
    try:
        with _session() as session:
            if channel is None and send:
                known = [c.id for c in survey_of(latest_version(session, slug)).channels]
                channel = "email" if not known or "email" in known else None
            started = start_wave(session, slug, listed, name=name, channel=channel, send=send, secret_key=secret,
                                 contact_days=days, expires=timedelta(days=expires_days), list_name=str(customers))
        if handle is not None and output is not None:
            base = (base_url or base_url_from_environment()).rstrip("/")
            with handle:
                writer = LinksCsvWriter(handle)
                writer.writerow(["customer_id", "channel", "url", "wave"])
                for link in started.links:
                    writer.writerow([link.customer_id, link.channel or "", link.url(base), started.name])
            os.replace(handle.name, output)
    finally:
        if handle is not None:
            handle.close()
            Path(handle.name).unlink(missing_ok=True)
    if send:
        from ..config import mail_url_from_environment
        enqueue_or_explain(started.message_ids, "invitation")
        click.echo(f"started wave {started.name!r} (number {started.number}) of {slug}: queued "
                   f"{len(started.message_ids)} invitation e-mails (links expire in {expires_days} days)")
        if started.opted_out:
            click.echo(f"left out {len(started.opted_out)} customer(s) whose address opted out: "
                       + ", ".join(started.opted_out))
        if not mail_url_from_environment():
            click.echo("note: CXROI_MAIL_URL is not set; the worker will write the messages to its log and mark "
                       "them not sent", err=True)
    else:
        click.echo(f"started wave {started.name!r} (number {started.number}) of {slug}: wrote "
                   f"{len(started.links)} personal links to {output} (they expire in {expires_days} days)")
    report_skipped(started.skipped, days, skipped_path)


def _temporary_beside(output: Path) -> Any:
    """The links file is written under a temporary name and renamed when complete; made before any link exists,
    so an unwritable place refuses the run before anything is stored (the database keeps only hashes)."""
    try:
        return tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by the caller
            "w", newline="", encoding="utf-8", dir=output.parent or ".", prefix=f".{output.name}.", suffix=".tmp",
            delete=False)
    except OSError as error:
        raise HostingError(f"{output}: cannot write the links there ({error.strerror}); no link was made") from None


@wave.command("list")
@click.argument("slug")
def list_waves(slug: str) -> None:
    """The waves of SLUG with their invitations, responses and completed responses."""
    from ..services.waves import wave_lines

    with _session() as session:
        lines = wave_lines(session, slug)
    if not lines:
        click.echo(f"{slug} has no waves yet (cxroi wave start {slug} --customers FILE)")
        return
    click.echo("number\tname\tstarted (UTC)\tinvited\tresponses\tcomplete")
    for line in lines:
        click.echo(f"{line.number}\t{line.name}\t{line.started_at}\t{line.invited}\t{line.responses}\t{line.complete}")
