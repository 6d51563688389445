"""False-discovery-rate control across the metrics the report ranks and calls significant (issue 12)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roi.config import build_config
from roi.data import build_analysis_data
from roi.fitting import benjamini_hochberg
from roi.retention import fit_retention


def test_benjamini_hochberg_by_hand() -> None:
    # sorted 0.01, 0.03, 0.04, 0.5 (m = 4): p·m/rank = 0.04, 0.06, 0.0533, 0.5, then the running minimum
    # from the top: 0.5, 0.0533, 0.0533, 0.04
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.5, None]) == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5, None])


def test_chance_findings_among_noise_items_are_not_called_links() -> None:
    # one real metric and 40 items of pure noise: at 5% about two noise items look "significant" on their own
    rng = np.random.default_rng(11)
    n = 1500
    real = rng.integers(0, 11, n)
    churned = (rng.random(n) < 1 / (1 + np.exp(-(0.5 - 0.25 * real)))).astype(int)
    noise = {f"item{j:02d}": rng.integers(1, 6, n).astype(str) for j in range(40)}
    responses = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "real": real.astype(str), **noise})
    outcomes = pd.DataFrame({"customer_id": responses["customer_id"], "churned": churned.astype(str)})
    retention = fit_retention(build_analysis_data(responses, outcomes, config=build_config({"controls": []})))
    terms = {m.name: m.term(m.name) for m in retention.models}
    assert terms["real"] is not None and terms["real"].q is not None and terms["real"].q < 0.001
    lucky = [name for name, t in terms.items() if name != "real" and t is not None and t.p is not None and t.p < 0.05]
    assert lucky, "the seed must give at least one chance finding for the test to mean anything"
    for name in lucky:
        assert terms[name].q >= 0.05  # type: ignore[union-attr,operator]
        messages = [w.message for w in retention.warnings if w.subject == name and w.code == "no_effect"]
        assert any("false-discovery rate" in m for m in messages)
    assert not [w for w in retention.warnings if w.subject == "real"]
    assert retention.to_dict()["models"][0]["terms"][1]["q"] == terms["real"].q
