"""Issue 12/16: a degenerate interval — zero width, infinite, or from a fit that failed — is carried as words in
results.json (`ci_note`, ends null) and in the report, never as numbers that look like a measurement."""

from __future__ import annotations

import math

import numpy as np

from roi.fitting import wald_term
from roi.report import formatting as f
from roi.report.content import Table
from roi.report.models import build_models
from roi.results import CI_NOTES, Term
from roi.revenue import fit_ols_model
from tests.roi.report_samples import sample_results


def test_terms_say_in_words_what_is_wrong_with_their_interval() -> None:
    ordinary = wald_term("x", 0.5, 0.1).to_dict("odds_ratio")
    assert "ci_note" not in ordinary and ordinary["ci"][0] is not None
    # se = 0: 0.5 ± 0 is no measurement of uncertainty
    zero = wald_term("x", 0.5, 0.0).to_dict("odds_ratio")
    assert zero["ci_note"] == "zero width" and zero["ci"] == [None, None] and zero["odds_ratio_ci"] == [None, None]
    assert zero["coef"] == 0.5  # the estimate itself stays
    infinite = wald_term("x", 0.5, math.inf).to_dict("odds_ratio")
    assert infinite["ci_note"] == "no interval" and infinite["ci"] == [None, None]
    # a profile interval with no upper end (the penalised likelihood never drops far enough)
    half = Term("x", 2.1, 1.4, (0.77, math.inf), 0.01).to_dict()
    assert half["ci_note"] == "unbounded" and half["ci"] == [0.77, None]
    failed = Term("x", None, None, (None, None), None).to_dict()
    assert failed["ci_note"] == "not estimated"
    assert set(CI_NOTES) == {"not estimated", "no interval", "zero width", "unbounded"}


def test_real_fits_an_exact_one_and_a_failed_one() -> None:
    x = np.arange(1.0, 21.0)[:, None]
    exact, _ = fit_ols_model(3 + 2 * x[:, 0], x, ["x"], name="x", kind="single", subject="x", label="x", groups=None)
    term = exact.to_dict()["terms"][1]
    assert abs(term["coef"] - 2.0) < 1e-9
    assert term["ci_note"] == "zero width" and term["ci"] == [None, None]  # residuals are 0 up to rounding
    constant, _ = fit_ols_model(np.arange(20.0), np.ones((20, 1)), ["x"], name="x", kind="single", subject="x",
                                label="x", groups=None)
    assert constant.method == "not_estimated"
    assert [t["ci_note"] for t in constant.to_dict()["terms"]] == ["not estimated", "not estimated"]


def test_the_report_prints_words_for_degenerate_intervals() -> None:
    assert f.interval([0.25, 0.25], f.stat) == "zero width (not measurable)"
    assert f.interval([0.77, None], f.stat, "unbounded") == "0.770 to no upper limit"
    assert f.interval([None, -1.5], f.stat, "unbounded") == "no lower limit to -1.500"
    assert f.interval([0.77, None], f.stat) == "—"  # an end missing for no stated reason is not called infinite
    assert f.interval([None, None], f.stat, "not estimated") == "not estimated"
    assert f.interval([None, None], f.stat, "no interval") == "no interval (standard error unknown)"
    assert f.interval([None, None], f.stat, "zero width") == "zero width (not measurable)"
    assert f.interval([None, None], f.stat) == "—" and f.interval(None, f.stat, "odd note") == "—"
    assert f.interval([0.1, 0.2], f.stat) == "0.100 to 0.200"

    results = sample_results()
    results["revenue"]["models"][0]["terms"][1] |= {"ci": [None, None], "ci_note": "zero width"}
    nps = results["retention"]["models"][1]
    nps["method"] = "not_estimated"
    nps["terms"][1] |= {"coef": None, "ci": [None, None], "odds_ratio": None, "odds_ratio_ci": [None, None],
                        "p": None, "ci_note": "not estimated"}
    tables = [b for b in build_models(results).blocks if isinstance(b, Table)]
    assert tables[0].rows[1][2] == "not estimated" and tables[0].rows[1][4] == "not estimated"
    assert tables[-1].rows[0][2] == "zero width (not measurable)"
