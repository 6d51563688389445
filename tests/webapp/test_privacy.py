"""Privacy (issue 14) on SQLite and PostgreSQL: erasing one customer leaves none of their rows (every table is
searched for their id and e-mail address), every other row exactly as it was, the tallies equal to a count from
scratch, and one audit event naming them by a keyed hash only; an unknown id changes nothing. The command and
the admin page (with its confirmation step) do the same.

The data is made by hand: five customers answer the example survey through their personal links (the real
submit path, which counts the tallies); the customer to erase, X-42, also has a partial public-link response,
two e-mails, a case with two notes, a coded comment, a webhook delivery, a row in a recurring wave's list and
a row in two report jobs' outcomes files (CSV and Parquet). Every expected count below is counted from that."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.webapp.support.results import PASSWORD, csrf_token, sign_in
from tests.webapp.support.web import ANSWERS, FormReader, example_survey
from webapp.accounts.service import create_user
from webapp.audit.models import AuditEvent
from webapp.privacy.erasure import ErasureError, erase_customer
from webapp.services import create_invitations, mailing, publish_survey
from webapp.services.customer_lists import read_customer_list
from webapp.services.responding import answer_page, start_personal
from webapp.services.tallies import RESPONSES, read_tallies, rebuild_tallies
from webapp.storage.engine import create_engine_for, session_factory
from webapp.storage.models import (
    CaseNote,
    FollowUpCase,
    Invitation,
    MailMessage,
    MailOptOut,
    Response,
    SurveyVersion,
    WaveSchedule,
)
from webapp.storage.reports import ReportJob
from webapp.themes.models import CodebookRecord, ResponseThemes
from webapp.webhooks import service as webhooks

SLUG = "acme_relationship"
SECRET = "test-secret"
X = "X-42"
X_EMAIL = "x42@example.com"
OTHERS = ("c1", "c2", "c3", "c4")


def pages(n: int) -> list[dict[str, Any]]:
    """Respondent n's two pages; q_ces <= 4 (n = 0, 2, 4) shows the comment question."""
    ces = 3 if n % 2 == 0 else 6
    first = {"q_align": {"easy": str(n % 5 + 1), "partner": "3"}, "q_ces": str(ces), "q_channels": ["email"]}
    second: dict[str, Any] = {"q_friction": {"ordering": {"hesitated": "no"}, "billing": {"hesitated": "no"}},
                              "q_nps": str(n + 5), "q_channel": {"email": "4"}}
    if ces <= 4:
        second["q_why"] = f"comment of respondent {n}"
    return [first, second]


