"""A finished report job of the example survey, made by the real services (the analysis run in this process as
a worker runs it), for the sharing and schedule tests. The outcomes file is built from `RESPONDENTS`: the
customers with a CES of 3 or less churned, plus 20 customers never surveyed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from tests.webapp.support.results import RESPONDENTS, SLUG, seed_survey, staff_app
from tests.webapp.support.web import migrated_database
from webapp.services import reporting
from webapp.storage.engine import open_session
from webapp.storage.reports import ReportJob

CONFIG = {"columns": {"customer_id": "Customer", "churned": "Lost", "tenure_months": "Months",
                      "revenue": "Annual revenue"},
          "revenue_period": "year", "bootstrap": 20, "finance": {"program_cost": 5000, "margin": 0.4},
          "scenario": {"population": "respondents", "delta": 1.0}}


def outcomes_csv() -> bytes:
    lines = ["Customer,Lost,Months,Annual revenue"]
    lines += [f"{r.customer_id},{1 if r.ces <= 3 else 0},{12 + n},{1000 + 100 * n}" for n, r in enumerate(RESPONDENTS)]
    lines += [f"x{n:02d},{n % 2},{n + 1},800" for n in range(20)]
    return ("\n".join(lines) + "\n").encode()


def finished_report(app: Flask, url: str, *, seed: bool = True) -> int:
    """Seed the survey (unless `seed` is false), store a report job and run it to `done`; its id."""
    if seed:
        seed_survey(app, url)
    with open_session(url) as session:
        job = reporting.create_report_job(session, slug=SLUG, outcomes_name="crm export.csv", content=outcomes_csv(),
                                          config_data=CONFIG, created_by="analyst@example.com")
        job_id = job.id
    reporting.run_report_job(url, job_id)
    assert job_status(url, job_id) == "done"
    return job_id


def job_status(url: str, job_id: int) -> str:
    with open_session(url, upgrade=False) as session:
        return str(session.scalar(sa.select(ReportJob.status).where(ReportJob.id == job_id)))


@dataclass(frozen=True)
class ReportWorld:
    """The app, its database's URL and the finished report's job id."""

    app: Flask
    url: str
    job_id: int


@contextmanager
def report_world(backend: str, folder: Path) -> Iterator[ReportWorld]:
    """A migrated database of `backend` (files in `folder`) with the staff accounts and a finished report of the
    example survey, for a test module to share."""
    with migrated_database(backend, folder) as url:
        app = staff_app(url, folder)
        yield ReportWorld(app, url, finished_report(app, url))
