"""Issue 16, the finance PDF read again on the demo: the survival text agrees with its axis, the headline says
the ROI and the payback rest on the discounted benefit, warnings about comment themes name the theme (not
`theme.<id>`), and table cells are not broken inside a word or a number ("Hazar d", "<0.00 1"). Text via
pypdf and pdftotext; expected strings worked out by hand from the results.json inputs."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from roi.report import render_pdf
from roi.report.content import Table
from roi.report.pdf import FRAME_WIDTH, fitted_widths
from tests.roi.report_samples import sample_results
from tests.roi.support import RenderedReport


def pdf_text(data: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages]


def render(results: dict) -> bytes:
    out = io.BytesIO()
    render_pdf(results, out)
    return out.getvalue()


def test_survival_since_the_survey_does_not_call_its_axis_tenure() -> None:
    # the demo's durations run from the survey (submitted_at → end date): the text must not say "whole tenure"
    results = sample_results()
    results["survival"]["duration"] = "submitted_at → end_date (churn) or the as-of date"
    page = next(p for p in pdf_text(render(results)) if "How long customers stay" in p)
    assert "Months since the survey" in page
    assert "The clock starts when each customer answered the survey, not when they became a customer." in page
    assert "whole tenure" not in page
    # and on tenure it still says so
    results["survival"]["duration"] = "tenure_months"
    page = next(p for p in pdf_text(render(results)) if "How long customers stay" in p)
    assert "The time axis is each customer's whole tenure, not time since the survey." in page
    assert "The clock starts" not in page


def discounted_sample() -> dict:
    """The demo's situation: a 1-year horizon, 30% margin, 10% discount rate, a programme that does not pay back."""
    results = sample_results()
    finance = results["inputs"]["config"]["finance"]
    finance.update(margin=0.3, discount_rate=0.1, program_cost=117397.0, horizon_years=1.0)
    scenario = results["scenario"]
    scenario["retained_revenue"] = {"estimate": 374847.0, "ci": [316232.0, 423478.0]}
    scenario["benefit"] = {"estimate": 112454.0, "ci": [94870.0, 127043.0]}
    # the benefit of one year discounted by one year at 10%: 112,454 / 1.1 = 102,230.9
    scenario["lifetime_value"] = {"estimate": 112454.0 / 1.1, "ci": [86245.0, 115494.0]}
    # ROI = (102,230.9 − 117,397) / 117,397 = −0.1292
    scenario["roi"] = {"estimate": (112454.0 / 1.1 - 117397.0) / 117397.0, "ci": [-0.27, -0.02]}
    scenario["payback_months"] = {"estimate": None, "ci": [None, None],
                                  "reason": "not within the horizon (1 year); the benefit covers 87% of the cost"}
    return results


def test_headline_says_the_roi_rests_on_the_discounted_benefit() -> None:
    first = pdf_text(render(discounted_sample()))[0]
    assert ("before the 30% gross margin: $112,454 of margin (95% CI $94,870 to $127,043); at a programme cost of "
            "$117,397 that margin, discounted at 10% a year to $102,231, gives an ROI of -13% (95% CI -27% to -2%)"
            ) in first
    # 102,231 / 117,397 = 0.871: the share of the cost the discounted benefit covers, named as discounted
    assert ("and it does not pay back: not within the horizon (1 year); the discounted benefit covers 87% of the "
            "cost.") in first
    assert "; the benefit covers" not in first


def test_headline_without_a_discount_rate_keeps_the_plain_words(sample_report: RenderedReport) -> None:
    # sample_results(): margin 40%, no discount rate: ROI on the benefit as it is
    first = sample_report.pages[0]
    assert "that margin gives an ROI of 98%" in first
    assert "discounted at" not in first


def test_warnings_about_comment_themes_name_the_theme() -> None:
    results = sample_results()
    results["themes"] = {"themes": [
        {"id": "billing_confusing_twice", "name": "billing / confusing / twice",
         "column": "theme.billing_confusing_twice"},
        {"id": "hold_long_time", "name": "hold / long / time", "column": "theme.hold_long_time"}]}
    results["warnings"] += [
        {"code": "no_effect", "subject": "theme.billing_confusing_twice", "message": "No clear link."},
        {"code": "no_effect", "subject": "theme.hold_long_time", "message": "No clear link."}]
    pages = pdf_text(render(results))
    assert "Concerns: Comment theme “billing / confusing / twice”, Comment theme “hold / long / time”." in pages[0]
    assert not any("theme.billing_confusing_twice" in page or "theme.hold_long_time" in page for page in pages)