def seed(session: Session) -> dict[str, int]:
    """The data of the module docstring; returns ids the tests use."""
    publish_survey(session, example_survey())
    webhooks.subscribe(session, "http://127.0.0.1:9/hook", ["response.completed"], created_by="admin@example.com",
                       allow_private=True)
    customers = [*OTHERS, X]
    links = create_invitations(session, SLUG, customers, "email")
    ids: dict[str, int] = {}
    for n, (customer, link) in enumerate(zip(customers, links, strict=True)):
        response_id = start_personal(session, link.token).id
        for index, raw in enumerate(pages(n)):
            answer_page(session, response_id, index, raw)
        ids[customer] = response_id
    version_id = session.scalar(sa.select(SurveyVersion.id))
    # X's second, public-link response, stopped on page 1 (partial: not in the tallies)
    session.add(Response(version_id=version_id, session_key="k" * 32, customer_id=X, channel="web",
                         status="partial", answers={"q_ces": 2}))
    invitation_of = {r.customer_id: r.invitation_id for r in session.scalars(sa.select(Response))
                     if r.invitation_id is not None}
    for customer, email in ((X, X_EMAIL), ("c1", "c1@example.com")):
        for kind in ("invitation", "reminder"):
            session.add(MailMessage(invitation_id=invitation_of[customer], kind=kind, email=email, name=customer,
                                    link_key="k" * 64, state="sent"))
    session.add(MailOptOut(email=X_EMAIL, survey_slug=SLUG))
    survey_id = session.scalar(sa.select(SurveyVersion.survey_id))
    for customer in (X, "c2"):
        case = FollowUpCase(response_id=ids[customer], survey_id=survey_id, rule_id="low_ces", rule_when="q_ces <= 4",
                            customer_id=customer, owner="agent@example.com")
        session.add(case)
        session.flush()
        session.add_all([CaseNote(case_id=case.id, author="agent@example.com", text=f"called {customer}"),
                         CaseNote(case_id=case.id, kind="status", author="agent@example.com", text="contacted")])
    codebook = CodebookRecord(survey_id=survey_id, version=1, definition="themes: []")
    session.add(codebook)
    session.flush()
    for customer in (X, "c2"):
        session.add(ResponseThemes(response_id=ids[customer], codebook_id=codebook.id, comment_hash="0" * 64,
                                   themes=["refund"], sentiment_status="scored", sentiment=-0.5))
    session.add(WaveSchedule(survey_id=survey_id, every_weeks=4, next_run_at=pd.Timestamp("2030-01-01").to_pydatetime(),
                             customers_csv=f"customer_id,email\nc1,c1@example.com\n{X},{X_EMAIL}\nc3,c3@example.com\n"))
    outcomes = pd.DataFrame({"cust": ["c1", X, "c2"], "churned": ["0", "1", "0"], "revenue": ["10", "20", "30"]})
    parquet = io.BytesIO()
    outcomes.rename(columns={"cust": "customer_id"}).to_parquet(parquet, index=False)
    results = {"data_quality": {"unmatched_respondent_ids_sample": ["c4", X], "responses": 5},
               "warnings": [{"code": "low_match", "message": f"e.g. '{X}' and 'c4' have no outcome row"}]}
    for name, content, columns, extra in (
            ("outcomes.csv", outcomes.to_csv(index=False).encode(), {"customer_id": "cust"}, {"results": results}),
            ("outcomes.parquet", parquet.getvalue(), {}, {"status": "failed", "error": f"row 3: '{X}' is odd"})):
        session.add(ReportJob(survey_slug=SLUG, survey_title="Acme", outcomes_name=name, outcomes_bytes=len(content),
                              outcomes_sha256=hashlib.sha256(content).hexdigest(), outcomes_file=content,
                              config={"columns": columns}, **({"status": "done"} | extra)))
    session.commit()
    return ids


