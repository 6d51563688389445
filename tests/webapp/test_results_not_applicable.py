"""The results page counts "Not applicable" (issue 16): per question and grid row offering it, how many complete
responses answered so, kept in the tallies (`tallies.NOT_APPLICABLE`) by the submit and by a rebuild alike, and
left out of every estimate and n. Expectations counted by hand from `PLAN`; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from surveys.definition import build_survey
from tests.webapp.support.results import add_staff, sign_in
from webapp.results.summary import NotApplicableCount, build_survey_results
from webapp.services import create_invitations, publish_survey, tallies
from webapp.services.responding import answer_page, start_personal
from webapp.storage.engine import open_session

SLUG = "shop_visit"
DEFINITION: dict[str, Any] = {
    "id": SLUG, "title": "Your visit", "not_applicable": True,
    "brand_promises": [{"id": "easy", "label": "We make things easy"},
                       {"id": "partner", "label": "We treat you as a partner"}],
    "sections": [
        {"id": "visit", "title": "The visit", "questions": [
            {"id": "q_store", "type": "single_choice", "text": "Which store did you visit?", "required": True,
             "choices": [{"code": "north", "label": "North"}, {"code": "south", "label": "South"}]},
            {"id": "q_staff", "type": "rating", "text": "How helpful were the staff?"},
            {"id": "q_align", "type": "alignment", "text": "How well did we keep these?", "required": True},
            {"id": "q_nps", "type": "nps", "text": "Would you recommend us?", "not_applicable": False}]},
        {"id": "more", "title": "A little more", "questions": [
            {"id": "q_ces", "type": "ces", "text": "It was easy to find what I needed.", "required": True},
            {"id": "q_why", "type": "text", "text": "What should we change?"}]}]}
NA = "n/a"
# (first page, second page or None for a respondent who stopped after the first page)
PLAN: list[tuple[dict[str, Any], dict[str, Any] | None]] = [
    ({"q_store": NA, "q_staff": "4", "q_align": {"easy": NA, "partner": "5"}, "q_nps": "9"}, {"q_ces": "6"}),
    ({"q_store": "north", "q_staff": NA, "q_align": {"easy": "3", "partner": NA}, "q_nps": "7"}, {"q_ces": "5"}),
    ({"q_store": NA, "q_staff": "5", "q_align": {"easy": NA, "partner": "4"}, "q_nps": "10"}, {"q_ces": "7"}),
    ({"q_store": "south", "q_staff": "2", "q_align": {"easy": "4", "partner": "2"}, "q_nps": "3"}, {"q_ces": NA}),
    ({"q_store": NA, "q_staff": NA, "q_align": {"easy": NA, "partner": NA}, "q_nps": "8"}, None),  # partial
]
# Counted by hand over the four complete responses (the partial one counts nowhere): q_store n/a in 1 and 3;
# q_staff in 2; q_align.easy in 1 and 3; q_align.partner in 2; q_ces in 4. q_nps and q_why do not offer it.
EXPECTED = (
    NotApplicableCount("q_store", None, "Which store did you visit?", 2),
    NotApplicableCount("q_staff", None, "How helpful were the staff?", 1),
    NotApplicableCount("q_align", "easy", "How well did we keep these?: We make things easy", 2),
    NotApplicableCount("q_align", "partner", "How well did we keep these?: We treat you as a partner", 1),
    NotApplicableCount("q_ces", None, "It was easy to find what I needed.", 1),
)


def seed(session: Session, definition: dict[str, Any] = DEFINITION, plan: list[Any] = PLAN) -> None:
    publish_survey(session, build_survey(definition))
    for number, (first, second) in enumerate(plan):
        [link] = create_invitations(session, SLUG, [f"C{number}"], "email")
        response = start_personal(session, link.token)
        assert answer_page(session, response.id, 0, first).kind == "saved"
        if second is not None:
            assert answer_page(session, response.id, 1, second).kind == "complete"


def _metric(results: Any, question_id: str, row: str | None = None) -> Any:
    card = results.scorecard
    found = [m for group in (card.overall, card.items, card.promises) for m in group
             if m.question_id == question_id and m.row == row and m.name.endswith(":mean")]
    return found[0]


def test_not_applicable_is_counted_and_kept_out_of_the_means(db: Session) -> None:
    seed(db)
    results = build_survey_results(db, SLUG)
    assert (results.complete, results.partial) == (4, 1)
    assert results.not_applicable == EXPECTED
    assert results.not_applicable_of("q_nps") is None and results.not_applicable_of("q_align", "easy") == 2
    # staff 4, 5, 2 (the n/a of response 2 is no score point); CES 6, 5, 7 (response 4 n/a)
    staff, ces = _metric(results, "q_staff"), _metric(results, "q_ces")
    assert (staff.n, staff.estimate) == (3, pytest.approx(11 / 3))
    assert (ces.n, ces.estimate) == (3, pytest.approx(6.0))


def test_a_rebuild_counts_the_same(db: Session) -> None:
    seed(db)
    versions = list(db.scalars(sa.text("SELECT id FROM survey_versions")))
    submitted = sorted(tallies.read_tallies(db, versions), key=repr)
    assert sorted((t.answer, t.count) for t in submitted if t.question_id == tallies.NOT_APPLICABLE) == [
        ("q_align.easy", 2), ("q_align.partner", 1), ("q_ces", 1), ("q_staff", 1), ("q_store", 2)]
    assert tallies.rebuild_tallies(db.connection()) == 4
    db.commit()
    assert sorted(tallies.read_tallies(db, versions), key=repr) == submitted


def test_a_survey_without_not_applicable_shows_no_figure(db: Session) -> None:
    seed(db, {key: value for key, value in DEFINITION.items() if key != "not_applicable"} | {"sections": [
        {"id": "visit", "title": "The visit", "questions": [
            {"id": "q_staff", "type": "rating", "text": "How helpful were the staff?"}]},
        {"id": "more", "title": "More", "questions": [{"id": "q_why", "type": "text", "text": "Why?"}]}]},
         [({"q_staff": "4"}, {"q_why": "fine"}), ({"q_staff": "2"}, {})])
    results = build_survey_results(db, SLUG)
    assert results.complete == 2 and results.not_applicable == ()
    assert db.scalar(sa.text("SELECT count(*) FROM answer_tallies WHERE question_id = :q"),
                     {"q": tallies.NOT_APPLICABLE}) == 0


def test_the_results_page_shows_the_figures(app: Flask, db_url: str) -> None:
    add_staff(db_url)
    with open_session(db_url) as session:
        seed(session)
    client = app.test_client()
    sign_in(client, "analyst@example.com")
    page = client.get(f"/results/{SLUG}").get_data(as_text=True)
    table = page.split('<table id="not-applicable">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr data-question="([^"]+)">.*?<td data-count>(\d+)</td>\s*<td>([^<]*)</td>', table, re.S)
    assert rows == [("q_store", "2", "50.0%"), ("q_staff", "1", "25.0%"), ("q_align.easy", "2", "50.0%"),
                    ("q_align.partner", "1", "25.0%"), ("q_ces", "1", "25.0%")]
    assert "q_nps" not in table
    assert "Not applicable: 1" in page  # beside the staff and CES figures
    assert "Not applicable: 2" in page  # beside "We make things easy"
