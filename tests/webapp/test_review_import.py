"""`responses import` refuses what the database cannot keep as given, instead of cutting it short (a
silently skipped response) or failing with a database error (a traceback on PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from test_storage_import import table
from web_support import example_survey

from webapp.services import publish_survey
from webapp.services.errors import HostingError
from webapp.services.importing import import_responses
from webapp.storage.models import Response


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
