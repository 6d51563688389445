"""E-mail distribution: invitations and reminders queued per customer, rendered from each survey's Jinja
templates, sent through SMTP (`CXROI_MAIL_URL`) or written to the log, exactly once each.

How a message is sent exactly once:

* `queue_invitations` creates the invitations and one `MailMessage` row each (state `queued`) in one transaction;
  the caller then queues one `send_message` task per row (`webapp.services.mail_tasks`).
* `send_message` claims the row with a conditional UPDATE (`queued`/`deferred` → `sending`, or a `sending` row
  whose claim is older than the lease, i.e. a worker that died); only the claimer sends. The Message-ID is chosen
  at the first claim and kept. A second task, a retry or a second worker finds the row taken or done and sends
  nothing.
* The personal link's token is never stored: it is derived from the row's random `link_key` and the app's
  SECRET_KEY (`derive_token`), so the worker can put the link in the mail (and in the reminder) while a stolen
  database still holds no usable link.
* Refusals are recorded per address: a 5xx answer about the recipient or the message is `bounced` (never
  retried); a 4xx answer, a refused connection or a timeout is `deferred`, and the task raises `MailDeferred`
  so the queue retries it with backoff.
* An opted-out address (`MailOptOut`, any survey) is never mailed: checked when queueing and again when sending.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import smtplib
from base64 import urlsafe_b64encode
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..storage.models import (
    Invitation,
    MailMessage,
    MailOptOut,
    MailTemplate,
    Response,
    SurveyRecord,
    SurveyVersion,
    utcnow,
)
from .errors import HostingError
from .invitations import ContactSkip, CustomerList, create_invitations, hash_token, recent_contacts
from .publishing import find_survey

log = logging.getLogger("cxroi.mail")

LINK_SALT = b"cxroi.mail-link:"
UNSUBSCRIBE_SALT = "cxroi.unsubscribe"
DEFAULT_LEASE_SECONDS = 600.0
"""A `sending` row claimed longer ago than this belongs to a worker that died: another may claim it."""
SMTP_TIMEOUT = 30.0
TEMPLATE_LIMIT = 50_000
SUBJECT_LIMIT = 300

DEFAULT_SUBJECT = "{% if reminder %}Reminder: {% endif %}{{ survey_title }}: how are we doing?"
DEFAULT_TEXT = """\
Hello{% if name %} {{ name }}{% endif %},

{% if reminder -%}
A few days ago we asked for your opinion; if you have a few minutes, we would still love to hear it.
{%- else -%}
We would like to hear about your experience with us. The survey takes a few minutes.
{%- endif %}

Your personal link (please do not forward it):
{{ link }}

Thank you.

--
You receive this because you are one of our customers. To receive no more survey e-mails from us:
{{ unsubscribe_link }}
"""
DEFAULT_HTML = """\
<p>Hello{% if name %} {{ name }}{% endif %},</p>
{% if reminder %}
<p>A few days ago we asked for your opinion; if you have a few minutes, we would still love to hear it.</p>
{% else %}
<p>We would like to hear about your experience with us. The survey takes a few minutes.</p>
{% endif %}
<p><a href="{{ link }}">Answer the survey: {{ survey_title }}</a></p>
<p>This link is personal to you; please do not forward it. Thank you.</p>
<hr>
<p><small>You receive this because you are one of our customers.
<a href="{{ unsubscribe_link }}">Receive no more survey e-mails from us</a>.</small></p>
"""
TEMPLATE_VARIABLES = ("name", "customer_id", "link", "unsubscribe_link", "survey_title", "reminder", "expires_on")


class MailError(HostingError):
    """Bad input to the distribution (no e-mail column, a malformed address, a bad template): a 400."""

    title = "The e-mails cannot be sent"


class MailDeferred(Exception):
    """A message the SMTP server did not take for now (4xx, refused connection, timeout): retried by the queue."""


# --- settings -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailSettings:
    """What sending needs: the SMTP URL (None: the log backend), From, the public address, the app's secret."""

    url: str | None
    sender: str
    base_url: str
    secret_key: str
    lease_seconds: float = DEFAULT_LEASE_SECONDS

    @classmethod
    def from_environment(cls) -> MailSettings:
        from ..config import (
            base_url_from_environment,
            instance_path_from_environment,
            mail_from_environment,
            mail_url_from_environment,
            secret_key_for,
        )

        return cls(mail_url_from_environment(), mail_from_environment(), base_url_from_environment(),
                   secret_key_for(instance_path_from_environment()))


