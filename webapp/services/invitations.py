"""Invitations: personal single-use links, one per customer (the customer list they come from: `customer_lists`)."""

from __future__ import annotations

import csv
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from sqlalchemy.orm import Session

from surveys.model import Survey

from ..storage.models import Invitation, Response, SurveyRecord, SurveyVersion, utcnow
from .cells import neutralise_formula
from .customer_lists import CUSTOMER_ID_LIMIT, CustomerRow, customer_id_problem, optional_cells_problem
from .errors import ClosedSurvey, HostingError
from .publishing import find_survey, latest_version, publish_survey, survey_of


class UnsignedCustomerId(HostingError):
    """A public link's customer id that is not signed for this survey, was altered, or has expired."""

    title = "This link cannot be used"


CUSTOMER_ID_SALT = "cxroi.public-link.customer-id:"
"""With the survey's slug appended: a customer id signed for one survey does not open another."""
SIGNED_ID_LIMIT = CUSTOMER_ID_LIMIT + 64


class _SignerAt(TimestampSigner):
    """A signer whose clock is fixed (links dated in the past, for tests and tooling)."""

    def __init__(self, *args: object, timestamp: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._timestamp = timestamp

    def get_timestamp(self) -> int:
        return self._timestamp


def _customer_signer(secret_key: str | bytes, slug: str, timestamp: int | None = None) -> TimestampSigner:
    salt = CUSTOMER_ID_SALT + slug
    if timestamp is None:
        return TimestampSigner(secret_key, salt=salt)
    return _SignerAt(secret_key, salt=salt, timestamp=timestamp)


def sign_customer_id(secret_key: str | bytes, slug: str, customer_id: str, *, timestamp: int | None = None) -> str:
    """`customer_id` signed (HMAC, with the time of signing) for the public link of survey `slug`, keyed by the
    app's `SECRET_KEY`; `timestamp` (seconds since the epoch) dates the signature, default now."""
    problem = customer_id_problem(customer_id)
    if problem:
        raise HostingError(f"cannot sign customer id {customer_id[:64]!r}: {problem}")
    return _customer_signer(secret_key, slug, timestamp).sign(customer_id).decode("utf-8")


def unsign_customer_id(secret_key: str | bytes, slug: str, value: str, max_age: float) -> str:
    """The customer id in a signed public-link value, checked against survey `slug` and at most `max_age`
    seconds old; `UnsignedCustomerId` (400) when unsigned, altered, signed for another survey or expired."""
    refusal = UnsignedCustomerId(
        "this link's customer id is not signed or has expired; use the link you were sent")
    if len(value) > SIGNED_ID_LIMIT:
        raise refusal
    try:
        customer_id = _customer_signer(secret_key, slug).unsign(value, max_age=int(max_age)).decode("utf-8")
    except (BadSignature, SignatureExpired, UnicodeDecodeError):  # SignatureExpired is a BadSignature
        raise refusal from None
    problem = customer_id_problem(customer_id)
    if problem:
        raise HostingError(f"the link's customer id: {problem}")
    return customer_id


def signed_public_link(secret_key: str | bytes, base_url: str, slug: str, param: str, customer_id: str,
                       channel: str | None) -> str:
    """The public link of `slug` for one customer: their id signed under the definition's `customer_id_param`
    (`param`), and the channel when there is one."""
    from urllib.parse import urlencode

    query = ({"channel": channel} if channel else {}) | {param: sign_customer_id(secret_key, slug, customer_id)}
    return f"{base_url.rstrip('/')}/p/{slug}?{urlencode(query)}"


def set_public_link(session: Session, slug: str, enabled: bool) -> SurveyRecord:
    """Turn the public link `/p/<slug>` on or off (personal links are not affected). Commits."""
    record = find_survey(session, slug)
    record.public_link = enabled
    session.commit()
    return record


def hash_token(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored: a stolen database holds no usable link."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedLink:
    """A personal link just created; `token` exists only here (the database keeps its hash)."""

    customer_id: str
    channel: str | None
    token: str
    expires_at: datetime | None

    def url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/s/{self.token}"


def check_channel(survey: Survey, channel: str | None) -> None:
    """A channel must be one of the survey's channels when it lists any; `HostingError` otherwise."""
    if channel is None:
        return
    known = [c.id for c in survey.channels]
    if known and channel not in known:
        raise HostingError(f"unknown channel {channel[:64]!r}; this survey's channels are {', '.join(known)}")
    if not known and (len(channel) > 64 or not channel.replace("_", "").replace("-", "").isascii()
                      or not channel.replace("_", "").replace("-", "").isalnum()):
        raise HostingError(f"channel {channel[:64]!r} must be a short name of letters, digits, - or _")


@dataclass(frozen=True)
class ContactSkip:
    """A customer left out by the contact rule: when they were last surveyed, and by which survey."""

    customer_id: str
    contacted_at: datetime
    survey: str


class IssuedLinks(list[IssuedLink]):
    """The links `create_invitations` made (a list, in the order of the customer ids), and in `skipped` the
    customers the contact rule left out (no link made for them)."""

    def __init__(self, links: Iterable[IssuedLink] = (), skipped: Iterable[ContactSkip] = ()) -> None:
        super().__init__(links)
        self.skipped: list[ContactSkip] = list(skipped)


_IN_CHUNK = 500
"""Customer ids per `IN (...)` of the contact rule's look-up (SQLite allows a limited number of parameters)."""


def recent_contacts(session: Session, customer_ids: Iterable[str], days: float | None, *,
                    now: datetime | None = None) -> dict[str, ContactSkip]:
    """The contact rule: of `customer_ids`, those surveyed less than `days` days before `now`, by any survey, each
    with their latest contact. Being surveyed is being invited (an invitation made, by e-mail or as a link) or
    starting a response without an invitation (a public link with the customer's id). `days` None or 0: no rule,
    nobody is returned."""
    if not days:
        return {}
    since = (now or utcnow()) - timedelta(days=days)
    ids = list(dict.fromkeys(customer_ids))
    latest: dict[str, ContactSkip] = {}

    def keep(customer_id: str, moment: datetime, slug: str) -> None:
        if customer_id not in latest or moment > latest[customer_id].contacted_at:
            latest[customer_id] = ContactSkip(customer_id, moment, slug)

    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start:start + _IN_CHUNK]
        for customer_id, moment, slug in session.execute(
                sa.select(Invitation.customer_id, sa.func.max(Invitation.created_at), SurveyRecord.slug)
                .join(SurveyVersion, Invitation.version_id == SurveyVersion.id)
                .join(SurveyRecord, SurveyVersion.survey_id == SurveyRecord.id)
                .where(Invitation.customer_id.in_(chunk), Invitation.created_at >= since)
                .group_by(Invitation.customer_id, SurveyRecord.slug)):
            keep(customer_id, moment, slug)
        for responder, moment, slug in session.execute(
                sa.select(Response.customer_id, sa.func.max(Response.started_at), SurveyRecord.slug)
                .join(SurveyVersion, Response.version_id == SurveyVersion.id)
                .join(SurveyRecord, SurveyVersion.survey_id == SurveyRecord.id)
                .where(Response.customer_id.in_(chunk), Response.invitation_id.is_(None),
                       Response.started_at >= since)
                .group_by(Response.customer_id, SurveyRecord.slug)):
            keep(str(responder), moment, slug)
    return latest


def create_invitations(
    session: Session,
    slug: str,
    customer_ids: Iterable[str | CustomerRow],
    channel: str | None,
    expires: datetime | timedelta | None = timedelta(days=30),
    *,
    tokens: Iterable[str] | None = None,
    commit: bool = True,
    wave_id: int | None = None,
    contact_days: float | None = None,
) -> IssuedLinks:
    """One personal single-use link per customer id for the latest version of `slug`. Commits (unless
    `commit` is false: the e-mail distribution adds its messages to the same transaction).

    `tokens`, one per customer id, are the links' tokens when the caller derives them (e-mail invitations derive
    theirs from a stored key and the app's secret, see `mailing`); default random.
    `expires` is a moment (naive UTC) or a delay from now; None never expires. Raises `UnknownSurvey`,
    `ClosedSurvey`, or `HostingError` for an empty, over-long or repeated customer id or an unknown channel
    (then nothing is stored). Returns the links in the order of `customer_ids`, each with its token.
    A customer given as a `CustomerRow` (from a customer list) keeps its `language` and `name` on the invitation:
    the link opens in that language when the survey offers it, and texts may show the name (`{{ customer.name }}`).
    `wave_id` tags every invitation with its wave. `contact_days` applies the contact rule (`recent_contacts`):
    customers surveyed less than that many days ago get no link and are listed in the result's `skipped`.
    """
    version = latest_version(session, slug, open_only=True)
    check_channel(survey_of(version), channel)
    customers = [c if isinstance(c, CustomerRow) else CustomerRow(0, c, None) for c in customer_ids]
    ids = [customer.customer_id for customer in customers]
    seen: set[str] = set()
    for index, customer in enumerate(customers):
        customer_id = customer.customer_id
        problem = customer_id_problem(customer_id) or (
            optional_cells_problem("", customer.name or "", customer.language or "", "")
            if customer.name or customer.language else None)
        if problem:
            raise HostingError(f"customer id number {index + 1}: {problem}")
        if customer_id in seen:
            raise HostingError(f"customer id {customer_id!r} is given twice")
        seen.add(customer_id)
    expires_at = utcnow() + expires if isinstance(expires, timedelta) else expires
    given = list(tokens) if tokens is not None else None
    if given is not None and len(given) != len(ids):
        raise ValueError("one token per customer id")
    recent = recent_contacts(session, ids, contact_days)
    links = IssuedLinks(skipped=[recent[customer_id] for customer_id in ids if customer_id in recent])
    for index, customer in enumerate(customers):
        customer_id = customer.customer_id
        if customer_id in recent:
            continue
        token = given[index] if given is not None else secrets.token_urlsafe(24)  # 192 bits
        session.add(Invitation(token_hash=hash_token(token), version_id=version.id, customer_id=customer_id,
                               channel=channel, expires_at=expires_at, wave_id=wave_id,
                               language=customer.language, customer_name=customer.name))
        links.append(IssuedLink(customer_id, channel, token, expires_at))
    if commit:
        session.commit()
    else:
        session.flush()
    return links


def publish_with_links(
    session: Session, survey: Survey, count: int, *, base_url: str, channel: str | None = None,
    customer_prefix: str = "demo-",
) -> list[str]:
    """Publish `survey` and create `count` personal links for customers `<prefix>1 … <prefix>N`; for
    `make demo` and tests. Returns the full respondent URLs."""
    version = publish_survey(session, survey)
    if version.survey.closed_at is not None:
        raise ClosedSurvey(f"the survey {survey.id!r} is closed")
    channel = channel if channel is not None else (survey.channels[0].id if survey.channels else None)
    ids = [f"{customer_prefix}{n}" for n in range(1, count + 1)]
    return [link.url(base_url) for link in create_invitations(session, survey.id, ids, channel)]


def find_invitation(session: Session, token: str) -> Invitation | None:
    """The invitation of a token, if any."""
    if len(token) > 100:
        return None
    return session.scalar(sa.select(Invitation).where(Invitation.token_hash == hash_token(token)))


class LinksCsvWriter:
    """A CSV writer for lists of links (`cxroi invite -o`, the links page's download): every cell gets the
    exports' formula guard (`neutralise_formula`), so a customer id such as `=HYPERLINK(…)` from an
    uploaded list shows as text in a spreadsheet instead of running. The stored id is unchanged."""

    def __init__(self, handle: Any) -> None:
        self._writer = csv.writer(handle)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise_formula(cell) for cell in row])
