"""False-discovery-rate control across the metrics the report ranks and calls significant (issue 12)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roi.config import build_config
from roi.data import build_analysis_data
from roi.fitting import benjamini_hochberg
from roi.retention import fit_retention
from roi.revenue import fit_revenue


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


def bh_by_hand(p_values: list[float]) -> list[float]:
    """Benjamini–Hochberg written out from the definition: q_(i) = min over j ≥ i of p_(j)·m/j, by rank."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    q = [0.0] * m
    for rank, i in enumerate(order, start=1):
        q[i] = min(min(p_values[j] * m / r for r, j in enumerate(order, start=1) if r >= rank), 1.0)
    return q


def test_revenue_models_control_the_false_discovery_rate() -> None:
    # 3 items with a planted revenue effect (40, −35, 30 per point on a 1–5 scale, noise sd 400) among 37 pure
    # noise items; revenue = 3000 + Σ effect·item + N(0, 400²), no controls
    rng = np.random.default_rng(5)
    n = 1200
    planted = {"item_a": 40.0, "item_b": -35.0, "item_c": 30.0}
    items = {name: rng.integers(1, 6, n) for name in planted}
    items |= {f"noise{j:02d}": rng.integers(1, 6, n) for j in range(37)}
    revenue = 3000 + sum(effect * items[name] for name, effect in planted.items()) + rng.normal(0, 400, n)
    responses = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)],
                              **{name: values.astype(str) for name, values in items.items()}})
    outcomes = pd.DataFrame({"customer_id": responses["customer_id"], "churned": "0",
                             "revenue": [f"{r:.2f}" for r in revenue]})
    result = fit_revenue(build_analysis_data(responses, outcomes, config=build_config({"controls": []})))
    assert result is not None
    terms = {m.name: m.term(m.name) for m in result.models}
    assert set(terms) == set(items)
    p = {name: t.p for name, t in terms.items() if t is not None and t.p is not None}
    assert len(p) == 40
    expected = dict(zip(p, bh_by_hand(list(p.values())), strict=True))
    for name, q in expected.items():
        assert terms[name].q == pytest.approx(q, rel=1e-9)  # type: ignore[union-attr]
    for name in planted:
        assert terms[name].q < 0.01  # type: ignore[union-attr,operator]
    false_discoveries = [name for name in p if name not in planted and terms[name].q < 0.05]  # type: ignore[union-attr,operator]
    assert len(false_discoveries) <= 1
    lucky = [name for name in p if name not in planted and p[name] < 0.05]
    assert lucky, "the seed must give at least one chance finding for the test to mean anything"
    for name in lucky:
        if name in false_discoveries:
            continue
        messages = [w.message for w in result.warnings if w.subject == name and w.code == "no_effect"]
        assert any("false-discovery rate is controlled across the 40 metrics" in m for m in messages)
    written = {m["name"]: m for m in result.to_dict()["models"]}
    assert written["item_a"]["terms"][1]["q"] == pytest.approx(expected["item_a"])


def test_report_model_tables_print_q_beside_p() -> None:
    from roi.report.content import Table
    from roi.report.models import build_models
    from tests.roi.report_samples import sample_results

    results = sample_results()
    results["revenue"]["models"][0]["terms"][1]["q"] = 0.0312
    results["retention"]["models"][1]["terms"][1]["q"] = 0.0246  # nps: p 0.0123, 2 metrics → 0.0123·2/1
    tables = [b for b in build_models(results).blocks if isinstance(b, Table)]
    retention, revenue = tables[0], tables[-1]
    assert list(retention.header[-4:]) == ["p", "q", "n", "Method"]
    assert retention.rows[1][-4:-2] == ["0.012", "0.025"]
    assert retention.rows[0][-3] == "—"  # no q in results.json: not invented
    assert list(revenue.header) == ["Metric", "Coef.", "95% CI", "p", "q", "n", "Method"]
    assert revenue.rows[0][3:5] == ["<0.001", "0.031"]
