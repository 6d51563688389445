"""Running the app under gunicorn from Python (`cxroi serve`), without a gunicorn command line."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from .app import create_app


class CxroiServer(BaseApplication):
    """gunicorn with the app from `create_app()`, built once in the master (preload) and forked."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Any:
        return create_app({"AUTO_UPGRADE": False})


DEFAULT_THREADS = 8
"""Threads per worker process (gunicorn's gthread workers). A connection part-way through its headers holds a
thread while it trickles, and a worker whose threads are all held queues the connections it accepts: 8 keeps a
handful of slow clients from filling any one worker (the default 2 workers serve 16 requests at once)."""


def run_gunicorn(*, host: str, port: int, workers: int, threads: int = DEFAULT_THREADS,
                 access_log: bool = True) -> None:
    """Serve on host:port with `workers` processes of `threads` threads each until stopped (SIGTERM or Ctrl-C).

    Threaded (gthread) workers, not sync ones: a sync worker belongs to one connection until its request is
    read whole, so a few clients trickling partial headers stall every worker; a gthread worker waits for
    idle connections in its poller and keeps its other threads serving. It bounds, not removes, the problem:
    each connection that has started sending still holds a thread until it finishes — in front of the open
    internet, put a buffering proxy (nginx) before the app servers (docs/deployment.md). `access_log=False`
    keeps the terminal quiet (the demo); errors are still logged.
    """
    CxroiServer({
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "preload_app": True,
        "accesslog": "-" if access_log else None,
        "control_socket_disable": True,  # gunicorn ≥ 25 would leave a control socket in ~/.gunicorn otherwise
        "timeout": 60,
        "graceful_timeout": 20,
    }).run()