def every_row(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, as stored (sorted, for comparing)."""
    metadata = sa.MetaData()
    metadata.reflect(session.connection())
    return {name: sorted((tuple(row) for row in session.execute(sa.select(table))), key=repr)
            for name, table in metadata.tables.items() if name != "alembic_version"}


def mentions(row: tuple[Any, ...], *needles: str) -> bool:
    text = " ".join(value.decode("utf-8", "replace") if isinstance(value, bytes) else json.dumps(value, default=str)
                    if isinstance(value, (dict, list)) else str(value) for value in row)
    return any(needle in text for needle in needles)


def tallies(session: Session) -> dict[tuple[Any, ...], int]:
    ids = session.scalars(sa.select(SurveyVersion.id)).all()
    return {(t.version_id, t.channel, t.wave_id, t.question_id, t.answer): t.count for t in read_tallies(session, ids)}


def expected_target(customer_id: str) -> str:
    """The audit target worked out here, from the documented construction: HMAC-SHA256 under the key
    HMAC-SHA256(SECRET_KEY, purpose)."""
    key = hmac.new(SECRET.encode(), b"cxroi/audit-erased-customer/v1", hashlib.sha256).digest()
    return "customer:" + hmac.new(key, customer_id.encode(), hashlib.sha256).hexdigest()


EXPECTED_COUNTS = {"responses": 2, "invitations": 1, "mail_messages": 2, "cases": 1, "case_notes": 2,
                   "coded_themes": 1, "webhook_deliveries": 1, "wave_schedule_rows": 1, "report_outcome_rows": 2,
                   "report_mentions": 3, "opt_outs_hashed": 1}
CHANGED_TABLES = {"answer_tallies", "audit_events", "report_jobs", "wave_schedules", "mail_opt_outs"}
"""Tables whose other rows change by design: the tallies lose X's answers, the audit log gains one line, the
outcomes files and the wave list lose X's row, X's opt-out is hashed; each is checked on its own."""


@pytest.fixture
def sessions(db_url: str) -> Any:
    engine = create_engine_for(db_url)
    yield session_factory(engine)
    engine.dispose()


def test_erasing_a_customer_leaves_nothing_of_them_and_everything_else(sessions: Any) -> None:
    with sessions() as session:
        ids = seed(session)
        before = every_row(session)
        counted = tallies(session)
        assert sum(n for key, n in counted.items() if key[3] == RESPONSES) == 5
        assert sum(mentions(row, X) for row in before["webhook_deliveries"]) == 1
        session.commit()

        plan = erase_customer(session, f"  {X} ", secret_key=SECRET, actor="admin@example.com")
        assert plan.counts == EXPECTED_COUNTS

    with sessions() as session:
        after = every_row(session)
        # nothing names X anywhere, their address included
        assert {name: rows for name, rows in after.items() if any(mentions(row, X, X_EMAIL) for row in rows)} == {}
        # the opt-out stays, as the keyed hash worked out here from the documented construction
        key = hmac.new(SECRET.encode(), b"cxroi/opted-out-address/v1", hashlib.sha256).digest()
        hashed = "hmac:" + hmac.new(key, X_EMAIL.encode(), hashlib.sha256).hexdigest()
        assert session.scalars(sa.select(MailOptOut.email)).all() == [hashed]
        # every other row as it was, byte for byte, in the tables an erasure only deletes from
        for name, rows in before.items():
            if name in CHANGED_TABLES:
                continue
            gone = [row for row in rows if row not in after[name]]
            assert after[name] == [row for row in rows if row not in gone], name
            assert all(row not in after[name] for row in gone)
        assert len(before["responses"]) - len(after["responses"]) == 2
        assert len(before["invitations"]) - len(after["invitations"]) == 1
        assert len(before["mail_messages"]) - len(after["mail_messages"]) == 2
        assert [case.customer_id for case in session.scalars(sa.select(FollowUpCase))] == ["c2"]
        assert [note.text for note in session.scalars(sa.select(CaseNote).order_by(CaseNote.id))] == [
            "called c2", "contacted"]
        assert session.scalars(sa.select(ResponseThemes.response_id)).all() == [ids["c2"]]
        assert len(after["webhook_deliveries"]) == len(before["webhook_deliveries"]) - 1 == 4

        # the wave list and the outcomes files keep every other row
        assert session.scalar(sa.select(WaveSchedule.customers_csv)) == (
            "customer_id,email\nc1,c1@example.com\nc3,c3@example.com\n")
        jobs = session.scalars(sa.select(ReportJob).order_by(ReportJob.id)).all()
        assert jobs[0].outcomes_file == b"cust,churned,revenue\nc1,0,10\nc2,0,30\n"
        assert jobs[0].outcomes_sha256 == hashlib.sha256(jobs[0].outcomes_file).hexdigest()
        assert jobs[0].outcomes_bytes == len(jobs[0].outcomes_file)
        assert pd.read_parquet(io.BytesIO(jobs[1].outcomes_file)).to_dict("list") == {
            "customer_id": ["c1", "c2"], "churned": ["0", "0"], "revenue": ["10", "30"]}
        # the reports' results keep their numbers and lose the id: from the sample, a message, an error
        assert jobs[0].results == {
            "data_quality": {"unmatched_respondent_ids_sample": ["c4"], "responses": 5},
            "warnings": [{"code": "low_match", "message": "e.g. '[erased]' and 'c4' have no outcome row"}]}
        assert jobs[1].error == "row 3: '[erased]' is odd"

        # the tallies: one complete response fewer, and equal to a count from scratch
        kept = tallies(session)
        assert sum(n for key, n in kept.items() if key[3] == RESPONSES) == 4
        assert all(n > 0 for n in kept.values())
        session.commit()
        assert rebuild_tallies(session.connection()) == 4
        assert tallies(session) == kept
        session.rollback()

        # one audit line: the keyed hash and the counts, no id
        events = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "customer_erased")).all()
        assert [(e.actor, e.target, json.loads(e.detail)) for e in events] == [
            ("admin@example.com", expected_target(X), EXPECTED_COUNTS)]
        assert not mentions((events[0].target, events[0].detail), X, X_EMAIL)

        # the hashed opt-out still works: a new list holding the address (any case) does not mail it
        assert mailing.is_opted_out(session, " X42@example.COM", SECRET)
        assert not mailing.is_opted_out(session, X_EMAIL, "another deployment")
        queued = mailing.queue_invitations(session, SLUG, read_customer_list(
            b"customer_id,email\nX-43,X42@Example.com\nc9,c9@example.com\n"), "email", SECRET)
        assert (queued.opted_out, len(queued.message_ids)) == (["X-43"], 1)


def test_an_unknown_customer_changes_nothing(sessions: Any) -> None:
    with sessions() as session:
        seed(session)
        before = every_row(session)
        session.commit()
        for unknown in ("nobody", "x-42", "   "):  # ids are compared exactly: x-42 is not X-42
            with pytest.raises(ErasureError, match="customer id"):
                erase_customer(session, unknown, secret_key=SECRET, actor="admin@example.com")
        assert every_row(session) == before


@pytest.fixture
def cli_env(db_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`cxroi` run in this process over the test database, with the tests' secret key."""
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    monkeypatch.setenv("CXROI_SECRET_KEY", SECRET)
    monkeypatch.setenv("CXROI_INSTANCE_PATH", str(tmp_path / "instance"))


def run(*args: str) -> int:
    """`cxroi ARGS` in this process; its exit code."""
    from webapp.cli import main

    try:
        main([*args])
    except SystemExit as done:
        return int(done.code or 0)
    return 0


def test_the_command_erases_and_refuses_an_unknown_id(sessions: Any, cli_env: None, tmp_path: Any,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    with sessions() as session:
        seed(session)
    assert run("responses", "export", SLUG, "-o", str(tmp_path / "p.csv"), "--pseudonymise") == 0
    exported = pd.read_csv(tmp_path / "p.csv", dtype=str)["customer_id"]
    assert sorted(exported) == sorted(expected_pseudonym(SECRET, c) for c in (*OTHERS, X, X))
    capsys.readouterr()
    assert run("customers", "erase", "nobody") == 1
    assert "no response, invitation, case or stored outcome row has this id" in capsys.readouterr().err
    assert run("customers", "erase", X, "--dry-run") == 0
    assert capsys.readouterr().out.startswith("would erase: 2 responses, 1 invitations, 2 mail messages, 1 cases")
    with sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).where(Response.customer_id == X)) == 2
    assert run("customers", "erase", X) == 0
    assert "erased: 2 responses" in capsys.readouterr().out
    with sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).where(Response.customer_id == X)) == 0
        assert session.scalar(sa.select(AuditEvent.target).where(AuditEvent.action == "customer_erased")) == \
            expected_target(X)