@dataclass(frozen=True)
class SmtpTarget:
    ssl: bool
    host: str
    port: int
    user: str | None
    password: str | None


def smtp_target(url: str) -> SmtpTarget:
    """`smtp://host:port` or `smtps://user:password@host:port` as its parts; `MailError` naming the setting."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise MailError(f"CXROI_MAIL_URL is not a valid URL ({error})") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailError("CXROI_MAIL_URL must be smtp://host:port or smtps://user:password@host:port")
    return SmtpTarget(parts.scheme == "smtps", parts.hostname, port or (465 if parts.scheme == "smtps" else 25),
                      unquote(parts.username) if parts.username else None,
                      unquote(parts.password) if parts.password else None)


# --- tokens --------------------------------------------------------------------------------------------------


def derive_token(secret_key: str | bytes, link_key: str) -> str:
    """The personal link token of an e-mailed invitation: HMAC-SHA256 of its `link_key` under the app's secret."""
    key = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    digest = hmac.new(key, LINK_SALT + link_key.encode("ascii"), hashlib.sha256).digest()
    return urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def normal_address(email: str) -> str:
    """An address as opt-outs are kept and compared: stripped, lower-cased."""
    return email.strip().lower()


def unsubscribe_token(secret_key: str | bytes, email: str, slug: str) -> str:
    """A signed, non-expiring token naming the address (and the survey whose mail carried it)."""
    return URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).dumps({"e": normal_address(email), "s": slug})


def read_unsubscribe_token(secret_key: str | bytes, token: str) -> tuple[str, str]:
    """(address, survey slug) of a token; `MailError` (400) when unsigned or altered."""
    if len(token) > 1000:
        raise MailError("this unsubscribe link is not valid; use the link from the e-mail")
    try:
        data = URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        raise MailError("this unsubscribe link is not valid; use the link from the e-mail") from None
    if not isinstance(data, dict) or not isinstance(data.get("e"), str) or not isinstance(data.get("s"), str):
        raise MailError("this unsubscribe link is not valid; use the link from the e-mail")
    return data["e"], data["s"]


def is_opted_out(session: Session, email: str) -> bool:
    return session.scalar(sa.select(MailOptOut.id).where(MailOptOut.email == normal_address(email))) is not None


def opt_out(session: Session, email: str, slug: str | None = None) -> bool:
    """Record that `email` wants no more mail (from any survey). Commits; True when newly recorded."""
    if is_opted_out(session, email):
        return False
    try:
        with session.begin_nested():
            session.add(MailOptOut(email=normal_address(email), survey_slug=slug))
        session.commit()
    except IntegrityError:  # recorded at the same moment by another request
        session.rollback()
        return False
    return True


# --- templates -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailTemplates:
    subject: str = DEFAULT_SUBJECT
    text_body: str = DEFAULT_TEXT
    html_body: str = DEFAULT_HTML
    reminder_after_days: int | None = None


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


_TEXT_ENV = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)
_HTML_ENV = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)

SAMPLE = {"name": "Alex Example", "customer_id": "C-1001", "link": "https://cx.example.com/s/PERSONAL-TOKEN",
          "unsubscribe_link": "https://cx.example.com/unsubscribe/TOKEN", "survey_title": "Our survey",
          "reminder": False, "expires_on": "2030-01-31"}


