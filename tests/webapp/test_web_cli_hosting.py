"""`cxroi db upgrade`, `survey publish`, `invite` and `responses export` as a user runs them (through
`webapp.cli.main`, with the database named by CXROI_DATABASE_URL): what they store, and bad input of every
kind (an unusable database URL, a pathologically nested file, a title the database cannot keep, a links file
that cannot be written) as one line and exit 2, never a traceback."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from tests.webapp.support.author import count_rows
from tests.webapp.support.cli import run
from tests.webapp.support.web import EXAMPLE
from webapp.cli import main
from webapp.services.invitations import hash_token


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


# A database URL that cannot be used (malformed, an unknown database, a server that refuses connections)
# is one line naming CXROI_DATABASE_URL and exit 2 for every command that needs the database, not a
# SQLAlchemy traceback.
@pytest.mark.parametrize("url", [
    "not a url",
    "nosuchdatabase://host/name",
    "postgresql+psycopg://nobody@127.0.0.1:1/none",  # port 1: nothing listens, the connection is refused
])
@pytest.mark.parametrize("command", [["db", "upgrade"], ["survey", "publish", str(EXAMPLE)],
                                     ["responses", "export", "acme_relationship", "-o", "OUT"]])
def test_an_unusable_database_url_is_one_line(url: str, command: list[str], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CXROI_DATABASE_URL", url)
    args = [str(tmp_path / "out.csv") if arg == "OUT" else arg for arg in command]
    code, _, err = run(args, capsys)
    assert code == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "CXROI_DATABASE_URL" in err
    assert not (tmp_path / "out.csv").exists()


# A pathologically nested input file gives one line and exit 2, never a RecursionError traceback, whichever
# reader meets it (here `cxroi report --results`, whose JSON reader does not guard against it).
def test_a_deeply_nested_results_file_is_one_line_and_exit_2(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results.json"
    results.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    code, _, err = run(["report", "--results", str(results), "-o", str(tmp_path / "report.pdf")], capsys)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "report.pdf").exists()


# `cxroi survey publish` of a definition whose title does not fit the database: exit 2 naming the path,
# nothing stored (on PostgreSQL this was a DataError traceback).
def test_publish_refuses_an_over_long_title(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")) | {"title": "T" * 1500}
    source = tmp_path / "long.yaml"
    source.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main(["survey", "publish", str(source)])
    err = capsys.readouterr().err
    assert done.value.code == 2 and f"{source}: title:" in err and "Traceback" not in err
    assert count_rows(db_url, "surveys") == 0


def test_publish_refuses_a_nul_in_the_title(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    source = tmp_path / "nul.yaml"
    source.write_text(EXAMPLE.read_text(encoding="utf-8").replace("title: How are we doing?",
                                                                  'title: "How are we\\0 doing?"'), encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main(["survey", "publish", str(source)])
    err = capsys.readouterr().err
    assert done.value.code == 2 and f"{source}: title: contains a NUL character" in err
    assert count_rows(db_url, "surveys") == 0


# Personal links are never made without being handed over (the database keeps only the tokens' hashes).
@pytest.fixture
def published(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    assert run(["survey", "publish", str(EXAMPLE)], capsys)[0] == 0
    return db_url


def test_invite_to_an_unwritable_place_makes_no_link(published: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id\nC1\nC2\n", encoding="utf-8")
    links = tmp_path / "no such folder" / "links.csv"
    code, _, err = run(["invite", "acme_relationship", "--customers", str(customers), "--channel", "email",
                        "-o", str(links)], capsys)
    assert code == 2 and str(links) in err and "no link was made" in err and "Traceback" not in err
    assert count_rows(published, "invitations") == 0


def test_a_failed_invite_keeps_the_links_file_of_an_earlier_run(published: str, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id\nC1\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    links = out / "links.csv"
    links.write_text("customer_id,channel,url\nC0,email,https://x/s/earlier\n", encoding="utf-8")
    code, _, err = run(["invite", "acme_relationship", "--customers", str(customers), "--channel", "fax",
                        "-o", str(links)], capsys)
    assert code == 2 and "unknown channel 'fax'" in err
    assert links.read_text(encoding="utf-8") == "customer_id,channel,url\nC0,email,https://x/s/earlier\n"
    assert [p.name for p in out.iterdir()] == ["links.csv"]  # no temporary file left
    assert count_rows(published, "invitations") == 0