def test_the_admin_page_shows_what_goes_then_erases(sessions: Any, app: Any, client: Any) -> None:
    with sessions() as session:
        seed(session)
        for role in ("analyst", "admin"):
            create_user(session, f"{role}@example.com", role, PASSWORD)
    analyst = app.test_client()
    sign_in(analyst, "analyst@example.com")
    assert analyst.get("/admin/privacy/").status_code == 403
    sign_in(client, "admin@example.com")
    page = client.get("/admin/privacy/")
    assert page.status_code == 200
    token = csrf_token(page.get_data(as_text=True))
    assert client.post("/admin/privacy/", data={"customer_id": X}).status_code == 400  # no CSRF token
    unknown = client.post("/admin/privacy/", data={"customer_id": "nobody", "csrf_token": token})
    assert unknown.status_code == 404 and "nothing was changed" in unknown.get_data(as_text=True)
    for html in (page.get_data(as_text=True), unknown.get_data(as_text=True)):  # labelled, unique ids, no script
        reader = FormReader(html)
        assert reader.unlabelled() == [] and "<script" not in html.lower()
        assert [i for i, n in Counter(re.findall(r'\bid="([^"]+)"', html)).items() if n > 1] == []
    assert "<title>Error: " in unknown.get_data(as_text=True) and 'role="alert"' in unknown.get_data(as_text=True)

    preview = client.post("/admin/privacy/", data={"customer_id": X, "csrf_token": token})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    for kind, count in EXPECTED_COUNTS.items():
        assert f"<td>{kind.replace('_', ' ')}</td><td>{count}</td>" in html
    with sessions() as session:  # the preview changed nothing
        assert session.scalar(sa.select(sa.func.count()).where(Response.customer_id == X)) == 2
    done = client.post("/admin/privacy/erase", data={"customer_id": X, "csrf_token": csrf_token(html)})
    assert done.status_code == 302
    assert "Erased: 2 responses" in client.get(done.headers["Location"]).get_data(as_text=True)
    with sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).where(Response.customer_id == X)) == 0
        assert session.scalar(sa.select(AuditEvent.actor).where(AuditEvent.action == "customer_erased")) == \
            "admin@example.com"
    again = client.post("/admin/privacy/erase", data={"customer_id": X, "csrf_token": csrf_token(html)})
    assert again.status_code == 404


