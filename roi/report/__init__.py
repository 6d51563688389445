"""The ROI report for finance: a PDF (reportlab) and the same report as one HTML page.

    render_pdf(results, "report.pdf")          # results: the results.json document as a dict
    html = render_html(results)

Every number printed is read from `results` and only formatted (rules in `roi.report.formatting`); a part of
the results that is missing gives a "not available" line naming its key, never a substitute.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from . import formatting
from .appendix import build_data_quality, build_glossary, build_methods
from .case_loop import build_case_loop
from .content import Report, Section
from .html import render_report_html
from .models import build_models, build_survival
from .over_time import build_realised_roi, build_trend_by_wave, lead_page_one
from .pdf import write_pdf
from .reading import get, mapping
from .sections import (
    build_churn_by_band,
    build_comments,
    build_drivers,
    build_metric_comparison,
    build_revenue_at_risk,
)
from .summary import build_summary, data_sources, headline
from .themes import build_themes

DEFAULT_TITLE = "Customer experience: what it is worth"

__all__ = ["DEFAULT_TITLE", "build_report", "formatting", "headline", "render_html", "render_pdf"]


def _survey_line(results: Mapping[str, Any]) -> str:
    """Survey name and version when the results record them (`inputs.survey`), else the definition file."""
    survey = mapping(results, "inputs.survey")
    if survey:
        title, ident, version = survey.get("title"), survey.get("id"), survey.get("version")
        detail = ", ".join(p for p in (str(ident or ""), f"version {version}" if version is not None else "") if p)
        return " ".join(p for p in (str(title or ""), f"({detail})" if detail else "") if p)
    definition = get(results, "inputs.files.definition.name")
    if definition:
        return f"Survey definition {definition}"
    return "Survey: not named in these results"


def build_report(results: Mapping[str, Any], *, title: str | None = None) -> Report:
    """The report's content from a results.json document (no rendering), money in the results' currency."""
    with formatting.in_currency(results):
        return _build_report(results, title=title)


def _build_report(results: Mapping[str, Any], *, title: str | None = None) -> Report:
    realised, trend = build_realised_roi(results), build_trend_by_wave(results)
    sections: list[Section] = [lead_page_one(build_summary(results), results), *([realised] if realised else []),
                               build_churn_by_band(results), build_metric_comparison(results),
                               build_drivers(results), build_revenue_at_risk(results), *([trend] if trend else [])]
    survival = build_survival(results)
    if survival is not None:
        sections.append(survival)
    loop = build_case_loop(results)
    if loop is not None:
        sections.append(loop)
    sections.append(build_models(results))
    themes = build_themes(results)
    if themes is not None:
        sections.append(themes)
    comments = build_comments(results)
    if comments is not None:
        sections.append(comments)
    sections += [build_data_quality(results), build_methods(results), build_glossary()]
    return Report(title=title or DEFAULT_TITLE, survey=_survey_line(results), sources=data_sources(results),
                  date=str(get(results, "inputs.generated_at") or ""),
                  sections=sections)


def render_pdf(results: Mapping[str, Any], out: IO[bytes] | str | Path, *, title: str | None = None) -> int:
    """Write the report as PDF to a path or a binary file object; returns the number of pages."""
    report = build_report(results, title=title)
    if isinstance(out, (str, Path)):
        buffer = io.BytesIO()  # a failure leaves no half-written file behind
        pages = write_pdf(report, buffer)
        Path(out).write_bytes(buffer.getvalue())
        return pages
    return write_pdf(report, out)


def render_html(results: Mapping[str, Any], *, title: str | None = None) -> str:
    """The same report as one self-contained HTML page (inline CSS and SVG charts)."""
    return render_report_html(build_report(results, title=title))
