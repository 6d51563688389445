"""The results page's tallies (webapp/services/tallies.py) on SQLite and PostgreSQL: after respondents submit
concurrently (double submits included), the stored tallies equal a count from scratch, the complete responses
are counted once each, and the page's scorecard equals `score_survey` over every response as the page computed it
before the tallies; responses imported with `cxroi responses import` are counted; the migration counts the
responses already stored."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from surveys.scoring import Scorecard, score_survey
from tests.webapp.support.web import example_survey
from webapp.results.summary import build_survey_results
from webapp.services import create_invitations, publish_survey, response_frame
from webapp.services.importing import import_responses
from webapp.services.responding import answer_page, start_personal
from webapp.services.tallies import RESPONSES, read_tallies, rebuild_tallies
from webapp.storage.engine import alembic_config, create_engine_for, session_factory
from webapp.storage.models import Response, SurveyVersion

SLUG = "acme_relationship"
RESPONDENTS = 48
THREADS = 8


def pages(n: int) -> list[dict[str, Any]]:
    """Respondent n's two pages: CES, NPS, alignment, friction and channel ratings vary with n; every third one
    leaves a comment, every fourth hesitated at ordering."""
    first = {"q_align": {"easy": str(n % 5 + 1), "partner": str((n * 3) % 5 + 1)}, "q_ces": str(n % 7 + 1),
             "q_channels": ["phone", "chat"] if n % 2 else ["email"]}
    second: dict[str, Any] = {
        "q_friction": {"ordering": {"hesitated": "yes" if n % 4 == 0 else "no"}, "billing": {"hesitated": "no"}},
        "q_nps": str(n % 11)}
    second["q_channel"] = {"phone": str(n % 5 + 1), "chat": str((n + 2) % 5 + 1)} if n % 2 else {"email": "4"}
    if n % 3 == 0 and n % 7 + 1 <= 4:
        second["q_why"] = f"reason number {n}"
    return [first, second]


def stored_tallies(session: Session) -> dict[tuple[Any, ...], int]:
    ids = session.scalars(sa.select(SurveyVersion.id)).all()
    return {(t.version_id, t.channel, t.wave_id, t.question_id, t.answer): t.count for t in read_tallies(session, ids)}


def same_scores(mine: Scorecard | None, theirs: Scorecard) -> None:
    assert mine is not None
    assert (mine.responses_total, mine.responses_scored) == (theirs.responses_total, theirs.responses_scored)
    pairs = list(zip(mine.metrics(), theirs.metrics(), strict=True))
    assert pairs
    for (_, a), (_, b) in pairs:
        assert (a.name, a.n, a.note) == (b.name, b.n, b.note)
        for field in ("estimate", "ci_low", "ci_high"):
            assert getattr(a, field) == pytest.approx(getattr(b, field), rel=1e-9, abs=1e-9), (a.name, field)


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = create_engine_for(db_url)
    yield engine
    engine.dispose()


def test_concurrent_submits_keep_the_tallies_exact(engine: sa.Engine) -> None:
    sessions = session_factory(engine)
    with sessions() as session:
        publish_survey(session, example_survey())
        links = create_invitations(session, SLUG, [f"C{n:03d}" for n in range(RESPONDENTS)], "email")
        response_ids = [start_personal(session, link.token).id for link in links]
    start = threading.Barrier(THREADS)

    def respond(n: int) -> list[str]:
        if n < THREADS:
            start.wait()  # the first submits meet on the same tally rows at the same moment
        kinds = []
        with sessions() as session:
            for index, raw in enumerate(pages(n)):
                kinds.append(answer_page(session, response_ids[n], index, raw).kind)
            if n % 6 == 0:  # a double click on the last page: already complete, counted once
                kinds.append(answer_page(session, response_ids[n], 1, pages(n)[1]).kind)
        return kinds

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(respond, range(RESPONDENTS)))
    assert all(kinds[:2] == ["saved", "complete"] for kinds in outcomes)
    assert sum(kinds[2:] == ["already_complete"] for kinds in outcomes) == len(range(0, RESPONDENTS, 6))

    with sessions() as session:
        kept = stored_tallies(session)
        complete = session.scalar(sa.select(sa.func.count()).select_from(Response).where(Response.status == "complete"))
        assert complete == RESPONDENTS
        assert sum(count for key, count in kept.items() if key[3] == RESPONSES) == RESPONDENTS
        session.commit()
        assert rebuild_tallies(session.connection()) == RESPONDENTS
        session.commit()
        assert stored_tallies(session) == kept  # the count kept by the submits is the count from scratch

        # The page's numbers from the tallies equal the scores of every response, as the page computed them before.
        results = build_survey_results(session, SLUG)
        frame = response_frame(session, SLUG, status="complete")
        survey = example_survey()
        same_scores(results.scorecard, score_survey(frame, survey))
        assert [c.channel for c in results.by_channel] == ["email"]
        same_scores(results.by_channel[0].scorecard, score_survey(frame, survey))
        assert results.complete == RESPONDENTS and results.partial == 0
        written = [n for n in range(RESPONDENTS) if "q_why" in pages(n)[1]]
        assert results.comments_matching == len(written)
        assert {c.text for c in results.comments} == {f"reason number {n}" for n in written}


def test_imported_and_earlier_responses_are_counted(engine: sa.Engine) -> None:
    sessions = session_factory(engine)
    with sessions() as session:
        publish_survey(session, example_survey())
        table = pd.DataFrame({"response_id": ["r1", "r2", "r3"], "customer_id": ["X1", "X2", "X3"],
                              "channel": ["web", "web", None], "status": ["complete", "complete", "partial"],
                              "submitted_at": ["2026-01-02 10:00", "2026-01-03 11:00", None],
                              "q_ces": [7, 2, 5], "q_nps": [10, 3, None]})
        assert import_responses(session, SLUG, table) == 3
        results = build_survey_results(session, SLUG)
        assert (results.complete, results.partial) == (2, 1)
        assert [(c.channel, c.complete, c.partial) for c in results.channels] == [("(no channel)", 0, 1),
                                                                                  ("web", 2, 0)]
        ces = results.scorecard.get("q_ces:mean") if results.scorecard else None
        assert ces is not None and (ces.estimate, ces.n) == (4.5, 2)  # (7 + 2) / 2
        assert [(d.day.isoformat(), d.completed) for d in results.days if d.completed] == [
            ("2026-01-02", 1), ("2026-01-03", 1)]
        kept = stored_tallies(session)

    # The migration counts what is already stored: take the schema back before it, and forward again.
    config = alembic_config(engine)
    command.downgrade(config, "0013_churn_risk")
    command.upgrade(config, "head")
    with sessions() as session:
        assert stored_tallies(session) == kept


def test_cxroi_results_rebuild_counts_responses_loaded_in_bulk(sqlite_url: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from webapp.cli import cli
    from webapp.storage.models import utcnow

    engine = create_engine_for(sqlite_url)
    with session_factory(engine)() as session:
        version = publish_survey(session, example_survey())
        now = utcnow()
        session.execute(sa.insert(Response), [  # a bulk load (Core): no tally is kept for it
            {"version_id": version.id, "status": "complete", "answers": {"q_ces": 1 + n % 2}, "current_page": 1,
             "started_at": now, "updated_at": now, "submitted_at": now} for n in range(30)])
        session.commit()
        assert stored_tallies(session) == {}
    monkeypatch.setenv("CXROI_DATABASE_URL", sqlite_url)
    outcome = CliRunner().invoke(cli, ["results", "rebuild", SLUG])
    assert outcome.exit_code == 0, outcome.output
    assert "counted 30 complete responses of acme_relationship" in outcome.output
    with session_factory(engine)() as session:
        results = build_survey_results(session, SLUG)
        ces = results.scorecard.get("q_ces:mean") if results.scorecard else None
        assert results.complete == 30 and ces is not None and ces.estimate == 1.5  # fifteen 1s, fifteen 2s
    assert CliRunner().invoke(cli, ["results", "rebuild", "nobody"]).exit_code != 0
    engine.dispose()


def test_a_large_number_answer_has_one_key_from_the_submit_and_from_a_rebuild(engine: sa.Engine) -> None:
    """PostgreSQL's JSONB gives 1e300 back as a whole number: the rebuild must still count it under the key the
    submit used (a number column is a float), or the tallies would split one answer in two."""
    import yaml

    from surveys.definition import build_survey
    from tests.webapp.support.web import EXAMPLE

    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["sections"][0]["questions"].append({"id": "q_spend", "type": "number", "text": "What did you spend?",
                                             "integer": False})
    sessions = session_factory(engine)
    with sessions() as session:
        publish_survey(session, build_survey(data))
        [link] = create_invitations(session, SLUG, ["C1"], "email")
        response_id = start_personal(session, link.token).id
        assert answer_page(session, response_id, 0, pages(1)[0] | {"q_spend": "1e300"}).kind == "saved"
        assert answer_page(session, response_id, 1, pages(1)[1]).kind == "complete"
        kept = stored_tallies(session)
        assert [key[4] for key in kept if key[3] == "q_spend"] == ['{"q_spend":1e+300}']
        session.commit()
        rebuild_tallies(session.connection())
        session.commit()
        assert stored_tallies(session) == kept


def test_a_version_unreadable_under_todays_rules_does_not_stop_the_count(sqlite_url: str) -> None:
    """The migration counts every stored response; a version saved under older rules is left out (logged), the
    others are counted, and the upgrade does not fail."""
    engine = create_engine_for(sqlite_url)
    with session_factory(engine)() as session:
        version = publish_survey(session, example_survey())
        [link] = create_invitations(session, SLUG, ["C1"], "email")
        response_id = start_personal(session, link.token).id
        for index, raw in enumerate(pages(1)):
            answer_page(session, response_id, index, raw)
        broken = dict(version.definition, sections=[])  # no page at all: refused by today's rules
        session.execute(sa.insert(SurveyVersion).values(survey_id=version.survey_id, number=2, definition=broken,
                                                        published_at=version.published_at))
        session.commit()
        assert rebuild_tallies(session.connection()) == 1  # the readable version's one response
        session.commit()
    engine.dispose()


def _texts_reachable_from(root: object) -> set[str]:
    """Every str reachable from `root` through references (modules and classes not followed)."""
    import gc
    import types

    texts: set[str] = set()
    seen, stack = {id(root)}, [root]
    while stack:
        for found in gc.get_referents(stack.pop()):
            if isinstance(found, str):
                texts.add(found)
            elif id(found) not in seen and not isinstance(found, (type, types.ModuleType)):
                seen.add(id(found))
                stack.append(found)
    return texts


def test_what_a_respondent_wrote_is_not_kept_after_counting() -> None:
    """A version's tally keys are kept for the process, with the keys of answers already seen; an open text
    (a comment, a friction follow-up) must not stay in memory once its response is counted, erased or not."""
    from webapp.services import tallies

    survey = example_survey()
    answers = {"q_ces": 2, "q_why": "Jane Doe, 555-1234, was rude", "q_nps": 3,
               "q_align": {"easy": 4, "partner": 2},
               "q_friction": {"billing": {"hesitated": True, "what": "the form lost my card"}}}
    for _ in range(2):  # the second count finds the version's keys kept
        rows = tallies.tally_rows(survey, answers, version_id=1, channel="email", wave_id=None, started_at=None,
                                  submitted_at=None)
    # counted as comments (by column, never by text), the scored answers by their columns
    assert {(row["question_id"], row["answer"]) for row in rows} >= {
        (":comment", "q_why"), (":comment", "q_friction.billing.what"), ("q_nps", '{"q_nps":3}'),
        ("q_friction", '{"q_friction.billing":1,"q_friction.ordering":null}')}
    kept = _texts_reachable_from(tallies._KEYS)
    assert '{"q_nps":3}' in kept  # the walk does reach the kept answers' keys
    assert not [text for text in kept if "Jane Doe" in text or "lost my card" in text]