def expected_pseudonym(secret: str, customer_id: str) -> str:
    """Worked out here from the documented construction: `p` + the first 32 hex digits of HMAC-SHA256 under
    the key HMAC-SHA256(SECRET_KEY, "cxroi/export-pseudonym/v1")."""
    key = hmac.new(secret.encode(), b"cxroi/export-pseudonym/v1", hashlib.sha256).digest()
    return "p" + hmac.new(key, customer_id.encode(), hashlib.sha256).hexdigest()[:32]


def test_pseudonymised_exports_hold_no_raw_id_and_stable_pseudonyms(sessions: Any, app: Any, client: Any,
                                                                     tmp_path: Any) -> None:
    from webapp.privacy.keys import pseudonymiser
    from webapp.services.export import export_responses

    with sessions() as session:
        seed(session)
        create_user(session, "analyst@example.com", "analyst", PASSWORD)
        for name in ("a.csv", "b.parquet"):
            export_responses(session, SLUG, tmp_path / name, pseudonym=pseudonymiser(SECRET))
        export_responses(session, SLUG, tmp_path / "other.csv", pseudonym=pseudonymiser("another deployment"))
        export_responses(session, SLUG, tmp_path / "plain.csv")
    plain = pd.read_csv(tmp_path / "plain.csv", dtype=str)
    first = pd.read_csv(tmp_path / "a.csv", dtype=str)
    assert sorted(plain["customer_id"]) == sorted([*OTHERS, X, X])
    assert list(first["customer_id"]) == [expected_pseudonym(SECRET, c) for c in plain["customer_id"]]
    assert first["customer_id"].nunique() == 5  # X's two responses share one pseudonym; others differ
    assert list(pd.read_parquet(tmp_path / "b.parquet")["customer_id"]) == list(first["customer_id"])
    other = pd.read_csv(tmp_path / "other.csv", dtype=str)["customer_id"]
    assert not set(other) & set(first["customer_id"])  # another secret, other pseudonyms
    assert first.drop(columns="customer_id").equals(plain.drop(columns="customer_id"))  # nothing else changes
    for name in ("a.csv", "b.parquet", "other.csv"):
        content = (tmp_path / name).read_bytes()
        assert X.encode() not in content  # (c1 … c4 are short enough to occur inside a hex digest)

    sign_in(client, "analyst@example.com")
    page = client.get(f"/results/{SLUG}").get_data(as_text=True)
    assert 'name="pseudonymise"' in page
    web = client.get(f"/results/{SLUG}/responses.csv?pseudonymise=1")
    assert web.status_code == 200 and "pseudonymised" in web.headers["Content-Disposition"]
    body = web.get_data(as_text=True)
    assert list(pd.read_csv(io.StringIO(body), dtype=str)["customer_id"]) == list(first["customer_id"])
    assert X not in body
    with sessions() as session:
        details = [json.loads(e.detail) for e in session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "responses_exported"))]
    assert details == [{"format": "csv", "pseudonymised": True}]


