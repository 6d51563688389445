"""Monthly report mailings (issue 16): the form checks each field (day 1–28, every address, the kind of
delivery) and stores nothing when one is wrong; the periodic function, called with a given "now", runs the
analysis again on the survey's current responses with the job's outcomes file and settings, and mails the PDF
(attached) or a link of each recipient's own through a real SMTP server (aiosmtpd) — once per month, however
often it runs, and without mailing anyone twice after a worker died after claiming the month or while mailing.
On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from tests.webapp.support.reports import ReportWorld as World
from tests.webapp.support.reports import job_status, report_world
from tests.webapp.support.results import SLUG, csrf_token, sign_in
from tests.webapp.support.smtp import Sink, address_of, body
from tests.webapp.support.web import BACKENDS
from webapp.queue import configure
from webapp.services import mailing, report_schedules
from webapp.storage.engine import open_session
from webapp.storage.reports import ReportJob, ReportSchedule

TITLE = "How are we doing?: what customer experience is worth"
FIRST, SECOND = "cfo@example.com", "controller@example.org"


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with report_world(request.param, tmp_path_factory.mktemp("schedules")) as made:
        yield made


def settings(mail_url: str) -> mailing.MailSettings:
    return mailing.MailSettings(mail_url, "reports@example.com", "http://cxroi.example", "test-secret")


def schedule(world: World, made: datetime, *, day: int = 5, delivery: str = "pdf",
             recipients: str = f"{FIRST}\n{SECOND}") -> int:
    with open_session(world.url, upgrade=False) as session:
        return report_schedules.create_schedule(session, world.job_id, day_of_month=day, recipients=recipients,
                                                delivery=delivery, actor="analyst@example.com", now=made).id


def state(world: World, schedule_id: int) -> ReportSchedule:
    with open_session(world.url, upgrade=False) as session:
        found = session.get_one(ReportSchedule, schedule_id)
        session.expunge(found)
        return found


def job_count(world: World) -> int:
    with open_session(world.url, upgrade=False) as session:
        return int(session.scalar(sa.select(sa.func.count(ReportJob.id))) or 0)


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(content)).pages).split())


def stop(world: World, schedule_id: int) -> None:
    """Remove the schedule, so later tests' rounds do not run it again."""
    with open_session(world.url, upgrade=False) as session:
        report_schedules.remove_schedule(session, world.job_id, schedule_id, actor="analyst@example.com")


# --- the form ---------------------------------------------------------------------------------------------


def post_schedule(world: World, **fields: str) -> tuple[int, str]:
    client = world.app.test_client()
    sign_in(client, "analyst@example.com")
    token = csrf_token(client.get(f"/reports/{world.job_id}").get_data(as_text=True))
    data = {"csrf_token": token, "day_of_month": "5", "recipients": FIRST, "delivery": "pdf"} | fields
    response = client.post(f"/reports/{world.job_id}/schedules", data=data)
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"day_of_month": "29"}, "day_of_month", "give a day from 1 to 28, so that every month has it"),
    ({"day_of_month": "0"}, "day_of_month", "give a day from 1 to 28, so that every month has it"),
    ({"day_of_month": ""}, "day_of_month", "give a day from 1 to 28"),
    ({"recipients": f"{FIRST}\nnot-an-address"}, "recipients",
     "line 2: malformed e-mail address 'not-an-address' (expected one address like name@example.com)"),
    ({"recipients": f"{FIRST}, boss@@example.com"}, "recipients", "line 1: malformed e-mail address 'boss@@example.com'"),
    ({"recipients": "  \n "}, "recipients", "give at least one e-mail address"),
    ({"delivery": "fax"}, "delivery", "choose the PDF or a link"),
])
def test_each_bad_field_is_named_and_nothing_is_stored(world: World, fields: dict[str, str], field: str,
                                                       message: str) -> None:
    with open_session(world.url, upgrade=False) as session:
        before = len(report_schedules.schedules_of(session, world.job_id))
    status, page = post_schedule(world, **fields)
    assert status == 400
    error = re.search(rf'<p class="error" id="{field}-error">([^<]+)</p>', page)
    assert error and message in error.group(1).replace("&#39;", "'"), page[-4000:]
    with open_session(world.url, upgrade=False) as session:
        assert len(report_schedules.schedules_of(session, world.job_id)) == before