def render_mail(templates: MailTemplates, context: dict[str, Any]) -> RenderedMail:
    """Subject, plain text and HTML (autoescaped) rendered in Jinja's sandbox. Raises jinja2's TemplateError."""
    subject = " ".join(_TEXT_ENV.from_string(templates.subject).render(context).split())
    return RenderedMail(subject[:SUBJECT_LIMIT], _TEXT_ENV.from_string(templates.text_body).render(context),
                        _HTML_ENV.from_string(templates.html_body).render(context))


def template_problems(templates: MailTemplates) -> list[str]:
    """Every problem of a set of templates (syntax with its line, an unknown variable, sandbox refusals, missing
    links), found by rendering them for a sample customer, as an invitation and as a reminder."""
    problems: list[str] = []
    for label, text in (("subject", templates.subject), ("plain-text body", templates.text_body),
                        ("HTML body", templates.html_body)):
        if len(text) > TEMPLATE_LIMIT:
            problems.append(f"{label}: longer than {TEMPLATE_LIMIT} characters")
        elif not text.strip():
            problems.append(f"{label}: empty")
    if problems:
        return problems
    for reminder in (False, True):
        context = SAMPLE | {"reminder": reminder}
        for label, text, env in (("subject", templates.subject, _TEXT_ENV),
                                 ("plain-text body", templates.text_body, _TEXT_ENV),
                                 ("HTML body", templates.html_body, _HTML_ENV)):
            try:
                env.from_string(text).render(context)
            except TemplateSyntaxError as error:
                problems.append(f"{label}, line {error.lineno}: {error.message}")
            except TemplateError as error:  # undefined variables, SecurityError of the sandbox
                problems.append(f"{label}: {error} (variables: {', '.join(TEMPLATE_VARIABLES)})")
        if problems:
            return sorted(set(problems), key=problems.index)
    for label, text in (("plain-text body", templates.text_body), ("HTML body", templates.html_body)):
        for variable in ("link", "unsubscribe_link"):
            if variable not in text:
                problems.append(f"{label}: must contain {{{{ {variable} }}}}")
    if templates.reminder_after_days is not None and not 1 <= templates.reminder_after_days <= 365:
        problems.append("reminder: the number of days must be between 1 and 365")
    return problems


def templates_for(session: Session, survey: SurveyRecord) -> MailTemplates:
    """The survey's stored templates, or the defaults."""
    row = session.scalar(sa.select(MailTemplate).where(MailTemplate.survey_id == survey.id))
    if row is None:
        return MailTemplates()
    return MailTemplates(row.subject, row.text_body, row.html_body, row.reminder_after_days)


def save_templates(session: Session, slug: str, templates: MailTemplates, *, author: str | None = None) -> None:
    """Store a survey's templates and reminder schedule after checking them; `MailError` listing every problem
    (nothing stored). Commits."""
    problems = template_problems(templates)
    if problems:
        raise MailError("; ".join(problems))
    record = find_survey(session, slug)
    row = session.scalar(sa.select(MailTemplate).where(MailTemplate.survey_id == record.id))
    if row is None:
        row = MailTemplate(survey_id=record.id)
        session.add(row)
    row.subject, row.text_body, row.html_body = templates.subject, templates.text_body, templates.html_body
    row.reminder_after_days = templates.reminder_after_days
    row.updated_at, row.updated_by = utcnow(), author
    session.commit()


# --- queueing ------------------------------------------------------------------------------------------------


@dataclass
class QueuedMail:
    """What `queue_invitations` / `queue_reminders` did: the new message rows and who was left out, and why."""

    message_ids: list[int] = field(default_factory=list)
    opted_out: list[str] = field(default_factory=list)
    """Customer ids whose address opted out: no invitation or reminder made for them."""
    answered: int = 0
    """(reminders) invitees left out because they have already completed the survey."""
    recently_contacted: list[ContactSkip] = field(default_factory=list)
    """(invitations) customers the contact rule left out: surveyed too recently (`recent_contacts`)."""