# --- retention ------------------------------------------------------------------------------------------------

NOW = datetime(2026, 12, 3, 12, 0)
STARTED = {  # customer: started_at; with 6 months the cutoff is 2026-06-03 12:00 (worked out by hand)
    "r-old": datetime(2026, 1, 10, 9, 0), "r-just-old": datetime(2026, 6, 3, 11, 59),
    "r-at-cutoff": datetime(2026, 6, 3, 12, 0), "r-new": datetime(2026, 11, 1, 8, 0)}


def test_months_before_counts_calendar_months() -> None:
    from webapp.privacy.retention import months_before

    assert months_before(NOW, 6) == datetime(2026, 6, 3, 12, 0)
    assert months_before(datetime(2026, 3, 31, 7, 30), 1) == datetime(2026, 2, 28, 7, 30)
    assert months_before(datetime(2026, 1, 15), 13) == datetime(2024, 12, 15)
    assert months_before(datetime(2028, 3, 31), 1) == datetime(2028, 2, 29)


def seed_retention(session: Session) -> dict[str, int]:
    """Four complete responses of the example survey started at `STARTED`, each with a comment and a friction
    'what' (ANSWERS), through personal links with an e-mail each; the oldest has a case and a coded comment;
    and one old response of another survey, which has no retention."""
    publish_survey(session, example_survey())
    publish_survey(session, example_survey(id="other_survey"))
    links = create_invitations(session, SLUG, list(STARTED), "email")
    invitations = {r.customer_id: r.id for r in session.scalars(sa.select(Invitation))}
    version_id = session.scalar(sa.select(SurveyVersion.id).order_by(SurveyVersion.id))
    ids = {}
    for customer, started in STARTED.items():
        response = Response(version_id=version_id, invitation_id=invitations[customer], customer_id=customer,
                            channel="email", status="complete", answers=ANSWERS, started_at=started,
                            updated_at=started, submitted_at=started)
        session.add(response)
        session.flush()
        ids[customer] = response.id
        session.add(MailMessage(invitation_id=invitations[customer], email=f"{customer}@example.com",
                                link_key="k" * 64, state="sent"))
    other = session.scalar(sa.select(SurveyVersion.id).order_by(SurveyVersion.id.desc()))
    session.add(Response(version_id=other, customer_id="o-1", status="complete", answers=ANSWERS,
                         started_at=datetime(2020, 1, 1), submitted_at=datetime(2020, 1, 1)))
    survey_id = session.scalar(sa.select(SurveyVersion.survey_id).where(SurveyVersion.id == version_id))
    case = FollowUpCase(response_id=ids["r-old"], survey_id=survey_id, rule_id="low_ces", rule_when="q_ces <= 4",
                        customer_id="r-old")
    session.add(case)
    session.flush()
    session.add(CaseNote(case_id=case.id, text="called r-old"))
    codebook = CodebookRecord(survey_id=survey_id, version=1, definition="themes: []")
    session.add(codebook)
    session.flush()
    session.add(ResponseThemes(response_id=ids["r-old"], codebook_id=codebook.id, comment_hash="0" * 64,
                               themes=[], sentiment_status="blank"))
    session.commit()
    assert len(links) == 4
    return ids


