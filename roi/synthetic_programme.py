"""A synthetic rollout of a CX programme with a known effect, for testing the realised-effect analysis
(`roi.programme`) against planted truth.

The planted world, per period (a quarter) t = −K … −1 before the start and t = 0 after it:
* customers belong to accounts, accounts to regions; the programme reaches the pilot regions (`randomised=False`:
  chosen, and their customers differ — lower churn, higher revenue) or a random half of the accounts
  (`randomised=True`);
* churn in a period, for a customer still there at its start: P = base_group + shock_t + τ_churn·reached·[t = 0]
  (+ `pre_trend`·t·reached, and `revenue_pre_trend`·t·reached on revenue, to break the parallel-trends
  assumption), a linear probability, so the
  group means are exactly additive and a difference-in-differences identifies τ_churn;
* revenue in a period: μ_i + γ_t + τ_revenue·reached·[t = 0] + ε, less `LEAVER_LOSS` when the customer leaves in
  that period (they stop paying part-way), so the programme's total effect on revenue per reached customer after
  the start is τ_revenue − LEAVER_LOSS·τ_churn (the customers kept pay for longer);
* a customer who left has no observation in later periods (blank cells).

`truth` holds the planted effects and the realised ROI they imply with the costs and margin of `config`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

LEAVER_LOSS = 250.0
"""Revenue a customer who leaves during a period does not pay for that period."""
START = pd.Timestamp("2026-01-01")


@dataclass(frozen=True)
class Rollout:
    """Outcomes (one row per customer, text-ready), responses (one per customer), roi.yaml data and truth."""

    outcomes: pd.DataFrame
    responses: pd.DataFrame
    config: dict[str, Any]
    truth: dict[str, Any]


def _column(period: int, outcome: str) -> str:
    if period == 0:
        return f"{outcome}_post"
    return f"{outcome}_pre" if period == -1 else f"{outcome}_pre{-period}"


def build_rollout(customers: int = 4000, *, seed: int, effect_churn: float = -0.03, effect_revenue: float = 80.0,
                  randomised: bool = False, pre_periods: int = 2, pre_trend: float = 0.0, revenue_pre_trend: float = 0.0, stages: int = 1,
                  margin: float = 0.3) -> Rollout:
    """Generate a rollout with the planted effects (see the module docstring), reproducibly for `seed`."""
    rng = np.random.default_rng(seed)
    n = customers
    accounts = max(2, n // 3)
    account = rng.integers(0, accounts, n)
    region_of_account = rng.integers(0, 5, accounts)
    # a random half of the accounts, or the pilot regions (regions 0 and 1)
    reached_account = rng.random(accounts) < 0.5 if randomised else region_of_account < 2
    reached = reached_account[account].astype(float)
    base = np.where(reached == 1, 0.06, 0.10) if not randomised else np.full(n, 0.08)
    level = np.maximum(1000 + 200 * rng.standard_normal(n) + (150 * reached if not randomised else 0), 600)
    stage = rng.integers(0, stages, n)  # every customer's stage: when its periods are split
    churn_shock = rng.normal(0, 0.01, (stages, pre_periods + 1))
    revenue_shock = rng.normal(0, 50, (stages, pre_periods + 1))
    active = np.ones(n, dtype=bool)
    out: dict[str, Any] = {}
    for index, period in enumerate(range(-pre_periods, 1)):
        p = base + churn_shock[stage, index] + effect_churn * reached * (period == 0) + pre_trend * period * reached
        left = active & (rng.random(n) < np.clip(p, 0, 1))
        revenue = level + revenue_shock[stage, index] + effect_revenue * reached * (period == 0) \
            + revenue_pre_trend * period * reached + rng.normal(0, 80, n) - LEAVER_LOSS * left
        out[_column(period, "churned")] = np.where(active, left.astype(float), np.nan)
        out[_column(period, "revenue")] = np.where(active, np.round(np.maximum(revenue, 0), 2), np.nan)
        active &= ~left
    starts = (START + pd.to_timedelta(91 * stage, unit="D")).strftime("%Y-%m-%d")
    outcomes = pd.DataFrame({
        "customer_id": [f"K{i:06d}" for i in range(n)],
        "account_id": [f"A{a:05d}" for a in account],
        "region": [f"region-{r}" for r in region_of_account[account]],
        "programme": reached.astype(int),
        "programme_start": np.where((reached == 1) | (stages > 1), starts, None),
        **out,
    })
    outcomes["churned"] = outcomes["churned_post"]
    outcomes["revenue"] = outcomes["revenue_post"]
    responses = pd.DataFrame({
        "response_id": [f"S{i:06d}" for i in range(n)], "customer_id": outcomes["customer_id"],
        "status": "complete", "submitted_at": "2025-12-15T10:00:00Z",
        "ease": np.clip(np.rint(5 + rng.normal(0, 1.2, n)), 1, 7),
    })
    post = ~np.isnan(out["revenue_post"]) & (reached == 1)
    total_effect = effect_revenue - LEAVER_LOSS * effect_churn
    customers_after = int(post.sum())
    value = total_effect * customers_after
    cost = round(0.5 * value * margin, 2) if value > 0 else 10_000.0
    config = {"programme": {"randomised": randomised},
              "finance": {"program_cost": cost, "margin": margin}, "controls": [], "bootstrap": 0}
    truth = {
        "effect_churn": effect_churn, "effect_revenue_direct": effect_revenue, "leaver_loss": LEAVER_LOSS,
        "effect_revenue": total_effect, "reached_after_start": customers_after, "value": value,
        "benefit": value * margin, "roi": (value * margin - cost) / cost, "cost": cost,
        "formula": "effect_revenue = effect_revenue_direct − leaver_loss × effect_churn per reached customer "
                   "after the start; value = effect_revenue × reached customers observed after the start; "
                   "roi = (value × margin − cost) / cost",
    }
    return Rollout(outcomes, responses, config, truth)
