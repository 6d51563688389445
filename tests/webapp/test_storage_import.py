"""Importing a wide responses table: checked whole before anything is stored, idempotent by response_id."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.webapp.support.web import ANSWERS, example_survey, table
from webapp.services import publish_survey
from webapp.services.errors import HostingError
from webapp.services.export import iter_response_rows
from webapp.services.importing import import_responses
from webapp.storage.models import Response


def stored(db: Session) -> list[tuple[str | None, str, dict]]:
    return [(r.customer_id, r.status, r.answers) for r in db.scalars(sa.select(Response).order_by(Response.id))]


def test_import_stores_checked_answers_once(db: Session) -> None:
    publish_survey(db, example_survey())
    assert import_responses(db, "acme_relationship", table()) == 2
    assert stored(db) == [("C1", "complete", ANSWERS), ("C2", "partial", {"q_align": {"easy": 5, "partner": 5},
                                                                           "q_ces": 7})]
    assert import_responses(db, "acme_relationship", table()) == 0  # same file again: nothing new
    assert len(stored(db)) == 2
    exported = list(iter_response_rows(db, "acme_relationship", status="complete"))
    assert exported[0]["q_channel.chat"] == 2 and exported[0]["q_channels.email"] == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"q_ces": 9.0}, "row 2, column 'q_ces': 9 is outside the scale 1..7"),
        ({"q_align__easy": "lots"}, "row 2, column 'q_align.easy': expected a whole number from 1 to 5"),
        ({"status": "done"}, "row 2, column 'status': 'done' is not partial or complete"),
        ({"submitted_at": "yesterday-ish"}, "row 2, column 'submitted_at': 'yesterday-ish' is not a date"),
        ({"response_id": "R2"}, "row 3, column 'response_id': 'R2' appears twice"),
    ],
)
def test_a_bad_row_refuses_the_whole_file(db: Session, changes: dict, message: str) -> None:
    publish_survey(db, example_survey())
    import_responses(db, "acme_relationship", table().iloc[[1]].assign(response_id="R0"))
    before = stored(db)
    with pytest.raises(HostingError, match=message):
        import_responses(db, "acme_relationship", table(**changes), source="answers.csv")
    assert stored(db) == before


# `responses import` refuses what the database cannot keep as given, instead of cutting it short (a
# silently skipped response) or failing with a database error (a traceback on PostgreSQL).
def customers(db: Session) -> list[str | None]:
    return [r.customer_id for r in db.scalars(sa.select(Response).order_by(Response.id))]


def test_two_long_response_ids_with_the_same_start_are_not_merged(db: Session) -> None:
    publish_survey(db, example_survey())
    prefix = "R" * 57  # "import:" + 57 characters fill the 64-character key column exactly
    assert import_responses(db, "acme_relationship", table().iloc[[0]].assign(response_id=prefix)) == 1
    longer = table().iloc[[1]].assign(response_id=prefix + "-second")
    with pytest.raises(HostingError, match=r"a\.csv, row 2, column 'response_id': longer than 57 characters"):
        import_responses(db, "acme_relationship", longer, source="a.csv")
    assert customers(db) == ["C1"]


@pytest.mark.parametrize(("changes", "message"), [
    ({"customer_id": "C" * 201}, "row 2, column 'customer_id': customer id longer than 200 characters"),
    ({"customer_id": "C\x001"}, "row 2, column 'customer_id': customer id with control characters"),
    ({"channel": "c" * 65}, "row 2, column 'channel': longer than 64 characters"),
])
def test_reserved_columns_that_do_not_fit_refuse_the_file(db: Session, changes: dict, message: str) -> None:
    publish_survey(db, example_survey())
    with pytest.raises(HostingError, match=message):
        import_responses(db, "acme_relationship", table(**changes), source="a.csv")
    assert customers(db) == []