def recounted(session: Session) -> dict[tuple[Any, ...], int]:
    """The tallies as stored, checked equal to a count from scratch."""
    kept = tallies(session)
    session.commit()
    rebuild_tallies(session.connection())
    assert tallies(session) == kept
    session.rollback()
    return kept


def test_retention_deletes_exactly_the_responses_older_than_the_cutoff(sessions: Any) -> None:
    from webapp.privacy.retention import apply_retention, set_retention

    with sessions() as session:
        ids = seed_retention(session)
        set_retention(session, SLUG, 6, "delete", actor="author@example.com")
        done = apply_retention(session, now=NOW, batch=1)  # one response per batch: the loop is exercised
        assert done == {SLUG: {"action": "delete", "before": "2026-06-03T12:00:00Z", "responses": 2}}
    with sessions() as session:
        assert sorted(session.scalars(sa.select(Response.customer_id))) == ["o-1", "r-at-cutoff", "r-new"]
        assert sorted(session.scalars(sa.select(Invitation.customer_id))) == ["r-at-cutoff", "r-new"]
        assert sorted(session.scalars(sa.select(MailMessage.email))) == ["r-at-cutoff@example.com",
                                                                         "r-new@example.com"]
        assert session.scalars(sa.select(FollowUpCase)).all() == []
        assert session.scalars(sa.select(CaseNote)).all() == [] == session.scalars(sa.select(ResponseThemes)).all()
        kept = recounted(session)
        assert sum(n for key, n in kept.items() if key[3] == RESPONSES) == 3  # r-at-cutoff, r-new, o-1
        events = [(e.action, e.actor, json.loads(e.detail)) for e in session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action.in_(("retention_set", "retention_applied")))
            .order_by(AuditEvent.id))]
        assert events == [("retention_set", "author@example.com", {"months": 6, "action": "delete"}),
                          ("retention_applied", "queue", {"surveys": done})]
        assert ids["r-at-cutoff"] in session.scalars(sa.select(Response.id)).all()


def test_retention_anonymises_old_responses_once(sessions: Any) -> None:
    from webapp.privacy.retention import apply_retention, set_retention

    with sessions() as session:
        ids = seed_retention(session)
        before = tallies(session)
        set_retention(session, SLUG, 6, "anonymise", actor="cli")
        assert apply_retention(session, now=NOW, batch=1)[SLUG]["responses"] == 2
    stripped = {key: value for key, value in ANSWERS.items() if key != "q_why"}  # the comment goes
    stripped["q_friction"] = {"ordering": {"hesitated": True}, "billing": {"hesitated": False}}  # and the 'what'
    with sessions() as session:
        rows = {r.id: r for r in session.scalars(sa.select(Response))}
        for name in ("r-old", "r-just-old"):
            row = rows[ids[name]]
            assert (row.customer_id, row.invitation_id, row.session_key, row.answers) == (None, None, None, stripped)
            assert (row.status, row.channel, row.started_at) == ("complete", "email", STARTED[name])
        for name in ("r-at-cutoff", "r-new"):
            assert (rows[ids[name]].customer_id, rows[ids[name]].answers) == (name, ANSWERS)
        assert sorted(session.scalars(sa.select(Invitation.customer_id))) == ["r-at-cutoff", "r-new"]
        assert session.scalars(sa.select(FollowUpCase)).all() == []
        kept = recounted(session)
        # only the comment counts change: two comments fewer, every scored answer still counted
        changed = {key: (before.get(key, 0), kept.get(key, 0)) for key in before.keys() | kept.keys()
                   if before.get(key, 0) != kept.get(key, 0)}
        assert {key[3:]: counts for key, counts in changed.items()} == {
            (":comment", "q_friction.ordering.what"): (4, 2), (":comment", "q_why"): (4, 2)}
        # the next day's run starts where this one stopped: nothing more to do until a response ages
        assert apply_retention(session, now=NOW)[SLUG]["responses"] == 0
        assert apply_retention(session, now=NOW + timedelta(hours=12))[SLUG][
            "responses"] == 1  # cutoff 2026-06-04 00:00: r-at-cutoff (started 2026-06-03 12:00) has aged, r-new not
        assert session.scalar(sa.select(Response.customer_id).where(Response.id == ids["r-at-cutoff"])) is None


