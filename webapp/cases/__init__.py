"""Follow-up cases (closing the loop): the `/cases` pages for authors and agents (blueprint `cases`), the
service in `webapp.cases.service`, the owner's notification on the queue in `webapp.services.case_tasks`.

The views are imported when the app registers them, so the service can be imported by the respondent side
(`services.responding`) without the pages."""

from __future__ import annotations

from flask import Flask

__all__ = ["init_cases"]


def init_cases(app: Flask) -> None:
    """Register the cases pages and their link in the staff navigation."""
    from .views import bp

    app.register_blueprint(bp)
    app.config.setdefault("CXROI_NAV_ENDPOINTS", set()).add("cases.index")
