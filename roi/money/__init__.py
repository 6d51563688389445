"""The money questions: revenue at risk today, and what raising a metric would be worth.

`revenue_at_risk` (risk.py) and `estimate_scenario` (scenario.py) share one logistic churn model and its
parametric bootstrap (churn_model.py), fitted by `roi.fitting.fit_logit`.
"""

from .churn_model import ChurnModel, fit_churn_model
from .lifetime import CustomerLifetimeValue, customer_lifetime_value
from .risk import RevenueAtRisk, SegmentRisk, revenue_at_risk
from .scenario import Estimate, InvalidScenario, Scenario, estimate_scenario

__all__ = [
    "ChurnModel", "CustomerLifetimeValue", "Estimate", "customer_lifetime_value", "InvalidScenario", "RevenueAtRisk", "Scenario", "SegmentRisk",
    "estimate_scenario", "fit_churn_model", "revenue_at_risk",
]
