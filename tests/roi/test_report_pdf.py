"""The PDF: headline figures as they stand in results.json, "Page x of y", every page rendered and not blank,
escaped comments, degenerate data, vector charts. Text is extracted with pypdf, pages rendered with pdftoppm."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from roi.report import render_pdf
from tests.roi.report_samples import WARNING_CODES, degenerate_results, minimal_results, sample_results
from tests.roi.support import RenderedReport


def pdf_text(data: bytes) -> list[str]:
    """Text of each page with runs of whitespace (line breaks of wrapped paragraphs) made single spaces."""
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages]


def render(results: dict) -> bytes:
    out = io.BytesIO()
    render_pdf(results, out)
    return out.getvalue()


def money(x: float) -> str:
    """Format rule stated in roi.report.formatting: whole currency units with separators."""
    return f"${round(x):,}"


def test_headline_figures_stand_on_page_one_as_in_the_results(sample_report: RenderedReport) -> None:
    results = sample_results()  # the inputs of sample_report, the PDF rendered once for the run
    first = sample_report.pages[0]
    scenario = results["scenario"]
    low, high = scenario["retained_revenue"]["ci"]
    assert money(scenario["retained_revenue"]["estimate"]) == "$1,234,567"  # the rule, checked by hand once
    assert f"worth {money(scenario['retained_revenue']['estimate'])}" in first
    assert f"(95% CI {money(low)} to {money(high)})" in first
    assert f"programme cost of {money(results['inputs']['config']['finance']['program_cost'])}" in first
    roi, (roi_low, roi_high) = scenario["roi"]["estimate"], scenario["roi"]["ci"]
    assert f"ROI of {round(roi * 100)}% (95% CI {round(roi_low * 100)}% to {round(roi_high * 100)}%)" in first
    assert f"paying back in {scenario['payback_months']['estimate']:.1f} months" in first
    risk = results["revenue_at_risk"]
    assert f"Revenue at risk: {money(risk['total'])} a year" in first
    assert f"{money(risk['ci'][0])} to {money(risk['ci'][1])}" in first
    best = results["metric_comparison"]["metrics"][1]  # rank 1 in the sample
    assert best["rank"] == 1
    assert f"Brand Alignment Score predicts who leaves best: AUC {best['auc']:.3f}" in first
    assert f"{results['data_quality']['matched']:,} of {results['data_quality']['respondents']:,}" in first
    assert "a" * 64 in first and "b" * 64 in first  # the full hashes of the data sources


def test_page_x_of_y_on_every_page(sample_report: RenderedReport) -> None:
    pages = sample_report.pages
    assert len(pages) > 5
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "of ?" not in text


def test_page_furniture_names_survey_sources_and_date(sample_report: RenderedReport) -> None:
    for text in sample_report.pages:
        assert "How are we doing? (demo_relationship, version 3)" in text
        assert "responses.csv (responses), sha256 aaaaaaaaaaaaaaaa" in text
        assert "Generated 2026-11-22T19:00:00Z" in text


def dark_pixels(pgm: bytes) -> int:
    """Pixels darker than mid-grey in the body of a binary PGM (P5) page, between header and footer."""
    match = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", pgm)
    assert match, "pdftoppm did not write a binary PGM"
    width, height = int(match.group(1)), int(match.group(2))
    pixels = pgm[match.end():]
    assert len(pixels) == width * height
    body = pixels[int(height * 0.12) * width: int(height * 0.85) * width]
    return sum(1 for p in body if p < 128)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (Debian poppler-utils)")
@pytest.mark.parametrize("make", [sample_results, degenerate_results, minimal_results])
def test_every_page_renders_and_has_content(make, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    render_pdf(make(), pdf)
    pages = len(PdfReader(pdf).pages)
    subprocess.run(["pdftoppm", "-r", "40", "-gray", str(pdf), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.pgm"))
    assert len(images) == pages
    for image in images:
        # one line of 9.5 pt text at 40 dpi darkens a few hundred pixels; a blank body none
        assert dark_pixels(image.read_bytes()) > 100, f"{image.name} has no content between header and footer"


def test_blank_page_is_detected_by_the_pixel_check() -> None:
    white = b"P5\n10 10\n255\n" + bytes([255]) * 100
    assert dark_pixels(white) == 0


def test_comments_and_data_print_markup_as_text() -> None:
    results = sample_results()
    results["segments"]["rows"][0]["level"] = "<i>north</i>"
    results["warnings"].append({"code": "small_sample", "subject": "<font size=40>x</font>",
                                "message": "Segment <b>tiny</b> & odd"})
    text = " ".join(pdf_text(render(results)))
    assert "<b>three times</b>" in text
    assert "<script>alert('x')</script>" in text
    assert "& nobody called." in text
    assert "<i>north</i>" in text
    assert "<font size=40>x</font>" in text and "Segment <b>tiny</b> & odd" in text


def test_degenerate_data_headline_has_no_money_and_every_warning_is_listed() -> None:
    pages = pdf_text(render(degenerate_results()))
    assert "no evidence" in pages[0]
    assert "$" not in pages[0]
    everything = " ".join(pages)
    for code in WARNING_CODES:
        assert f"The {code} check fired." in everything
    assert "9 warning(s) in all" in pages[0]
    # page 1 names the four most serious kinds in plain words, with what they concern
    assert "Wrong sign: A better score goes with more customers leaving" in pages[0]
    assert "Concerns: Brand Alignment Score." in pages[0]  # the subject `bas` by its label in `metrics`
    assert "How long customers stay" not in everything  # no durations in these results: no survival page


def test_missing_sections_say_not_available_naming_the_key() -> None:
    text = " ".join(pdf_text(render(minimal_results())))
    for key in ("metric_comparison.metrics", "drivers", "revenue_at_risk.total", "churn_by_band.rows",
                "retention.models", "inputs.files"):
        assert f"(results.json has no `{key}`)" in text
    assert "no money scenario" in text


def test_survival_curves_only_when_the_results_have_them(sample_report: RenderedReport) -> None:
    results = sample_results()
    with_curves = " ".join(sample_report.pages)  # the sample as it is, with its curves
    assert "How long customers stay" in with_curves and "survival.curves" not in with_curves
    del results["survival"]["curves"]
    without = " ".join(pdf_text(render(results)))
    assert "(results.json has no `survival.curves`)" in without
    results["survival"] = None
    assert "How long customers stay" not in " ".join(pdf_text(render(results)))


def test_charts_are_vector_not_images(sample_report: RenderedReport) -> None:
    reader = PdfReader(io.BytesIO(sample_report.data))
    for page in reader.pages:
        xobjects = page.get("/Resources", {}).get("/XObject", {})
        for ref in xobjects.values():
            assert ref.get_object().get("/Subtype") != "/Image"


def test_same_results_give_the_same_bytes(sample_report: RenderedReport) -> None:
    # invariant mode: no timestamps or random ids, so a report can be reproduced from results.json
    assert render(sample_results()) == sample_report.data  # rendered again, from a fresh copy of the results


def test_large_results_lay_out(tmp_path: Path) -> None:
    """Many metrics, a segment with many levels, a comment longer than a page, many warnings."""
    results = sample_results()
    metric = results["metric_comparison"]["metrics"][0]
    results["metric_comparison"]["metrics"] = [dict(metric, metric=f"m{i}", label=f"Metric {i}", rank=i + 1)
                                               for i in range(60)]
    row = results["segments"]["rows"][0]
    results["segments"]["rows"] = [dict(row, grouping="store", level=f"store {i}") for i in range(80)]
    results["sentiment"]["sample"] = [{"question": "q_why", "text": "Queue endless. " * 2500, "compound": -0.1}]
    results["warnings"] = [{"code": "small_sample", "subject": f"m{i}", "message": "Few answers. " * 20}
                           for i in range(100)]
    pages = pdf_text(render(results))
    text = " ".join(pages)
    assert "Only the first 25 of 60 are drawn; the table lists all." in text
    assert "Only the first 25 of 80 are drawn; the table lists all." in text
    assert "Metric 59" in text and "store 79" in text
    # every word of the long comment is printed (a page break may fall between "Queue" and "endless.")
    assert text.count("Queue") == 2500 and text.count("endless.") == 2500
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page


def test_a_warning_longer_than_a_page_still_lays_out() -> None:
    results = sample_results()
    results["warnings"].append({"code": "low_match", "subject": "customer_id",
                                "message": "Unmatched ids: " + ", ".join(f"C{i:06d}" for i in range(4000))})
    text = " ".join(pdf_text(render(results)))
    assert "C003999" in text
