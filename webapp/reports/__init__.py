"""Reports pages for analysts and authors: upload outcomes, set the mapping and finance assumptions, run the
ROI analysis as a job on the task queue (run by `cxroi worker`), read the report as HTML, download the PDF,
share it by an expiring link and schedule it monthly to a list of addresses. Blueprints `reports` at `/reports`
and, for the shared links (no account needed), `shared` at `/shared`."""

from flask import Flask

from ..config import report_jobs_per_user
from . import share_views  # noqa: F401  (its views join the `reports` blueprint)
from .shared import bp as shared_bp
from .views import bp

__all__ = ["bp", "init_reports"]


def init_reports(app: Flask) -> None:
    """Register the reports pages and their link in the staff navigation.

    Report jobs run on the task queue (`webapp.queue`, setting `QUEUE_URL`) in `cxroi worker`; the setting
    `REPORT_JOBS_PER_USER` (`webapp.config`; also an environment variable) limits the jobs one user may have
    waiting or running at once.
    """
    report_jobs_per_user(app.config.get("REPORT_JOBS_PER_USER"))  # a bad value stops the app at start
    app.register_blueprint(bp)
    app.register_blueprint(shared_bp)
    app.config.setdefault("CXROI_NAV_ENDPOINTS", set()).add("reports.index")
