"""Running the app under gunicorn from Python (`cxroi serve`), without a gunicorn command line."""

from __future__ import annotations

import os
import signal
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


def _graceful_on_interrupt(worker: Any) -> None:
    """gunicorn's post_worker_init hook: Ctrl-C stops a worker the way SIGTERM does — it stops accepting,
    finishes its requests (within graceful_timeout), closes its listening sockets and files and returns.
    Ctrl-C sends SIGINT to the master and every worker, and the master then sends each worker SIGQUIT;
    gunicorn's own handlers for those exit from inside the signal handler, where the next signal cut the
    worker's clean-up short and Python warned "ResourceWarning: unclosed <socket …>" at shutdown."""
    signal.signal(signal.SIGINT, worker.handle_exit)
    signal.signal(signal.SIGQUIT, worker.handle_exit)


def _quiet_exit(_arbiter: Any, worker: Any) -> None:
    """gunicorn's worker_exit hook, in the worker as it ends: a late SIGINT or SIGQUIT is ignored (Python puts
    back the default handlers while it shuts down, and the default for SIGQUIT kills the process). gunicorn
    also calls the hook in the master when it reaps a worker: the master's handlers are left alone."""
    if os.getpid() == worker.pid:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGQUIT, signal.SIG_IGN)


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
        "post_worker_init": _graceful_on_interrupt,
        "worker_exit": _quiet_exit,
    }).run()
