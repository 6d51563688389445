"""Slow clients (issue 15): a few sockets trickling partial request headers must not stall a real `cxroi serve`.

Under gunicorn sync workers, four such sockets held both workers (2) until their timeout and a normal request
waited ~40 s; `cxroi serve` now runs gthread workers (2 workers × 8 threads by default), so the same sockets tie
up threads, not workers — even when all four land on the same worker. The server is the `served` fixture (a real `cxroi serve` on 127.0.0.1, SQLite and
PostgreSQL). Bounded: four sockets, socket timeouts of a few seconds, no duration asserted beyond a generous
10 s for the normal request.
"""

from __future__ import annotations

import socket
import time
import urllib.request
from urllib.parse import urlsplit

SLOW_SOCKETS = 4
GENEROUS_SECONDS = 10.0


def _slow_socket(base: str) -> socket.socket:
    """A connection that has sent the start of a request and not the end of its headers."""
    address = urlsplit(base)
    slow = socket.create_connection((address.hostname, address.port), timeout=5)
    slow.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow")  # no final CRLF CRLF
    return slow


def test_partial_headers_do_not_stall_a_normal_request(served: tuple[str, str]) -> None:
    base, _ = served
    sockets = [_slow_socket(base) for _ in range(SLOW_SOCKETS)]
    try:
        time.sleep(1.0)  # the server has accepted them and started reading
        for sock in sockets:  # trickle one more byte each, as a slowloris client does
            sock.sendall(b"-")
        for path in ("/login", "/static/respond.css", "/login"):
            started = time.monotonic()
            with urllib.request.urlopen(base + path, timeout=GENEROUS_SECONDS) as reply:
                assert reply.status == 200
                reply.read()
            assert time.monotonic() - started < GENEROUS_SECONDS
    finally:
        for sock in sockets:
            sock.close()


def test_a_slow_client_that_finishes_is_answered(served: tuple[str, str]) -> None:
    base, _ = served
    slow = _slow_socket(base)
    try:
        time.sleep(0.5)
        slow.sendall(b"\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := slow.recv(65536):
            reply += chunk
        assert reply.startswith(b"HTTP/1.1 200")
    finally:
        slow.close()
