"""The scenario: "raise metric M by Δ points for segment S" — retained revenue, ROI, payback, lifetime value.

retained revenue = Σ over the customers in scope (P(churn | x) − P(churn | x improved by Δ, capped at
the scale's end)) × annual revenue × horizon_years. The benefit is that times the gross margin when
finance gives one (else the revenue itself, and the assumptions say so). Lifetime value, NPV, ROI, payback
and IRR all come from one stream of discounted, retention-adjusted yearly cash flows (`cash_flows`), so they
agree with each other; a payback beyond the horizon is null, "not within the horizon". No money figure is
given when the metric's churn coefficient has no support (95% CI includes zero) or points the wrong way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from surveys.errors import CxroiError

from ..config import FinanceConfig, ScenarioConfig
from ..fitting import (
    Z95,
    Calibration,
    account_clusters,
    build_design,
    cluster_quantile,
    finite_or_none,
    interval_or_none,
    percentile_interval,
)
from ..nonresponse import compare_nonresponse
from ..types import AnalysisData, Metric, RoiWarning
from .cash_flows import CashFlows, discounted_years, evaluate, persistence_from_curve
from .churn_model import annual_factor, calibrate_churn_model, drawn_totals, fit_churn_model
from .lifetime import survival_curve
from .refit import build_candidate, refit_draws

__all__ = ["Estimate", "InvalidScenario", "Scenario", "discounted_years", "estimate_scenario", "figure_labels",
           "improved", "in_segment"]


class InvalidScenario(CxroiError, ValueError):
    """A scenario naming a metric or segment column the data does not have; the message names the key."""


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a 95% interval, or None with the reason there is none."""

    estimate: float | None = None
    ci: tuple[float | None, float | None] = (None, None)
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"estimate": finite_or_none(self.estimate), "ci": interval_or_none(*self.ci)}
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class Scenario:
    """The answer to the money question, with its evidence, uncertainty and assumptions."""

    metric: str | None
    delta: float
    segment: dict[str, str] | None
    population: str
    evidence: str  # "supported" or "none"
    customers_in_scope: int
    retained_revenue: Estimate
    benefit: Estimate
    roi: Estimate
    payback_months: Estimate
    lifetime_value: Estimate
    coefficient: Estimate
    extrapolated: bool = False
    npv: Estimate = field(default_factory=Estimate)
    irr: Estimate = field(default_factory=Estimate)
    calibration: Calibration | None = None
    uncertainty: dict[str, Any] = field(default_factory=dict)
    """How the intervals were drawn: {method: parametric|refit, selection: {metric: share} | None, failed}."""
    replicates: int = 0
    assumptions: tuple[str, ...] = ()
    warnings: tuple[RoiWarning, ...] = field(default_factory=tuple)
    labels: dict[str, str] = field(default_factory=dict)
    """What each money figure is, in words (revenue or margin, over what horizon, discounted or not)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric, "delta": self.delta, "segment": self.segment, "population": self.population,
            "extrapolated": self.extrapolated, "evidence": self.evidence,
            "customers_in_scope": self.customers_in_scope,
            "coefficient": self.coefficient.to_dict(),
            "retained_revenue": self.retained_revenue.to_dict(), "benefit": self.benefit.to_dict(),
            "roi": self.roi.to_dict(), "payback_months": self.payback_months.to_dict(),
            "lifetime_value": self.lifetime_value.to_dict(), "npv": self.npv.to_dict(), "irr": self.irr.to_dict(),
            "replicates": self.replicates, "assumptions": list(self.assumptions),
            "warnings": [w.to_dict() for w in self.warnings],
            "labels": dict(self.labels),
            "calibration": self.calibration.to_dict() if self.calibration else None,
            "uncertainty": dict(self.uncertainty),
        }


def _percent(share: float) -> str:
    return f"{share * 100:g}%"


def figure_labels(finance: FinanceConfig) -> dict[str, str]:
    """What each money figure of the scenario is, as computed below: revenue or margin, the horizon it covers,
    discounted or not. The report prints these beside the figures."""
    years = finance.horizon_years
    horizon = "1 year" if years == 1 else f"{years:g} years"
    margin = finance.margin
    labels: dict[str, str] = {}
    if margin is not None:
        labels["retained_revenue"] = f"Retained revenue over {horizon}, before the {_percent(margin)} gross margin"
        labels["benefit"] = (f"Benefit: retained margin over {horizon} ({_percent(margin)} of retained revenue), "
                             "undiscounted")
    else:
        labels["retained_revenue"] = f"Retained revenue over {horizon} (no gross margin given)"
        labels["benefit"] = f"Benefit: retained revenue over {horizon}, not profit (no gross margin given)"
    rate = finance.discount_rate
    discounted = f"discounted at {_percent(rate)} a year" if rate is not None else "undiscounted"
    labels["roi"] = f"ROI: net present value per unit of programme cost (benefit {discounted})"
    labels["npv"] = (f"Net present value: the benefit year by year, retained customers may still leave later, "
                     f"{discounted}, less the programme cost")
    labels["payback_months"] = f"Payback: months until the benefit ({discounted}) covers the programme cost"
    labels["irr"] = "IRR: the yearly discount rate at which the benefit exactly repays the programme cost"
    if margin is not None and rate is not None:
        later = ", later years counting only customers who would have stayed anyway" if years > 1 else ""
        labels["lifetime_value"] = (f"Lifetime value: the benefit over {horizon} discounted at "
                                    f"{_percent(rate)} a year{later}")
    return labels


def improved(values: np.ndarray, metric: Metric, delta: float) -> np.ndarray:
    """Each score moved `delta` points in the better direction, stopping at the scale's best end.

    Without a declared scale the best observed value is the end.
    """
    if metric.polarity == "higher_is_better":
        top = metric.scale[1] if metric.scale else float(np.max(values))
        return np.minimum(values + delta, np.maximum(values, top))
    bottom = metric.scale[0] if metric.scale else float(np.min(values))
    return np.maximum(values - delta, np.minimum(values, bottom))


def in_segment(frame: pd.DataFrame, segment: dict[str, str] | None, *, where: str = "the analysed data") -> pd.Series:
    """Rows whose segment columns equal the scenario's values (compared as text)."""
    mask = pd.Series(True, index=frame.index)
    for column, value in (segment or {}).items():
        if column not in frame.columns:
            raise InvalidScenario(f"scenario.segment.{column}: no such column in {where} "
                                  f"(columns: {', '.join(map(str, frame.columns))})")
        mask &= frame[column].astype("string") == value
    return mask


