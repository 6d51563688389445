"""Did the CX programme pay off? The realised effect on retention and revenue, its money value and the realised
ROI against the programme's cost — or, when the data cannot identify the effect, a refusal that says why.

Which customers the programme reached (`programme` 0/1), from when (`programme_start`) and each outcome per
period come from the outcomes table (`roi.inputs.programme`; the contract is in docs/results.md). The design is
a randomised comparison when `roi.yaml` says `programme.randomised: true`, else a difference-in-differences
(`roi.programme.effects`).

Money: when a revenue effect is estimated, the value of the realised effect is τ_revenue × the reached customers
observed after the start (revenue per period includes what leavers paid before leaving, so it already holds the
value of customers kept; churn is not added on top). Without revenue periods it is −τ_churn × the reached
customers × their mean revenue before the start (the revenue a leaver takes away in a period). The benefit is
that times `finance.margin` (revenue, not profit, without one); realised ROI = (benefit − cost) / cost with
`finance.program_cost`. Both are linear in τ with the customer counts and revenues as booked, so their intervals
are τ's interval carried through. No money figure is given when the effect's interval includes zero, nor when a
drift of the reached group already visible before the start could explain it (the trend-adjusted interval of
`roi.programme.effects` includes zero).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..config import RoiConfig
from ..inputs.programme import period_columns, period_index
from ..types import AnalysisData, RoiWarning
from .effects import Effect, did_effect, not_estimated, randomised_effect

RANDOMISED = "randomised comparison"
DID = "difference-in-differences"
ASSUMPTIONS = {
    RANDOMISED: (
        "Which customers the programme reached was decided at random, so the two groups differ only by chance "
        "and by the programme.",
        "Customers not reached were not affected by it (no spill-over), and reached customers were not treated "
        "differently in other ways.",
    ),
    DID: (
        "Parallel trends: without the programme, the reached customers' churn and revenue would have moved like "
        "those of the customers not reached.",
        "No anticipation: customers did not change their behaviour before the programme started.",
        "Nothing else that affects churn or revenue changed for one group and not the other at the start.",
        "Customers not reached were not affected by the programme (no spill-over).",
    ),
}


@dataclass(frozen=True)
class Money:
    basis: str | None
    value: dict[str, Any]
    benefit: dict[str, Any]
    roi: dict[str, Any]
    cost: float | None
    customers: int | None
    label: str

    def to_dict(self) -> dict[str, Any]:
        return {"basis": self.basis, "value": self.value, "benefit": self.benefit, "roi": self.roi, "cost": self.cost,
                "customers": self.customers, "label": self.label}


@dataclass(frozen=True)
class ProgrammeEffect:
    """The answer to "did the programme pay off": design, status, effects, money, assumptions, warnings."""

    design: str
    status: str  # "estimated" or "refused"
    reason: str | None
    reached: int
    not_reached: int
    stages: tuple[dict[str, Any], ...] = ()
    effects: dict[str, Effect] = field(default_factory=dict)
    evidence: str | None = None
    money: Money | None = None
    assumptions: tuple[str, ...] = ()
    warnings: tuple[RoiWarning, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"design": self.design, "status": self.status, "reason": self.reason, "evidence": self.evidence,
                "reached": self.reached, "not_reached": self.not_reached, "stages": list(self.stages),
                "effects": {k: v.to_dict() for k, v in self.effects.items()},
                "money": self.money.to_dict() if self.money else None, "assumptions": list(self.assumptions),
                "warnings": [w.to_dict() for w in self.warnings]}


def _refuse(design: str, reason: str, reached: int, not_reached: int) -> ProgrammeEffect:
    warning = RoiWarning("not_identified", "programme", f"The programme's effect is not estimated: {reason}")
    return ProgrammeEffect(design, "refused", reason, reached, not_reached, assumptions=ASSUMPTIONS[design],
                           warnings=(warning,))


def _frame(data: AnalysisData) -> pd.DataFrame:
    table = data.programme
    assert table is not None
    extra = [c for c in ("churned", "revenue", "account_id") if c in data.customers.columns]
    return table.merge(data.customers[["customer_id", *extra]], on="customer_id", how="left")


def _stages(frame: pd.DataFrame) -> tuple[pd.Series | None, str | None]:
    """Each customer's stage (the programme_start their periods are split at), or None with the reason."""
    reached = frame["programme"] == 1
    if "programme_start" not in frame.columns:
        return pd.Series("all", index=frame.index), None
    starts = frame["programme_start"]
    blank = reached & starts.isna()
    if blank.any():
        return None, (f"{int(blank.sum())} reached customers have no programme_start; say when the programme "
                      "reached each of them")
    dates = starts[reached].dt.strftime("%Y-%m-%d")
    distinct = sorted(set(dates))
    stage = starts.dt.strftime("%Y-%m-%d").astype(object)
    if len(distinct) == 1:
        return stage.where(starts.notna(), distinct[0]), None
    if starts[~reached].isna().all():
        return None, (f"the rollout came in {len(distinct)} stages ({', '.join(distinct[:5])}), and the customers "
                      "not reached have no programme_start: give each of them the start of the stage it is compared "
                      "with, so that its pre and post periods line up with that stage's")
    return stage.where(starts.notna(), None), None


