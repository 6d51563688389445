"""The authoring service: the survey list's status, versions and response counts; publishing the draft as a
new immutable version while older responses keep theirs; drafts of surveys published from the command line."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from surveys.definition import InvalidDefinition, build_survey, to_data
from surveys.library import load_template
from webapp.author import edits
from webapp.services import authoring, publish_survey
from webapp.storage.models import Response, SurveyVersion


def blank(slug: str = "acme") -> dict[str, object]:
    return edits.blank_definition(slug, "Acme")


def start_respondent(app: Flask) -> None:
    """Open the public link of `acme` and send its first page (the POST that starts a response), unanswered."""
    browser = app.test_client()
    page = browser.get("/p/acme").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    browser.post("/p/acme", data={"page": "0", "csrf_token": token})


def test_list_shows_status_versions_and_responses_across_versions(app: Flask, db: Session) -> None:
    authoring.create_survey(db, build_survey(blank()), author="lead@example.com")
    authoring.create_survey(db, build_survey(blank("other")))
    [acme] = [s for s in authoring.list_surveys(db) if s.slug == "acme"]
    assert (acme.status, acme.versions, acme.responses, acme.unpublished_changes) == ("draft", 0, 0, False)

    first = authoring.publish_draft(db, "acme")
    start_respondent(app)  # one respondent on version 1
    authoring.apply_edit(db, "acme", lambda data: edits.add_question(data, "ces", "main"))
    [acme] = [s for s in authoring.list_surveys(db) if s.slug == "acme"]
    assert (acme.status, acme.versions, acme.unpublished_changes) == ("live", 1, True)

    second = authoring.publish_draft(db, "acme")
    start_respondent(app)  # another respondent, now on version 2
    summaries = {s.slug: s for s in authoring.list_surveys(db)}
    assert (summaries["acme"].versions, summaries["acme"].responses) == (2, 2)
    assert (summaries["other"].status, summaries["other"].responses) == ("draft", 0)
    assert not summaries["acme"].unpublished_changes

    db.expire_all()
    versions = {v.number: v for v in db.scalars(sa.select(SurveyVersion))}
    assert (first.number, second.number) == (1, 2)
    assert [q["id"] for q in versions[1].definition["sections"][0]["questions"]] == ["q_one_change"]  # unchanged
    assert [q["id"] for q in versions[2].definition["sections"][0]["questions"]] == ["q_one_change", "q_ces"]
    answered = sorted(db.scalars(sa.select(Response.version_id)))
    assert answered == [versions[1].id, versions[2].id]  # each response keeps the version it answered

    authoring.reopen_survey(db, "acme")  # reopening an open survey changes nothing
    from webapp.services import close_survey

    close_survey(db, "acme")
    assert {s.slug: s.status for s in authoring.list_surveys(db)}["acme"] == "closed"
    authoring.reopen_survey(db, "acme")
    assert {s.slug: s.status for s in authoring.list_surveys(db)}["acme"] == "live"


def test_a_survey_published_from_the_command_line_is_edited_from_its_latest_version(db: Session) -> None:
    survey = load_template("post_support", survey_id="support", title="Support")
    publish_survey(db, survey)
    assert authoring.read_draft(db, "support") == survey  # no draft row yet: the latest version
    saved = authoring.apply_edit(db, "support", lambda data: edits.update_settings(data, {"title": "After support"}))
    assert saved.title == "After support"
    assert authoring.draft_definition(db, "support") == to_data(saved)


def test_save_draft_refuses_invalid_definitions_and_id_changes(db: Session) -> None:
    authoring.create_survey(db, build_survey(blank()))
    before = authoring.draft_definition(db, "acme")
    with pytest.raises(InvalidDefinition) as caught:
        authoring.save_draft(db, "acme", blank("renamed"))
    assert [str(p) for p in caught.value.problems] == [
        "id: must stay 'acme', the id of this survey (links and exports use it)"]
    with pytest.raises(InvalidDefinition) as caught:
        authoring.save_draft(db, "acme", {**blank(), "sections": []})
    assert [p.path for p in caught.value.problems] == ["sections"]
    db.expire_all()
    assert authoring.draft_definition(db, "acme") == before
    with pytest.raises(authoring.AuthoringError, match="already exists"):
        authoring.create_survey(db, build_survey(blank()))


def test_customer_list_rows() -> None:
    listed = authoring.read_customer_list(b"\xef\xbb\xbfName,Customer_ID\nAnn,C1\nBob, C2 \nCid,C1\n")
    # the header is matched without case; the BOM is dropped; ids are trimmed
    assert [(r.line, r.customer_id, r.problem) for r in listed.rows] == [
        (2, "C1", None), (3, "C2", None), (4, "C1", "duplicate customer id 'C1' (first on row 2)")]
    assert not listed.ok and listed.customer_ids == ["C1", "C2"]
    assert authoring.read_customer_list(b"id\nA\nB\n").customer_ids == ["A", "B"]  # first column when unnamed
    long_id = b"id\n" + b"x" * 201 + b"\n"
    assert authoring.read_customer_list(long_id).rows[0].problem == "customer id longer than 200 characters"


def test_migration_0003_matches_the_draft_model_and_downgrades(db_url: str) -> None:
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from webapp.storage.drafts import SurveyDraft
    from webapp.storage.engine import alembic_config, create_engine_for, upgrade_database
    from webapp.storage.models import Base

    engine = create_engine_for(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "include_object": lambda obj, name, kind, *_: kind != "table" or name == SurveyDraft.__tablename__})
            assert compare_metadata(context, Base.metadata) == []
        command.downgrade(alembic_config(engine), "0002_accounts")
        with engine.connect() as connection:
            assert "survey_drafts" not in sa.inspect(connection).get_table_names()
        upgrade_database(engine)
        with engine.connect() as connection:
            assert "survey_drafts" in sa.inspect(connection).get_table_names()
    finally:
        engine.dispose()


def test_concurrent_edits_are_all_kept(db_url: str, db: Session) -> None:
    import threading

    from webapp.storage.engine import create_engine_for, session_factory

    authoring.create_survey(db, build_survey(blank()))
    keys = ["ces", "csat", "nps", "valued", "reach_human", "resolved"]
    engine = create_engine_for(db_url)
    sessions = session_factory(engine)
    start = threading.Barrier(len(keys))
    failures: list[BaseException] = []

    def add(key: str) -> None:
        try:
            with sessions() as session:
                start.wait()
                authoring.apply_edit(session, "acme", lambda data: edits.add_question(data, key, "main"))
        except BaseException as error:  # reported below; a thread's exception would otherwise vanish
            failures.append(error)

    threads = [threading.Thread(target=add, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert failures == []
    db.expire_all()
    added = {q["id"] for q in authoring.draft_definition(db, "acme")["sections"][0]["questions"]}
    # each of the six library questions has its bank id; none was lost to a concurrent write
    assert added == {"q_one_change", "q_ces", "q_csat", "q_nps", "q_valued", "q_reach_human", "q_resolved"}