def test_a_valid_schedule_is_listed_and_audited(world: World) -> None:
    status, _page = post_schedule(world, recipients=f"{FIRST}\n{SECOND.upper()}; {FIRST}", day_of_month="28")
    assert status == 303
    with open_session(world.url, upgrade=False) as session:
        made = report_schedules.schedules_of(session, world.job_id)[-1]
        assert made.recipients.splitlines() == [FIRST, SECOND]  # lower-cased, each once, in order
        detail = session.execute(sa.text("SELECT detail FROM audit_events WHERE action = 'report_scheduled' "
                                         "ORDER BY id DESC")).scalar_one_or_none() or "{}"
        assert json.loads(detail) == {"schedule": made.id, "day_of_month": 28, "delivery": "pdf",
                                      "recipients": [FIRST, SECOND]}
        schedule_id = made.id
    client = world.app.test_client()
    sign_in(client, "analyst@example.com")
    page = client.get(f"/reports/{world.job_id}").get_data(as_text=True)
    assert f"{FIRST}, {SECOND}" in page and f"Stop mailing {schedule_id}" in page
    token = csrf_token(page)
    assert client.post(f"/reports/{world.job_id}/schedules/{schedule_id}/remove",
                       data={"csrf_token": token}).status_code == 303
    with open_session(world.url, upgrade=False) as session:
        assert session.get(ReportSchedule, schedule_id) is None
        assert session.execute(sa.text("SELECT count(*) FROM audit_events WHERE action = 'report_unscheduled'")
                               ).scalar_one() >= 1


# --- the monthly run --------------------------------------------------------------------------------------


