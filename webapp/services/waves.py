"""Waves: a survey run again, round after round, to (some of) the same customers; each round is a named wave.

`start_wave` creates the wave (on the survey's latest published version) and its invitations through the
invitation service (`create_invitations`, personal links) or the mail service (`mailing.queue_invitations`,
`--send`), with the programme's contact rule (`invitations.recent_contacts`) applied: customers surveyed too
recently get nothing and are listed. Every invitation records its wave, and a response takes its invitation's
wave when it is created (`webapp.storage.models._response_wave`), so the export and the results can group by
wave (docs/waves.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..storage.models import Invitation, Response, Wave
from .customer_lists import CustomerList
from .errors import HostingError
from .invitations import ContactSkip, IssuedLink, check_channel, create_invitations
from .publishing import find_survey, latest_version, survey_of

WAVE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$")
"""What a wave name can be: letters, digits, `.`, `_`, `-` and spaces, at most 64, e.g. `Q3-2026`."""


class WaveError(HostingError):
    """Bad input to a wave (a bad or taken name): a 400 on a page, exit 2 on the command line."""

    title = "The wave cannot be started"


def wave_name_problem(name: str) -> str | None:
    if not WAVE_NAME.match(name) or name != name.strip():
        return (f"wave name {name[:70]!r} must be 1–64 letters, digits, '.', '_', '-' or spaces, starting with a "
                "letter or digit (e.g. Q3-2026)")
    return None


@dataclass
class WaveStart:
    """What `start_wave` did: the wave, its links (personal links) or queued e-mails (`send`), and who was left
    out: by the contact rule (`skipped`) or because their address opted out of e-mail (`opted_out`)."""

    wave_id: int
    number: int
    name: str
    channel: str | None
    links: list[IssuedLink] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)
    skipped: list[ContactSkip] = field(default_factory=list)
    opted_out: list[str] = field(default_factory=list)

    @property
    def invited(self) -> int:
        return len(self.message_ids) if self.message_ids else len(self.links)


def waves_of(session: Session, slug: str) -> list[Wave]:
    """The waves of `slug` in the order they started (`number`)."""
    record = find_survey(session, slug)
    return list(session.scalars(sa.select(Wave).where(Wave.survey_id == record.id).order_by(Wave.number)))


def start_wave(session: Session, slug: str, customers: CustomerList, *, name: str | None = None,
               channel: str | None = None, send: bool = False, secret_key: str | bytes | None = None,
               contact_days: float | None = None, expires: timedelta | None = timedelta(days=30),
               list_name: str = "the customer list", schedule_id: int | None = None) -> WaveStart:
    """Start wave `name` (default `wave-N`, N its number) of `slug` on the latest version: one invitation per
    customer of the list, tagged with the wave; with `send`, one queued invitation e-mail each (the list needs an
    email column; `secret_key` is the app's, from which the links are derived). `contact_days` applies the contact
    rule. All or nothing, one transaction: a bad list, a taken name or a closed survey store nothing.
    The caller queues the send tasks for `message_ids` (`mail_tasks.enqueue`)."""
    from . import mailing

    record = find_survey(session, slug)
    version = latest_version(session, slug, open_only=True)
    check_channel(survey_of(version), channel)
    if customers.problems:
        raise WaveError("; ".join(customers.problems))
    if not customers.ok:
        raise WaveError(f"{list_name}: " + "; ".join(f"row {row.line}: {row.problem}" for row in customers.rows
                                                     if row.problem))
    if send:
        problem = mailing.mail_rows_problem(customers, list_name)
        if problem:
            raise mailing.MailError(problem)
        if secret_key is None:
            raise ValueError("sending needs the app's secret key")
    number = (session.scalar(sa.select(sa.func.max(Wave.number)).where(Wave.survey_id == record.id)) or 0) + 1
    name = name if name is not None else f"wave-{number}"
    problem = wave_name_problem(name)
    if problem:
        raise WaveError(problem)
    if session.scalar(sa.select(Wave.id).where(Wave.survey_id == record.id, Wave.name == name)) is not None:
        raise WaveError(f"survey {slug!r} already has a wave called {name!r}; choose another --name")
    wave = Wave(survey_id=record.id, version_id=version.id, number=number, name=name, channel=channel,
                contact_days=contact_days or None, schedule_id=schedule_id)
    try:
        session.add(wave)
        session.flush()
        started = WaveStart(wave.id, number, name, channel)
        if send:
            queued = mailing.queue_invitations(session, slug, customers, channel, secret_key or "",
                                               expires=expires, name=list_name, wave_id=wave.id,
                                               contact_days=contact_days)  # commits
            started.message_ids, started.opted_out = queued.message_ids, queued.opted_out
            started.skipped = queued.recently_contacted
        else:
            links = create_invitations(session, slug, [row for row in customers.rows if row.problem is None],
                                       channel, expires, wave_id=wave.id,
                                       contact_days=contact_days)  # commits
            started.links, started.skipped = list(links), links.skipped
    except IntegrityError:  # another wave of this survey started at the same moment took the number or name
        session.rollback()
        raise WaveError(f"another wave of {slug!r} was started at the same moment; try again") from None
    except BaseException:
        session.rollback()
        raise
    return started


@dataclass(frozen=True)
class WaveLine:
    """One wave of a survey with its counts: invitations, responses started and completed."""

    number: int
    name: str
    started_at: str
    invited: int
    responses: int
    complete: int


def wave_lines(session: Session, slug: str) -> list[WaveLine]:
    """Every wave of `slug` with its counts, in order."""
    waves = waves_of(session, slug)
    ids = [wave.id for wave in waves]
    invited = dict(session.execute(sa.select(Invitation.wave_id, sa.func.count()).where(Invitation.wave_id.in_(ids))
                                   .group_by(Invitation.wave_id)).all())
    started: dict[int, int] = {}
    complete: dict[int, int] = {}
    for wave_id, status, count in session.execute(
            sa.select(Response.wave_id, Response.status, sa.func.count()).where(Response.wave_id.in_(ids))
            .group_by(Response.wave_id, Response.status)):
        if wave_id is None:
            continue
        started[wave_id] = started.get(wave_id, 0) + count
        if status == "complete":
            complete[wave_id] = count
    return [WaveLine(w.number, w.name, w.created_at.isoformat(sep=" ", timespec="minutes"), invited.get(w.id, 0),
                     started.get(w.id, 0), complete.get(w.id, 0)) for w in waves]
