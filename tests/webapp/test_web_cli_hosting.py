"""`cxroi db upgrade`, `survey publish`, `invite` and `responses export` as a user runs them (through
`webapp.cli.main`, with the database named by CXROI_DATABASE_URL)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import sqlalchemy as sa
from web_support import EXAMPLE

from webapp.cli import main
from webapp.services.invitations import hash_token


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("CXROI_DATABASE_URL", url)
    monkeypatch.setenv("CXROI_BASE_URL", "https://survey.example.com/")
    return url


def test_publish_invite_export(database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["db", "upgrade"], capsys)[0] == 0
    code, out, _ = run(["survey", "publish", str(EXAMPLE)], capsys)
    assert code == 0 and "published acme_relationship version 1" in out
    assert "published acme_relationship version 2" in run(["survey", "publish", str(EXAMPLE)], capsys)[1]

    customers = tmp_path / "customers.csv"
    customers.write_text("region,customer_id\nnorth,C-1\nsouth,C-2\n", encoding="utf-8")
    links = tmp_path / "links.csv"
    code, out, err = run(["invite", "acme_relationship", "--customers", str(customers), "--channel", "chat",
                          "-o", str(links), "--expires-days", "3"], capsys)
    assert code == 0, err
    rows = list(csv.DictReader(links.open(encoding="utf-8")))
    assert [(r["customer_id"], r["channel"]) for r in rows] == [("C-1", "chat"), ("C-2", "chat")]
    assert all(r["url"].startswith("https://survey.example.com/s/") for r in rows)
    engine = sa.create_engine(database)
    with engine.connect() as connection:
        stored = dict(connection.execute(sa.text("select customer_id, token_hash from invitations")).all())
    engine.dispose()
    assert stored == {r["customer_id"]: hash_token(r["url"].rsplit("/", 1)[1]) for r in rows}

    out_csv = tmp_path / "responses.csv"
    code, out, _ = run(["responses", "export", "acme_relationship", "-o", str(out_csv)], capsys)
    assert code == 0 and "wrote 0 responses" in out
    assert out_csv.read_text(encoding="utf-8").startswith("response_id,customer_id,channel,survey_version,")


def test_invite_refuses_a_file_with_bad_rows(database: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    run(["survey", "publish", str(EXAMPLE)], capsys)
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id\nC1\nC1\n\n", encoding="utf-8")
    links = tmp_path / "links.csv"
    code, _, err = run(["invite", "acme_relationship", "--customers", str(customers), "--channel", "email",
                        "-o", str(links)], capsys)
    assert code == 2
    assert err.strip() == (f"error: {customers}: row 3: duplicate customer id 'C1' (first on row 2); "
                           "row 4: empty customer id")
    assert not links.exists()
    assert "Traceback" not in err


@pytest.mark.parametrize(("args", "message"), [
    (["invite", "nope", "--channel", "email"], "no published survey is called 'nope'"),
    (["invite", "acme_relationship", "--channel", "fax"], "unknown channel 'fax'"),
    (["responses", "export", "acme_relationship", "-o", "out.json"], "expected a .csv, .xlsx or .parquet"),
])
def test_bad_arguments_exit_2_with_a_message(database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             args: list[str], message: str) -> None:
    run(["survey", "publish", str(EXAMPLE)], capsys)
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id\nC1\n", encoding="utf-8")
    if args[0] == "invite":
        args = [*args, "--customers", str(customers), "-o", str(tmp_path / "links.csv")]
    else:
        args = [a if a != "out.json" else str(tmp_path / "out.json") for a in args]
    code, _, err = run(args, capsys)
    assert code == 2 and message in err and "Traceback" not in err


def test_publishing_an_invalid_definition_names_the_path(database: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: s\ntitle: T\nsections:\n  - id: a\n    title: A\n    questions:\n"
                   "      - {id: q, type: nps, text: N, required: maybe}\n", encoding="utf-8")
    code, _, err = run(["survey", "publish", str(bad)], capsys)
    assert code == 2 and "sections[0].questions[0].required" in err
