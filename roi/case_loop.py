"""Closing the loop: retention of customers whose churn-risk case was closed against comparable customers whose
case was not (issue 11). Observational: an association, never the effect of closing a case.

The outcomes carry each customer's case as the cases export gives it (`case_status`, or a 0/1 `case_closed`;
`case_risk`, the predicted risk the case opened with; blank without a case — `roi.inputs.outcomes`). Only
customers with a case and a known `churned` are compared: *closed* (resolved, won back, lost) against *not
closed* (open, contacted). Both groups were flagged at risk, but agents may close the easier cases first, so
the groups are compared **within risk bands** (`case_risk` in ten-point bands; a "risk unknown" band for cases
without one):

* per band b: retention r = 1 − churn rate in each group;
* the difference Σ_b w_b (r_closed,b − r_open,b) with w_b the closed customers' share in band b, over the bands
  where both groups have customers (standardised to the closed customers; closed customers in a band without
  not-closed ones are left out and counted in `unmatched`);
* its variance Σ_b w_b² [p̃₁(1 − p̃₁)/(n₁ + 2) + p̃₀(1 − p̃₀)/(n₀ + 2)], p̃ = (retained + 1)/(n + 2) (the
  Agresti–Caffo adjustment, so a band where everyone stayed does not give a zero-width interval); 95% interval
  ± 1.96·se, kept within [−1, 1]. The unadjusted difference of the two groups' retention gets the same interval
  with one band.

Warnings: `small_sample` when a group has fewer than `SMALL_GROUP` customers or a compared band fewer than
`SMALL_BAND` in a group; `not_comparable` when no `case_risk` is given (nothing to compare like with like), when
more than `UNMATCHED_SHARE` of the closed customers have no not-closed customer in their band, or when the
mean risks still differ by a standardised difference above `BALANCE_SMD` after banding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .fitting import Z95
from .types import AnalysisData, RoiWarning

SMALL_GROUP = 30
SMALL_BAND = 5
UNMATCHED_SHARE = 0.2
BALANCE_SMD = 0.1
UNKNOWN_BAND = "risk unknown"
METHOD = ("retention difference within ten-point bands of the case's predicted risk, weighted to the closed-case "
          "customers' bands; Agresti–Caffo-adjusted Wald 95% interval")
NOTE = ("An association, not the effect of closing a case: the customers were not assigned at random to have their "
        "case closed, and whatever made a case easy to close (or the agent's knowing the customer had already "
        "decided, as a status of won back or lost records) can explain a difference as well as the contact itself.")


@dataclass(frozen=True)
class Difference:
    estimate: float | None
    ci: tuple[float | None, float | None]
    se: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"difference": self.estimate, "ci": list(self.ci), "se": self.se}


def band_of(risk: float) -> str:
    """The ten-point band of a risk: 0.38 → "30–40%", 1.0 → "90–100%", NaN → "risk unknown"."""
    if not math.isfinite(risk):
        return UNKNOWN_BAND
    low = min(int(risk * 10 + 1e-9), 9) * 10
    return f"{low}–{low + 10}%"


def standardised_difference(closed: list[tuple[int, int]], open_: list[tuple[int, int]],
                            weights: list[float]) -> Difference:
    """Σ w_b (r₁ − r₀) over bands given as (n, retained) per group, with the Agresti–Caffo variance."""
    if not weights:
        return Difference(None, (None, None), None)
    estimate = variance = 0.0
    for (n1, x1), (n0, x0), w in zip(closed, open_, weights, strict=True):
        estimate += w * (x1 / n1 - x0 / n0)
        p1, p0 = (x1 + 1) / (n1 + 2), (x0 + 1) / (n0 + 2)
        variance += w * w * (p1 * (1 - p1) / (n1 + 2) + p0 * (1 - p0) / (n0 + 2))
    se = math.sqrt(variance)
    return Difference(estimate, (max(estimate - Z95 * se, -1.0), min(estimate + Z95 * se, 1.0)), se)


@dataclass(frozen=True)
class CaseLoop:
    closed: tuple[int, int]
    not_closed: tuple[int, int]
    adjusted: Difference
    unadjusted: Difference
    bands: tuple[dict[str, Any], ...]
    unmatched: int
    balance: float | None
    risk_known: bool
    warnings: tuple[RoiWarning, ...]

    def to_dict(self) -> dict[str, Any]:
        def group(counts: tuple[int, int]) -> dict[str, Any]:
            n, kept = counts
            return {"n": n, "retained": kept, "retention": kept / n if n else None}

        return {"method": METHOD, "note": NOTE, "closed": group(self.closed), "not_closed": group(self.not_closed),
                **self.adjusted.to_dict(), "unadjusted": self.unadjusted.to_dict(), "bands": list(self.bands),
                "unmatched": self.unmatched, "risk_balance_smd": self.balance, "risk_known": self.risk_known,
                "comparable": not any(w.code == "not_comparable" for w in self.warnings),
                "warnings": [w.to_dict() for w in self.warnings]}


def compare_closed_cases(data: AnalysisData) -> CaseLoop | None:
    """The closed-case comparison, or None when the outcomes carry no cases or no churn."""
    frame = data.frame
    if "case_closed" not in frame.columns or "churned" not in frame.columns:
        return None
    with_case = frame[frame["case_closed"].notna() & frame["churned"].notna()]
    risk = with_case["case_risk"].to_numpy(float) if "case_risk" in with_case else np.full(len(with_case), np.nan)
    table = pd.DataFrame({"closed": with_case["case_closed"].to_numpy(float) == 1,
                          "retained": with_case["churned"].to_numpy(float) == 0, "risk": risk,
                          "band": [band_of(r) for r in risk]})
    counts = {flag: (int((table["closed"] == flag).sum()), int((table["retained"] & (table["closed"] == flag)).sum()))
              for flag in (True, False)}
    found: list[RoiWarning] = []
    if min(counts[True][0], counts[False][0]) == 0:
        found.append(RoiWarning("small_sample", "case_loop",
                                f"Closing the loop: {counts[True][0]} customers with a closed case and "
                                f"{counts[False][0]} with a case not closed; both are needed for a comparison."))
        return CaseLoop(counts[True], counts[False], Difference(None, (None, None), None),
                        Difference(None, (None, None), None), (), counts[True][0], None,
                        bool(np.isfinite(risk).any()), tuple(found))
    unadjusted = standardised_difference([counts[True]], [counts[False]], [1.0])
    bands, closed_b, open_b, names = [], [], [], []
    for band, rows in sorted(table.groupby("band"), key=lambda item: _band_order(str(item[0]))):
        one, zero = rows[rows["closed"]], rows[~rows["closed"]]
        used = len(one) > 0 and len(zero) > 0
        bands.append({"band": band, "closed_n": len(one), "closed_retention": float(one["retained"].mean()) if len(one)
                      else None, "not_closed_n": len(zero),
                      "not_closed_retention": float(zero["retained"].mean()) if len(zero) else None, "compared": used})
        if used:
            closed_b.append((len(one), int(one["retained"].sum())))
            open_b.append((len(zero), int(zero["retained"].sum())))
            names.append(band)
    matched = sum(n for n, _ in closed_b)
    adjusted = standardised_difference(closed_b, open_b, [n / matched for n, _ in closed_b])
    unmatched = counts[True][0] - matched
    balance = _balance(table, names, closed_b)
    found += _checks(counts, closed_b, open_b, unmatched, balance, bool(np.isfinite(risk).any()))
    return CaseLoop(counts[True], counts[False], adjusted, unadjusted, tuple(bands), unmatched, balance,
                    bool(np.isfinite(risk).any()), tuple(found))


def _band_order(band: str) -> tuple[bool, int]:
    return band == UNKNOWN_BAND, int(band.split("–")[0]) if band != UNKNOWN_BAND else 0


def _balance(table: pd.DataFrame, names: list[str], closed_b: list[tuple[int, int]]) -> float | None:
    """Standardised difference of the mean risk over the compared bands with a known risk: the closed customers'
    mean against the not-closed customers' band means weighted by the closed customers' shares."""
    sizes = {band: n for band, (n, _) in zip(names, closed_b, strict=True) if band != UNKNOWN_BAND}
    known = table[table["band"].isin(list(sizes))]
    one, zero = known[known["closed"]], known[~known["closed"]]
    if len(one) < 2 or len(zero) < 2:
        return None
    total = sum(sizes.values())
    reweighted = sum(sizes[str(band)] / total * float(rows["risk"].mean()) for band, rows in zero.groupby("band"))
    spread = math.sqrt((float(one["risk"].var()) + float(zero["risk"].var())) / 2)
    return abs(float(one["risk"].mean()) - reweighted) / spread if spread > 0 else 0.0


def _checks(counts: dict[bool, tuple[int, int]], closed_b: list[tuple[int, int]], open_b: list[tuple[int, int]],
            unmatched: int, balance: float | None, risk_known: bool) -> list[RoiWarning]:
    found = []
    small_band = any(min(n1, n0) < SMALL_BAND for (n1, _), (n0, _) in zip(closed_b, open_b, strict=True))
    if min(counts[True][0], counts[False][0]) < SMALL_GROUP or small_band:
        found.append(RoiWarning(
            "small_sample", "case_loop",
            f"Closing the loop: {counts[True][0]} customers with a closed case and {counts[False][0]} without"
            + (f" (a compared risk band holds fewer than {SMALL_BAND} of one group)" if small_band else "")
            + f" — fewer than {SMALL_GROUP} in a group or {SMALL_BAND} in a band; the retention difference is "
            "imprecise, read its interval, not the point."))
    if not risk_known:
        found.append(RoiWarning(
            "not_comparable", "case_loop",
            "Closing the loop: the outcomes give no case_risk (the cases export's risk), so closed and not-closed "
            "customers are compared without matching their risk; the difference may only reflect which cases "
            "were easier to close."))
    elif unmatched > UNMATCHED_SHARE * counts[True][0]:
        found.append(RoiWarning(
            "not_comparable", "case_loop",
            f"Closing the loop: {unmatched} of {counts[True][0]} customers with a closed case have no customer with "
            "an open case in their risk band; the groups differ too much in risk to be compared."))
    elif balance is not None and balance > BALANCE_SMD:
        found.append(RoiWarning(
            "not_comparable", "case_loop",
            f"Closing the loop: within the risk bands the two groups' mean risks still differ by {balance:.2f} "
            f"standard deviations (above {BALANCE_SMD}); the comparison is not like with like."))
    return found