def _null(scenario: ScenarioConfig, reason: str, notes: list[RoiWarning], assumptions: list[str], *,
          in_scope: int = 0, coefficient: Estimate | None = None) -> Scenario:
    none = Estimate(reason=reason)
    return Scenario(scenario.metric, scenario.delta, scenario.segment, scenario.population, "none", in_scope,
                    none, none, none, none, none, coefficient or Estimate(reason=reason),
                    extrapolated=scenario.population == "all", npv=none, irr=none, assumptions=tuple(assumptions), warnings=tuple(notes))


def estimate_scenario(data: AnalysisData, *, scenario: ScenarioConfig, finance: FinanceConfig, seed: int,
                      replicates: int, selected_from: Sequence[Metric] | None = None) -> Scenario:
    """Retained revenue, benefit, ROI, payback and lifetime value of raising `scenario.metric` by `delta`.

    The churn model is metric + `data.controls`, fitted on all matched respondents; the money is summed
    over the respondents in `scenario.segment` (or, with population "all", extrapolated to every customer
    of the segment with inverse-propensity weights from `compare_nonresponse`). 95% intervals come from
    `replicates` parametric draws of the coefficients (see `roi.money.churn_model`). Raises
    InvalidScenario for an unknown metric or segment column, or a delta that is not positive.
    """
    assumptions: list[str] = []
    notes: list[RoiWarning] = []
    if scenario.metric is None:
        return _null(scenario, "no scenario metric is configured (scenario.metric)", notes, assumptions)
    try:
        metric = data.metric(scenario.metric)
    except KeyError:
        known = ", ".join(m.name for m in data.metrics)
        raise InvalidScenario(f"scenario.metric: unknown metric {scenario.metric!r}; known: {known}") from None
    if not scenario.delta > 0:
        raise InvalidScenario(f"scenario.delta: must be a positive number of points to improve by, got {scenario.delta:g}")
    frame = data.frame
    scope_mask = in_segment(frame, scenario.segment)
    controls = [c for c in data.controls if c in frame.columns and c != metric.column]
    columns = [metric.column, *controls]
    model, used, fit_notes = fit_churn_model(frame, columns, subject=metric.name)
    notes.extend(fit_notes)
    better = "higher" if metric.polarity == "higher_is_better" else "lower"
    assumptions.append(f"Churn is modelled by logistic regression on {metric.display}"
                       + (f" and the controls {', '.join(controls)}" if controls else "")
                       + f", fitted on {int(used.sum())} matched respondents"
                       + (f"; standard errors are cluster-robust by account ({len(np.unique(clusters))} accounts)."
                          if (clusters := account_clusters(frame[used])) is not None else "."))
    if model is None:
        return _null(scenario, "the churn model could not be fitted", notes, assumptions)
    beta, se = model.coefficient(metric.column)
    if any(note.code == "separation" for note in fit_notes):
        # (quasi-)separation: the estimates exist but are not to be trusted, so no money either
        return _null(scenario, "the churn model is (quasi-)separated; its estimates cannot carry a money figure",
                     notes, assumptions, coefficient=Estimate(beta, (None, None), reason="separation"))
    # cluster-robust by account: t(G − 1) rather than the normal quantile (few accounts, wide intervals)
    quantile = cluster_quantile(len(np.unique(clusters))) if clusters is not None else Z95
    coefficient = Estimate(beta, (beta - quantile * se, beta + quantile * se))
    expected_negative = metric.polarity == "higher_is_better"
    if beta - quantile * se <= 0 <= beta + quantile * se:
        notes.append(RoiWarning("no_effect", metric.name,
                                f"The data show no clear link between {metric.display} and churn (log-odds per point "
                                f"{beta:.3g}, 95% CI {beta - quantile * se:.3g} to {beta + quantile * se:.3g}); no money "
                                "estimate is given for raising it."))
        return _null(scenario, "no evidence that the metric affects churn", notes, assumptions,
                     coefficient=coefficient)
    if (beta < 0) != expected_negative:
        notes.append(RoiWarning("wrong_sign", metric.name,
                                f"In these data a {better} {metric.display} goes with MORE churn (log-odds per "
                                f"point {beta:.3g}); raising it cannot be valued, so no money estimate is given."))
        return _null(scenario, "the metric's effect on churn has the wrong sign", notes, assumptions,
                     coefficient=coefficient)
    if "revenue" not in frame.columns:
        return _null(scenario, "no revenue column in the outcomes", notes, assumptions, coefficient=coefficient)
    scope = frame[used & scope_mask & frame["revenue"].notna()]
    if len(scope) == 0:
        notes.append(RoiWarning("small_sample", metric.name, "No matched respondent with revenue in the scenario's segment."))
        return _null(scenario, "no customers in scope", notes, assumptions, coefficient=coefficient)
    if len(scope) < 100:
        notes.append(RoiWarning("small_sample", metric.name,
                                f"Only {len(scope)} customers in the scenario's scope; the figure is imprecise."))
    calibration, off = calibrate_churn_model(frame, columns, used, seed=seed, subject=metric.name,
                                          start=model.fit.params)
    notes.extend(off)
    X = build_design(scope, columns).to_numpy(float)
    X_after = X.copy()
    X_after[:, 0] = improved(X[:, 0], metric, scenario.delta)
    factor = annual_factor(data) * finance.horizon_years
    weights = scope["revenue"].to_numpy(float) * factor
    customers_in_scope = len(scope)
    extrapolated = False
    if scenario.population == "all":
        nonresponse = compare_nonresponse(data)
        notes.extend(nonresponse.warnings)
        if nonresponse.weights is None:
            assumptions.append("population 'all' was asked for, but the outcomes hold no non-respondents to "
                               "extrapolate to; the figure covers the matched respondents only.")
        else:
            w = nonresponse.weights.loc[scope.index].to_numpy(float)
            customers_in_scope = int(in_segment(
                data.customers, scenario.segment,
                where="the outcomes table, which population 'all' needs to count every customer").sum())
            w = w * customers_in_scope / w.sum()  # weights speak for every customer of the segment
            weights = weights * w
            extrapolated = True
            assumptions.append(f"EXTRAPOLATION: the {len(scope)} respondents in scope stand for all "
                               f"{customers_in_scope} customers of the segment, weighted by 1 / P(respond) from "
                               "a logistic model on tenure, revenue and segments; customers unlike any "
                               "respondent are not represented, and the interval leaves out the weights' own "
                               "uncertainty.")
    retained_point = float(weights @ (model.probabilities(X, model.fit.params[:, None])
                                      - model.probabilities(X_after, model.fit.params[:, None]))[:, 0])
    uncertainty: dict[str, Any] = {"method": scenario.uncertainty, "selection": None, "failed": 0}
    if scenario.uncertainty == "refit" and replicates:
        money = pd.Series(np.nan, index=frame.index)
        money.loc[scope.index] = weights
        pool = [metric, *(m for m in (selected_from or ()) if m.name != metric.name)]
        delta = scenario.delta

        def improve(values: np.ndarray, which: Metric) -> np.ndarray:
            return improved(values, which, delta)

        built = [build_candidate(frame, m, controls, scope=scope_mask, money=money, improve=improve) for m in pool]
        refit = refit_draws(frame, [c for c in built if c is not None], chosen=metric.name,
                            select=selected_from is not None, replicates=replicates, seed=seed)
        draws = refit.totals
        uncertainty.update(selection=refit.selection if selected_from is not None else None,
                           failed=int(np.isnan(draws).sum()))
        interval_words = (f"The 95% intervals come from {replicates} resamples of the customers"
                          + (" (whole accounts)" if clusters is not None else "")
                          + ", the churn model refitted on each"
                          + ("; the metric was picked as the best predictor by the analysis, so each resample "
                             "picks again (highest churn AUC) and values the metric it picked"
                             if selected_from is not None else "")
                          + f" ({uncertainty['failed']} resamples could not be fitted and are left out).")
    else:
        draws = (drawn_totals(model, X, weights, replicates=replicates, seed=seed, X_after=X_after)
                 if replicates else np.array([]))
        interval_words = (f"The 95% intervals come from {replicates} draws of the model's coefficients from their "
                          "estimated covariance (parametric bootstrap); they do not cover a wrong model"
                          + ("; the metric was picked by the analysis, which these intervals do not allow for "
                             "(scenario.uncertainty: refit does)." if selected_from is not None else "."))
    assumptions += [
        f"{metric.display} improves by {scenario.delta:g} points for every customer in scope, capped at the "
        f"scale's {'maximum' if metric.polarity == 'higher_is_better' else 'minimum'}; nothing else changes.",
        f"Revenue is {'monthly, multiplied by 12' if data.revenue_period == 'month' else 'annual'} and stays "
        f"at its current level for {finance.horizon_years:g} year(s); a retained customer's revenue counts "
        "for the whole horizon, undiscounted.",
        interval_words,
        "The churn model is observational: it shows association, which is read as the effect of the metric.",
    ]
    retained = Estimate(retained_point, percentile_interval(draws))
    margin = finance.margin
    scale_benefit = margin if margin is not None else 1.0
    assumptions.append(f"Benefit = retained revenue × gross margin {margin:g}." if margin is not None else
                       "No margin was given: the benefit is retained REVENUE, not profit, which overstates ROI.")
    benefit = Estimate(retained_point * scale_benefit, percentile_interval(draws * scale_benefit))
    retention = 1.0 - float(pd.to_numeric(scope["churned"], errors="coerce").mean())
    persistence = _persistence(scope, finance.horizon_years)
    flows = evaluate(retained_point * scale_benefit / finance.horizon_years,
                     draws * scale_benefit / finance.horizon_years, cost=finance.program_cost,
                     horizon_years=finance.horizon_years, retention=retention,
                     discount_rate=finance.discount_rate or 0.0, persistence=persistence)
    staying = ("as the survival curve since the survey says (Kaplan–Meier, constant hazard beyond the follow-up)"
               if persistence is not None else
               f"with probability {retention:.2f} a year (1 − the churn rate in scope; no survival times)")
    assumptions.append(
        f"ROI, NPV, payback and IRR count the benefit year by year, a retained customer staying on {staying}, "
        + (f"discounted at {finance.discount_rate:g} a year" if finance.discount_rate is not None
           else "undiscounted (no discount rate was given)") + ", against the programme cost paid at the start.")
    roi, payback, npv, irr = _returns(flows, finance)
    lifetime = (Estimate(flows.present_value, percentile_interval(flows.present_value_draws))
                if finance.margin is not None and finance.discount_rate is not None
                else Estimate(reason="needs finance.margin and finance.discount_rate"))
    return Scenario(metric.name, scenario.delta, scenario.segment, scenario.population, "supported",
                    customers_in_scope, retained, benefit, roi, payback, lifetime, coefficient, extrapolated,
                    npv, irr, calibration, uncertainty, replicates, tuple(assumptions),
                    tuple(dict.fromkeys(notes)), figure_labels(finance))