def test_the_daily_task_applies_the_setting_and_the_command_sets_it(sessions: Any, db_url: str, cli_env: None,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from webapp import queue
    from webapp.privacy.tasks import apply_retention_daily

    with sessions() as session:
        seed_retention(session)
    assert run("survey", "retention", SLUG, "--months", "5000") == 2
    assert run("survey", "retention", "no_such_survey", "--months", "3") == 2
    assert run("survey", "retention", SLUG, "--months", "1", "--action", "delete") == 0
    out = capsys.readouterr()
    assert "from 1 to 1200" in out.err and "no_such_survey" in out.err
    assert f"{SLUG}: responses started more than 1 months ago are deleted daily" in out.out
    assert "webapp.privacy.tasks" in queue.TASK_MODULES
    queue.configure(database_url=db_url)
    try:
        apply_retention_daily.call_local()  # today: every seeded response is more than a month old
    finally:
        queue.configure()
    with sessions() as session:
        assert session.scalars(sa.select(Response.customer_id)).all() == ["o-1"]
        assert session.scalar(sa.select(AuditEvent.actor).where(AuditEvent.action == "retention_applied")) == "queue"


def test_authors_set_the_retention_on_the_links_page(sessions: Any, app: Any, client: Any) -> None:
    from webapp.privacy.retention import retention_of

    with sessions() as session:
        publish_survey(session, example_survey())
        for role in ("analyst", "author"):
            create_user(session, f"{role}@example.com", role, PASSWORD)
    analyst = app.test_client()
    sign_in(analyst, "analyst@example.com")
    sign_in(client, "author@example.com")
    page = client.get(f"/author/{SLUG}/links").get_data(as_text=True)
    assert "Responses are\n    kept until you set a retention." in page
    token = csrf_token(page)
    assert analyst.post(f"/author/{SLUG}/retention", data={"months": "6"}).status_code in (400, 403)
    assert client.post(f"/author/{SLUG}/retention", data={"months": "6"}).status_code == 400  # no CSRF token
    for months, action in (("-1", "delete"), ("1201", "delete"), ("six", "delete"), ("6", "shred")):
        bad = client.post(f"/author/{SLUG}/retention", data={"months": months, "action": action, "csrf_token": token})
        assert bad.status_code == 400 and ("Keep responses for" in bad.get_data(as_text=True)
                                           or "Then: choose delete or anonymise" in bad.get_data(as_text=True))
    with sessions() as session:
        assert retention_of(session, SLUG).months is None
    done = client.post(f"/author/{SLUG}/retention", data={"months": "18", "action": "anonymise", "csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/author/{SLUG}/links")
    assert "started more than <strong>18 months</strong> ago are\n    <strong>anonymised</strong>" in client.get(
        f"/author/{SLUG}/links").get_data(as_text=True)
    with sessions() as session:
        assert retention_of(session, SLUG) == type(retention_of(session, SLUG))(18, "anonymise")
        event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "retention_set"))
        assert (event.actor, event.target, json.loads(event.detail)) == (
            "author@example.com", SLUG, {"months": 18, "action": "anonymise"})
    assert client.post("/author/no_such_survey/retention", data={"months": "3", "csrf_token": token}
                       ).status_code == 404
