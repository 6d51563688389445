"""Questions called `status` and `channel` (issue 13): real XLSForms use these names. The survey publishes, is
answered, exports in every format with the response's own columns as `response_status` / `response_channel`,
imports back (and files with the plain names still import), and analyses with the response's channel as the
segment. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow.parquet as pq
import pyreadstat
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from roi.config import read_config
from roi.data import build_analysis_data, read_outcomes_table
from surveys.definition import build_survey
from surveys.model import metadata_column
from surveys.tables import own_columns_in, read_responses_table
from webapp.services import create_invitations, export, publish_survey
from webapp.services.analysis import analyze_published_survey, responses_for_analysis
from webapp.services.importing import import_responses
from webapp.services.responding import answer_page, start_personal
from webapp.storage.models import Response, SurveyRecord, SurveyVersion


def definition(survey_id: str = "member_check") -> dict[str, Any]:
    return {"id": survey_id, "title": "Membership check", "sections": [{"id": "about", "title": "About you",
                                                                        "questions": [
        {"id": "status", "type": "single_choice", "text": "What is your status?", "required": True,
         "choices": [{"code": "member", "label": "Member"}, {"code": "guest", "label": "Guest"}]},
        {"id": "channel", "type": "single_choice", "text": "How did you hear about us?",
         "choices": [{"code": "friend", "label": "A friend"}, {"code": "advert", "label": "An advert"}]},
        {"id": "q_csat", "type": "csat", "text": "How satisfied are you with us?", "required": True},
    ]}]}


CUSTOMERS = [f"C{i:02d}" for i in range(1, 25)]


def planned(i: int) -> dict[str, Any]:
    """Customer C<i>'s invitation channel and answers: the question `channel` never equals the response's."""
    return {"invited_by": "email" if i % 2 else "sms", "status": "member" if i % 3 == 0 else "guest",
            "channel": "friend" if i % 2 == 0 else "advert", "q_csat": 1 + i % 5}


OWN = ["response_id", "customer_id", "response_channel", "survey_version", "started_at", "submitted_at",
       "response_status", "wave", "language"]


@pytest.fixture
def answered(db: Session) -> Session:
    publish_survey(db, build_survey(definition()))
    for i, customer in enumerate(CUSTOMERS, start=1):
        plan = planned(i)
        [link] = create_invitations(db, "member_check", [customer], plan["invited_by"])
        response = start_personal(db, link.token)
        outcome = answer_page(db, response.id, 0, {"status": plan["status"], "channel": plan["channel"],
                                                   "q_csat": str(plan["q_csat"])})
        assert outcome.kind == "complete", outcome
    [link] = create_invitations(db, "member_check", ["P1"], "email")
    start_personal(db, link.token)  # started, never submitted: partial
    return db


def test_the_metadata_column_is_prefixed_only_when_a_question_takes_its_name() -> None:
    assert metadata_column("status", ["q_csat"]) == "status"
    assert metadata_column("status", ["status", "q_csat"]) == "response_status"
    assert metadata_column("status", ["status", "response_status"]) == "response_status_"
    # reading a file: the deepest of status, response_status, … that is not a question's column
    assert own_columns_in(["response_id", "status", "channel"])["status"] == "status"  # a file from before
    found = own_columns_in(["response_id", "status", "response_status", "channel"])
    assert (found["status"], found["channel"], found["started_at"]) == ("response_status", "channel", None)
    assert own_columns_in(["status", "response_status"], {"response_status"})["status"] == "status"


def test_a_survey_with_status_and_channel_questions_is_valid(answered: Session) -> None:
    survey = build_survey(definition())
    assert survey.columns() == [*OWN[:7], "status", "channel", "q_csat"]
    stored = answered.scalars(sa.select(Response).order_by(Response.id)).all()
    assert [(r.channel, r.status) for r in stored[:2]] == [("email", "complete"), ("sms", "complete")]
    assert stored[0].answers == {"status": "guest", "channel": "advert", "q_csat": 2}
    assert stored[-1].status == "partial"


def _rows_of_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_export_names_the_response_columns_response_status_and_response_channel(
        answered: Session, tmp_path: Path) -> None:
    header = [*OWN, "status", "channel", "q_csat"]
    assert export.response_columns(answered, "member_check") == header
    assert export.export_responses(answered, "member_check", tmp_path / "r.csv") == 25
    rows = _rows_of_csv(tmp_path / "r.csv")
    assert list(rows[0]) == header
    # C01: invited by email, answered guest / advert / 2 (planned(1)); C02: sms, guest / friend / 3
    assert [(r["response_channel"], r["response_status"], r["status"], r["channel"], r["q_csat"])
            for r in rows[:2]] == [("email", "complete", "guest", "advert", "2"),
                                   ("sms", "complete", "guest", "friend", "3")]
    assert (rows[-1]["customer_id"], rows[-1]["response_status"], rows[-1]["status"]) == ("P1", "partial", "")

    export.export_responses(answered, "member_check", tmp_path / "r.parquet")
    table = pq.read_table(tmp_path / "r.parquet")
    assert table.column_names == header
    assert table.column("response_status").to_pylist()[:2] == ["complete", "complete"]
    assert table.column("status").to_pylist()[2] == "member"  # C03
    assert str(table.schema.field("q_csat").type) == "int64"

    export.export_responses(answered, "member_check", tmp_path / "r.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)["responses"]
    first, second = list(sheet.iter_rows(min_row=1, max_row=2, values_only=True))
    assert list(first) == header and second[2] == "email" and second[9:11] == ("guest", "advert")

    for suffix in (".sav", ".dta"):
        export.export_responses(answered, "member_check", tmp_path / f"r{suffix}")
        read = pyreadstat.read_sav if suffix == ".sav" else pyreadstat.read_dta
        frame, meta = read(str(tmp_path / f"r{suffix}"))
        labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
        assert labels["response_status"] == "Status (complete or partial)"
        assert labels["response_channel"] == "Channel the response came through"
        assert labels["status"] == "What is your status?" and labels["channel"] == "How did you hear about us?"
        assert labels["language"] == "Language the response was answered in"
        assert meta.variable_value_labels["status"] == {1: "Member", 2: "Guest"}
        assert list(frame["response_channel"][:2]) == ["email", "sms"]
        assert list(frame["status"][:3]) == [2.0, 2.0, 1.0]  # guest, guest, member


def test_the_export_imports_back_and_a_file_with_the_plain_names_too(answered: Session, tmp_path: Path) -> None:
    export.export_responses(answered, "member_check", tmp_path / "r.csv")
    publish_survey(answered, build_survey(definition("member_copy")))
    assert import_responses(answered, "member_copy", read_responses_table(tmp_path / "r.csv")) == 25
    copy = answered.scalars(sa.select(SurveyRecord).where(SurveyRecord.slug == "member_copy")).one()
    version = answered.scalars(sa.select(SurveyVersion).where(SurveyVersion.survey_id == copy.id)).one()
    stored = answered.scalars(sa.select(Response).where(Response.version_id == version.id)
                              .order_by(Response.id)).all()
    assert [(r.customer_id, r.channel, r.status) for r in stored[:2]] == [("C01", "email", "complete"),
                                                                          ("C02", "sms", "complete")]
    assert stored[2].answers == {"status": "member", "channel": "advert", "q_csat": 4}  # planned(3)
    assert (stored[-1].customer_id, stored[-1].status) == ("P1", "partial")
    assert export.response_columns(answered, "member_copy") == export.response_columns(answered, "member_check")

    # A survey without such questions keeps the plain names, as files exported before the change have them.
    plain = definition("plain_check")
    plain["sections"][0]["questions"] = plain["sections"][0]["questions"][2:]
    publish_survey(answered, build_survey(plain))
    (tmp_path / "old.csv").write_text("response_id,customer_id,channel,status,q_csat\nR1,K1,phone,partial,5\n",
                                      encoding="utf-8")
    assert import_responses(answered, "plain_check", read_responses_table(tmp_path / "old.csv")) == 1
    old = answered.scalars(sa.select(Response).where(Response.customer_id == "K1")).one()
    assert (old.channel, old.status, old.answers) == ("phone", "partial", {"q_csat": 5})


def _outcomes(tmp_path: Path) -> Path:
    # churned: the customers whose satisfaction is 1 or 2 (planned(i)["q_csat"] <= 2), known by construction
    lines = ["customer_id,churned"] + [f"{c},{int(planned(i)['q_csat'] <= 2)}" for i, c in enumerate(CUSTOMERS, 1)]
    path = tmp_path / "outcomes.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_analysis_reads_the_response_channel_not_the_question(answered: Session, tmp_path: Path) -> None:
    outcomes = _outcomes(tmp_path)
    frame, survey = responses_for_analysis(answered, "member_check")
    data = build_analysis_data(frame, read_outcomes_table(outcomes), config=read_config(None), survey=survey)
    assert len(data.frame) == 24
    by_customer = dict(zip(data.frame["customer_id"], data.frame["channel"], strict=True))
    assert by_customer["C01"] == "email" and by_customer["C02"] == "sms"
    # the CSAT question is scored as the survey's `csat`: C01…C05 answered 2, 3, 4, 5, 1 (planned)
    assert list(data.frame.sort_values("customer_id")["csat"][:5]) == [2.0, 3.0, 4.0, 5.0, 1.0]

    # the exported file, without the definition: the questions status and channel are left out (said in a note),
    # the response's own channel is the segment
    export.export_responses(answered, "member_check", tmp_path / "r.csv")
    raw = read_responses_table(tmp_path / "r.csv")
    data = build_analysis_data(raw, read_outcomes_table(outcomes), config=read_config(None))
    assert [m.name for m in data.metrics] == ["q_csat"]
    assert set(data.frame["channel"]) == {"email", "sms"}
    assert any("the columns channel, status hold answers to questions" in note for note in data.frame.attrs["notes"])

    results = analyze_published_survey(answered, "member_check", outcomes=outcomes, seed=1).to_dict()
    assert results["data_quality"]["matched"] == 24
    levels = {row["level"] for row in results["segments"]["rows"] if row["grouping"] == "channel"}
    assert levels == {"email", "sms"}
