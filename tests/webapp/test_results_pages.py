"""Results pages: every number shown equals what is worked out here by hand from `RESPONDENTS`, answered
through the real respondent pages; comments are escaped and searchable; charts carry a text alternative and a
data table; exports download; anonymous visitors are sent to sign in."""

from __future__ import annotations

import csv
import io
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from scipy import stats

from surveys.definition import build_survey
from tests.webapp.support.results import (
    RESPONDENTS,
    SLUG,
    add_staff,
    csrf_token,
    seed_survey,
    seeded_app,
    sign_in,
    signed_in,
)
from tests.webapp.support.results import data_count as count
from tests.webapp.support.web import EXAMPLE, example_survey
from webapp.app import create_app
from webapp.services.invitations import create_invitations
from webapp.services.publishing import publish_survey
from webapp.storage.engine import open_session

URL = f"/results/{SLUG}"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """One answered survey on SQLite shared by the read-only tests of this module (seeding takes a while)."""
    return seeded_app(tmp_path_factory.mktemp("results"))


@pytest.fixture
def analyst(seeded: Flask) -> FlaskClient:
    return signed_in(seeded)


def card(html: str, name: str) -> str:
    """The text of the metric card of `name`, tags dropped and spaces collapsed."""
    match = re.search(rf'<li class="card" data-metric="{re.escape(name)}">(.*?)</li>', html, re.S)
    assert match, f"no card for {name}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_response_counts_completion_drop_off_and_channels(app: Flask, db_url: str) -> None:
    """On each database backend (SQLite and, when configured, PostgreSQL: dates are grouped in SQL)."""
    add_staff(db_url)
    seed_survey(app, db_url)
    analyst = app.test_client()
    sign_in(analyst, "analyst@example.com")
    page = analyst.get(URL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # 10 complete, 3 partial (2 stopped on page 2, 1 on page 1); completion 10/13 = 76.9%
    assert (count(html, "total"), count(html, "complete"), count(html, "partial")) == ("13", "10", "3")
    assert count(html, "completion") == "76.9%"
    assert "Page 2: Along the way: 2 stopped" in html  # the drop-off chart's text alternative
    assert "Page 1: What we promised: 1 stopped" in html
    # phone: 6 complete + 3 partial; email: 4 complete
    assert "email: 4 complete, 0 partial; phone: 6 complete, 3 partial" in html


def test_metric_cards_match_hand_computation(analyst: FlaskClient) -> None:
    html = analyst.get(URL).get_data(as_text=True)
    ces = [r.ces for r in RESPONDENTS]
    assert sum(ces) == 46  # mean 4.6
    # sample sd: squared deviations sum to 38.4, variance 38.4 / 9
    half = stats.t.ppf(0.975, 9) * math.sqrt(38.4 / 9) / math.sqrt(10)
    assert card(html, "q_ces:mean") == (
        f"Customer Effort Score, mean (q_ces) 4.60 95% CI {4.6 - half:.2f} to {4.6 + half:.2f} n = 10")
    assert card(html, "q_ces:easy").split(" 95%")[0] == "Found it easy, 5–7 (q_ces) 60.0%"  # 7,6,5,5,6,7: 6 of 10
    # NPS: promoters 10,9,10,9,10 (5), detractors 6,3,5 (3): 100 × (0.5 − 0.3) = +20
    # its interval: se = 100 × √((0.5 + 0.3 − 0.2²) / 10) = 27.57, ± 1.96 se = ± 54.0 → −34 to +74
    assert card(html, "q_nps:nps").startswith("Net Promoter Score (q_nps) +20 95% CI -34 to +74 n = 10")
    # BAS: easy 5,4,4,3,3,2,1,5,5,1 → 100,75,75,50,50,25,0,100,100,0 (57.5); partner → 75,75,50,50,25,25,0,100,75,25
    # (50.0); everyone answered both, so overall = mean of respondent means = (57.5 + 50) / 2 = 53.75
    assert "Brand Alignment Score (q_align) 53.8" in card(html, "q_align:bas")
    assert "We make things easy: 57.5 (" in html
    assert "We treat you as a partner: 50.0 (" in html
    # friction at ordering: c03, c05, c06, c07, c10 → 5 of 10
    assert "Ordering: 50.0% (" in html


def test_per_channel_comparison(analyst: FlaskClient) -> None:
    html = analyst.get(URL).get_data(as_text=True)
    table = re.search(r'<table id="channel-comparison">(.*?)</table>', html, re.S)
    assert table
    row = re.search(r"Customer Effort Score, mean \(q_ces\)</th>(.*?)</tr>", table.group(1), re.S)
    assert row
    cells = re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
    # columns are email, phone; email CES 2,6,7,1 → 4.00; phone 7,6,5,5,4,3 → 5.00
    assert cells[0].startswith("4.00 (") and cells[0].endswith("n = 4)")
    assert cells[1].startswith("5.00 (") and cells[1].endswith("n = 6)")


def test_comments_are_escaped_and_searchable(analyst: FlaskClient) -> None:
    html = analyst.get(URL).get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; hold music" in html
    assert "4 comment(s)" in html
    found = analyst.get(URL, query_string={"q": "REFUND"}).get_data(as_text=True)
    quotes = re.findall(r"<blockquote>(.*?)</blockquote>", found)
    assert sorted(quotes) == ["Nobody answered my e-mail about the refund", "Refund took three weeks"]
    assert "2 comment(s) contain “REFUND”" in found
    hostile = analyst.get(URL, query_string={"q": '"><script>x</script>'}).get_data(as_text=True)
    assert "<script>x" not in hostile and "0 comment(s)" in hostile


class _Svgs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.svgs: list[dict[str, str | None]] = []
        self.ids: dict[str, str] = {}
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.svgs.append(dict(attrs))
        if tag in ("title", "desc") and dict(attrs).get("id"):
            self._open = dict(attrs)["id"]
            self.ids[self._open or ""] = ""

    def handle_data(self, data: str) -> None:
        if self._open:
            self.ids[self._open] += data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("title", "desc"):
            self._open = None


def test_charts_have_text_alternatives_and_data_tables(analyst: FlaskClient) -> None:
    html = analyst.get(URL).get_data(as_text=True)
    parser = _Svgs()
    parser.feed(html)
    assert len(parser.svgs) == 6  # days, drop-off, channels, promises, touchpoints, channel ratings
    for svg in parser.svgs:
        assert svg["role"] == "img"
        for ident in (svg["aria-labelledby"] or "").split():
            assert parser.ids.get(ident, "").strip(), ident
    assert html.count("<summary>Data table:") == 6
    assert "<script" not in html.replace("&lt;script", "")  # no chart JavaScript


def test_exports(analyst: FlaskClient) -> None:
    response = analyst.get(f"{URL}/responses.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 13
    assert sorted(int(r["q_ces"]) for r in rows if r["status"] == "complete") == sorted(r.ces for r in RESPONDENTS)
    workbook = load_workbook(io.BytesIO(analyst.get(f"{URL}/responses.xlsx").data), read_only=True)
    sheet_rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert len(sheet_rows) == 14  # header + 13 responses
    assert analyst.get(f"{URL}/responses.pdf").status_code == 404
    assert analyst.get("/results/no_such_survey").status_code == 404


def test_list_links_each_survey(analyst: FlaskClient) -> None:
    html = analyst.get("/results/").get_data(as_text=True)
    assert f'href="{URL}"' in html
    assert "<td>10</td>" in html and "<td>3</td>" in html


@pytest.mark.parametrize("path", ["/results/", URL, f"{URL}/responses.csv"])
def test_anonymous_is_sent_to_sign_in(seeded: Flask, path: str) -> None:
    response = seeded.test_client().get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ["author", "admin"])
def test_authors_and_admins_read_results(seeded: Flask, role: str) -> None:
    client = seeded.test_client()
    sign_in(client, f"{role}@example.com")
    assert client.get(URL).status_code == 200


def _fresh_app(tmp_path: Path) -> tuple[Flask, str]:
    url = f"sqlite:///{tmp_path / 'cxroi.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                      "SECRET_KEY": "test-secret"})
    add_staff(url)
    return app, url


def test_a_survey_without_responses(tmp_path: Path) -> None:
    app, url = _fresh_app(tmp_path)
    with open_session(url) as session:
        publish_survey(session, example_survey())
    client = app.test_client()
    sign_in(client, "analyst@example.com")
    page = client.get(URL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert (count(html, "total"), count(html, "completion")) == ("0", "—")
    assert "No complete responses yet" in html and "<svg" not in html


def test_answers_off_the_latest_scale_are_reported_not_crashed(tmp_path: Path) -> None:
    app, url = _fresh_app(tmp_path)
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["sections"][0]["questions"][0]["points"] = 7  # version 1: a 7-point alignment grid
    with open_session(url) as session:
        publish_survey(session, build_survey(data))
        link = f"/s/{create_invitations(session, SLUG, ['c1'], 'phone')[0].token}"
    respondent = app.test_client()
    token = csrf_token(respondent.get(link).get_data(as_text=True))
    first = {"page": "0", "q_align.easy": "7", "q_align.partner": "6", "q_ces": "5", "csrf_token": token}
    assert respondent.post(link, data=first).status_code == 303
    assert respondent.post(link, data={"page": "1", "q_nps": "9", "csrf_token": token}).status_code == 303
    with open_session(url) as session:
        publish_survey(session, example_survey())  # version 2: back to 5 points; the stored 7 is off its scale
    client = app.test_client()
    sign_in(client, "analyst@example.com")
    page = client.get(URL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "These responses could not be scored:" in html
    assert count(html, "complete") == "1"
