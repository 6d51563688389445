"""The report's reliability chart of the money model's predicted risks (issue 12, calibration)."""

from __future__ import annotations

from reportlab.graphics.shapes import Circle

from roi.report.content import Figure, Subheading, Text
from roi.report.sections import build_revenue_at_risk
from tests.roi.report_samples import sample_results


def _circles(node: object) -> int:
    inner = getattr(node, "contents", None)
    if inner is None:
        return int(isinstance(node, Circle))
    return sum(_circles(child) for child in inner)


def test_revenue_at_risk_shows_the_reliability_chart_and_says_what_it_means() -> None:
    results = sample_results()
    results["revenue_at_risk"]["calibration"] = {
        "method": "5-fold cross-validated predictions", "n": 3000, "expected": 612.4, "observed": 600,
        "ratio": 1.02, "intercept": -0.02, "intercept_ci": [-0.1, 0.06], "slope": 0.93, "slope_ci": [0.85, 1.01],
        "groups": [{"n": 300, "predicted": 0.05, "observed": 0.04}, {"n": 300, "predicted": 0.2, "observed": 0.22},
                   {"n": 300, "predicted": 0.5, "observed": 0.47}],
    }
    blocks = build_revenue_at_risk(results).blocks
    titles = [b.text for b in blocks if isinstance(b, Subheading)]
    assert "Are the predicted risks right?" in titles
    sentence = next(b.text for b in blocks if isinstance(b, Text) and "calibration slope" in b.text)
    assert "expected 612 leavers where 600 left" in sentence and "0.93" in sentence
    figure = next(b for b in blocks if isinstance(b, Figure) and "diagonal" in b.caption)
    assert _circles(figure.drawing) == 3  # one marker per group


def test_no_calibration_no_chart() -> None:
    results = sample_results()
    results["revenue_at_risk"].pop("calibration", None)
    blocks = build_revenue_at_risk(results).blocks
    assert "Are the predicted risks right?" not in [b.text for b in blocks if isinstance(b, Subheading)]
