"""The REST API on SQLite and PostgreSQL: keys (hashed, scoped, revocable, last use), every route closed without
one, problem details, surveys in and out, invitations whose links work, cursor pagination that yields every
response once, a per-key rate limit, analyses run through the queue, cases, the audit trail, the admins' keys
page and `cxroi api-key`."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveys.definition import to_data
from tests.webapp.support.author import page_token, signed_in
from tests.webapp.support.cli import run
from tests.webapp.support.results import RESPONDENTS, add_staff, seed_survey
from tests.webapp.support.web import answer_all, example_survey
from tests.webapp.support.webhooks import Receiver, verify
from webapp import queue
from webapp.api.keys import ApiKey, create_key, revoke_key
from webapp.app import create_app
from webapp.audit.models import AuditEvent
from webapp.queue import drain
from webapp.storage.engine import open_session
from webapp.webhooks.service import subscribe


def _key(db: Session, scope: str = "write", name: str = "CRM sync") -> str:
    return create_key(db, name, scope, actor="admin@example.com")[1]


def _call(client: FlaskClient, method: str, path: str, token: str | None, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)


def _count(db: Session, table: str) -> int:
    """Rows in `table`, read in a transaction of its own (SQLite's writer lock is not kept)."""
    found = int(db.scalar(sa.select(sa.func.count()).select_from(sa.table(table))) or 0)
    db.rollback()
    return found


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:600]
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


@pytest.fixture
def write_key(db: Session) -> str:
    return _key(db)


def _published(client: FlaskClient, token: str, slug: str = "acme_relationship") -> dict[str, Any]:
    definition = to_data(example_survey())
    assert definition["id"] == slug
    response = _call(client, "POST", f"/surveys/{slug}/versions", token, json=definition)
    assert response.status_code == 201, response.get_data(as_text=True)[:800]
    assert response.headers["Location"] == f"/api/v1/surveys/{slug}/versions/1"
    return definition


def test_every_route_needs_a_live_key_with_the_right_scope(app: Flask, db: Session) -> None:
    client = app.test_client()
    routes = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
              and rule.endpoint not in ("api.openapi", "api.unknown")]
    assert len(routes) >= 12  # the enumeration sees the API
    for rule in routes:
        path = rule.build({name: ("acme" if name == "slug" else 1) for name in rule.arguments})[1] \
            .removeprefix("/api/v1")
        for method in sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"}):
            refused = _call(client, method, path, None)
            body = _problem(refused, 401)
            assert refused.headers["WWW-Authenticate"].startswith("Bearer"), rule.rule
            assert body["instance"] == f"/api/v1{path}"
    read = _key(db, "read")
    revoked_token = _key(db, "write", "old CRM")
    revoke_key(db, db.scalars(sa.select(ApiKey).where(ApiKey.name == "old CRM")).one().id, actor="admin@example.com")
    assert _call(client, "GET", "/surveys", read).status_code == 200
    _problem(_call(client, "POST", "/surveys/acme/close", read), 403)  # read scope: no changes
    _problem(_call(client, "GET", "/surveys", revoked_token), 401)
    _problem(_call(client, "GET", "/surveys", read[:-1] + ("A" if read[-1] != "A" else "B")), 401)
    _problem(_call(client, "GET", "/surveys", "not-a-key"), 401)
    # the session cookie of a signed-in admin is no key
    admin = signed_in(app, app.config["DATABASE_URL"], "admin")
    _problem(admin.get("/api/v1/surveys"), 401)


def test_keys_are_stored_hashed_and_their_use_is_recorded(app: Flask, db: Session) -> None:
    key, token = create_key(db, "BI export", "read", actor="admin@example.com")
    assert token.startswith(f"cxroi_{key.prefix}_") and token not in key.secret_hash and len(key.secret_hash) == 64
    assert key.last_used_at is None
    assert _call(app.test_client(), "GET", "/surveys", token).status_code == 200
    db.expire_all()
    assert db.get(ApiKey, key.id).last_used_at is not None  # type: ignore[union-attr]


