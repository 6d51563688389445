"""Comments read in SQL (webapp/results/comments.py, webapp/themes/overview.py) at 5,000 responses, bulk inserted,
on SQLite and PostgreSQL: the results page and the themes page show the right counts (worked out here from the
generator of the comments) and only the newest page of comments, in order; a search for `%` or `_` matches those
characters literally (an unescaped LIKE would match every comment), case-insensitively."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.support.results import add_staff, sign_in
from tests.webapp.support.web import example_survey
from webapp.results.comments import COMMENT_LIMIT
from webapp.services import publish_survey
from webapp.services.tallies import rebuild_tallies
from webapp.storage.engine import create_engine_for, open_session
from webapp.storage.models import Response, SurveyVersion
from webapp.themes import service

SLUG = "acme_relationship"
RESPONSES = 5_000
START = datetime(2026, 3, 1, 8, 0)


def why(n: int) -> str | None:
    """Respondent n's answer to q_why: none for every third; a literal % for every 50th, a literal _ for every
    70th; the word "parcel" for every 5th."""
    if n % 3 == 0:
        return None
    if n % 50 == 1:
        return f"Refund 100% of fee {n}"
    if n % 70 == 2:
        return f"my_account page {n}"
    if n % 5 == 0:
        return f"The parcel came late {n}"
    return f"Reason number {n}"


def hesitation(n: int) -> str | None:
    """What made respondent n hesitate at ordering (every 4th), written in capitals every 8th."""
    if n % 4:
        return None
    return f"SLOW CHECKOUT {n}" if n % 8 == 0 else f"slow checkout {n}"


def answers(n: int) -> dict[str, Any]:
    given: dict[str, Any] = {"q_ces": n % 7 + 1, "q_nps": n % 11,
                             "q_friction": {"ordering": {"hesitated": hesitation(n) is not None}}}
    if hesitation(n) is not None:
        given["q_friction"]["ordering"]["what"] = hesitation(n)
    if why(n) is not None:
        given["q_why"] = why(n)
    return given


def seed(url: str) -> None:
    """The example survey published, 5,000 complete responses inserted in one statement, tallies counted."""
    with open_session(url) as session:
        publish_survey(session, example_survey())
        session.commit()
        version_id = session.scalar(sa.select(sa.func.max(SurveyVersion.id)))
        session.execute(sa.insert(Response), [
            {"version_id": version_id, "customer_id": f"C{n}", "channel": "email", "status": "complete",
             "answers": answers(n), "current_page": 1, "started_at": START + timedelta(minutes=n),
             "updated_at": START + timedelta(minutes=n), "submitted_at": START + timedelta(minutes=n, seconds=30)}
            for n in range(RESPONSES)])
        session.commit()
    engine = create_engine_for(url)
    try:
        with engine.begin() as connection:
            assert rebuild_tallies(connection) == RESPONSES
    finally:
        engine.dispose()


def comments_newest_first() -> list[str]:
    """Every comment's text, newest response first; within a response the friction follow-up before q_why (the
    questions' order in the example)."""
    found = []
    for n in reversed(range(RESPONSES)):
        found += [text for text in (hesitation(n), why(n)) if text is not None]
    return found


@pytest.fixture
def analyst(app: Flask, db_url: str) -> FlaskClient:
    seed(db_url)
    add_staff(db_url)
    client = app.test_client()
    sign_in(client, "analyst@example.com")
    return client


def shown(html: str) -> list[str]:
    """The comments' texts on a page, in order."""
    return re.findall(r"<blockquote>(.*?)</blockquote>", html, re.S)


def status_line(html: str, section: str) -> str:
    part = html[html.index(f'id="{section}"'):]
    return " ".join(re.search(r'<p role="status">(.*?)</p>', part, re.S).group(1).split())


def test_the_results_page_counts_every_comment_and_shows_the_newest_page(analyst: FlaskClient) -> None:
    everything = comments_newest_first()
    assert len(everything) == sum(why(n) is not None for n in range(RESPONSES)) + RESPONSES // 4
    html = analyst.get(f"/results/{SLUG}").get_data(as_text=True)
    assert status_line(html, "h-comments") == (f"{len(everything)} comment(s); the latest {COMMENT_LIMIT} are "
                                               "shown.")
    assert shown(html) == everything[:COMMENT_LIMIT]

    for query, wanted in [("%", "100%"), ("_", "my_account"), ("slow checkout", "slow checkout")]:
        matches = [text for text in everything if wanted in text.casefold()]
        assert 0 < len(matches) < len(everything) / 2
        html = analyst.get(f"/results/{SLUG}", query_string={"q": query}).get_data(as_text=True)
        more = f"; the latest {COMMENT_LIMIT} are shown" if len(matches) > COMMENT_LIMIT else ""
        assert status_line(html, "h-comments") == f"{len(matches)} comment(s) contain “{query}”{more}."
        assert shown(html) == matches[:COMMENT_LIMIT]
    html = analyst.get(f"/results/{SLUG}", query_string={"q": "100%_"}).get_data(as_text=True)
    assert status_line(html, "h-comments") == "0 comment(s) contain “100%_”."


def test_the_themes_page_counts_in_sql_and_shows_the_newest_page(app: Flask, analyst: FlaskClient) -> None:
    with app.app_context():
        from webapp.extensions import get_db

        service.import_codebook(get_db(), SLUG, "themes:\n  - {id: parcel, name: Parcel, keywords: [parcel]}\n"
                                "  - {id: slow, name: Slow checkout, keywords: [checkout]}\n")
    # One comment per response: its friction follow-up and its q_why, joined by a new line.
    comments = {n: "\n".join(t for t in (hesitation(n), why(n)) if t) for n in range(RESPONSES)}
    written = [n for n in reversed(range(RESPONSES)) if comments[n]]
    parcel = [n for n in written if "parcel" in comments[n]]
    slow = [n for n in written if hesitation(n) is not None]
    html = analyst.get(f"/results/{SLUG}/themes").get_data(as_text=True)
    assert f"{len(written)} complete response(s) with a comment" in html
    counts = dict(re.findall(r'<tr data-theme="([a-z]+)">.*?<td data-count>(\d+)</td>', html, re.S))
    assert counts == {"parcel": str(len(parcel)), "slow": str(len(slow))}
    assert status_line(html, "h-comments") == f"{len(written)} comment(s); the latest {COMMENT_LIMIT} are shown."
    assert [text.replace("\n", " ") for text in shown(html)] == \
        [comments[n].replace("\n", " ") for n in written[:COMMENT_LIMIT]]

    percent = [n for n in written if "%" in comments[n]]
    html = analyst.get(f"/results/{SLUG}/themes", query_string={"q": "%"}).get_data(as_text=True)
    assert status_line(html, "h-comments") == f"{len(percent)} comment(s) contain “%”; the latest 50 are shown."
    both = [n for n in slow if "_" in comments[n]]
    html = analyst.get(f"/results/{SLUG}/themes", query_string={"q": "_", "theme": "slow"}).get_data(as_text=True)
    assert 0 < len(both) < COMMENT_LIMIT
    assert status_line(html, "h-comments") == f"{len(both)} comment(s) contain “_”."
    assert [text.replace("\n", " ") for text in shown(html)] == [comments[n].replace("\n", " ") for n in both]
