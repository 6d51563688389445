"""The currency is a setting (`finance.currency`, issue 16): the report writes every amount with the results'
currency symbol and never a dollar sign for another currency; no amount is converted."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from roi.config import build_config
from roi.report import build_report, formatting, headline, render_html, render_pdf
from surveys.errors import CxroiError
from tests.roi.report_samples import sample_results


def _in(code: str) -> dict:
    results = sample_results()
    results["inputs"]["config"]["finance"]["currency"] = code
    return results


@pytest.mark.parametrize(("code", "written"), [("EUR", "€1,234,567"), ("GBP", "£1,234,567"), ("CHF", "CHF 1,234,567"),
                                               ("USD", "$1,234,567")])
def test_the_headline_writes_the_results_currency(code: str, written: str) -> None:
    sentence = headline(_in(code))
    # the same amounts as in dollars (test_report_format), only the symbol differs
    assert f"is worth {written} in retained revenue" in sentence
    if code != "USD":
        assert "$" not in sentence


def test_the_whole_report_in_euros_has_no_dollar_sign() -> None:
    results = _in("EUR")
    page = render_html(results)
    assert "€493,827" in page and "$" not in page.replace("$ref", "")
    buffer = io.BytesIO()
    render_pdf(results, buffer)
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(buffer.getvalue())).pages)
    assert "€" in text and "$" not in text
    assert build_report(results).title  # building leaves the default for whatever is formatted next
    assert formatting.money(5) == "$5"


def test_results_without_a_currency_are_in_dollars_and_a_bad_code_is_refused() -> None:
    results = sample_results()
    assert "finance" in results["inputs"]["config"] and "currency" not in results["inputs"]["config"]["finance"]
    assert "$1,234,567" in headline(results)
    with pytest.raises(CxroiError, match="currency"):
        build_config({"finance": {"currency": "euro"}}, source="roi.yaml")
