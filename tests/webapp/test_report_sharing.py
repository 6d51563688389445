"""Sharing a finished report by link (issue 16): an analyst makes a link with an expiry (30 days unless told, at
most 90), sees it once, and can revoke it; anyone holding it reads the report's HTML and downloads its PDF without
an account; unknown, revoked and expired links answer 404/404/410 with a clear page; guessing is slowed (429);
only the token's SHA-256 is stored and the audit log records making and revoking without the token. On SQLite
and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from pypdf import PdfReader

from tests.webapp.support.reports import ReportWorld as World
from tests.webapp.support.reports import report_world
from tests.webapp.support.results import PASSWORD, SLUG, csrf_token, signed_in
from tests.webapp.support.web import BACKENDS
from webapp.accounts.service import create_user
from webapp.services import reporting, sharing
from webapp.storage.engine import open_session
from webapp.storage.models import utcnow
from webapp.storage.reports import ReportShare
from webapp.teams.service import add_member, create_team, remove_member

TITLE = "How are we doing?: what customer experience is worth"


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with report_world(request.param, tmp_path_factory.mktemp("sharing")) as made:
        with open_session(made.url) as session:
            create_user(session, "agent@example.com", "agent", PASSWORD)
        yield made


def staff(world: World, email: str = "analyst@example.com") -> FlaskClient:
    return signed_in(world.app, email)


def reader(world: World, address: str) -> FlaskClient:
    """A visitor without an account, from its own address (each test its own, for the guess counter)."""
    client = world.app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def make_link(client: FlaskClient, job_id: int, **fields: str) -> tuple[int, str, str]:
    """(status, page, token or '') of the 'Make a link' form sent with `fields`."""
    token = csrf_token(client.get(f"/reports/{job_id}").get_data(as_text=True))
    response = client.post(f"/reports/{job_id}/shares", data={"csrf_token": token, "days": "30"} | fields)
    page = response.get_data(as_text=True)
    found = re.search(r'id="new-link"[^>]*value="http://localhost/shared/([A-Za-z0-9_-]+)"', page)
    return response.status_code, page, found.group(1) if found else ""


def rows(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    with open_session(url, upgrade=False) as session:
        return [tuple(row) for row in session.execute(sa.text(sql), params)]


def stored_share(url: str, token: str) -> ReportShare:
    """The link stored for `token`, found by the token's SHA-256 (worked out here, not by the app)."""
    with open_session(url, upgrade=False) as session:
        share = session.scalar(sa.select(ReportShare).where(
            ReportShare.token_hash == hashlib.sha256(token.encode()).hexdigest()))
        assert share is not None
        session.expunge(share)
        return share


def audit_rows(url: str, action: str) -> list[tuple[object, ...]]:
    return rows(url, "SELECT actor, target, detail FROM audit_events WHERE action = :action ORDER BY id",
                action=action)


