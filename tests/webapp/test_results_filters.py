"""The results page's filters and cross-tab (issue 16), on a real database of each backend (SQLite file, and
PostgreSQL when a server is found: the filters are counted in SQL) with the planted responses of
tests/webapp/support/filtered.py. Every expected number is worked out by hand from that plan."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.webapp.support.filtered import CROSS_SLUG, SLUG, plant_cross_tab, plant_filtered
from tests.webapp.support.results import add_staff, data_count, signed_in
from webapp.results.filters import BadFilter
from webapp.results.summary import build_survey_results
from webapp.storage.engine import open_session


def _csat(results: Any, suffix: str) -> float:
    [metric] = [m for m in results.scorecard.overall if m.name.endswith(suffix) and m.kind == "csat"]
    return float(metric.estimate)


# (filters, complete, partial, CSAT mean, CSAT top-2 share in %): see PLANTED and PARTIAL.
CASES = [
    ({}, 6, 1, 20 / 6, 50.0),  # 5 2 4 3 1 5: top-2 (4 or 5) three of six
    ({"since": "2026-02-01"}, 3, 1, 3.0, 1 / 3 * 100),  # R4 R5 R6 (3 1 5); P1 started 02-04
    ({"until": "2026-01-20"}, 3, 0, 11 / 3, 2 / 3 * 100),  # R1 R2 R3 (5 2 4): the last day is inclusive
    ({"channel": "sms"}, 3, 0, 10 / 3, 2 / 3 * 100),  # R3 R5 R6 (4 1 5)
    ({"segment": "q_plan:gold"}, 4, 1, 17 / 4, 75.0),  # R1 R3 R4 R6 (5 4 3 5); P1 answered gold
    ({"version": "1"}, 3, 0, 11 / 3, 2 / 3 * 100),  # R1 R2 R3
    ({"wave": "2"}, 2, 0, 2.0, 0.0),  # R4 R5 (3 1); P1 has no wave
    ({"language": "fr"}, 2, 0, 2.5, 50.0),  # R3 R5 (4 1)
    ({"since": "2026-01-06", "until": "2026-02-03", "channel": "email"}, 2, 0, 2.5, 0.0),  # R2 R4 (2 3)
]


@pytest.mark.parametrize(("filters", "complete", "partial", "mean", "top2"), CASES)
def test_each_filter_changes_the_numbers_as_worked_out(db: Session, filters: dict[str, str], complete: int,
                                                       partial: int, mean: float, top2: float) -> None:
    plant_filtered(db)
    results = build_survey_results(db, SLUG, filters=filters)
    assert (results.complete, results.partial) == (complete, partial)
    assert _csat(results, ":mean") == pytest.approx(mean)
    assert _csat(results, ":top2") == pytest.approx(top2)
    assert results.filters.active == bool(filters)


def test_filtered_counts_match_the_stored_tallies_when_nothing_is_left_out(db: Session) -> None:
    """A filter that keeps every response (a date range around all of them) counts in SQL exactly the tallies
    the submit stored: same days, channels, comments, scores."""
    plant_filtered(db)
    stored = build_survey_results(db, SLUG)
    counted = build_survey_results(db, SLUG, filters={"since": "2025-12-01", "until": "2026-12-31"})
    assert counted.filtered is not None and stored.filtered is None
    assert (counted.days, counted.channels, counted.comments_matching) == (stored.days, stored.channels, 3)
    assert counted.scorecard == stored.scorecard


def test_filters_apply_to_days_channels_and_comments(db: Session) -> None:
    plant_filtered(db)
    sms = build_survey_results(db, SLUG, filters={"channel": "sms"})
    assert [(c.channel, c.complete, c.partial) for c in sms.channels] == [("sms", 3, 0)]
    assert [(d.day.isoformat(), d.started, d.completed) for d in sms.days] == [
        ("2026-01-20", 1, 1), ("2026-02-03", 1, 1), ("2026-02-10", 1, 1)]
    assert sorted(c.text for c in sms.comments) == ["bien", "slow"] and sms.comments_matching == 2
    assert sms.filters_said == ("channel sms",)
    gold = build_survey_results(db, SLUG, filters={"segment": "q_plan:gold", "wave": "1"})
    assert (gold.complete, gold.partial) == (2, 0)  # R1 R3
    assert gold.filters_said == ("Your plan: Gold", "wave spring-1")


@pytest.mark.parametrize(("filters", "field"), [
    ({"since": "2026-13-01"}, "since: '2026-13-01' is not a date"),
    ({"until": "yesterday"}, "until: 'yesterday' is not a date"),
    ({"since": "2026-02-01", "until": "2026-01-01"}, "until: 2026-01-01 is before since"),
    ({"version": "9"}, "version: '9' is not one of the survey's versions (1, 2)"),
    ({"version": "one"}, "version: 'one' is not one of"),
    ({"channel": "fax"}, "channel: 'fax' is not one of the survey's channels"),
    ({"segment": "q_plan:platinum"}, "segment: 'q_plan:platinum' is not one of"),
    ({"segment": "q_csat:5"}, "segment: 'q_csat:5' is not one of"),
    ({"wave": "7"}, "wave: '7' is not one of the survey's waves (1, 2)"),
])
def test_a_bad_filter_value_names_its_field(db: Session, filters: dict[str, str], field: str) -> None:
    plant_filtered(db)
    with pytest.raises(BadFilter, match=re.escape(field)):
        build_survey_results(db, SLUG, filters=filters)


@pytest.fixture
def analyst(app: Flask, db_url: str) -> FlaskClient:
    add_staff(db_url)
    with open_session(db_url) as session:
        plant_filtered(session)
        plant_cross_tab(session)
    return signed_in(app)


def test_the_page_filters_every_figure_and_says_so(analyst: FlaskClient) -> None:
    page = analyst.get(f"/results/{SLUG}").get_data(as_text=True)
    assert "No filter: every response (7)." in page
    assert '<form method="get" action="/results/filtered_shop" id="results-filters"' in page
    assert '<option value="q_plan:gold">Your plan: Gold</option>' in page
    filtered = analyst.get(f"/results/{SLUG}?since=2026-02-01&channel=email").get_data(as_text=True)
    # R4 complete (CSAT 3) and P1 partial: both e-mail, on or after 1 February
    assert (data_count(filtered, "complete"), data_count(filtered, "partial"), data_count(filtered, "matching")) == ("1", "1", "2")
    assert "Filters on: submitted (partial responses: started) from 2026-02-01 to today; channel email." in filtered
    assert 'value="2026-02-01"' in filtered and '<option value="email" selected>email</option>' in filtered
    card = re.search(r'data-metric="[^"]*:mean".*?class="value">([^<]*)<', filtered, re.S)
    assert card and card.group(1) == "3.00"
    # the export form carries the filters (hidden fields) and the export keeps only those responses
    assert '<input type="hidden" name="channel" value="email">' in filtered
    download = analyst.get(f"/results/{SLUG}/responses.csv?since=2026-02-01&channel=email")
    assert download.status_code == 200 and "filtered_shop-responses-filtered.csv" in download.headers[
        "Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert sorted((r["customer_id"], r["status"]) for r in rows) == [("P1", "partial"), ("R4", "complete")]


@pytest.mark.parametrize(("query", "field"), [
    ("since=2026-02-30", "since: &#39;2026-02-30&#39; is not a date"),
    ("version=3", "version: &#39;3&#39; is not one of the survey&#39;s versions"),
    ("channel=fax", "channel: &#39;fax&#39;"),
    ("segment=nope", "segment: &#39;nope&#39;"),
    ("wave=x", "wave: &#39;x&#39;"),
    ("metric=q_why&by=channel", "metric: &#39;q_why&#39; is not a scale question"),
    ("metric=q_csat&by=q_csat", "by: &#39;q_csat&#39; is not a segment"),
])
def test_a_bad_filter_on_the_page_or_the_export_is_a_400_naming_the_field(analyst: FlaskClient, query: str,
                                                                          field: str) -> None:
    page = analyst.get(f"/results/{SLUG}?{query}")
    assert page.status_code == 400 and field in page.get_data(as_text=True)
    if not query.startswith("metric"):
        assert analyst.get(f"/results/{SLUG}/responses.xlsx?{query}").status_code == 400


def _cross_rows(html: str) -> list[tuple[str, str, str, str]]:
    return re.findall(r'<tr data-segment="([^"]*)"><th scope="row">[^<]*</th><td data-mean>([^<]*)</td>'
                      r'<td data-interval>([^<]*)</td><td data-n>([^<]*)</td>', html)


def test_the_cross_tab_gives_a_t_interval_per_segment_and_flags_small_ones(analyst: FlaskClient) -> None:
    # Gold: ten each of 5, 4, 3 → mean 4, s² = (10·1 + 10·1) / 29, s/√n = √(20 / 29 / 30) = 0.15162;
    # t(0.975, 29) = 2.0452 → half-width 0.3101 → 3.69 to 4.31. Silver: n = 3 < 30 → too few to compare.
    page = analyst.get(f"/results/{CROSS_SLUG}?metric=q_csat&by=q_plan").get_data(as_text=True)
    assert _cross_rows(page) == [("Gold", "4.00", "3.69 to 4.31", "30"), ("Silver", "—", "—", "3")]
    assert "too few to compare (n &lt; 30)" in page
    by_channel = analyst.get(f"/results/{CROSS_SLUG}?metric=q_csat&by=channel&channel=sms").get_data(as_text=True)
    assert _cross_rows(by_channel) == [("sms", "—", "—", "3")]  # the filter applies to the cross-tab too


def test_the_interval_of_the_cross_tab_by_hand() -> None:
    from webapp.results.crosstab import segment_mean

    gold = segment_mean("Gold", {5.0: 10, 4.0: 10, 3.0: 10})
    assert (gold.n, gold.mean) == (30, pytest.approx(4.0))
    assert gold.ci_low == pytest.approx(4 - 2.04523 * (20 / 29 / 30) ** 0.5, abs=1e-4)
    assert gold.ci_high == pytest.approx(4.3101, abs=1e-4)
    small = segment_mean("Silver", {1.0: 1, 2.0: 1, 3.0: 1})
    assert (small.n, small.mean, small.too_few) == (3, None, True)


def test_a_filter_keeping_everyone_equals_the_stored_tallies_on_the_example_survey(app: Flask, db_url: str) -> None:
    """The example survey (grids, multiple choice, friction follow-ups, channel ratings, comments) answered
    through the real pages: counting in SQL what a filter keeps gives the page the stored tallies give, when the
    filter keeps every response."""
    from tests.webapp.support.results import SLUG as EXAMPLE
    from tests.webapp.support.results import seed_survey

    seed_survey(app, db_url)
    with open_session(db_url) as session:
        stored = build_survey_results(session, EXAMPLE)
        counted = build_survey_results(session, EXAMPLE, filters={"since": "2000-01-01", "until": "2999-12-31"})
    assert counted.filtered is not None and counted.complete == stored.complete == 10
    assert (counted.days, counted.channels, counted.drop_off) == (stored.days, stored.channels, stored.drop_off)
    assert (counted.comments_matching, counted.not_applicable) == (stored.comments_matching, stored.not_applicable)
    assert counted.scorecard == stored.scorecard and counted.by_channel == stored.by_channel
