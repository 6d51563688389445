"""Open-text themes on the web (issue 17): the themes page of a survey's results, the codebook editor, codebooks
stored with the survey and each response's coded themes (`service`, tables of migration 0011_themes)."""

from __future__ import annotations

from flask import Flask

__all__ = ["init_themes"]


def init_themes(app: Flask) -> None:
    """Register the themes pages."""
    from .views import bp

    app.register_blueprint(bp)
