"""Importing a wide responses table: checked whole before anything is stored, idempotent by response_id."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from web_support import ANSWERS, example_survey

from webapp.services import publish_survey
from webapp.services.errors import HostingError
from webapp.services.export import iter_response_rows
from webapp.services.importing import import_responses
from webapp.storage.models import Response

NAN = float("nan")


def table(**changes: object) -> pd.DataFrame:
    # Row 1 is ANSWERS spread over the example's columns by hand (as pandas reads a CSV); row 2 a partial.
    full = {
        "response_id": "R1", "customer_id": "C1", "channel": "email", "status": "complete",
        "started_at": "2026-03-01T10:00:00Z", "submitted_at": "2026-03-01T10:06:00Z",
        "q_align.easy": 4.0, "q_align.partner": 2.0, "q_ces": 3.0,
        "q_friction.ordering": 1.0, "q_friction.ordering.what": "The form was long",
        "q_friction.billing": 0.0, "q_friction.billing.what": NAN,
        "q_channels.phone": 1.0, "q_channels.email": 0.0, "q_channels.chat": 1.0,
        "q_channel.phone": 5.0, "q_channel.email": NAN, "q_channel.chat": 2.0,
        "q_why": "Call back sooner", "q_nps": 8.0,
    }
    partial = {key: NAN for key in full} | {"response_id": "R2", "customer_id": "C2", "status": "partial",
                                             "q_align.easy": 5.0, "q_align.partner": 5.0, "q_ces": 7.0}
    frame = pd.DataFrame([full, partial]).astype(object)
    for column, value in changes.items():
        frame.loc[0, column.replace("__", ".")] = value
    return frame


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
