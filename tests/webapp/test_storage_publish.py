"""Storage: migrations, publishing immutable versions, invitations and customer files — on SQLite and, when
CXROI_TEST_DATABASE_URL is reachable, PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.orm import Session

from surveys.definition import build_survey, to_data
from tests.webapp.support.web import example_survey
from webapp.services import (
    ClosedSurvey,
    HostingError,
    UnknownSurvey,
    close_survey,
    create_invitations,
    latest_version,
    publish_survey,
    publish_with_links,
    read_customer_ids,
)
from webapp.services.authoring import read_customer_list
from webapp.storage.engine import alembic_config, create_engine_for, upgrade_database
from webapp.storage.models import Base, Invitation, SurveyVersion, utcnow

HOSTING_TABLES = {"surveys", "survey_versions", "invitations", "responses"}


def test_migrations_create_the_schema_of_the_models_and_run_twice(db_url: str) -> None:
    engine = create_engine_for(db_url)
    try:
        upgrade_database(engine)  # a second run finds nothing to do
        with engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) >= HOSTING_TABLES
            heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
            current = MigrationContext.configure(connection).get_current_heads()
            assert set(current) == set(heads)
            context = MigrationContext.configure(connection, opts={
                "include_object": lambda obj, name, kind, *_: kind != "table" or name in HOSTING_TABLES})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_publishing_numbers_immutable_versions(db: Session) -> None:
    survey = example_survey()
    first = publish_survey(db, survey)
    changed = example_survey(title="How are we doing, really?")
    second = publish_survey(db, changed)
    assert (first.number, second.number) == (1, 2)
    assert first.survey_id == second.survey_id and first.id != second.id
    db.expire_all()
    stored = db.scalars(sa.select(SurveyVersion).order_by(SurveyVersion.number)).all()
    assert [build_survey(v.definition) for v in stored] == [survey, changed]
    assert stored[0].definition == to_data(survey)
    assert latest_version(db, "acme_relationship").number == 2
    assert latest_version(db, "acme_relationship").survey.title == "How are we doing, really?"


def test_unknown_and_closed_surveys(db: Session) -> None:
    with pytest.raises(UnknownSurvey, match="no published survey is called 'nope'"):
        latest_version(db, "nope")
    publish_survey(db, example_survey())
    close_survey(db, "acme_relationship")
    with pytest.raises(ClosedSurvey):
        create_invitations(db, "acme_relationship", ["C1"], "email")


def test_invitations_store_only_a_hash_of_a_long_random_token(db: Session) -> None:
    publish_survey(db, example_survey())
    before = utcnow()
    links = create_invitations(db, "acme_relationship", ["C1", "C2", "C3"], "email", timedelta(days=7))
    assert [link.customer_id for link in links] == ["C1", "C2", "C3"]
    tokens = [link.token for link in links]
    assert len(set(tokens)) == 3 and all(len(token) >= 32 for token in tokens)  # 24 random bytes = 192 bits
    stored = {row.customer_id: row for row in db.scalars(sa.select(Invitation))}
    for link in links:
        row = stored[link.customer_id]
        assert row.token_hash == hashlib.sha256(link.token.encode()).hexdigest()
        assert row.channel == "email" and row.used_at is None
        assert row.expires_at is not None
        assert timedelta(days=7) <= row.expires_at - before < timedelta(days=7, minutes=5)
    assert links[0].url("https://cx.example.com/") == f"https://cx.example.com/s/{tokens[0]}"


@pytest.mark.parametrize(("ids", "channel", "message"), [
    (["C1", "C1"], "email", "customer id 'C1' is given twice"),
    (["C1", " "], "email", "customer id number 2: empty customer id"),
    (["C1"], "fax", "unknown channel 'fax'"),
])
def test_bad_invitations_store_nothing(db: Session, ids: list[str], channel: str, message: str) -> None:
    publish_survey(db, example_survey())
    with pytest.raises(HostingError, match=message):
        create_invitations(db, "acme_relationship", ids, channel)
    assert db.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_publish_with_links_for_the_demo(db: Session) -> None:
    urls = publish_with_links(db, example_survey(), 3, base_url="http://localhost:8000")
    assert len(urls) == 3 and all(url.startswith("http://localhost:8000/s/") for url in urls)
    assert db.scalar(sa.select(sa.func.count()).select_from(Invitation).where(Invitation.channel == "phone")) == 3


def test_reading_customer_ids(tmp_path: Path) -> None:
    named = tmp_path / "named.csv"
    named.write_text("\ufeffname,customer_id\nAnn,C-1\nBob, C-2 \n", encoding="utf-8")
    assert read_customer_ids(named) == ["C-1", "C-2"]
    first_column = tmp_path / "first.csv"
    first_column.write_text("id,region\n17,north\n18,south\n", encoding="utf-8")
    assert read_customer_ids(first_column) == ["17", "18"]


def test_a_customer_file_with_empty_or_repeated_ids_is_refused_naming_each_row(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id\nC1\n\nC2\nC1\n,\n", encoding="utf-8")
    with pytest.raises(HostingError) as caught:
        read_customer_ids(bad)
    assert str(caught.value) == (f"{bad}: row 3: empty customer id; row 5: duplicate customer id 'C1' "
                                 "(first on row 2); row 6: empty customer id")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(HostingError, match="the file is empty"):
        read_customer_ids(empty)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("customer_id\nJos\xe9\n".encode("latin-1"))
    with pytest.raises(HostingError, match="not UTF-8"):
        read_customer_ids(latin)


# The command line and the authoring page judge a customer list by the same rules.
def test_control_characters_are_flagged_on_their_row_in_both_readers(tmp_path: Path) -> None:
    content = b"customer_id\nC1\nC\x072\nC3\n"  # row 3 holds a BEL character
    listed = read_customer_list(content, name="customers.csv")
    assert [(row.line, row.problem) for row in listed.rows] == [
        (2, None), (3, "customer id with control characters"), (4, None)]
    path = tmp_path / "customers.csv"
    path.write_bytes(content)
    with pytest.raises(Exception, match=r"customers.csv: row 3: customer id with control characters$"):
        read_customer_ids(path)


def test_an_excel_workbook_given_as_the_customer_list_is_named_as_such(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["customer_id"])
    workbook.active.append(["C1"])
    path = tmp_path / "customers.xlsx"
    workbook.save(path)
    with pytest.raises(Exception, match=r"customers.xlsx: a spreadsheet workbook, not a CSV file; save the sheet as CSV"):
        read_customer_ids(path)
