"""Issue 16, the finance PDF: every figure labelled for what it is — the survival time axis, each section's n
and why it differs, money before/after the margin and one-year vs discounted. Text is extracted with pypdf;
expected strings are worked out from the results.json inputs, never copied from the output."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from roi.report import render_pdf
from tests.roi.report_samples import sample_results


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
