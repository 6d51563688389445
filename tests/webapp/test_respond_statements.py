"""How many SQL statements one public-link respondent costs (issue 15): the four requests of the web bench
(benchmarks/bench_web.py) — GET page 1, POST it, GET page 2, POST the final page — counted with an SQLAlchemy
event listener on the app's engine, once the process has read the survey version (a first visit reads its
definition once per process). The bounds are counts, not times: each statement is a round trip and a pass
through SQLAlchemy, the larger part of a respondent's CPU (benchmarks/profile_respondent.py).

Before issue 15's work the same path sent 15 statements besides BEGIN (11 SELECT, 2 INSERT, 2 UPDATE) in 8
transactions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from tests.webapp.support.web import (
    ANSWERS,
    PAGE_1,
    PAGE_2,
    begins,
    csrf_token,
    example_survey,
    statements_sent,
)
from webapp.services import publish_survey
from webapp.services.invitations import sign_customer_id
from webapp.storage.models import Response

SLUG = "acme_relationship"

MOST = {  # statements besides BEGIN, per request, worked out from what each request must do
    "GET page 1": 1,  # the survey's latest open version (nothing is stored on a first visit)
    "POST page 1": 5,  # the latest version; the customer's wave; INSERT; the new row locked (with who listens to
    # a submit); UPDATE with page 1's answers — the cookie says no response exists yet, so none is looked up
    "GET page 2": 1,  # the response by key, with its version and survey
    "POST final": 3,  # the response by key, locked (with who listens); UPDATE to complete; the tallies' upsert
}


def _one_respondent(app: Flask, record: Callable[[Any, str], str]) -> dict[str, list[str]]:
    """The bench's four requests by one public respondent (after a first visit that makes the process read the
    version's definition), each checked; per request, `record(connection, statement)` of every statement sent,
    in order."""
    from webapp.extensions import get_db

    with app.app_context():
        engine = get_db().get_bind()
    seen: dict[str, list[str]] = {}
    current: list[list[str]] = [[]]

    def after(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        current[0].append(record(conn, statement))

    def step(name: str) -> None:
        current[0] = seen.setdefault(name, [])

    app.test_client().get(f"/p/{SLUG}?channel=email&cid={sign_customer_id('test-secret', SLUG, 'C0')}")
    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        browser = app.test_client()
        step("GET page 1")
        page = browser.get(f"/p/{SLUG}?channel=email&cid={sign_customer_id('test-secret', SLUG, 'C1')}")
        assert page.status_code == 200
        token = csrf_token(page.get_data(as_text=True))
        step("POST page 1")
        reply = browser.post(f"/p/{SLUG}", data=PAGE_1 | {"csrf_token": token})
        assert reply.status_code == 303 and reply.headers["Location"].endswith("?page=1")
        step("GET page 2")
        assert browser.get(reply.headers["Location"]).status_code == 200
        step("POST final")
        reply = browser.post(f"/p/{SLUG}", data=PAGE_2 | {"csrf_token": token})
        assert reply.status_code == 303 and reply.headers["Location"].endswith("/thanks")
    finally:
        sa.event.remove(engine, "after_cursor_execute", after)
    return seen


def _kind(statement: str) -> str:
    return statement.split(None, 1)[0].upper()


def test_a_public_respondent_costs_at_most_ten_statements(app: Flask, db: Session, db_url: str) -> None:
    publish_survey(db, example_survey(customer_id_param="cid"))
    counts = {name: Counter(kinds) for name, kinds in
              _one_respondent(app, lambda _conn, statement: _kind(statement)).items()}

    sent = {name: sum(n for kind, n in kinds.items() if kind != "BEGIN") for name, kinds in counts.items()}
    assert all(sent[name] <= most for name, most in MOST.items()), sent
    assert sum(sent.values()) <= 10, counts
    # Transactions: one per request. A read on each GET; on the first POST one write for the link's check, the
    # new row and page 1; on the final POST one write reading the row by its key and submitting it.
    if db_url.startswith("sqlite"):  # each transaction begins with a BEGIN of ours (webapp.storage.engine)
        assert {name: kinds["BEGIN"] for name, kinds in counts.items()} == dict.fromkeys(MOST, 1), counts
    stored = db.scalars(sa.select(Response).where(Response.customer_id == "C1")).all()
    assert [(r.status, r.channel, r.answers) for r in stored] == [("complete", "email", ANSWERS)]


def test_a_personal_link_saves_each_page_in_one_transaction(app: Flask, db: Session, db_url: str) -> None:
    """A POST on a personal link reads the response, checks the link and saves the page in one transaction (the
    row locked from the first read): no second transaction whose read could see another state."""
    if not db_url.startswith("sqlite"):  # PostgreSQL's BEGIN is implicit: not seen as a statement
        pytest.skip("SQLite only: transactions are counted by their BEGIN")
    from webapp.extensions import get_db
    from webapp.services import create_invitations

    survey = example_survey()
    publish_survey(db, survey)
    [issued] = create_invitations(db, survey.id, ["C1"], "email")
    with app.app_context():
        engine = get_db().get_bind()
    browser = app.test_client()
    url = f"/s/{issued.token}"
    token = csrf_token(browser.get(url).get_data(as_text=True))
    with statements_sent(engine) as sent:
        reply = browser.post(url, data=PAGE_1 | {"csrf_token": token})
        assert reply.status_code == 303 and reply.headers["Location"].endswith("?page=1")
        assert begins(sent) == ["BEGIN IMMEDIATE"], sent
        sent.clear()
        reply = browser.post(url, data=PAGE_2 | {"csrf_token": token})
        assert reply.status_code == 303 and reply.headers["Location"].endswith("/thanks")
        assert begins(sent) == ["BEGIN IMMEDIATE"], sent
    stored = db.scalars(sa.select(Response).where(Response.customer_id == "C1")).all()
    assert [(r.status, r.answers) for r in stored] == [("complete", ANSWERS)]


def test_on_postgresql_a_page_view_reads_without_a_transaction_block(app: Flask, db: Session, db_url: str) -> None:
    """A GET's look-up runs in autocommit on PostgreSQL (`storage.engine.short_read_options`): one round trip,
    not BEGIN, the statement and COMMIT. Seen from the server's side of the connection: after each statement of
    a GET the connection is idle (no transaction block open); a POST's statements run inside one, which its
    write needs (the row locked from the read to the UPDATE)."""
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only: SQLite reads take a deferred BEGIN of ours (tested above)")
    from psycopg.pq import TransactionStatus

    publish_survey(db, example_survey(customer_id_param="cid"))
    states = _one_respondent(app, lambda conn, statement: f"{_kind(statement)} "
                             f"{TransactionStatus(conn.connection.dbapi_connection.info.transaction_status).name}")
    assert states["GET page 1"] == ["SELECT IDLE"], states
    assert states["GET page 2"] == ["SELECT IDLE"], states
    assert states["POST page 1"] and all(seen.endswith(" INTRANS") for seen in states["POST page 1"]), states
    assert states["POST final"] and all(seen.endswith(" INTRANS") for seen in states["POST final"]), states
    stored = db.scalars(sa.select(Response).where(Response.customer_id == "C1")).all()
    assert [(r.status, r.answers) for r in stored] == [("complete", ANSWERS)]