def test_a_survey_goes_in_and_comes_back_out(app: Flask, db: Session, write_key: str) -> None:
    client = app.test_client()
    definition = _published(client, write_key)
    listed = _call(client, "GET", "/surveys", write_key).get_json()
    assert [(s["id"], s["status"], s["versions"]) for s in listed["data"]] == [("acme_relationship", "live", 1)]
    version = _call(client, "GET", "/surveys/acme_relationship/versions/1", write_key).get_json()
    assert version["definition"] == definition
    closed = _call(client, "POST", "/surveys/acme_relationship/close", write_key).get_json()
    assert closed["status"] == "closed" and closed["closed_at"]
    assert _call(client, "POST", "/surveys/acme_relationship/reopen", write_key).get_json()["status"] == "live"
    _problem(_call(client, "GET", "/surveys/acme_relationship/versions/2", write_key), 404)
    _problem(_call(client, "GET", "/surveys/nope", write_key), 404)
    actions = [(e.actor.split(":")[0], e.action, e.target) for e in db.scalars(
        sa.select(AuditEvent).where(AuditEvent.actor.like("api-key:%")).order_by(AuditEvent.id))]
    assert actions == [("api-key", "survey_published", "acme_relationship"),
                       ("api-key", "survey_closed", "acme_relationship"),
                       ("api-key", "survey_reopened", "acme_relationship")]


def test_an_invalid_definition_is_a_422_naming_each_path_and_stores_nothing(app: Flask, db: Session,
                                                                            write_key: str) -> None:
    client = app.test_client()
    definition = to_data(example_survey())
    definition["sections"][0]["questions"][0]["type"] = "stars"
    body = _problem(_call(client, "POST", "/surveys/acme_relationship/versions", write_key, json=definition), 422)
    assert body["type"].endswith("/invalid-definition")
    assert body["errors"][0]["path"] == "sections[0].questions[0]" and "stars" in body["errors"][0]["detail"]
    other = to_data(example_survey())
    body = _problem(_call(client, "POST", "/surveys/somewhere_else/versions", write_key, json=other), 422)
    assert body["errors"] == [{"pointer": "/id", "detail": "must be 'somewhere_else'"}]
    _problem(_call(client, "POST", "/surveys/acme_relationship/versions", write_key, data="{not json",
                   content_type="application/json"), 400)
    _problem(_call(client, "POST", "/surveys/acme_relationship/versions", write_key, data="id: x",
                   content_type="text/yaml"), 415)
    assert _count(db, "survey_versions") == 0


def test_invitations_make_working_links_and_bad_customers_are_named(app: Flask, db: Session,
                                                                    write_key: str) -> None:
    client = app.test_client()
    _published(client, write_key)
    bad = {"channel": "email", "customers": [{"customer_id": "C1", "email": "c1@example.com"},
                                             {"customer_id": "C2", "email": "not an address"},
                                             {"customer_id": "C1"}]}
    body = _problem(_call(client, "POST", "/surveys/acme_relationship/invitations", write_key, json=bad), 422)
    assert [item["pointer"] for item in body["errors"]] == ["/customers/1", "/customers/2"]
    assert "duplicate customer id 'C1'" in body["errors"][1]["detail"]
    body = _problem(_call(client, "POST", "/surveys/acme_relationship/invitations", write_key,
                          json={"customers": [], "colour": "red"}), 422)
    assert {item["pointer"] for item in body["errors"]} == {"/customers", "/colour"}
    assert _count(db, "invitations") == 0

    made = _call(client, "POST", "/surveys/acme_relationship/invitations", write_key,
                 json={"channel": "email", "customers": [{"customer_id": f"C{n}"} for n in range(3)]})
    assert made.status_code == 201
    links = made.get_json()["links"]
    assert [link["customer_id"] for link in links] == ["C0", "C1", "C2"] and made.get_json()["sent"] is False
    path = "/" + links[0]["url"].split("/", 3)[3]
    assert path.startswith("/s/") and app.test_client().get(path).status_code == 200


