"""The outcomes file's name is kept with a report job: a name with a NUL or another control character (a
multipart filename is anything the client sends) is stored without them, not a PostgreSQL DataError."""

from __future__ import annotations

from sqlalchemy.orm import Session
from test_storage_import import table
from web_support import example_survey

from webapp.services import publish_survey
from webapp.services.importing import import_responses
from webapp.services.reporting import create_report_job


def test_control_characters_are_dropped_from_the_stored_file_name(db: Session) -> None:
    publish_survey(db, example_survey())
    assert import_responses(db, "acme_relationship", table()) == 2  # one of them complete
    job = create_report_job(db, slug="acme_relationship", outcomes_name="crm\x00 ex\x07port.csv",
                            content=b"customer_id,churned\nC1,0\nC2,1\n", config_data={}, created_by=None)
    db.expire_all()
    assert db.get(type(job), job.id).outcomes_name == "crm export.csv"
