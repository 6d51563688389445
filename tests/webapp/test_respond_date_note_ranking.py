"""The date, ranking and note types on the respondent pages (issue 13): rendered without JavaScript, answered, bad
answers shown as errors at their field (400, never a 500), a piped conditional note, and the export's columns."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveys.definition import build_survey
from tests.webapp.support.web import FormReader, first_page_token, response_rows
from webapp.services import create_invitations, publish_survey
from webapp.services.export import export_responses

DEFINITION = {
    "id": "visit", "title": "Your visit",
    "sections": [
        {"id": "visit_page", "title": "The visit", "questions": [
            {"id": "q_when", "type": "date", "text": "When did you visit?", "min": "2025-01-01", "max": "today",
             "required": True},
            {"id": "n_intro", "type": "note", "text": "Next, what matters to you <most>.", "help": "Three places."},
            {"id": "q_rank", "type": "ranking", "text": "Order these by importance.", "top": 3, "required": True,
             "choices": [{"code": "price", "label": "Price"}, {"code": "speed", "label": "Speed"},
                         {"code": "staff", "label": "Staff"}, {"code": "range", "label": "Range"}]},
        ]},
        {"id": "end", "title": "Last", "questions": [
            {"id": "n_price", "type": "note", "text": "You put {{ q_rank }} in that order: thank you.",
             "show_if": "'price' in q_rank"},
            {"id": "q_more", "type": "text", "text": "Anything else?"},
        ]},
    ],
}


def start(client: FlaskClient, db: Session) -> tuple[str, str, str]:
    survey = build_survey(DEFINITION)
    publish_survey(db, survey)
    [issued] = create_invitations(db, survey.id, ["C1"], "email")
    url = f"/s/{issued.token}"
    page = client.get(url).get_data(as_text=True)
    return url, page, first_page_token(client, url)


def test_the_page_renders_a_date_box_one_list_per_place_and_the_note(client: FlaskClient, db: Session) -> None:
    _, page, _ = start(client, db)
    [date_box] = re.findall(r"<input[^>]*name=\"q_when\"[^>]*>", page)
    assert 'type="date"' in date_box and 'min="2025-01-01"' in date_box and 'max="' in date_box
    assert "<script" not in page
    selects = re.findall(r'<select[^>]*name="(q_rank\.\d)"', page)
    assert selects == ["q_rank.1", "q_rank.2", "q_rank.3"]  # top 3: three places, not four
    for place in ("1st", "2nd", "3rd"):
        assert re.search(rf'<label for="q_rank\.\d">{place}</label>', page)
    assert "Next, what matters to you &lt;most&gt;." in page and "Three places." in page
    assert 'name="n_intro"' not in page  # a note has no field
    reader = FormReader(page)
    assert reader.unlabelled() == [] and reader.fieldsets_without_legend == 0


def test_bad_answers_are_shown_at_their_fields(client: FlaskClient, db: Session, db_url: str) -> None:
    url, _, token = start(client, db)
    reply = client.post(url, data={"page": "0", "csrf_token": token, "q_when": "31/03/2025",
                                   "q_rank.1": "speed", "q_rank.2": "price", "q_rank.3": "speed"})
    assert reply.status_code == 400
    page = reply.get_data(as_text=True)
    assert "enter the date as YYYY-MM-DD, for example 2026-03-31" in page
    assert "Speed is chosen at both 1st and 3rd; choose each once" in page
    assert 'href="#q_when"' in page and 'href="#q_rank.3"' in page  # the summary links to the field at fault
    # what was posted is shown again, to be corrected
    assert FormReader(page).values["q_rank.3"] == ["speed"]
    reply = client.post(url, data={"page": "0", "csrf_token": token, "q_when": "2025-02-30",
                                   "q_rank.1": "speed", "q_rank.2": "", "q_rank.3": "price"})
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400 and "2025-02-30 is not a day of the calendar" in page
    assert "2nd is empty but 3rd is chosen: rank in order, leaving no gap" in page
    assert response_rows(db_url)[0]["answers"] in ({}, None)


def test_answered_stored_piped_and_exported(client: FlaskClient, db: Session, db_url: str, tmp_path: Path) -> None:
    url, _, token = start(client, db)
    reply = client.post(url, data={"page": "0", "csrf_token": token, "q_when": "2025-03-31",
                                   "q_rank.1": "staff", "q_rank.2": "price", "q_rank.3": "speed"})
    assert reply.status_code == 303, reply.get_data(as_text=True)[:1500]
    page = client.get(f"{url}?page=1").get_data(as_text=True)
    assert "You put Staff, Price, Speed in that order: thank you." in page  # the labels, in rank order
    back = FormReader(client.get(f"{url}?page=0").get_data(as_text=True)).values
    assert (back["q_when"], back["q_rank.1"], back["q_rank.2"], back["q_rank.3"]) == (
        ["2025-03-31"], ["staff"], ["price"], ["speed"])
    reply = client.post(url, data={"page": "1", "csrf_token": token, "q_more": ""})
    assert reply.status_code == 303
    [row] = response_rows(db_url)
    assert row["answers"] == {"q_when": "2025-03-31", "q_rank": ["staff", "price", "speed"]}

    path = tmp_path / "visit.csv"
    assert export_responses(db, "visit", path) == 1
    exported = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert [c for c in exported.columns if c.startswith(("q_", "n_"))] == [
        "q_when", "q_rank.price", "q_rank.speed", "q_rank.staff", "q_rank.range", "q_more"]
    first = exported.iloc[0]
    assert (first["q_when"], first["q_rank.staff"], first["q_rank.price"], first["q_rank.speed"],
            first["q_rank.range"]) == ("2025-03-31", "1", "2", "3", "")


def test_dates_are_dates_in_parquet_and_xlsx_and_ranks_are_ordinal_in_spss(client: FlaskClient, db: Session,
                                                                           tmp_path: Path) -> None:
    import openpyxl
    import pyarrow.parquet as pq
    import pyreadstat

    url, _, token = start(client, db)
    for page, data in (("0", {"q_when": "2025-03-31", "q_rank.1": "range", "q_rank.2": "speed", "q_rank.3": "price"}),
                       ("1", {"q_more": "No"})):
        assert client.post(url, data={"page": page, "csrf_token": token} | data).status_code == 303
    assert export_responses(db, "visit", tmp_path / "visit.parquet") == 1
    table = pq.read_table(tmp_path / "visit.parquet")
    assert str(table.schema.field("q_when").type) == "date32[day]"
    assert str(table.schema.field("q_rank.range").type) == "int64"
    row = table.to_pylist()[0]
    assert row["q_when"] == date(2025, 3, 31)
    assert (row["q_rank.range"], row["q_rank.speed"], row["q_rank.price"], row["q_rank.staff"]) == (1, 2, 3, None)

    assert export_responses(db, "visit", tmp_path / "visit.xlsx") == 1
    sheet = openpyxl.load_workbook(tmp_path / "visit.xlsx").active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("q_when") + 1)
    assert cell.is_date and cell.value.date() == date(2025, 3, 31)

    assert export_responses(db, "visit", tmp_path / "visit.sav") == 1
    frame, meta = pyreadstat.read_sav(str(tmp_path / "visit.sav"))
    assert frame.loc[0, "q_when"] == "2025-03-31"
    assert frame.loc[0, "q_rank.speed"] == 2 and meta.variable_measure["q_rank.speed"] == "ordinal"
    assert "q_rank.speed" not in meta.variable_value_labels  # ranks, not "Selected"/"Not selected"
    assert meta.column_names_to_labels["q_rank.speed"] == "Order these by importance. — Speed"


SHUFFLED = {
    "id": "brands", "title": "Brands",
    "sections": [{"id": "p", "title": "Brands", "questions": [
        {"id": "q_brand", "type": "single_choice", "text": "Which brand did you buy?", "randomize": True,
         "pin_last": ["none"], "choices": [{"code": c, "label": c.title()} for c in
                                           ("acme", "globex", "initech", "umbrella", "hooli", "none")]},
        {"id": "q_why", "type": "text", "text": "Why that one?", "required": True},
    ]}],
}


def radio_order(page: str) -> list[str]:
    return re.findall(r'name="q_brand" type="radio" value="([a-z]+)"', page)


def test_shuffled_choices_keep_their_order_for_a_respondent(client: FlaskClient, db: Session) -> None:
    from webapp.services.invitations import set_public_link

    survey = build_survey(SHUFFLED)
    publish_survey(db, survey)
    issued = create_invitations(db, survey.id, [f"C{n}" for n in range(8)], "email")
    orders = []
    for invitation in issued:
        url = f"/s/{invitation.token}"
        first = radio_order(client.get(url).get_data(as_text=True))
        assert sorted(first) == sorted(c["code"] for c in SHUFFLED["sections"][0]["questions"][0]["choices"])
        assert first[-1] == "none"  # pinned last
        assert radio_order(client.get(f"{url}?page=0").get_data(as_text=True)) == first  # a reload: the same
        orders.append(first)
    # shown again after an error (q_why missing), the order is the one shown before
    url, token = f"/s/{issued[0].token}", first_page_token(client, f"/s/{issued[0].token}")
    reply = client.post(url, data={"page": "0", "csrf_token": token, "q_brand": "hooli"})
    assert reply.status_code == 400 and radio_order(reply.get_data(as_text=True)) == orders[0]
    # eight respondents: 120 orders of five brands make eight equal ones all but impossible (1 in 120**7)
    assert len({tuple(order) for order in orders}) > 1

    # a public link's first page is shown before the response exists: the same order once it does
    set_public_link(db, survey.id, True)
    respondent = client.application.test_client()
    shown = radio_order(respondent.get("/p/brands").get_data(as_text=True))
    token = first_page_token(respondent, "/p/brands")
    reply = respondent.post("/p/brands", data={"page": "0", "csrf_token": token, "q_brand": "acme"})
    assert reply.status_code == 400 and radio_order(reply.get_data(as_text=True)) == shown
