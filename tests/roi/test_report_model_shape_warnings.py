"""Page 1 stays about money (issue 12): warnings on a model's shape (non-proportional hazards, a bent
ordinal scale) are left to the data-quality page; a miscalibration, which does touch the money, is shown."""

from __future__ import annotations

from roi.report.summary import sorted_warnings, summary_warning_lines
from tests.roi.report_samples import sample_results


def test_model_shape_warnings_are_not_on_page_one_but_miscalibration_is() -> None:
    results = sample_results()
    results["warnings"] = [
        {"code": "non_proportional_hazards", "subject": "bas", "message": "m"},
        {"code": "non_linear", "subject": "nps", "message": "m"},
        {"code": "miscalibration", "subject": "revenue at risk", "message": "m"},
    ]
    lines = summary_warning_lines(results, sorted_warnings(results))
    assert len(lines) == 1 and lines[0].startswith("Miscalibration: ")
