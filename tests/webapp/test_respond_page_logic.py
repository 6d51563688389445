"""Page logic on the respondent pages (issue 13), through the Flask test client on a real database: a page shown
only when its condition holds is skipped going forward and back, its answers are dropped when a changed answer
hides it; a screen-out ends the survey with its own closing text, stored complete and marked, exactly once;
calculated values are stored at submit and exported as columns."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveys.definition import build_survey
from surveys.model import Survey
from tests.webapp.support.web import csrf_token, response_rows
from webapp.services import create_invitations, publish_survey
from webapp.services.export import export_responses

YES_NO = [{"code": "yes", "label": "Yes"}, {"code": "no", "label": "No"}]


def logic_survey() -> Survey:
    return build_survey({
        "id": "page_logic", "title": "Your support call",
        "calculate": [{"id": "effort_index", "expression": "(q_wait + q_fix) / 2"}],
        "screen_out": [{"id": "not_customer", "when": 'q_customer == "no"',
                        "text": "This survey is only for our customers. Thank you for your time."}],
        "sections": [
            {"id": "start", "title": "Your call", "questions": [
                {"id": "q_customer", "type": "single_choice", "text": "Are you one of our customers?",
                 "required": True, "choices": YES_NO},
                {"id": "q_wait", "type": "rating", "text": "How short was the wait?"},
                {"id": "q_fix", "type": "rating", "text": "How well was your problem fixed?"}]},
            {"id": "hard", "title": "What was hard", "show_if": "effort_index < 3", "questions": [
                {"id": "q_hard", "type": "text", "text": "What made it hard?", "required": True}]},
            {"id": "callback", "title": "A call back", "show_if": "answered(q_hard)", "questions": [
                {"id": "q_callback", "type": "single_choice", "text": "Shall we call you back?", "required": True,
                 "choices": YES_NO}]},
            {"id": "end", "title": "Last words", "questions": [
                {"id": "q_more", "type": "text", "text": "Anything else?"}]},
        ],
    })


def _link(db: Session) -> str:
    publish_survey(db, logic_survey())
    [issued] = create_invitations(db, "page_logic", ["C1"], "email")
    return f"/s/{issued.token}"


def _post(client: FlaskClient, url: str, token: str, page: int, **fields: Any) -> Any:
    return client.post(url, data={"csrf_token": token, "page": str(page), **fields})


def _start(client: FlaskClient, url: str) -> str:
    first = client.get(url)
    assert first.status_code == 200
    return csrf_token(first.get_data(as_text=True))


def test_a_skipped_page_is_passed_over_forward_and_back(client: FlaskClient, db: Session, db_url: str) -> None:
    url = _link(db)
    token = _start(client, url)
    sent = _post(client, url, token, 0, q_customer="yes", q_wait="4", q_fix="5")  # effort_index 4.5: no "hard"
    assert sent.status_code == 303 and sent.headers["Location"].endswith("?page=3")
    last = client.get(url + "?page=3").get_data(as_text=True)
    assert "Anything else?" in last and "What made it hard?" not in last
    assert "Back to page 1</button>" in last  # over the two hidden pages
    assert client.get(url + "?page=1").headers["Location"].endswith("?page=3")  # hidden: the next page shown
    back = _post(client, url, token, 3, q_more="typed before Back", back="1")
    assert back.headers["Location"].endswith("?page=0")  # over the two hidden pages
    assert _post(client, url, token, 0, q_customer="yes", q_wait="4", q_fix="5").headers["Location"].endswith(
        "?page=3")
    done = _post(client, url, token, 3, q_more="All good")
    assert done.status_code == 303 and "/thanks" in done.headers["Location"]
    [row] = response_rows(db_url)
    assert row["status"] == "complete"
    assert row["answers"] == {"q_customer": "yes", "q_wait": 4, "q_fix": 5, "q_more": "All good",
                              "effort_index": 4.5}


def test_a_page_hidden_by_a_changed_answer_loses_its_answers(client: FlaskClient, db: Session, db_url: str) -> None:
    url = _link(db)
    token = _start(client, url)
    assert _post(client, url, token, 0, q_customer="yes", q_wait="1", q_fix="2").headers["Location"].endswith(
        "?page=1")  # (1 + 2) / 2 = 1.5 < 3
    required = _post(client, url, token, 1)
    assert required.status_code == 400 and "needs an answer" in required.get_data(as_text=True)
    assert _post(client, url, token, 1, q_hard="Nobody picked up").headers["Location"].endswith("?page=2")
    assert _post(client, url, token, 2, q_callback="yes").headers["Location"].endswith("?page=3")
    # back to the first page: better marks hide both pages ("hard", and "callback" which followed from it)
    assert client.get(url + "?page=0").status_code == 200
    assert _post(client, url, token, 0, q_customer="yes", q_wait="3", q_fix="4").headers["Location"].endswith(
        "?page=3")
    assert "/thanks" in _post(client, url, token, 3).headers["Location"]
    [row] = response_rows(db_url)
    assert row["status"] == "complete"
    assert row["answers"] == {"q_customer": "yes", "q_wait": 3, "q_fix": 4, "effort_index": 3.5}


def test_a_screen_out_ends_the_survey_once(client: FlaskClient, db: Session, db_url: str) -> None:
    url = _link(db)
    token = _start(client, url)
    sent = _post(client, url, token, 0, q_customer="no", q_wait="2")
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/thanks")
    thanks = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "This survey is only for our customers. Thank you for your time." in thanks
    [row] = response_rows(db_url)
    assert row["status"] == "complete" and row["submitted_at"] is not None
    # q_fix unanswered: no effort index; the rule that ended it is kept with the answers
    assert row["answers"] == {"q_customer": "no", "q_wait": 2, "_screened_out": "not_customer"}
    # reopened: already answered, and a page sent again changes nothing
    again = client.get(url)
    assert again.status_code == 410 and "already answered" in again.get_data(as_text=True)
    retry = _post(client, url, token, 0, q_customer="yes", q_wait="5", q_fix="5")
    assert retry.status_code == 303 and retry.headers["Location"].endswith("/thanks")
    assert client.get(url + "?page=3").status_code == 410
    assert response_rows(db_url) == [row]


def test_exports_carry_the_calculated_value_and_the_screen_out(client: FlaskClient, db: Session,
                                                               tmp_path: Path) -> None:
    url = _link(db)
    token = _start(client, url)
    _post(client, url, token, 0, q_customer="yes", q_wait="2", q_fix="3")
    _post(client, url, token, 1, q_hard="Too long")
    _post(client, url, token, 2, q_callback="no")
    assert "/thanks" in _post(client, url, token, 3).headers["Location"]
    [screened] = create_invitations(db, "page_logic", ["C2"], "email")
    other = client.application.test_client()
    second = f"/s/{screened.token}"
    _post(other, second, _start(other, second), 0, q_customer="no")
    out = tmp_path / "responses.csv"
    assert export_responses(db, "page_logic", out) == 2
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["status"], r["effort_index"], r["screened_out"], r["q_hard"]) for r in rows] == [
        ("complete", "2.5", "", "Too long"), ("complete", "", "not_customer", "")]
    import pandas as pd

    parquet = tmp_path / "responses.parquet"
    export_responses(db, "page_logic", parquet)
    frame = pd.read_parquet(parquet)
    assert frame["effort_index"].tolist()[0] == 2.5 and pd.isna(frame["effort_index"].tolist()[1])
    assert frame["screened_out"].tolist() == [None, "not_customer"]
    xlsx = tmp_path / "responses.xlsx"
    export_responses(db, "page_logic", xlsx)
    sheet = pd.read_excel(xlsx)
    assert sheet["effort_index"].tolist()[0] == 2.5
    import pyreadstat

    sav = tmp_path / "responses.sav"
    export_responses(db, "page_logic", sav)
    data, _meta = pyreadstat.read_sav(str(sav))
    assert data["effort_index"].tolist()[0] == 2.5 and data["screened_out"].tolist()[1] == "not_customer"


def test_the_results_page_counts_a_screened_out_response_apart(app: Any, client: FlaskClient, db: Session,
                                                                       db_url: str) -> None:
    from tests.webapp.support.author import signed_in

    url = _link(db)
    _post(client, url, _start(client, url), 0, q_customer="no")  # screened out
    [partial] = create_invitations(db, "page_logic", ["C2"], "email")
    other = app.test_client()
    second = f"/s/{partial.token}"
    _post(other, second, _start(other, second), 0, q_customer="yes", q_wait="1", q_fix="1")  # stopped on page 2
    html = signed_in(app, db_url, "analyst").get("/results/page_logic").get_data(as_text=True)
    assert '<dd class="value" data-count="complete">0</dd>' in html  # went to the end: nobody
    assert '<dd class="value" data-count="screened_out">1</dd>' in html  # neither complete nor a drop-off
    assert '<dd class="value" data-count="partial">1</dd>' in html
    assert '<dd class="value" data-count="completion">0.0%</dd>' in html  # 0 of the 1 eligible respondent


def test_a_public_link_respondent_is_screened_out_once(client: FlaskClient, db: Session, db_url: str) -> None:
    publish_survey(db, logic_survey())
    url = "/p/page_logic?channel=web"
    token = _start(client, url)
    sent = client.post("/p/page_logic", data={"csrf_token": token, "page": "0", "q_customer": "no"})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/p/page_logic/thanks")
    assert "only for our customers" in client.get("/p/page_logic/thanks").get_data(as_text=True)
    again = client.post("/p/page_logic", data={"csrf_token": token, "page": "0", "q_customer": "yes"})
    assert again.status_code == 303 and again.headers["Location"].endswith("/thanks")
    [row] = response_rows(db_url)
    assert row["status"] == "complete" and row["answers"] == {"q_customer": "no", "_screened_out": "not_customer"}


def test_the_progress_counts_only_the_pages_the_respondent_sees(client: FlaskClient, db: Session) -> None:
    """Four pages; "What was hard" shows when effort_index < 3 and "A call back" when q_hard is answered. The
    progress counts the pages shown given the answers so far (worked out by hand for each step)."""
    url = _link(db)
    first = client.get(url).get_data(as_text=True)
    token = csrf_token(first)
    assert "Page 1 of 2" in first and ">Next</button>" in first  # nothing answered: both conditional pages hidden
    _post(client, url, token, 0, q_customer="yes", q_wait="1", q_fix="2")  # effort_index 1.5: "hard" shown
    hard = client.get(url + "?page=1").get_data(as_text=True)
    assert "Page 2 of 3" in hard and "Back to page 1</button>" in hard
    _post(client, url, token, 1, q_hard="Nobody picked up")  # answered: "A call back" shown too
    call_back = client.get(url + "?page=2").get_data(as_text=True)
    assert "Page 3 of 4" in call_back and "Back to page 2</button>" in call_back
    _post(client, url, token, 2, q_callback="no")
    last = client.get(url + "?page=3").get_data(as_text=True)
    assert "Page 4 of 4" in last and ">Submit</button>" in last and "Back to page 3</button>" in last


def test_a_skipped_page_is_not_counted_and_back_names_the_page_shown(client: FlaskClient, db: Session) -> None:
    url = _link(db)
    token = _start(client, url)
    _post(client, url, token, 0, q_customer="yes", q_wait="4", q_fix="5")  # effort_index 4.5: pages 2, 3 hidden
    last = client.get(url + "?page=3").get_data(as_text=True)
    assert "Page 2 of 2" in last and ">Submit</button>" in last and "Back to page 1</button>" in last
