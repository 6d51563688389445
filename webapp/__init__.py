"""cxroi web app: Flask app factory, storage, respondent and authoring pages, and the `cxroi` command line.

`webapp.create_app` is the app factory (`webapp.app.create_app`), so `flask --app webapp run` finds it. It is
imported on first use: the command line and `python -m webapp.services.…` children do not load every page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app as create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
