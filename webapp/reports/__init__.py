"""Reports pages for analysts and authors: upload outcomes, set the mapping and finance assumptions, run the
ROI analysis as a background job, read the report as HTML, download the PDF. Blueprint `reports` at
`/reports`."""

from flask import Flask

from .views import bp

__all__ = ["bp", "init_reports"]


def init_reports(app: Flask) -> None:
    """Register the reports pages and their link in the staff navigation.

    The setting `CXROI_REPORT_RUNNER` (`webapp.config`; also an environment variable) runs report jobs in a
    child "process" (default) or a "thread".
    """
    runner = app.config.setdefault("CXROI_REPORT_RUNNER", "process")
    if runner not in ("process", "thread"):
        raise ValueError(f"CXROI_REPORT_RUNNER must be 'process' or 'thread', not {runner!r}")
    app.register_blueprint(bp)
    app.config.setdefault("CXROI_NAV_ENDPOINTS", set()).add("reports.index")
