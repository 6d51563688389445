"""A real SMTP server for the mail tests: aiosmtpd on a free 127.0.0.1 port, started by the test, recording
what it received (`Sink`), refusing some recipients on request, and able to hold a delivery in the middle of
its SMTP conversation (`Sink.hold`) so a test can kill the sender there.

Each test module wraps `running_smtp` in a fixture of its own (a fixture imported across modules trips ruff's
F811)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.webapp.support.web import free_port


class Sink:
    """What the SMTP server received, the replies it gives to some recipients, and where it holds a delivery."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}
        self.refuse_sender: str | None = None  # a reply such as "550 5.7.1 not allowed to send as you"
        self.lock = threading.Lock()
        self.rcpt_count = 0
        self._hold: tuple[str, int] | None = None
        self.held = threading.Event()  # set when the held delivery has reached its step
        self.release = threading.Event()  # the held delivery goes on once this is set

    def hold(self, step: str, number: int) -> None:
        """Hold the `number`-th (1-based) delivery at `step`: 'rcpt' (the envelope, before any data: the client
        has not sent the message) or 'data' (the message received and recorded, the 250 reply not yet given)."""
        assert step in ("rcpt", "data")
        self._hold = (step, number)

    async def _maybe_hold(self, step: str, number: int) -> None:
        if self._hold == (step, number):
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse_sender:
            return self.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        reply = self.refuse.get(address.lower())
        if reply:
            return reply
        with self.lock:
            self.rcpt_count += 1
            number = self.rcpt_count
        await self._maybe_hold("rcpt", number)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
            number = len(self.messages)
        await self._maybe_hold("data", number)
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    def recipients(self) -> list[str]:
        """The bare address of every message received, sorted (one entry per message: duplicates show)."""
        return sorted(address_of(m) for m in self.messages)


def address_of(message: EmailMessage) -> str:
    return str(message["To"]).split("<")[-1].strip(">")


@contextmanager
def running_smtp() -> Iterator[tuple[Sink, str]]:
    """A real SMTP server on a free 127.0.0.1 port: (its sink, CXROI_MAIL_URL); stopped at the end."""
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, f"smtp://127.0.0.1:{port}"
    finally:
        sink.release.set()
        controller.stop()


def body(message: EmailMessage, kind: str = "plain") -> str:
    part = message.get_body(preferencelist=(kind,))
    assert part is not None
    return part.get_content()


def personal_link(message: EmailMessage, base: str = "http://localhost") -> str:
    """The path of the personal survey link in a delivered mail's plain-text body."""
    match = re.search(re.escape(base.rstrip("/")) + r"(/s/[A-Za-z0-9_-]+)", body(message))
    assert match, body(message)
    return match.group(1)


def unsubscribe_path(message: EmailMessage, base: str = "http://localhost") -> str:
    """The path of the unsubscribe link a delivered mail carries in its List-Unsubscribe header."""
    return str(message["List-Unsubscribe"]).strip("<>").removeprefix(base.rstrip("/"))