def test_responses_come_a_page_at_a_time_each_exactly_once(app: Flask, db: Session, write_key: str) -> None:
    client = app.test_client()
    _published(client, write_key)
    made = _call(client, "POST", "/surveys/acme_relationship/invitations", write_key,
                 json={"channel": "email", "customers": [{"customer_id": f"C{n}"} for n in range(5)]}).get_json()
    for link in made["links"][:4]:
        assert answer_all(app.test_client(), "/" + link["url"].split("/", 3)[3]).status_code == 303
    app.test_client().get("/" + made["links"][4]["url"].split("/", 3)[3])  # opened, not answered: a partial one
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = "?survey=acme_relationship&limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = _call(client, "GET", f"/responses{query}", write_key).get_json()
        seen += [row["id"] for row in page["data"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 2 and len(seen) == 5 and seen == sorted(set(seen))
    one = _call(client, "GET", f"/responses/{seen[0]}", write_key).get_json()
    assert one["status"] == "complete" and one["customer_id"] == "C0" and one["answers"]["q_nps"] == 8
    assert one["survey"] == "acme_relationship" and one["version"] == 1 and one["submitted_at"].endswith("Z")
    later = _call(client, "GET", "/responses?since=2999-01-01T00:00:00Z", write_key).get_json()
    assert later["data"] == [] and later["next_cursor"] is None
    partial = _call(client, "GET", "/responses?status=partial", write_key).get_json()
    assert [(row["customer_id"], row["submitted_at"]) for row in partial["data"]] == [("C4", None)]
    _problem(_call(client, "GET", "/responses?cursor=r12", write_key), 400)
    _problem(_call(client, "GET", "/responses?limit=0", write_key), 400)
    _problem(_call(client, "GET", "/responses?since=yesterday", write_key), 400)
    _problem(_call(client, "GET", "/responses?status=lost", write_key), 400)
    _problem(_call(client, "GET", "/responses/999999", write_key), 404)
    _problem(_call(client, "GET", "/responses/99999999999999999999", write_key), 404)  # beyond any id
    for query in ("limit=%C2%B2", "version=%C2%B2"):  # '²' is a digit to str.isdigit, not to int()
        _problem(_call(client, "GET", f"/responses?{query}", write_key), 400)


def test_each_key_has_its_own_rate_limit(db_url: str, tmp_path: Path, db: Session) -> None:
    app = create_app({"DATABASE_URL": db_url, "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                      "SECRET_KEY": "test-secret", "API_RATE_PER_MINUTE": 3})
    client = app.test_client()
    first, second = _key(db, "read", "one"), _key(db, "read", "two")
    assert [_call(client, "GET", "/surveys", first).status_code for _ in range(3)] == [200, 200, 200]
    refused = _call(client, "GET", "/surveys", first)
    body = _problem(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60 and body["retry_after"] == int(refused.headers["Retry-After"])
    assert _call(client, "GET", "/surveys", second).status_code == 200  # another key is not slowed


def test_unknown_addresses_are_problems_too(app: Flask, write_key: str) -> None:
    body = _problem(_call(app.test_client(), "DELETE", "/surveys/acme", write_key), 404)
    assert "openapi.json" in body["detail"]
    spec = app.test_client().get("/api/v1/openapi.json")
    assert spec.status_code == 200 and spec.get_json()["openapi"] == "3.1.0"


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    url = f"sqlite:///{tmp_path / 'cxroi.sqlite3'}"
    queue_url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                      "SECRET_KEY": "test-secret", "QUEUE_URL": queue_url, "QUEUE_NAME": "api-test"})
    add_staff(url)
    seed_survey(app, url)
    queue.configure(queue_url=queue_url, queue_name="api-test", database_url=url)  # the worker's side
    try:
        yield app, url
    finally:
        queue.configure()


def test_an_analysis_is_started_followed_and_downloaded(seeded: tuple[Flask, str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    app, url = seeded
    monkeypatch.setenv("CXROI_WEBHOOK_ALLOW_PRIVATE", "1")
    receiver = Receiver()
    with open_session(url) as session:
        token = _key(session)
        hook = subscribe(session, receiver.url, ["report.finished"], created_by="admin@example.com",
                         allow_private=True)
    lines = ["id,churned,revenue"] + [f"{r.customer_id},{int(r.nps <= 6)},{500 + 50 * n}"
                                      for n, r in enumerate(RESPONDENTS)]
    lines += [f"other{n},{n % 2},700" for n in range(15)]
    settings = {"columns": {"customer_id": "id"}, "bootstrap": 10, "finance": {"program_cost": 1000, "margin": 0.5}}
    client = app.test_client()
    started = _call(client, "POST", "/surveys/acme_relationship/reports", token, data={
        "outcomes": (io.BytesIO(("\n".join(lines) + "\n").encode()), "crm.csv"), "settings": json.dumps(settings)})
    assert started.status_code == 202, started.get_data(as_text=True)[:800]
    report = started.get_json()
    assert report["status"] == "queued" and report["links"]["results"] is None
    _problem(_call(client, "GET", f"/reports/{report['id']}/results.json", token), 409)  # not finished
    assert drain(periodic=False) == 2  # the analysis, then the report.finished webhook it queued
    done = _call(client, "GET", f"/reports/{report['id']}", token).get_json()
    assert done["status"] == "done" and done["links"]["pdf"] == f"/api/v1/reports/{report['id']}/report.pdf"
    results = _call(client, "GET", f"/reports/{report['id']}/results.json", token).get_json()
    assert results["survey"]["id"] == "acme_relationship" if isinstance(results.get("survey"), dict) else results
    pdf = _call(client, "GET", f"/reports/{report['id']}/report.pdf", token)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    receiver.server.shutdown()
    assert [event["type"] for event in receiver.events()] == ["report.finished"]
    assert receiver.events()[0]["data"]["pdf"] == done["links"]["pdf"]
    assert verify(hook.secret, receiver.received[0][0]["x-cxroi-signature"], receiver.received[0][1])
    bad = _call(client, "POST", "/surveys/acme_relationship/reports", token,
                data={"outcomes": (io.BytesIO(b"id,churned\n"), "crm.csv"), "settings": "[1]"})
    assert _problem(bad, 422)["errors"] == [{"field": "settings", "detail": "not an object"}]
    missing = _call(client, "POST", "/surveys/acme_relationship/reports", token, data={"settings": "{}"})
    assert _problem(missing, 422)["errors"][0]["field"] == "outcomes"
    assert _call(client, "GET", "/cases", token).get_json() == {"data": []}
    _problem(_call(client, "GET", "/cases?status=shelved", token), 400)


def test_admins_make_and_revoke_keys_on_their_page(app: Flask, db: Session) -> None:
    admin = signed_in(app, app.config["DATABASE_URL"], "admin")
    made = admin.post("/admin/api-keys/", data={"name": "CRM sync", "scope": "read",
                                                "csrf_token": page_token(admin, "/admin/api-keys/")})
    page = made.get_data(as_text=True)
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    token = page.split('id="new-token" type="text" readonly value="', 1)[1].split('"', 1)[0]
    assert token.startswith("cxroi_") and _call(app.test_client(), "GET", "/surveys", token).status_code == 200
    assert token not in admin.get("/admin/api-keys/").get_data(as_text=True)  # shown only once
    key_id = db.scalars(sa.select(ApiKey.id)).one()
    db.rollback()
    admin.post(f"/admin/api-keys/{key_id}/revoke", data={"csrf_token": page_token(admin, "/admin/api-keys/")})
    _problem(_call(app.test_client(), "GET", "/surveys", token), 401)
    refused = admin.post("/admin/api-keys/", data={"name": "", "scope": "read",
                                                   "csrf_token": page_token(admin, "/admin/api-keys/")})
    assert refused.status_code == 400
    analyst = signed_in(app, app.config["DATABASE_URL"], "analyst")
    assert analyst.get("/admin/api-keys/").status_code == 403


def test_the_command_makes_lists_and_revokes_keys(db_url: str, db: Session, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str], app: Flask) -> None:
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    code, out, err = run(["api-key", "create", "Nightly BI", "--scope", "read"], capsys)
    token = out.strip()
    assert code == 0 and token.startswith("cxroi_") and "shown only now" in err
    assert _call(app.test_client(), "GET", "/surveys", token).status_code == 200
    code, out, _ = run(["api-key", "list"], capsys)
    assert code == 0 and "\tread\tNightly BI\t" in out and out.rstrip().endswith("live")
    key_id = out.split("\t", 1)[0]
    assert run(["api-key", "revoke", key_id], capsys)[0] == 0
    _problem(_call(app.test_client(), "GET", "/surveys", token), 401)
    code, out, err = run(["api-key", "revoke", "424242"], capsys)
    assert code != 0 and "no API key number 424242" in out + err
    code, _, err = run(["api-key", "create", "x", "--scope", "admin"], capsys)
    assert code != 0
