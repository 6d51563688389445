"""The report's number formats and headline sentence, against strings worked out by hand."""

from __future__ import annotations

import math

import pytest

from roi.report import formatting as f
from roi.report import headline
from tests.roi.report_samples import degenerate_results, sample_results, with_changes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1234567.4, "$1,234,567"),
        (1234567.6, "$1,234,568"),
        (-4999.7, "-$5,000"),
        (0.4, "$0"),
        (None, "—"),
        (math.nan, "—"),
        ("not a number", "—"),
        (True, "—"),  # a boolean is not an amount
    ],
)
def test_money_is_whole_units_with_separators(value: object, expected: str) -> None:
    assert f.money(value) == expected


@pytest.mark.parametrize(
    ("function", "value", "expected"),
    [
        (f.percent, 0.9753, "98%"),
        (f.percent, 2.5, "250%"),
        (f.percent, -0.152, "-15%"),
        (f.rate, 0.18824, "18.8%"),
        (f.share, 33.68, "33.7%"),
        (f.score, 49.86, "50"),
        (f.count, 3400, "3,400"),
        (f.months, 6.0751, "6.1"),
        (f.stat, 0.72345, "0.723"),
        (f.p_value, 0.0004, "<0.001"),
        (f.p_value, 0.0957, "0.096"),
        (f.stat, math.inf, "—"),
    ],
)
def test_number_formats(function: object, value: float, expected: str) -> None:
    assert function(value) == expected  # type: ignore[operator]


def test_interval_joins_both_ends_and_refuses_half_intervals() -> None:
    assert f.interval([987654.3, 1498765.6], f.money) == "$987,654 to $1,498,766"
    assert f.interval([-0.152, 0.173], f.percent) == "-15% to 17%"
    assert f.interval([None, 3.0], f.stat) == "—"
    assert f.interval([1.0], f.stat) == "—"
    assert f.interval("1-2", f.stat) == "—"


def test_headline_with_effect_states_money_interval_roi_and_payback() -> None:
    # sample: +1 point of BAS among 3,400 respondents; retained 1,234,567.4 (CI 987,654.3–1,498,765.6),
    # margin 0.4: benefit 493,826.96 (CI 395,061.7–599,506.2),
    # cost 250,000, ROI 0.9753 (CI 0.5802–1.398), payback 6.0751 months.
    assert headline(sample_results()) == (
        "Raising Brand Alignment Score by one point among our 3,400 surveyed customers is worth $1,234,567 in "
        "retained revenue a year (95% CI $987,654 to $1,498,766), before the 40% gross margin: $493,827 of margin "
        "(95% CI $395,062 to $599,506); at a programme cost of $250,000 that margin gives an "
        "ROI of 98% (95% CI 58% to 140%), paying back in 6.1 months."
    )


def test_headline_without_programme_cost_gives_no_roi() -> None:
    results = sample_results()
    results["inputs"]["config"]["finance"]["program_cost"] = None
    results["scenario"]["roi"] = {"estimate": None, "ci": [None, None], "reason": "no program_cost was given"}
    text = headline(results)
    assert "$1,234,567" in text
    assert "no programme cost was given, so no ROI is stated" in text
    assert "ROI of" not in text


def test_headline_over_a_longer_horizon_and_for_a_segment() -> None:
    results = sample_results()
    results["inputs"]["config"]["finance"]["horizon_years"] = 3.0
    results["scenario"].update(delta=10.0, segment={"region": "north"}, extrapolated=True, customers_in_scope=812)
    text = headline(results)
    assert text.startswith("Raising Brand Alignment Score by 10 points among our 812 customers with region north")
    assert "retained revenue over 3 years" in text


def test_no_effect_headline_says_so_and_carries_no_money() -> None:
    text = headline(degenerate_results())
    assert "no evidence" in text
    assert "no evidence that the metric affects churn" in text  # the analysis' own reason
    assert "$" not in text


def test_supported_flag_is_not_enough_without_a_figure() -> None:
    results = sample_results()
    results["scenario"]["retained_revenue"] = {"estimate": None, "ci": [None, None]}
    assert "$" not in headline(results)


def test_no_scenario_at_all() -> None:
    text = headline(with_changes(sample_results(), scenario=None))
    assert "no money scenario" in text and "$" not in text
