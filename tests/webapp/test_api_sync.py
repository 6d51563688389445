"""Incremental sync of responses through the API (review finding: `since` relied on the client's clock). On
SQLite and PostgreSQL: the first page of a run carries `next_since`, the server's time of the query minus the
overlap; later pages carry null; a response written before a run's query but committed after it (emulated by
its `updated_at`) is in the next run that starts from `next_since` — and would be lost by a client that kept its
own start time; repeats are dropped by id as docs/api.md tells."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.support.web import answer_all, example_survey
from webapp.api.keys import create_key
from webapp.services.invitations import create_invitations
from webapp.services.publishing import publish_survey
from webapp.storage.engine import open_session
from webapp.storage.models import Response, utcnow


def _get(client: FlaskClient, token: str, query: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/responses?{query}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    body: dict[str, Any] = answer.get_json()
    return body


def _run(client: FlaskClient, token: str, since: str | None) -> tuple[list[dict[str, Any]], str]:
    """One sync run as docs/api.md describes it: every page, and the first page's next_since."""
    base = "survey=acme_relationship&limit=2" + (f"&since={since}" if since else "")
    first = _get(client, token, base)
    rows, cursor, later_marks = list(first["data"]), first["next_cursor"], []
    while cursor is not None:
        page = _get(client, token, f"{base}&cursor={cursor}")
        rows += page["data"]
        later_marks.append(page["next_since"])
        cursor = page["next_cursor"]
    assert later_marks == [None] * len(later_marks)  # only the first page sets the watermark
    return rows, first["next_since"]


def _moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.removesuffix("Z"))


def test_next_run_from_the_watermark_sees_a_late_commit_and_repeats_are_dropped_by_id(
        app: Flask, db_url: str) -> None:
    with open_session(db_url) as session:
        publish_survey(session, example_survey())
        links = create_invitations(session, "acme_relationship", ["C1", "C2", "C3", "C4"], "email")
        token = create_key(session, "CRM sync", "read", actor="admin@example.com")[1]
    for link in links[:3]:
        answer_all(app.test_client(), f"/s/{link.token}")
    client = app.test_client()

    before = utcnow()
    first_rows, mark = _run(client, token, None)
    after = utcnow()
    assert sorted(row["customer_id"] for row in first_rows) == ["C1", "C2", "C3"]  # two pages of 2 and 1
    watermark = _moment(mark)
    # the server's time of the query (between before and after, to the second) less five minutes
    assert before.replace(microsecond=0) - timedelta(minutes=5) <= watermark <= after - timedelta(minutes=5)

    # C4's write began a minute after the watermark, i.e. four minutes before the run, and committed only now
    answer_all(app.test_client(), f"/s/{links[3].token}")
    with open_session(db_url) as session:
        session.execute(sa.update(Response).where(Response.customer_id == "C4")
                        .values(updated_at=watermark + timedelta(minutes=1)))
        session.commit()

    second_rows, _ = _run(client, token, mark)
    assert "C4" in {row["customer_id"] for row in second_rows}
    # the overlap brings back what the first run had (answered just now); one row per id remains
    kept = {row["id"]: row for row in first_rows + second_rows}
    assert sorted(row["customer_id"] for row in kept.values()) == ["C1", "C2", "C3", "C4"]
    assert len(first_rows) + len(second_rows) > len(kept)

    # a client that kept its own start time instead would never see C4
    naive, _ = _run(client, token, before.isoformat(timespec="seconds") + "Z")
    assert "C4" not in {row["customer_id"] for row in naive}


def test_the_watermark_is_in_the_contract(app: Flask) -> None:
    page = app.test_client().get("/api/v1/openapi.json").get_json()["components"]["schemas"]["ResponsePage"]
    assert "next_since" in page["required"] and page["properties"]["next_since"]["format"] == "date-time"
