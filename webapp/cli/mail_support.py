"""What the commands that send mail or make links share: checking the mail settings before anything is stored,
queuing the send tasks (or saying in one line why not), and reporting whom the contact rule left out."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

SHOWN_SKIPPED = 50


def check_mail_settings() -> None:
    """Refuse a CXROI_MAIL_URL that is not an SMTP URL before anything is stored (MailError, exit 2)."""
    from ..config import mail_url_from_environment
    from ..services import mailing

    url = mail_url_from_environment()
    if url:
        mailing.smtp_target(url)


def enqueue_or_explain(message_ids: list[int], kind: str) -> None:
    """Queue the send tasks of stored messages; when the task queue cannot be reached, say so in one line (exit
    1): the messages are kept as `queued`, and a worker's sweep queues them once the queue answers."""
    from ..queue import queue_target
    from ..services.mail_tasks import enqueue

    try:
        enqueue(message_ids)
    except Exception as error:  # redis ConnectionError, sqlite3 OperationalError, a bad URL …
        raise click.ClickException(
            f"{len(message_ids)} {kind} e-mail(s) are stored but the task queue at {queue_target()[0]} "
            f"(CXROI_QUEUE_URL) cannot be reached ({type(error).__name__}: {_first_line(error)}); nothing is "
            "lost: they stay queued and a worker's sweep sends them once the queue answers") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else "no message"


def report_skipped(skipped: Iterable[Any], days: float, path: Path | None) -> None:
    """Print the customers the contact rule left out (`invitations.ContactSkip`), and write them all to `path`."""
    from ..services.invitations import LinksCsvWriter

    skipped = list(skipped)
    if path is not None:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = LinksCsvWriter(handle)
            writer.writerow(["customer_id", "last_surveyed_at", "survey"])
            for skip in skipped:
                writer.writerow([skip.customer_id, skip.contacted_at.isoformat(sep=" ", timespec="seconds"),
                                 skip.survey])
    if not skipped:
        return
    shown = ", ".join(f"{s.customer_id} ({s.survey}, {s.contacted_at:%Y-%m-%d})" for s in skipped[:SHOWN_SKIPPED])
    more = f" and {len(skipped) - SHOWN_SKIPPED} more" if len(skipped) > SHOWN_SKIPPED else ""
    where = f"; all listed in {path}" if path is not None else ""
    click.echo(f"contact rule: left out {len(skipped)} customer(s) surveyed in the last {days:g} days: "
               f"{shown}{more}{where}")