def mail_rows_problem(customers: CustomerList, name: str = "the customer list") -> str | None:
    """Why a customer list cannot be e-mailed (no email column, rows without or with a malformed address), or
    None. Every bad row is named by its line (the header is line 1)."""
    if customers.problems:
        return "; ".join(customers.problems)
    if "email" not in customers.columns:
        return (f"{name} has no email column; sending by e-mail needs a header with customer_id and email "
                "(and optionally name, language, phone)")
    bad = [f"row {row.line}: {row.problem}" for row in customers.rows if row.problem]
    bad += [f"row {row.line}: no e-mail address for customer {row.customer_id!r}" for row in customers.rows
            if row.problem is None and not row.email]
    return f"{name}: " + "; ".join(bad) if bad else None


def queue_invitations(session: Session, slug: str, customers: CustomerList, channel: str | None,
                      secret_key: str | bytes, *, expires: timedelta | None = timedelta(days=30),
                      name: str = "the customer list", wave_id: int | None = None,
                      contact_days: float | None = None) -> QueuedMail:
    """Create one personal link and one queued invitation e-mail per customer of the list (all or nothing,
    in one transaction); customers whose address opted out get neither, nor (with `contact_days`) those the
    contact rule leaves out (`recently_contacted`). `wave_id` tags the invitations with their wave. Raises
    `MailError` for a list that cannot be mailed, and what `create_invitations` raises. The caller queues
    `send_message` for each id."""
    problem = mail_rows_problem(customers, name)
    if problem:
        raise MailError(problem)
    opted = set(session.scalars(sa.select(MailOptOut.email).where(
        MailOptOut.email.in_({normal_address(row.email or "") for row in customers.rows}))))
    recent = recent_contacts(session, [row.customer_id for row in customers.rows], contact_days)
    rows = [row for row in customers.rows
            if normal_address(row.email or "") not in opted and row.customer_id not in recent]
    result = QueuedMail(opted_out=[row.customer_id for row in customers.rows
                                   if normal_address(row.email or "") in opted],
                        recently_contacted=[recent[row.customer_id] for row in customers.rows
                                            if row.customer_id in recent
                                            and normal_address(row.email or "") not in opted])
    if not rows:
        session.commit()
        return result
    keys = [secrets.token_urlsafe(24) for _ in rows]  # 192 bits each; the tokens are derived, never stored
    tokens = [hash_token(derive_token(secret_key, key)) for key in keys]
    create_invitations(session, slug, rows, channel, expires,
                       tokens=[derive_token(secret_key, key) for key in keys], commit=False, wave_id=wave_id)
    ids: dict[str, int] = {hash_: id_ for hash_, id_ in session.execute(
        sa.select(Invitation.token_hash, Invitation.id).where(Invitation.token_hash.in_(tokens)))}
    messages = [MailMessage(invitation_id=ids[token], kind="invitation",
                            email=(row.email or "").strip(), name=row.name, language=row.language, link_key=key,
                            state="queued")
                for row, key, token in zip(rows, keys, tokens, strict=True)]
    session.add_all(messages)
    session.commit()
    result.message_ids = [message.id for message in messages]
    return result


def _answered(slug_survey_id: int) -> Any:
    """Customer ids with a complete response to any version of the survey."""
    return (sa.select(Response.customer_id).join(SurveyVersion, Response.version_id == SurveyVersion.id)
            .where(SurveyVersion.survey_id == slug_survey_id, Response.status == "complete",
                   Response.customer_id.is_not(None)))


