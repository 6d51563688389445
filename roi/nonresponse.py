"""Are respondents like the customers who did not answer? Compare them on outcomes, and offer weights.

When the outcomes table covers every customer (`AnalysisData.customers.responded`), respondents and
non-respondents are compared on revenue, tenure and churn: difference with a 95% CI, a test (Welch t for
revenue and tenure, two-proportion z for churn; Holm-adjusted across the comparisons) and the
standardised difference. A `nonresponse_bias` warning is raised when |standardised difference| > 0.1 or
an adjusted test is significant at 5%. Inverse-propensity weights (logistic model of responding on
tenure, revenue and the segment columns) let later analyses speak for all customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .fitting import build_design, finite_or_none, fit_logit, interval_or_none
from .types import AnalysisData, RoiWarning

STANDARDISED_DIFFERENCE_LIMIT = 0.1
PROPENSITY_FLOOR = 0.01
"""Response propensities are floored here so a handful of unlikely respondents cannot carry 100× weights."""


@dataclass(frozen=True)
class GroupComparison:
    """Respondents versus non-respondents on one variable."""

    variable: str
    kind: str  # "mean" or "proportion"
    respondents: float | None
    non_respondents: float | None
    n_respondents: int
    n_non_respondents: int
    difference: float | None
    ci: tuple[float | None, float | None]
    standardised_difference: float | None
    test: str
    p_value: float | None
    p_adjusted: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "variable": self.variable, "kind": self.kind,
            "respondents": finite_or_none(self.respondents), "non_respondents": finite_or_none(self.non_respondents),
            "n_respondents": self.n_respondents, "n_non_respondents": self.n_non_respondents,
            "difference": finite_or_none(self.difference), "ci": interval_or_none(*self.ci),
            "standardised_difference": finite_or_none(self.standardised_difference),
            "test": self.test, "p": finite_or_none(self.p_value), "p_holm": finite_or_none(self.p_adjusted),
        }


@dataclass(frozen=True)
class NonResponse:
    """The comparison, and weights (1 / P(respond)) aligned to `AnalysisData.frame`'s index.

    `weights` is None when there are no non-respondents to compare with (every customer answered, or the
    outcomes cover respondents only).
    """

    applicable: bool
    response_rate: float | None
    comparisons: tuple[GroupComparison, ...]
    weights: pd.Series | None
    weight_model: tuple[str, ...]
    warnings: tuple[RoiWarning, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        summary: dict[str, Any] | None = None
        if self.weights is not None and len(self.weights):
            w = self.weights.to_numpy(dtype=float)
            summary = {"min": finite_or_none(w.min()), "max": finite_or_none(w.max()),
                       "sum": finite_or_none(w.sum()),
                       "effective_n": finite_or_none(w.sum() ** 2 / np.sum(w**2))}
        return {
            "applicable": self.applicable, "response_rate": finite_or_none(self.response_rate),
            "comparisons": [c.to_dict() for c in self.comparisons],
            "weight_model": list(self.weight_model), "weights": summary,
            "warnings": [w.to_dict() for w in self.warnings],
        }


def _compare_means(variable: str, yes: pd.Series, no: pd.Series) -> GroupComparison:
    a, b = yes.dropna().to_numpy(float), no.dropna().to_numpy(float)
    nan = float("nan")
    if len(a) < 2 or len(b) < 2:
        return GroupComparison(variable, "mean", finite_or_none(a.mean()) if len(a) else None,
                               finite_or_none(b.mean()) if len(b) else None, len(a), len(b), None, (None, None),
                               None, "Welch t", None)
    va, vb = a.var(ddof=1), b.var(ddof=1)
    diff = a.mean() - b.mean()
    se = np.sqrt(va / len(a) + vb / len(b))
    pooled = np.sqrt((va + vb) / 2)
    if se > 0:
        # Welch–Satterthwaite degrees of freedom
        dof = (va / len(a) + vb / len(b)) ** 2 / ((va / len(a)) ** 2 / (len(a) - 1) + (vb / len(b)) ** 2 / (len(b) - 1))
        t = stats.t.ppf(0.975, dof)
        p = 2 * stats.t.sf(abs(diff / se), dof)
        ci = (diff - t * se, diff + t * se)
    else:
        p, ci = (1.0 if diff == 0 else 0.0), (diff, diff)
    sd = diff / pooled if pooled > 0 else (0.0 if diff == 0 else nan)
    return GroupComparison(variable, "mean", a.mean(), b.mean(), len(a), len(b), diff,
                           (finite_or_none(ci[0]), finite_or_none(ci[1])), finite_or_none(sd), "Welch t", finite_or_none(p))


def _compare_proportions(variable: str, yes: pd.Series, no: pd.Series) -> GroupComparison:
    a, b = yes.dropna().to_numpy(float), no.dropna().to_numpy(float)
    if len(a) == 0 or len(b) == 0:
        return GroupComparison(variable, "proportion", None, None, len(a), len(b), None, (None, None), None,
                               "two-proportion z", None)
    pa, pb = a.mean(), b.mean()
    diff = pa - pb
    se = np.sqrt(pa * (1 - pa) / len(a) + pb * (1 - pb) / len(b))
    pooled_p = (a.sum() + b.sum()) / (len(a) + len(b))
    se0 = np.sqrt(pooled_p * (1 - pooled_p) * (1 / len(a) + 1 / len(b)))
    p = 2 * stats.norm.sf(abs(diff / se0)) if se0 > 0 else 1.0
    spread = np.sqrt((pa * (1 - pa) + pb * (1 - pb)) / 2)
    sd = diff / spread if spread > 0 else 0.0
    ci = (diff - 1.96 * se, diff + 1.96 * se)
    return GroupComparison(variable, "proportion", pa, pb, len(a), len(b), diff, ci, sd, "two-proportion z", p)


def _holm(p_values: list[float | None]) -> list[float | None]:
    present = [(p, i) for i, p in enumerate(p_values) if p is not None]
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(sorted(present)):
        running = max(running, min(1.0, (len(present) - rank) * p))
        adjusted[i] = running
    return adjusted


def _propensity_weights(data: AnalysisData, notes: list[RoiWarning]) -> tuple[pd.Series | None, tuple[str, ...]]:
    customers = data.customers
    covariates = [c for c in ("tenure_months", "revenue", *data.segments) if c in customers.columns]
    design = build_design(customers, covariates)
    # Keep covariates that vary; fill gaps with the mean so every customer gets a propensity.
    design = design.loc[:, design.std(skipna=True).fillna(0) > 0]
    design = design.fillna(design.mean())
    responded = customers["responded"].astype(bool).to_numpy()
    if design.shape[1] == 0:
        propensity = np.full(len(customers), responded.mean())
        names: tuple[str, ...] = ()
    else:
        # Standardise so the fit is well conditioned whatever the revenue units.
        X = ((design - design.mean()) / design.std()).to_numpy()
        fit, fit_notes = fit_logit(responded.astype(float), X, names=list(design.columns), subject="response model")
        notes.extend(w for w in fit_notes if w.code != "small_sample")
        names = tuple(design.columns)
        propensity = fit.predict(X) if fit is not None else np.full(len(customers), responded.mean())
    weight_by_customer = pd.Series(1.0 / np.maximum(propensity, PROPENSITY_FLOOR),
                                   index=customers["customer_id"].astype(str).to_numpy())
    weight_by_customer = weight_by_customer[~weight_by_customer.index.duplicated()]
    ids = data.frame["customer_id"].astype(str)
    weights = pd.Series(weight_by_customer.reindex(ids.to_numpy()).to_numpy(), index=data.frame.index,
                        name="nonresponse_weight")
    # A respondent missing from the customers table (should not happen after the join) counts once.
    return weights.fillna(1.0), names


def compare_nonresponse(data: AnalysisData) -> NonResponse:
    """Compare respondents with non-respondents on revenue, tenure and churn; offer inverse-propensity weights.

    Not applicable (weights None) when `customers` has no `responded` column or no non-respondents.
    Weights are 1 / P(respond | tenure, revenue, segments) for each row of `data.frame`, with the
    propensity floored at 0.01; they sum to about the number of customers.
    """
    customers = data.customers
    notes: list[RoiWarning] = []
    if "responded" not in customers.columns or len(customers) == 0:
        return NonResponse(False, None, (), None, (), ())
    responded = customers["responded"].astype(bool)
    rate = float(responded.mean())
    if responded.all() or not responded.any():
        return NonResponse(False, rate, (), None, (), ())
    comparisons: list[GroupComparison] = []
    for variable in ("revenue", "tenure_months"):
        if variable in customers.columns:
            values = pd.to_numeric(customers[variable], errors="coerce")
            comparisons.append(_compare_means(variable, values[responded], values[~responded]))
    if "churned" in customers.columns:
        churn = pd.to_numeric(customers["churned"], errors="coerce")
        comparisons.append(_compare_proportions("churned", churn[responded], churn[~responded]))
    adjusted = _holm([c.p_value for c in comparisons])
    comparisons = [GroupComparison(**{**c.__dict__, "p_adjusted": p}) for c, p in zip(comparisons, adjusted, strict=True)]
    for c in comparisons:
        big = c.standardised_difference is not None and abs(c.standardised_difference) > STANDARDISED_DIFFERENCE_LIMIT
        significant = c.p_adjusted is not None and c.p_adjusted < 0.05
        if big or significant:
            notes.append(RoiWarning(
                "nonresponse_bias", c.variable,
                f"Respondents differ from non-respondents on {c.variable}: {_fmt(c.respondents)} vs "
                f"{_fmt(c.non_respondents)} (standardised difference {_fmt(c.standardised_difference)}, "
                f"Holm-adjusted p = {_fmt(c.p_adjusted)}); results for respondents may not hold for all customers."))
    weights, names = _propensity_weights(data, notes)
    return NonResponse(True, rate, tuple(comparisons), weights, names, tuple(notes))


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"