def test_each_month_is_analysed_again_and_its_pdf_mailed_once(world: World, smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    schedule_id = schedule(world, datetime(2026, 12, 1, 9, 0))  # day 5: the first run is on 5 December
    jobs = job_count(world)

    assert report_schedules.run_due_schedules(world.url, settings(url), now=datetime(2026, 12, 4, 23, 59)) == 0
    assert sink.messages == [] and job_count(world) == jobs  # not due yet

    assert report_schedules.run_due_schedules(world.url, settings(url), now=datetime(2026, 12, 5, 0, 23)) == 1
    assert sink.recipients() == sorted([FIRST, SECOND])
    run = state(world, schedule_id)
    assert (run.month, run.run_state, run.run_error) == ("2026-12", "sent", None)
    assert report_schedules.outcomes(run) == {FIRST: "sent", SECOND: "sent"}
    assert job_count(world) == jobs + 1 and run.run_job_id is not None
    assert job_status(world.url, run.run_job_id) == "done"
    for message in sink.messages:
        assert message["Subject"] == "Monthly report 2026-12: How are we doing?"
        attached = list(message.iter_attachments())
        assert [a.get_filename() for a in attached] == [f"{SLUG}-roi-report-{run.run_job_id}.pdf"]
        content = attached[0].get_content()
        assert content[:4] == b"%PDF" and TITLE in pdf_text(content)
        assert "The report is attached as a PDF." in body(message)

    # the rest of the month, hourly: nothing more
    for hour in (1, 5, 23):
        report_schedules.run_due_schedules(world.url, settings(url), now=datetime(2026, 12, 20, hour, 23))
    assert len(sink.messages) == 2 and job_count(world) == jobs + 1

    # January: a new analysis, mailed again
    assert report_schedules.run_due_schedules(world.url, settings(url), now=datetime(2027, 1, 5, 0, 23)) == 1
    assert len(sink.messages) == 4 and job_count(world) == jobs + 2
    assert state(world, schedule_id).month == "2027-01"
    assert {m["Subject"] for m in sink.messages[2:]} == {"Monthly report 2027-01: How are we doing?"}
    stop(world, schedule_id)


def test_a_worker_that_dies_after_claiming_or_while_mailing_mails_nobody_twice(
        world: World, smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    schedule_id = schedule(world, datetime(2027, 2, 1, 9, 0), day=3)
    claimed_at = datetime(2027, 2, 3, 0, 23)
    with open_session(world.url, upgrade=False) as session:  # the dead worker claimed the month, then stopped
        job_id = report_schedules.claim_month(session, schedule_id, claimed_at)
        assert job_id is not None
        assert report_schedules.claim_month(session, schedule_id, claimed_at) is None  # taken: once a month
    assert job_status(world.url, job_id) == "queued"
    # within the lease nobody touches it; after, the next round starts the analysis itself and mails
    assert report_schedules.run_due_schedules(world.url, settings(url), now=claimed_at + timedelta(minutes=10)) == 0
    assert sink.messages == []
    assert report_schedules.run_due_schedules(world.url, settings(url), now=claimed_at + timedelta(minutes=31)) == 1
    assert sink.recipients() == sorted([FIRST, SECOND]) and job_status(world.url, job_id) == "done"
    assert state(world, schedule_id).run_job_id == job_id  # no second job for the month

    # March: the worker claimed the month, ran the analysis, and died while the first message was going out
    march = datetime(2027, 3, 3, 0, 23)
    with open_session(world.url, upgrade=False) as session:
        march_job = report_schedules.claim_month(session, schedule_id, march)
    from webapp.services import reporting

    assert march_job is not None
    reporting.run_report_job(world.url, march_job)
    with open_session(world.url, upgrade=False) as session:
        session.execute(sa.update(ReportSchedule).where(ReportSchedule.id == schedule_id).values(
            run_state="mailing", claimed_at=march, sending_to=FIRST))
        session.commit()
    assert report_schedules.run_due_schedules(world.url, settings(url), now=march + timedelta(minutes=10)) == 0
    assert len(sink.messages) == 2  # the claim still holds
    assert report_schedules.run_due_schedules(world.url, settings(url), now=march + timedelta(minutes=31)) == 1
    assert [address_of(m) for m in sink.messages[2:]] == [SECOND]  # the first may have it: not sent again
    run = state(world, schedule_id)
    assert report_schedules.outcomes(run) == {FIRST: "unknown", SECOND: "sent"} and run.run_state == "sent"
    report_schedules.run_due_schedules(world.url, settings(url), now=march + timedelta(hours=5))
    assert len(sink.messages) == 3
    stop(world, schedule_id)


def test_the_periodic_task_mails_each_recipient_a_link_of_their_own(
        world: World, smtp: tuple[Sink, str], monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    sink, url = smtp
    schedule_id = schedule(world, datetime(2027, 4, 20, 9, 0), day=1, delivery="link")
    for name, value in {"CXROI_MAIL_URL": url, "CXROI_MAIL_FROM": "reports@example.com",
                        "CXROI_BASE_URL": "http://cxroi.example", "CXROI_SECRET_KEY": "test-secret",
                        "CXROI_INSTANCE_PATH": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    configure(database_url=world.url)
    try:
        assert report_schedules.send_scheduled_reports.call_local(now=datetime(2027, 5, 1, 0, 23)) == 1
        assert report_schedules.send_scheduled_reports.call_local(now=datetime(2027, 5, 1, 1, 23)) == 0
    finally:
        configure()
    assert sink.recipients() == sorted([FIRST, SECOND])
    links = {}
    for message in sink.messages:
        assert list(message.iter_attachments()) == []
        found = re.search(r"http://cxroi\.example(/shared/[A-Za-z0-9_-]{43})", body(message))
        assert found, body(message)
        links[address_of(message)] = found.group(1)
    assert links[FIRST] != links[SECOND]  # each revocable on its own
    reader = world.app.test_client()
    for link in links.values():
        page = reader.get(link)
        assert page.status_code == 200 and TITLE in page.get_data(as_text=True)
    with open_session(world.url, upgrade=False) as session:
        labels = set(session.scalars(sa.text("SELECT label FROM report_shares WHERE created_by = :who"),
                                     {"who": f"report-schedule:{schedule_id}"}))
    assert labels == {f"monthly mail to {FIRST}", f"monthly mail to {SECOND}"}
    stop(world, schedule_id)


def test_a_month_whose_analysis_fails_mails_nobody_and_says_why(world: World, smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    schedule_id = schedule(world, datetime(2027, 6, 1, 9, 0), day=2)
    with open_session(world.url, upgrade=False) as session:  # the month's analysis will fail on its settings
        config = dict(session.get_one(ReportJob, world.job_id).config)
        config["scenario"] = dict(config["scenario"], metric="no_such_metric")
        month_job = report_schedules.claim_month(session, schedule_id, datetime(2027, 6, 2, 0, 23))
        session.execute(sa.update(ReportJob).where(ReportJob.id == month_job).values(config=config))
        session.commit()
    assert report_schedules.run_due_schedules(world.url, settings(url), now=datetime(2027, 6, 2, 0, 55)) == 1
    assert sink.messages == []
    run = state(world, schedule_id)
    assert run.run_state == "failed" and run.run_error and "no_such_metric" in run.run_error
    stop(world, schedule_id)
