"""Concurrency at the service level, on SQLite and PostgreSQL: several threads with their own sessions hit the
same personal link at once (first visit, final submit) and many links at once. Exactly one response per link,
exactly one of the racing submits completes it, and nothing is lost."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.webapp.support.web import example_survey, response_rows
from webapp.services import create_invitations, publish_survey
from webapp.services.responding import answer_page, start_personal
from webapp.storage.engine import create_engine_for, session_factory
from webapp.storage.models import Invitation

THREADS = 8
RAW_1 = {"q_align": {"easy": "5", "partner": "4"}, "q_ces": "6"}
RAW_2 = {"q_nps": "9"}


def _race(db_url: str, count: int, work: Callable[[Session, int], Any]) -> list[Any]:
    """Run `work(session, n)` in `count` threads released together; each thread has its own session."""
    engine = create_engine_for(db_url, pool_size=count, max_overflow=0)
    sessions = session_factory(engine)
    barrier = threading.Barrier(count)

    def run(n: int) -> Any:
        with sessions() as session:
            barrier.wait()
            return work(session, n)

    try:
        with ThreadPoolExecutor(count) as pool:
            return list(pool.map(run, range(count)))
    finally:
        engine.dispose()


def test_first_visits_racing_create_one_response(db: Session, db_url: str) -> None:
    publish_survey(db, example_survey())
    [link] = create_invitations(db, "acme_relationship", ["C1"], "email")
    ids = _race(db_url, THREADS, lambda session, _: start_personal(session, link.token).id)
    assert len(set(ids)) == 1
    assert len(response_rows(db_url)) == 1


def test_submits_racing_on_one_link_complete_it_once(db: Session, db_url: str) -> None:
    publish_survey(db, example_survey())
    [link] = create_invitations(db, "acme_relationship", ["C1"], "email")
    response = start_personal(db, link.token)
    assert answer_page(db, response.id, 0, RAW_1).kind == "saved"
    kinds = _race(db_url, THREADS,
                  lambda session, n: answer_page(session, response.id, 1, RAW_2 | {"q_nps": str(n)}).kind)
    assert sorted(kinds) == ["already_complete"] * (THREADS - 1) + ["complete"]
    [row] = response_rows(db_url)
    assert row["status"] == "complete"
    # the stored score is the winner's, whichever thread that was, and only one value
    assert row["answers"]["q_nps"] in range(THREADS) and row["answers"]["q_ces"] == 6
    db.expire_all()
    assert db.scalar(sa.select(Invitation.used_at)) is not None


def test_many_links_at_once_are_all_stored(db: Session, db_url: str) -> None:
    publish_survey(db, example_survey())
    links = create_invitations(db, "acme_relationship", [f"C{n}" for n in range(THREADS)], "email")

    def respond(session: Session, n: int) -> str:
        response = start_personal(session, links[n].token)
        assert answer_page(session, response.id, 0, RAW_1 | {"q_ces": str(n % 7 + 1)}).kind == "saved"
        return answer_page(session, response.id, 1, RAW_2).kind

    assert _race(db_url, THREADS, respond) == ["complete"] * THREADS
    rows = response_rows(db_url)
    assert sorted(row["customer_id"] for row in rows) == sorted(f"C{n}" for n in range(THREADS))
    assert all(row["status"] == "complete" for row in rows)
    assert sorted(row["answers"]["q_ces"] for row in rows) == sorted(n % 7 + 1 for n in range(THREADS))
