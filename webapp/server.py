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


def run_gunicorn(*, host: str, port: int, workers: int) -> None:
    """Serve on host:port with `workers` processes until stopped (SIGTERM or Ctrl-C)."""
    CxroiServer({
        "bind": f"{host}:{port}",
        "workers": workers,
        "preload_app": True,
        "accesslog": "-",
        "timeout": 60,
        "graceful_timeout": 20,
    }).run()