def estimate_programme(data: AnalysisData, config: RoiConfig) -> ProgrammeEffect | None:
    """The realised effect of the programme; None when the outcomes have no `programme` column."""
    if data.programme is None:
        return None
    frame = _frame(data)
    design = RANDOMISED if config.programme.randomised else DID
    reached, not_reached = int((frame["programme"] == 1).sum()), int((frame["programme"] == 0).sum())
    if reached == 0:
        return _refuse(design, "no customer is marked as reached by the programme (programme = 1)", reached,
                       not_reached)
    if not_reached == 0:
        return _refuse(design, "every customer was reached by the programme: with no untreated group there is "
                       "nothing to compare with", reached, not_reached)
    effects: dict[str, Effect] = {}
    stages: tuple[dict[str, Any], ...] = ()
    if design == RANDOMISED:
        for outcome in ("churned", "revenue"):
            column = f"{outcome}_post" if f"{outcome}_post" in frame.columns else outcome
            if column in frame.columns:
                effects[outcome] = randomised_effect(frame, outcome, column)
        if not effects:
            return _refuse(design, "the outcomes have neither churned nor revenue (nor churned_post or "
                           "revenue_post) to compare", reached, not_reached)
        if all(e.estimate is None for e in effects.values()):
            reasons = "; ".join(f"{k}: {e.reason}" for k, e in effects.items() if e.reason)
            return _refuse(design, f"no outcome could be estimated ({reasons})", reached, not_reached)
    else:
        present = {o: [c for c in period_columns(o) if c in frame.columns] for o in ("churned", "revenue")}
        if not any(f"{o}_pre" in cs for o, cs in present.items()):
            return _refuse(design, "no pre period (no churned_pre or revenue_pre column): without each group's "
                           "outcome before the start, a difference between the groups could be who was chosen, not "
                           "what the programme did. Give the period before the start, or set programme.randomised: "
                           "true if the customers were chosen at random", reached, not_reached)
        if not any(f"{o}_post" in cs for o, cs in present.items()):
            return _refuse(design, "no post period (no churned_post or revenue_post column)", reached, not_reached)
        stage, why = _stages(frame)
        if stage is None:
            return _refuse(design, str(why), reached, not_reached)
        frame = frame.assign(stage=stage)
        frame = frame[frame["stage"].notna()]
        stages = tuple({"start": s, "reached": int(((frame["stage"] == s) & (frame["programme"] == 1)).sum()),
                        "not_reached": int(((frame["stage"] == s) & (frame["programme"] == 0)).sum())}
                       for s in sorted(set(frame["stage"])))
        for outcome, columns in present.items():
            if f"{outcome}_pre" in columns and f"{outcome}_post" in columns:
                pre = {period_index(c): c for c in columns if c != f"{outcome}_post"}
                effects[outcome] = did_effect(frame, outcome, pre, f"{outcome}_post")
            elif columns:
                effects[outcome] = not_estimated(outcome, DID, f"needs both {outcome}_pre and {outcome}_post")
        if all(e.estimate is None for e in effects.values()):
            reasons = "; ".join(f"{k}: {e.reason}" for k, e in effects.items() if e.reason)
            return _refuse(design, f"no outcome could be estimated ({reasons})", reached, not_reached)
    return _conclude(design, frame, effects, stages, reached, not_reached, config)


def _drift_explains(effect: Effect) -> bool:
    """Whether a failed parallel-trends check could explain the effect: the trend-adjusted interval includes 0
    or lies on the other side."""
    trends = effect.parallel_trends or {}
    if not trends.get("checked") or trends.get("consistent"):
        return False
    low, high = trends["trend_adjusted_ci"]
    return bool(low <= 0 <= high or (effect.estimate or 0) * low < 0)


