"""Several hosts on one machine (issue 15, across hosts): `cxroi serve` app servers on addresses of their own
(127.0.0.2, 127.0.0.3, …: all of 127.0.0.0/8 is this machine's loopback), Debian's haproxy balancing them, and
`cxroi worker` (tests.webapp.support.cli.start_cxroi) — the layout docs/deployment.md describes, started with
the same commands.

Servers and the balancer run as `benchmarks.load.ServerProcess` (its own process session, so a SIGKILL takes a
whole server, master and workers, as a host dying would; bounded waits until it answers).
"""

from __future__ import annotations

import errno
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from benchmarks.load import ServerProcess

CXROI = [sys.executable, "-c", "from webapp.cli import main; main()"]
SERVED_BY = "X-Served-By"
"""The header the balancer adds to each answer: the name of the app server that answered (app-1, app-2, …)."""

HAPROXY_CONFIG = """\
global
    maxconn 1024

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 3
    option redispatch                       # a server that refuses the connection: try another
    option forwardfor                       # appends the client's address to X-Forwarded-For

frontend www
    bind {bind}
    default_backend cxroi

backend cxroi
    balance roundrobin
    option httpchk GET /static/respond.css
    timeout check 5s                        # a busy server answers late; a dead one refuses at once
    http-response set-header {served_by} %[srv_name]
{servers}
"""
SERVER_LINE = "    server {name} {address} check inter 1s fall 2 rise 2"


def haproxy_config(bind: str, servers: Mapping[str, str]) -> str:
    """haproxy's configuration: listen on `bind` (host:port), balance over `servers` (name → host:port)."""
    lines = "\n".join(SERVER_LINE.format(name=name, address=address) for name, address in servers.items())
    return HAPROXY_CONFIG.format(bind=bind, served_by=SERVED_BY, servers=lines)


def address_problem(host: str) -> str:
    """'' when a server can listen on `host` here, else why not."""
    with socket.socket() as probe:
        try:
            probe.bind((host, 0))
        except OSError as error:
            return f"cannot listen on {host} on this machine ({errno.errorcode.get(error.errno or 0, error)})"
    return ""


def app_server(host: str, port: int, env: Mapping[str, str], log_path: Path, *, workers: int = 2) -> ServerProcess:
    """`cxroi serve --host HOST --port PORT` with `env` added to this process's environment; not yet waited for."""
    return ServerProcess("", env=env, workers=workers, log_path=log_path, host=host, port=port,
                         command=[*CXROI, "serve", "--host", host, "--port", str(port), "--workers", str(workers)])


def balancer(haproxy: str, config: str, port: int, folder: Path) -> ServerProcess:
    """haproxy in the foreground (`-db`) with `config` (written to `folder`), listening on 127.0.0.1:`port`."""
    path = folder / "haproxy.cfg"
    path.write_text(config, encoding="utf-8")
    check = subprocess.run([haproxy, "-c", "-f", str(path)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, f"haproxy refused its configuration:\n{check.stdout}{check.stderr}"
    return ServerProcess("", env={}, workers=0, log_path=folder / "haproxy.log", port=port,
                         command=[haproxy, "-db", "-f", str(path)])


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM a `cxroi worker` (it stops its worker processes), SIGKILL it if it has not stopped within 30 s."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


class Relay:
    """A TCP relay from 127.0.0.1:`port` to `target` (host, port) that the test opens and closes: a server that is
    down (closed: connections refused) and comes back (open: the real server answers through it)."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port, self.target = port, target
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []

    def open(self) -> None:
        import threading

        self._listener = listener = socket.create_server(("127.0.0.1", self.port))

        def pump(source: socket.socket, sink: socket.socket) -> None:
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass
            finally:
                sink.close()

        def accept() -> None:
            while True:
                try:
                    client, _ = listener.accept()
                except OSError:
                    return  # closed
                server = socket.create_connection(self.target, timeout=5)
                self._sockets += [client, server]
                for ends in ((client, server), (server, client)):
                    threading.Thread(target=pump, args=ends, daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()
