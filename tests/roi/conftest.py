"""Fixtures shared by the roi tests. The finance PDF of the hand-written sample (tests.roi.report_samples) is
rendered once per run (`sample_report`) for the tests that only read it; a test that changes the results, or
checks that rendering again gives the same bytes, still renders for itself."""

from __future__ import annotations

import io

import pytest

from roi.report import render_pdf
from tests.roi.report_samples import sample_results
from tests.roi.support import RenderedReport, pdf_text


@pytest.fixture(scope="session")
def sample_report() -> RenderedReport:
    """The PDF of `sample_results()` as it stands (bytes, and each page's text); read it, never change it."""
    out = io.BytesIO()
    render_pdf(sample_results(), out)
    data = out.getvalue()
    return RenderedReport(data, tuple(pdf_text(data)))