def _conclude(design: str, frame: pd.DataFrame, effects: dict[str, Effect], stages: tuple[dict[str, Any], ...],
              reached: int, not_reached: int, config: RoiConfig) -> ProgrammeEffect:
    basis = next((o for o in ("revenue", "churned") if o in effects and effects[o].estimate is not None), None)
    effect: Effect | None = effects[basis] if basis else None
    evidence = effect.evidence if effect else None
    found: list[RoiWarning] = []
    blocked = None
    for outcome, estimated in effects.items():
        trends = estimated.parallel_trends or {}
        if not trends.get("checked") or trends.get("consistent"):
            continue
        drift = f"{trends['difference_per_period']:+.3g} a period"
        if _drift_explains(estimated) and estimated.evidence in ("supported", "adverse"):
            consequence = "enough to explain the estimated effect"
            if outcome == basis:
                blocked = f"the reached customers' {outcome} was already drifting away ({drift}) before the start"
                consequence += ", so no money figure is given"
        else:
            consequence = "not enough to explain the estimated effect, which may still be over- or understated by it"
        found.append(RoiWarning("parallel_trends", "programme",
                                f"Before the programme started, the reached customers' {outcome} already moved "
                                f"differently from the others' ({drift}): {consequence}."))
    money = _money(frame, effect, config, blocked=blocked)
    if effect is not None and evidence == "none":
        found.append(RoiWarning("no_effect", "programme", f"The programme's realised effect on {basis} has a 95% "
                                "interval that includes zero: no evidence that it changed it, so no money figure."))
    return ProgrammeEffect(design, "estimated", None, reached, not_reached, stages, effects,
                           "none" if blocked else evidence, money, ASSUMPTIONS[design], tuple(found))


def _estimate(value: float | None, low: float | None = None, high: float | None = None,
              reason: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"estimate": value, "ci": [low, high]}
    if reason:
        out["reason"] = reason
    return out


def _money(frame: pd.DataFrame, effect: Effect | None, config: RoiConfig, *, blocked: str | None) -> Money:
    cost = config.finance.program_cost
    margin = config.finance.margin
    label = ("Margin gained over the post period " + f"({margin * 100:g}% of the revenue effect)" if margin is not None
             else "Revenue gained over the post period (no gross margin given: revenue, not profit)")
    reason = blocked
    if effect is None or effect.estimate is None:
        reason = reason or "no effect was estimated"
    elif effect.evidence == "none":
        reason = reason or "no evidence of an effect: its 95% interval includes zero"
    if reason is not None or effect is None or effect.estimate is None:
        nothing = _estimate(None, reason=reason)
        return Money(effect.outcome if effect else None, nothing, nothing, nothing, cost, None, label)
    low, high = effect.ci
    assert low is not None and high is not None
    reached = frame[frame["programme"] == 1]
    if effect.outcome == "revenue":
        column = "revenue_post" if "revenue_post" in reached.columns else "revenue"
        customers = int(np.isfinite(reached[column].to_numpy(dtype=float)).sum())
        per_customer = (effect.estimate, low, high)
    else:
        column = "churned_post" if "churned_post" in reached.columns else "churned"
        customers = int(np.isfinite(reached[column].to_numpy(dtype=float)).sum()) if column in reached else 0
        base_column = next((c for c in ("revenue_pre", "revenue") if c in reached.columns), None)
        base = float(np.nanmean(reached[base_column].to_numpy(dtype=float))) if base_column else float("nan")
        if not np.isfinite(base):
            nothing = _estimate(None, reason="no revenue to value the customers kept (revenue_pre or revenue)")
            return Money("churned", nothing, nothing, nothing, cost, customers, label)
        per_customer = (-effect.estimate * base, -high * base, -low * base)
    value = (per_customer[0] * customers, per_customer[1] * customers, per_customer[2] * customers)
    factor = margin if margin is not None else 1.0
    benefit = (value[0] * factor, value[1] * factor, value[2] * factor)
    if cost is None or cost == 0:
        roi = _estimate(None, reason="no program_cost was given" if cost is None else "program_cost is zero")
    else:
        roi = _estimate(*((benefit[0] - cost) / cost, (benefit[1] - cost) / cost, (benefit[2] - cost) / cost))
    return Money(effect.outcome, _estimate(*value), _estimate(*benefit), roi, cost, customers, label)
