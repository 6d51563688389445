"""The report's time pages: page 1 leads with the realised ROI when the results hold one, says "no evidence" and
prints no money figure for a null programme, gives the reason for a refused design; the trend by wave prints
each wave's score and the change. Results come from the real pipeline on the synthetic rollout."""

from __future__ import annotations

import io
import re
from functools import cache

import numpy as np
import pandas as pd
from pypdf import PdfReader

from roi.analysis import analyze
from roi.config import build_config
from roi.data import build_analysis_data
from roi.report import formatting as f
from roi.report import render_html, render_pdf
from roi.synthetic_programme import build_rollout


def text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), None).map(lambda v: None if v is None else str(v))


@cache
def results_of(effect_revenue: float, effect_churn: float, *, waves: bool = False, drop_pre: bool = False) -> dict:
    rollout = build_rollout(1500, seed=3, effect_revenue=effect_revenue, effect_churn=effect_churn)
    responses, outcomes = rollout.responses, rollout.outcomes
    if drop_pre:
        outcomes = outcomes.drop(columns=[c for c in outcomes.columns if "_pre" in c])
    if waves:
        later = responses.copy()
        later["response_id"] = "L" + later["response_id"]
        later["submitted_at"] = "2026-03-15T10:00:00Z"
        later["ease"] = np.clip(later["ease"] + 1, 1, 7)
        responses = pd.concat([responses.assign(wave="winter"), later.assign(wave="spring")], ignore_index=True)
    settings = build_config({**rollout.config, "bootstrap": 10})
    data = build_analysis_data(text(responses), text(outcomes), config=settings)
    return analyze(data, settings, seed=0).to_dict()


def pages(results: dict) -> list[str]:
    buffer = io.BytesIO()
    render_pdf(results, buffer)
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(buffer.getvalue())).pages]


def test_page_one_leads_with_the_realised_roi_and_its_interval() -> None:
    results = results_of(80.0, -0.03)
    money = results["programme"]["money"]
    first = pages(results)[0]
    lead = first.index("What the CX programme returned")
    assert lead < first.index("What raising a score would be worth") < first.index("Revenue at risk")
    roi = money["roi"]
    expected = (f"realised ROI on the 30% gross margin of {f.percent(roi['estimate'])} (95% CI {f.percent(roi['ci'][0])} to "
                f"{f.percent(roi['ci'][1])})")
    assert expected in first
    assert f"added {f.money(money['value']['estimate'])} of revenue" in first
    assert f"its cost of {f.money(money['cost'])}" in first


def test_a_null_programme_says_no_evidence_and_prints_no_money_figure() -> None:
    results = results_of(0.0, 0.0)
    assert results["programme"]["evidence"] == "none"
    document = pages(results)
    first = document[0]
    assert "no evidence that the CX programme paid off" in first and "No realised return is stated" in first
    section = next(page for page in document if "Did the programme pay off?" in page)
    returned = section.split("Did the programme pay off?", 1)[1]
    assert "What the programme returned" not in returned and "Realised ROI" not in returned
    assert not re.search(r"realised ROI of", first)


def test_a_refused_design_gives_its_reason_on_page_one() -> None:
    results = results_of(80.0, -0.03, drop_pre=True)
    assert results["programme"]["status"] == "refused"
    first = pages(results)[0]
    assert "cannot be measured from these data: no pre period" in first


def test_trend_by_wave_prints_each_wave_and_the_change() -> None:
    results = results_of(80.0, -0.03, waves=True)
    ease = results["over_time"]["metrics"][0]
    assert [w["name"] for w in results["over_time"]["waves"]] == ["winter", "spring"]
    document = pages(results)
    trend = next(page for page in document if page.find("Trend by wave") >= 0 and "Wave n Score" in page)
    winter, spring = ease["scores"]
    assert f"winter {f.count(winter['n'])} {f.stat(winter['estimate'])}" in trend
    assert f"spring {f.count(spring['n'])} {f.stat(spring['estimate'])}" in trend
    assert f"{ease['changes'][1]['difference']:+.2f}; p" in trend and "larger than chance" in trend
    html = render_html(results)
    assert "Trend by wave" in html and "Did the programme pay off?" in html
