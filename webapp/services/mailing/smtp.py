"""One SMTP delivery, step by step, so the caller can record the moment the message itself starts to go out.

SMTP has no idempotency key: a message the server accepted cannot be recalled, and a message whose DATA was cut
off may or may not have been accepted. The conversation is therefore split where that changes: up to and
including RCPT nothing has been delivered (a connection lost there loses nothing and may be retried); from DATA
on, the outcome is only known from the server's reply. `deliver` calls `before_data()` between the two and
gives up cleanly (RSET, QUIT) when it returns False.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from .settings import SMTP_TIMEOUT, SmtpTarget


@dataclass(frozen=True)
class Delivery:
    """How a delivery attempt ended: `state` is sent, bounced (5xx: never retried), deferred (4xx, refused or
    lost connection before DATA: retried), unknown (the connection failed during DATA: the server may have the
    message) or abandoned (`before_data` said no: nothing was delivered)."""

    state: str
    code: int | None = None
    error: str | None = None


def deliver(mail: EmailMessage, target: SmtpTarget, recipient: str, sender: str,
            before_data: Callable[[], bool] = lambda: True) -> Delivery:
    """Deliver `mail` to one recipient through the server at `target`."""
    data_started = False
    try:
        client = (smtplib.SMTP_SSL(target.host, target.port, timeout=SMTP_TIMEOUT) if target.ssl
                  else smtplib.SMTP(target.host, target.port, timeout=SMTP_TIMEOUT))
        with client:
            client.ehlo_or_helo_if_needed()
            if target.user:
                client.login(target.user, target.password or "")
            options = ["BODY=8BITMIME"] if client.has_extn("8bitmime") else []
            code, text = client.mail(sender, options)
            if code != 250:  # the server refuses us, not this address: the configuration's problem, retried
                client.rset()
                return Delivery("deferred", code, f"server refused the sender: {code} {_text(text)}")
            code, text = client.rcpt(recipient)
            if code not in (250, 251):
                client.rset()
                return _refusal(code, text)
            if not before_data():
                client.rset()
                return Delivery("abandoned", None, "another worker took the message over")
            data_started = True
            code, text = client.data(mail.as_bytes(policy=mail.policy.clone(linesep="\r\n")))
            if code != 250:
                return _refusal(code, text)
            return Delivery("sent", code, None)
    except smtplib.SMTPAuthenticationError as error:
        return Delivery("deferred", error.smtp_code, f"server refused the login: {error.smtp_code} "
                                                     f"{_text(error.smtp_error)}")
    except smtplib.SMTPResponseException as error:  # a refusal with a reply (DATA's included): nothing accepted
        return _refusal(error.smtp_code, error.smtp_error)
    except (TimeoutError, OSError, smtplib.SMTPException) as error:
        if data_started:
            return Delivery("unknown", None, f"the connection failed while the message was being sent ({error}); "
                                             "the server may or may not have it")
        return Delivery("deferred", None, f"SMTP server unreachable: {error}")


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _refusal(code: int, text: bytes | str) -> Delivery:
    return Delivery("bounced" if 500 <= code < 600 else "deferred", code, f"{code} {_text(text)}")
