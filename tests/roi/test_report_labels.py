"""Issue 16, the finance PDF: every figure labelled for what it is — the survival time axis, each section's n
and why it differs, money before/after the margin and one-year vs discounted. Text is extracted with pypdf;
expected strings are worked out from the results.json inputs, never copied from the output."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from roi.report import render_pdf
from tests.roi.report_samples import sample_results
from tests.roi.support import RenderedReport


def pdf_text(data: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages]


def render(results: dict) -> bytes:
    out = io.BytesIO()
    render_pdf(results, out)
    return out.getvalue()


def survival_page(pages: list[str]) -> str:
    return next(p for p in pages if "How long customers stay" in p)


def test_survival_axis_names_tenure_not_time_since_the_survey() -> None:
    results = sample_results()
    assert results["survival"]["duration"] == "tenure_months"
    longest = max(t for c in results["survival"]["curves"] for t in c["times"])
    for curve in results["survival"]["curves"]:  # durations far beyond any survey's age, as in the demo
        curve["times"] = [t * 5 for t in curve["times"]]
    longest *= 5
    page = survival_page(pdf_text(render(results)))
    assert "Months of tenure (months as a customer)" in page
    assert "since the survey" not in page.replace("not time since the survey", "")
    ticks = [int(t) for t in re.findall(r"\b(\d{2,3})\b", page)]
    assert max(ticks) >= longest  # the axis reaches the longest tenure plotted


def test_survival_axis_from_start_and_end_dates() -> None:
    results = sample_results()
    results["survival"]["duration"] = "start_date → end_date"
    page = survival_page(pdf_text(render(results)))
    assert "Months as a customer (start date to end date" in page
    assert "Months of tenure" not in page


def test_drivers_state_their_n_and_why_it_differs() -> None:
    results = sample_results()
    analysis = results["drivers"]["churned"]
    analysis["n"] = 528  # fewer than the matched respondents, as in the demo
    analysis["excluded"] = ["nps"]
    text = " ".join(pdf_text(render(results)))
    matched = results["data_quality"]["matched"]
    items = len(analysis["drivers"])
    assert f"Drivers of retention (n = {analysis['n']:,}" in text
    assert f"n = {analysis['n']:,}: only the customers who answered every one of the {items} items" in text
    assert f"The other pages use all {matched:,} respondents matched to customers" in text
    label = next(m["label"] for m in results["metrics"] if m["name"] == "nps")
    assert f"their answers do not vary: {label}." in text
    assert f"Drivers of retention: {analysis['n']:,} customers (those who answered every item" in text
    assert f"Share of the {matched:,} respondents matched to customers who left" in text


def test_headline_says_retained_revenue_is_before_the_margin(sample_report: RenderedReport) -> None:
    results = sample_results()  # the inputs of sample_report
    scenario, margin = results["scenario"], results["inputs"]["config"]["finance"]["margin"]
    first = sample_report.pages[0]
    benefit = scenario["benefit"]
    assert (f"{money(scenario['retained_revenue']['estimate'])} in retained revenue a year" in first)
    assert (f"before the {margin * 100:g}% gross margin: {money(benefit['estimate'])} of margin "
            f"(95% CI {money(benefit['ci'][0])} to {money(benefit['ci'][1])})") in first
    assert "that margin gives an ROI of" in first


def test_headline_without_a_margin_says_it_is_revenue() -> None:
    results = sample_results()
    results["inputs"]["config"]["finance"]["margin"] = None
    first = pdf_text(render(results))[0]
    assert "revenue rather than profit (no gross margin was given)" in first
    assert "of margin" not in first


def money(x: float) -> str:
    return f"${round(x):,}"


def test_key_figures_carry_the_labels_results_json_gives() -> None:
    results = sample_results()
    scenario = results["scenario"]
    scenario["lifetime_value"] = {"estimate": 448933.6, "ci": [359147.0, 545005.6]}  # benefit / 1.1
    scenario["labels"] = {
        "retained_revenue": "Retained revenue over 1 year, before the 40% gross margin",
        "benefit": "Benefit: retained margin over 1 year (40% of retained revenue), undiscounted",
        "lifetime_value": "Lifetime value: the benefit over 1 year discounted at 10% a year",
    }
    first = pdf_text(render(results))[0]
    for key, label in scenario["labels"].items():
        assert f"{label} {money(scenario[key]['estimate'])}" in first
    # figures without a label in the results are named by their definition, never bare
    assert f"ROI (benefit less programme cost, per unit of cost) {round(scenario['roi']['estimate'] * 100)}%" in first
    del scenario["labels"]
    first = pdf_text(render(results))[0]
    assert f"Retained revenue (revenue, before any margin) {money(scenario['retained_revenue']['estimate'])}" in first
    assert f"Lifetime value (the benefit, discounted) {money(scenario['lifetime_value']['estimate'])}" in first


def test_the_analysis_labels_each_money_figure() -> None:
    from roi.config import FinanceConfig
    from roi.money.scenario import figure_labels

    labels = figure_labels(FinanceConfig(program_cost=1000.0, margin=0.3, discount_rate=0.1, horizon_years=1.0))
    assert labels["retained_revenue"] == "Retained revenue over 1 year, before the 30% gross margin"
    assert "30% of retained revenue" in labels["benefit"]
    assert labels["lifetime_value"] == "Lifetime value: the benefit over 1 year discounted at 10% a year"
    three = figure_labels(FinanceConfig(program_cost=None, margin=None, discount_rate=None, horizon_years=3.0))
    assert three["retained_revenue"] == "Retained revenue over 3 years (no gross margin given)"
    assert "not profit" in three["benefit"]
    assert "lifetime_value" not in three  # no lifetime value is computed without margin and discount rate


def test_tenure_control_is_named_tenure_at_the_survey() -> None:
    # issue 12: `tenure_months` is the tenure when the customer answered (the baseline control), not the
    # duration to churn; the report and the report form's column field say so
    from roi.report.summary import control_words, metric_label
    from webapp.reports.forms import ReportForm

    assert metric_label({}, "tenure_months") == "Tenure at the survey (months)"
    assert control_words("tenure_months (per month)") == "tenure at the survey in months (per month)"
    assert ReportForm.tenure_months.args[0] == "Tenure at the survey, in months"