def test_a_link_shows_the_report_and_its_pdf_to_a_reader_without_an_account(world: World) -> None:
    analyst = staff(world)
    before = len(audit_rows(world.url, "report_shared"))
    status, page, token = make_link(analyst, world.job_id, label="Chief financial officer")
    assert status == 201, page[:2000]
    assert len(token) == 43  # 32 random bytes, base64url

    # stored: the token's SHA-256 only, 30 days by default
    share = stored_share(world.url, token)
    share_id = share.id
    assert share.label == "Chief financial officer"
    assert share.expires_at - share.created_at == timedelta(days=30)
    assert not rows(world.url, "SELECT id FROM report_shares WHERE token_hash = :t OR label = :t", t=token)

    # audited once, with the link's number, never its token
    events = audit_rows(world.url, "report_shared")
    assert len(events) == before + 1
    actor, target, detail = events[-1]
    assert (actor, target) == ("analyst@example.com", f"report:{world.job_id}")
    assert json.loads(str(detail))["share"] == share_id
    assert not rows(world.url, "SELECT id FROM audit_events WHERE detail LIKE :t OR target LIKE :t", t=f"%{token}%")

    # the reader: no account, the report's HTML with the PDF offered
    visitor = reader(world, "10.0.1.1")
    shown = visitor.get(f"/shared/{token}")
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert TITLE in html and f'href="/shared/{token}/report.pdf"' in html and "Download the PDF" in html
    assert shown.headers["Cache-Control"] == "no-store" and shown.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in shown.headers["Content-Security-Policy"]
    pdf = visitor.get(f"/shared/{token}/report.pdf")
    assert pdf.status_code == 200 and pdf.data[:4] == b"%PDF"
    assert pdf.headers["Cache-Control"] == "no-store" and pdf.headers["Referrer-Policy"] == "no-referrer"
    assert f"{SLUG}-roi-report-{world.job_id}.pdf" in pdf.headers["Content-Disposition"]
    text = " ".join(" ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.data)).pages).split())
    assert TITLE in text
    # nothing else of the app opens with it
    assert visitor.get(f"/reports/{world.job_id}").status_code == 302

    # the job page lists the link without its token
    listing = analyst.get(f"/reports/{world.job_id}").get_data(as_text=True)
    assert "Chief financial officer" in listing and token not in listing
    assert f"Revoke link {share_id}" in listing


@pytest.mark.parametrize("days", ["0", "91", "-3", "thirty", ""])
def test_an_expiry_outside_1_to_90_days_is_refused_at_its_field(world: World, days: str) -> None:
    analyst = staff(world)
    before = rows(world.url, "SELECT count(*) FROM report_shares")[0][0]
    status, page, token = make_link(analyst, world.job_id, days=days)
    assert status == 400 and token == ""
    error = re.search(r'<p class="error" id="days-error">([^<]+)</p>', page)
    assert error and "give a number of days from 1 to 90" in error.group(1), page[:3000]
    assert 'aria-invalid="true"' in page
    assert rows(world.url, "SELECT count(*) FROM report_shares")[0][0] == before


def test_the_longest_expiry_is_90_days(world: World) -> None:
    status, _page, token = make_link(staff(world), world.job_id, days="90")
    assert status == 201
    share = stored_share(world.url, token)
    assert share.expires_at - share.created_at == timedelta(days=90)


def test_a_revoked_link_answers_404_and_the_revocation_is_audited_once(world: World) -> None:
    analyst = staff(world)
    _status, page, token = make_link(analyst, world.job_id, label="board")
    visitor = reader(world, "10.0.1.2")
    assert visitor.get(f"/shared/{token}").status_code == 200
    share_id = rows(world.url, "SELECT id FROM report_shares WHERE token_hash = :h",
                    h=hashlib.sha256(token.encode()).hexdigest())[0][0]
    before = len(audit_rows(world.url, "report_share_revoked"))
    for _ in range(2):  # a double click revokes once
        form = csrf_token(analyst.get(f"/reports/{world.job_id}").get_data(as_text=True))
        done = analyst.post(f"/reports/{world.job_id}/shares/{share_id}/revoke", data={"csrf_token": form})
        assert done.status_code == 303
    events = audit_rows(world.url, "report_share_revoked")
    assert len(events) == before + 1 and json.loads(str(events[-1][2])) == {"share": share_id}
    gone = visitor.get(f"/shared/{token}")
    assert gone.status_code == 404
    assert "may have been revoked" in gone.get_data(as_text=True) and TITLE not in gone.get_data(as_text=True)
    assert gone.headers["Cache-Control"] == "no-store"
    assert visitor.get(f"/shared/{token}/report.pdf").status_code == 404
    assert "revoked" in analyst.get(f"/reports/{world.job_id}").get_data(as_text=True)


def test_revoking_needs_the_form_token_and_a_link_of_that_report(world: World) -> None:
    analyst = staff(world)
    _status, _page, token = make_link(analyst, world.job_id)
    share_id = rows(world.url, "SELECT id FROM report_shares WHERE token_hash = :h",
                    h=hashlib.sha256(token.encode()).hexdigest())[0][0]
    assert analyst.post(f"/reports/{world.job_id}/shares/{share_id}/revoke").status_code == 400  # no CSRF token
    form = csrf_token(analyst.get(f"/reports/{world.job_id}").get_data(as_text=True))
    assert analyst.post(f"/reports/{world.job_id}/shares/999999/revoke", data={"csrf_token": form}).status_code == 404
    assert reader(world, "10.0.1.3").get(f"/shared/{token}").status_code == 200  # still live


def test_an_expired_link_answers_410_with_its_date(world: World) -> None:
    with open_session(world.url, upgrade=False) as session:
        made = utcnow() - timedelta(days=31)
        share, token = sharing.create_share(session, world.job_id, days=30, actor="analyst@example.com", now=made)
        ended = share.expires_at
    visitor = reader(world, "10.0.1.4")
    page = visitor.get(f"/shared/{token}")
    assert page.status_code == 410
    assert f"this link expired on {ended:%Y-%m-%d} (UTC)" in page.get_data(as_text=True)
    assert visitor.get(f"/shared/{token}/report.pdf").status_code == 410


@pytest.mark.parametrize("token", ["A" * 43, "short", "a" * 5000, "%00", "..%2F..%2Fetc", "ü" * 43])
def test_unknown_or_malformed_links_answer_404_with_a_clear_page(world: World, token: str) -> None:
    response = reader(world, "10.0.1.5").get(f"/shared/{token}")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    # a slash in it leaves the route: the app's own 'no page at this address' page answers
    assert "does not lead to a report" in page or ("/" in token.replace("%2F", "/") and "no page at this" in page)
    assert "Traceback" not in page


def test_guessing_is_slowed_per_client(world: World) -> None:
    _status, _page, token = make_link(staff(world), world.job_id)
    guesser = reader(world, "10.0.2.1")
    for number in range(20):  # the default: 20 misses a minute
        assert guesser.get(f"/shared/{'G' * 42}{number % 10}").status_code == 404
    stopped = guesser.get(f"/shared/{token}")  # even a real link, once the client has guessed that much
    assert stopped.status_code == 429 and 1 <= int(stopped.headers["Retry-After"]) <= 60
    assert "too many links that lead nowhere" in stopped.get_data(as_text=True)
    assert reader(world, "10.0.2.2").get(f"/shared/{token}").status_code == 200  # another client is not


def test_only_someone_who_can_see_the_report_makes_a_link(world: World) -> None:
    before = rows(world.url, "SELECT count(*) FROM report_shares")[0][0]
    # a visitor and an agent (cases only) are turned away
    assert world.app.test_client().post(f"/reports/{world.job_id}/shares", data={"days": "30"}).status_code == 401
    agent = staff(world, "agent@example.com")
    assert agent.post(f"/reports/{world.job_id}/shares", data={"days": "30"}).status_code == 403
    # an analyst of another team does not find the report
    with open_session(world.url, upgrade=False) as session:
        if not rows(world.url, "SELECT id FROM teams WHERE name = 'red'"):
            create_team(session, "red")
        create_user(session, f"red{before}@example.com", "analyst", PASSWORD)
        remove_member(session, f"red{before}@example.com", "default")
        add_member(session, f"red{before}@example.com", "red")
    outsider = staff(world, f"red{before}@example.com")
    form = csrf_token(outsider.get("/reports/").get_data(as_text=True))
    refused = outsider.post(f"/reports/{world.job_id}/shares", data={"csrf_token": form, "days": "30"})
    assert refused.status_code == 404 and TITLE not in refused.get_data(as_text=True)
    assert outsider.get(f"/reports/{world.job_id}").status_code == 404
    assert rows(world.url, "SELECT count(*) FROM report_shares")[0][0] == before


def test_an_unfinished_report_cannot_be_shared(world: World) -> None:
    from tests.webapp.support.reports import CONFIG, outcomes_csv

    with open_session(world.url, upgrade=False) as session:
        job = reporting.create_report_job(session, slug=SLUG, outcomes_name="later.csv", content=outcomes_csv(),
                                          config_data=CONFIG, created_by="analyst@example.com")
        job_id = job.id
        with pytest.raises(sharing.NotFinished):
            sharing.create_share(session, job_id, actor="analyst@example.com")
    analyst = staff(world)
    form = csrf_token(analyst.get("/reports/").get_data(as_text=True))
    assert analyst.post(f"/reports/{job_id}/shares", data={"csrf_token": form, "days": "30"}).status_code == 409
    assert not rows(world.url, "SELECT id FROM report_shares WHERE job_id = :j", j=job_id)
    with open_session(world.url, upgrade=False) as session:  # leave no queued job behind for other tests
        session.execute(sa.update(reporting.ReportJob).where(reporting.ReportJob.id == job_id).values(status="failed"))
        session.commit()