def test_narrow_columns_are_widened_so_words_and_numbers_stay_whole() -> None:
    # a p column of 5% of the frame (24.6 pt) cannot hold "<0.001" (8 pt Helvetica) and the cell padding
    block = Table(["Metric", "Hazard ratio", "p"], [["Brand Alignment Score", "0.970 to 0.979", "<0.001"]],
                  numeric=(1, 2), widths=(0.7, 0.25, 0.05))
    widths = fitted_widths(block)
    assert sum(widths) == pytest.approx(FRAME_WIDTH)
    assert widths[2] >= stringWidth("<0.001", "Helvetica", 8) + 12
    assert widths[1] >= stringWidth("0.970 to 0.979", "Helvetica", 8) + 12  # a number column keeps a cell whole
    assert widths[0] < 0.7 * FRAME_WIDTH  # the room came from the wide text column
    # a table that fits is left as given
    roomy = Table(["A", "B"], [["x", "1"]], numeric=(1,), widths=(0.5, 0.5))
    assert fitted_widths(roomy) == pytest.approx([FRAME_WIDTH / 2, FRAME_WIDTH / 2])


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (Debian poppler-utils)")
def test_cox_table_cells_are_not_broken(tmp_path: Path) -> None:
    results = sample_results()
    models = results["survival"]["models"]
    for name, coef in (("ces", -0.146), ("nps", -0.136)):
        model = {**models[0], "name": name, "method": "cox_efron"}
        model["terms"] = [{**models[0]["terms"][0], "name": name, "coef": coef, "p": 1e-6, "q": 1e-6}]
        models.append(model)
    pdf = tmp_path / "report.pdf"
    render_pdf(results, pdf)
    subprocess.run(["pdftotext", "-layout", str(pdf), str(tmp_path / "report.txt")], check=True)
    text = (tmp_path / "report.txt").read_text()
    section = text[text.index("Cox proportional-hazards models"):]
    section = section[:section.index("\f")]
    header = next(line for line in section.splitlines() if "Metric" in line)
    assert "Hazard" in header.split()  # not "Hazar" with a "d" on the next line
    rows = {line.split()[0]: line for line in section.splitlines() if "Cox, " in line}
    # p and q of the added metrics (both 1e-6) whole on their row; bas has p < 0.001 and no q
    assert rows["Customer"].count("<0.001") == 2 and rows["Likelihood"].count("<0.001") == 2
    assert rows["Brand"].count("<0.001") == 1
    # the hazard-ratio interval of bas, exp(-0.021 ± 1.96 × 0.002) = exp(-0.02492) to exp(-0.01708):
    # 0.975 to 0.983, on the metric's row
    assert "0.975 to 0.983" in rows["Brand"]


def test_a_short_table_is_not_split_across_pages() -> None:
    # a section that fills most of page 1 with text, then a table of 10 rows (about 165 pt with its header):
    # with too little room left, the table moves whole to page 2 instead of leaving a header and a row behind
    from roi.report.content import Report, Section, Text
    from roi.report.pdf import FRAME_HEIGHT, write_pdf

    filler = [Text("Filler paragraph. " * 40) for _ in range(8)]
    rows = [[f"Row number {i}", f"{i}.0"] for i in range(1, 11)]
    for paragraphs in range(4, 9):  # whatever is left on page 1, no page holds only part of the table
        section = Section("Filler", [*filler[:paragraphs], Table(["Item", "Value"], rows, numeric=(1,))])
        out = io.BytesIO()
        write_pdf(Report("Title", "Survey", [], "2026-11-22", [section]), out)
        pages = pdf_text(out.getvalue())
        holding = [i for i, page in enumerate(pages) if "Row number" in page]
        assert len(holding) == 1, (paragraphs, holding)
        assert all(f"Row number {i} " in pages[holding[0]] for i in range(1, 11))
    assert FRAME_HEIGHT * 0.35 > 165  # the table counts as short


def test_the_analysis_sentences_use_labels_not_column_names() -> None:
    # the analysis' own words as the demo's results carry them; the labels come from `metrics` and the
    # report's words for its columns (tenure_months → "Tenure at the survey (months)", log_revenue → ln(1 + revenue))
    results = sample_results()
    results["warnings"] = [
        {"code": "non_proportional_hazards", "subject": "bas",
         "message": "Survival model for bas (Brand Alignment Score): the effect of bas (p = 0.031), log_revenue "
                    "(p = 0.0068) changes over the months after the survey."},
        {"code": "non_linear", "subject": "q_align.easy",
         "message": "Retention model for q_align.easy (We make things easy): its 5 levels do not follow a line."}]
    results["metrics"].append({"name": "q_align.easy", "label": "We make things easy", "family": "alignment_item"})
    results["data_quality"]["notes"] = ["tenure_months is read as the tenure at the survey (the control)."]
    results["scenario"]["assumptions"] = ["Churn is modelled on Brand Alignment Score and the controls "
                                          "tenure_months, revenue."]
    text = " ".join(pdf_text(render(results)))
    assert ("Survival model for Brand Alignment Score: the effect of Brand Alignment Score (p = 0.031), "
            "ln(1 + revenue) (p = 0.0068) changes") in text
    assert "Retention model for We make things easy: its 5 levels" in text
    assert "Tenure at the survey (months) is read as the tenure at the survey (the control)." in text
    assert "the controls tenure at the survey (months), revenue." in text
    for raw in ("tenure_months", "log_revenue", "q_align.easy", "for bas", "of bas "):
        assert raw not in text, raw


def test_driver_table_names_quadrants_as_the_map_does(sample_report: RenderedReport) -> None:
    # roi.drivers' names (keep up, fix first, over-invested) against the map's corners
    text = " ".join(sample_report.pages)
    table = text[text.index("Performance (0–100) Quadrant"):]
    assert "1 We make things easy 38.2% 31.5% to 44.9% 61 Strengths to keep" in table
    assert "2 We treat you as a partner 33.3% 26.1% to 40.2% 49 Fix first" in table
    assert "3 Billing friction 28.5% 20.0% to 36.1% 70 Possible overinvestment" in table
    assert "keep up" not in text and "over-invested" not in text
