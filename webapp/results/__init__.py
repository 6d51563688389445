"""Results pages for analysts: the survey list, one survey's response counts, scores, charts, comments and
exports. Blueprint `results` at `/results`."""

from flask import Flask

from .views import bp

__all__ = ["bp", "init_results"]


def init_results(app: Flask) -> None:
    """Register the results pages and their link in the staff navigation."""
    app.register_blueprint(bp)
    app.config.setdefault("CXROI_NAV_ENDPOINTS", set()).add("results.index")