def queue_reminders(session: Session, slug: str, *, after_days: float = 3, max_count: int | None = None,
                    now: datetime | None = None) -> QueuedMail:
    """One reminder e-mail (at most, ever) per invitee of `slug` whose invitation e-mail went out at least
    `after_days` ago and who has neither completed the survey nor opted out, oldest first, at most `max_count`.
    Commits; the caller queues `send_message` for each id."""
    record = find_survey(session, slug)
    now = now or utcnow()
    reminded = sa.select(MailMessage.invitation_id).where(MailMessage.kind == "reminder")
    completed = sa.select(Response.invitation_id).where(Response.status == "complete",
                                                        Response.invitation_id.is_not(None))
    candidates = session.execute(
        sa.select(MailMessage, Invitation)
        .join(Invitation, MailMessage.invitation_id == Invitation.id)
        .join(SurveyVersion, Invitation.version_id == SurveyVersion.id)
        .where(SurveyVersion.survey_id == record.id, MailMessage.kind == "invitation",
               MailMessage.state.in_(("sent", "not_sent")), MailMessage.sent_at <= now - timedelta(days=after_days),
               MailMessage.invitation_id.not_in(reminded),
               sa.or_(Invitation.expires_at.is_(None), Invitation.expires_at > now))
        .order_by(MailMessage.sent_at, MailMessage.id)).all()
    answered_ids = set(session.scalars(completed))
    answered_customers = set(session.scalars(_answered(record.id)))
    opted = set(session.scalars(sa.select(MailOptOut.email).where(
        MailOptOut.email.in_({normal_address(m.email) for m, _ in candidates}))))
    result = QueuedMail()
    for message, invitation in candidates:
        if invitation.used_at is not None or invitation.id in answered_ids \
                or invitation.customer_id in answered_customers:
            result.answered += 1
            continue
        if normal_address(message.email) in opted:
            result.opted_out.append(invitation.customer_id)
            continue
        if max_count is not None and len(result.message_ids) >= max_count:
            break
        try:
            with session.begin_nested():
                reminder = MailMessage(invitation_id=invitation.id, kind="reminder", email=message.email,
                                       name=message.name, language=message.language, link_key=message.link_key,
                                       state="queued")
                session.add(reminder)
        except IntegrityError:  # another `remind` made it at the same moment
            continue
        result.message_ids.append(reminder.id)
    session.commit()
    return result


def due_messages(session: Session, *, older_than: timedelta = timedelta(0), now: datetime | None = None,
                 lease_seconds: float = DEFAULT_LEASE_SECONDS) -> list[int]:
    """Ids of messages waiting to be sent: queued or deferred (last touched before `older_than` ago), and
    `sending` ones whose claim outlived the lease (a dead worker's). For the sweep task and `send_pending`."""
    now = now or utcnow()
    return list(session.scalars(sa.select(MailMessage.id).where(sa.or_(
        sa.and_(MailMessage.state.in_(("queued", "deferred")), MailMessage.updated_at <= now - older_than),
        sa.and_(MailMessage.state == "sending",
                MailMessage.claimed_at < now - timedelta(seconds=lease_seconds)))).order_by(MailMessage.id)))


# --- sending -------------------------------------------------------------------------------------------------


