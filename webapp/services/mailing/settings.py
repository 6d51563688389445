"""The mail settings (`CXROI_MAIL_URL`, `CXROI_MAIL_FROM`, the public address, the app's secret, the lease) and
the errors of the distribution."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ..errors import HostingError

DEFAULT_LEASE_SECONDS = 120.0
"""A claim older than this belongs to a worker that stopped (killed, hung): another worker may take the message
over (`sending`: sent again, the data never went out; `transmitting`: marked `unknown`, never sent again)."""
SMTP_TIMEOUT = 30.0


class MailError(HostingError):
    """Bad input to the distribution (no e-mail column, a malformed address, a bad template): a 400."""

    title = "The e-mails cannot be sent"


class MailDeferred(Exception):
    """A message the SMTP server did not take for now (4xx, refused connection, timeout): retried by the queue."""


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
        from ...config import (
            base_url_from_environment,
            instance_path_from_environment,
            mail_from_environment,
            mail_lease_seconds_from_environment,
            mail_url_from_environment,
            secret_key_for,
        )

        return cls(mail_url_from_environment(), mail_from_environment(), base_url_from_environment(),
                   secret_key_for(instance_path_from_environment()), mail_lease_seconds_from_environment())


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


