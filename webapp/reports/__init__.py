"""Reports pages for analysts and authors: upload outcomes, set the mapping and finance assumptions, run the
ROI analysis as a background job, read the report as HTML, download the PDF. Blueprint `reports` at
`/reports`."""

import os

from flask import Flask

from .views import bp, submit

__all__ = ["bp", "init_reports"]


def init_reports(app: Flask) -> None:
    """Register the reports pages and their link in the staff navigation.

    The upload view checks its CSRF token through its form, after raising the body size limit for the file
    (the app-wide limit is made for answer pages), so it is exempt from the app-wide check that would read the
    body first. `CXROI_REPORT_RUNNER` (setting or environment variable) runs report jobs in a child "process"
    (default) or a "thread".
    """
    from ..app import csrf

    runner = app.config.setdefault("CXROI_REPORT_RUNNER", os.environ.get("CXROI_REPORT_RUNNER", "process"))
    if runner not in ("process", "thread"):
        raise ValueError(f"CXROI_REPORT_RUNNER must be 'process' or 'thread', not {runner!r}")
    csrf.exempt(submit)
    app.register_blueprint(bp)
    app.config.setdefault("CXROI_NAV_ENDPOINTS", set()).add("reports.index")