def _claim(session: Session, message_id: int, message_ref: str, lease_seconds: float) -> bool:
    """The conditional UPDATE that makes this worker the only sender of the message. Commits."""
    now = utcnow()
    claimed = session.execute(
        sa.update(MailMessage)
        .where(MailMessage.id == message_id, sa.or_(
            MailMessage.state.in_(("queued", "deferred")),
            sa.and_(MailMessage.state == "sending", MailMessage.claimed_at < now - timedelta(seconds=lease_seconds))))
        .values(state="sending", claimed_at=now, updated_at=now, attempts=MailMessage.attempts + 1,
                message_id=sa.func.coalesce(MailMessage.message_id, message_ref))
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return bool(claimed)


def _finish(session: Session, message_id: int, state: str, *, code: int | None = None,
            error: str | None = None) -> None:
    now = utcnow()
    session.execute(sa.update(MailMessage).where(MailMessage.id == message_id, MailMessage.state == "sending")
                    .values(state=state, smtp_code=code, error=error[:2000] if error else None, updated_at=now,
                            sent_at=now if state in ("sent", "not_sent") else None)
                    .execution_options(synchronize_session=False))
    session.commit()


def build_message(session: Session, message: MailMessage, settings: MailSettings) -> EmailMessage:
    """The full multipart/alternative e-mail of a message row (its Message-ID already chosen)."""
    invitation = message.invitation
    survey = invitation.version.survey
    base = settings.base_url.rstrip("/")
    unsubscribe = f"{base}/unsubscribe/{unsubscribe_token(settings.secret_key, message.email, survey.slug)}"
    context = {"name": message.name or "", "customer_id": invitation.customer_id,
               "link": f"{base}/s/{derive_token(settings.secret_key, message.link_key)}",
               "unsubscribe_link": unsubscribe, "survey_title": survey.title,
               "reminder": message.kind == "reminder",
               "expires_on": invitation.expires_at.date().isoformat() if invitation.expires_at else ""}
    rendered = render_mail(templates_for(session, survey), context)
    mail = EmailMessage()
    mail["From"] = settings.sender
    local, _, domain = message.email.strip().rpartition("@")
    mail["To"] = Address(display_name=message.name or "", username=local, domain=domain)
    mail["Subject"] = rendered.subject
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["Message-ID"] = message.message_id or make_msgid(domain=_domain(settings.sender))
    mail["List-Unsubscribe"] = f"<{unsubscribe}>"
    mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(rendered.text)
    mail.add_alternative(rendered.html, subtype="html")
    return mail


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip(" >") or "localhost"


def _deliver(mail: EmailMessage, target: SmtpTarget, recipient: str, sender: str) -> None:
    client: smtplib.SMTP
    if target.ssl:
        client = smtplib.SMTP_SSL(target.host, target.port, timeout=SMTP_TIMEOUT)
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=SMTP_TIMEOUT)
    with client:
        if target.user:
            client.login(target.user, target.password or "")
        client.send_message(mail, from_addr=sender, to_addrs=[recipient])


def send_message(session: Session, message_id: int, settings: MailSettings) -> str:
    """Send one message row if this call can claim it; returns the row's state afterwards ('sent', 'not_sent',
    'bounced', 'deferred', 'opted_out', 'cancelled', or the state of a row another sender holds or finished).
    Never raises for a refusal: the refusal is recorded (`deferred` ones are then retried by the caller)."""
    ref = make_msgid(domain=_domain(settings.sender))
    if not _claim(session, message_id, ref, settings.lease_seconds):
        state = session.scalar(sa.select(MailMessage.state).where(MailMessage.id == message_id)) or "missing"
        session.commit()  # no transaction left open (on SQLite it would hold the write lock)
        return state
    message = session.get(MailMessage, message_id, populate_existing=True)
    assert message is not None
    if is_opted_out(session, message.email):
        _finish(session, message_id, "opted_out", error="the address opted out")
        return "opted_out"
    if message.kind == "reminder":
        invitation = message.invitation
        done = session.scalar(sa.select(Response.id).where(
            Response.invitation_id == invitation.id, Response.status == "complete"))
        if done is not None or invitation.used_at is not None or invitation.customer_id in set(
                session.scalars(_answered(invitation.version.survey_id))):
            _finish(session, message_id, "cancelled", error="answered before the reminder went out")
            return "cancelled"
    try:
        mail = build_message(session, message, settings)
    except TemplateError as error:  # a template stored before a check existed: recorded, not retried
        _finish(session, message_id, "bounced", error=f"the survey's mail template cannot be rendered: {error}")
        return "bounced"
    if settings.url is None:
        log.info("CXROI_MAIL_URL is not set; invitation %s to %s not sent:\n%s", message_id, message.email,
                 mail.as_string())
        _finish(session, message_id, "not_sent", error="CXROI_MAIL_URL is not set: written to the log")
        return "not_sent"
    state, code, error = _send_smtp(mail, smtp_target(settings.url), message.email.strip(), settings.sender)
    _finish(session, message_id, state, code=code, error=error)
    if state == "sent":
        log.info("sent %s %s to %s (%s)", message.kind, message_id, message.email, mail["Message-ID"])
    else:
        log.warning("%s %s to %s: %s", message.kind, message_id, message.email, error)
    return state