def _persistence(scope: pd.DataFrame, horizon_years: float) -> np.ndarray | None:
    """Year-by-year persistence of a retained customer from the scope's survival curve, or None without
    survival times (then a constant retention rate is used)."""
    if "duration_months" not in scope.columns:
        return None
    known = scope[scope["duration_months"].notna() & scope["churned"].notna()]
    if len(known) < 30 or known["churned"].sum() == 0:
        return None
    curve = survival_curve(known["duration_months"].to_numpy(float), known["churned"].to_numpy(float))
    return persistence_from_curve(curve.at, horizon_years)


def _returns(flows: CashFlows, finance: FinanceConfig) -> tuple[Estimate, Estimate, Estimate, Estimate]:
    """ROI, payback, NPV and IRR as estimates, or null with the reason."""
    cost = finance.program_cost
    if cost is None or cost == 0:
        reason = "no program_cost was given" if cost is None else "program_cost is zero"
        return Estimate(reason=reason), Estimate(reason=reason), Estimate(reason=reason), Estimate(reason=reason)
    roi = Estimate(flows.roi, flows.roi_ci)
    npv = Estimate(flows.npv, flows.npv_ci)
    horizon = "1 year" if finance.horizon_years == 1 else f"{finance.horizon_years:g} years"
    if flows.present_value <= 0:
        payback = Estimate(reason="the benefit is not positive: the programme does not pay back")
    elif not math.isfinite(flows.payback):
        share = flows.present_value / cost
        payback = Estimate(reason=f"not within the horizon ({horizon}); the benefit covers {share:.0%} of the cost")
    else:
        payback = Estimate(flows.payback, flows.payback_ci)
    irr = (Estimate(flows.irr, flows.irr_ci) if flows.irr is not None
           else Estimate(reason="no internal rate of return: the benefit never repays the cost at any rate above −100%"))
    return roi, payback, npv, irr
