"""Authoring pages for CX leads (authors and admins only): the survey list, the editor over a stored draft,
preview, publish/close/reopen, definition upload/download and distribution links.

Views are thin: they check the form, call one pure edit (`edits.py`) through the authoring service, and
redirect, or render the problems with status 400 leaving the draft unchanged.
"""

from flask import Flask

from . import distribution  # noqa: F401  (registers its routes on bp)
from .views import bp

__all__ = ["bp", "init_authoring"]


def init_authoring(app: Flask) -> None:
    """Register the authoring pages and their link in the staff navigation."""
    app.register_blueprint(bp)
    app.config.setdefault("CXROI_NAV_ENDPOINTS", set()).add("author.surveys")