def _send_smtp(mail: EmailMessage, target: SmtpTarget, recipient: str,
               sender: str) -> tuple[str, int | None, str | None]:
    """(state, SMTP code, error) of one delivery attempt."""
    try:
        _deliver(mail, target, recipient, sender)
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        return _refusal(code, text)
    except (smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError) as error:
        # the server refuses us, not this address: the configuration's problem, retried
        return "deferred", error.smtp_code, f"server refused the sender or login: {error.smtp_code} {_text(error.smtp_error)}"
    except smtplib.SMTPResponseException as error:
        return _refusal(error.smtp_code, error.smtp_error)
    except (TimeoutError, OSError, smtplib.SMTPException) as error:
        return "deferred", None, f"SMTP server unreachable: {error}"
    return "sent", 250, None


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _refusal(code: int, text: bytes | str) -> tuple[str, int | None, str | None]:
    return ("bounced" if 500 <= code < 600 else "deferred"), code, f"{code} {_text(text)}"


def send_pending(session: Session, settings: MailSettings, ids: Sequence[int] | None = None) -> dict[str, int]:
    """Send the given messages (default: every due one) here and now, one after another; counts by state.
    For tests and tools; the worker sends through the queue."""
    counts: dict[str, int] = {}
    if ids is None:
        ids = due_messages(session, lease_seconds=settings.lease_seconds)
        session.commit()
    for message_id in ids:
        state = send_message(session, message_id, settings)
        counts[state] = counts.get(state, 0) + 1
    return counts


def message_states(session: Session, slug: str) -> list[tuple[str, str, str, str, str | None]]:
    """(customer id, kind, address, state, error) of every message of a survey, for the links page and tests."""
    record = find_survey(session, slug)
    rows = [tuple(row) for row in session.execute(
        sa.select(Invitation.customer_id, MailMessage.kind, MailMessage.email, MailMessage.state, MailMessage.error)
        .join(Invitation, MailMessage.invitation_id == Invitation.id)
        .join(SurveyVersion, Invitation.version_id == SurveyVersion.id)
        .where(SurveyVersion.survey_id == record.id).order_by(MailMessage.id)).all()]
    session.commit()
    return rows  # type: ignore[return-value]



def state_counts(session: Session, slug: str) -> dict[str, int]:
    """How many of a survey's messages are in each state (for the links and templates pages)."""
    record = find_survey(session, slug)
    counts = {state: count for state, count in session.execute(
        sa.select(MailMessage.state, sa.func.count())
        .join(Invitation, MailMessage.invitation_id == Invitation.id)
        .join(SurveyVersion, Invitation.version_id == SurveyVersion.id)
        .where(SurveyVersion.survey_id == record.id).group_by(MailMessage.state))}
    session.commit()
    return counts


def reminder_schedules(session: Session) -> list[tuple[str, int]]:
    """(slug, days) of every open survey with a reminder schedule, for the periodic reminder task."""
    rows = [(slug, days) for slug, days in session.execute(
        sa.select(SurveyRecord.slug, MailTemplate.reminder_after_days)
        .join(MailTemplate, MailTemplate.survey_id == SurveyRecord.id)
        .where(MailTemplate.reminder_after_days.is_not(None), SurveyRecord.closed_at.is_(None))
        .order_by(SurveyRecord.slug))]
    session.commit()
    return rows
