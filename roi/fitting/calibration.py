"""Calibration of predicted churn probabilities: do the customers given a 20% risk leave at 20%?

Every money figure multiplies predicted churn probabilities by revenue, so they must be right on average and
in their spread, not only in their ranking (which the AUC measures). In the data a logistic model was fitted
on, its predictions are calibrated by construction (the score equations force Σp̂ = Σy and a slope of 1), so
calibration is judged on **out-of-fold** predictions: K-fold cross-validation, each fold predicted by the
model fitted on the others (`cross_validated_probabilities`). Then (`assess_calibration`), with lp = logit p̂:

* calibration **slope** b in logit P(y) = a + b · lp (1 when the predictions spread as they should; < 1 when
  they are too extreme, the usual sign of overfitting; > 1 when too timid);
* calibration **intercept** a in logit P(y) = a + lp (lp as an offset): 0 when the predictions are right on
  average ("calibration in the large");
* expected / observed churn, Σp̂ / Σy;
* a reliability table: the customers in ten groups by predicted risk (deciles), mean predicted vs observed.

Both a and b carry Wald 95% intervals. `miscalibrated` says when to warn: an interval that excludes the ideal
value *and* a material departure (|b − 1| > 0.2, or expected/observed outside 0.8–1.25) — at 100,000
customers a trivial departure is significant, and a money figure 5% off is not what the warning is for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .design import Z95, finite_or_none, interval_or_none
from .link import expit

FOLDS = 5
GROUPS = 10
SLOPE_TOLERANCE = 0.2
RATIO_RANGE = (0.8, 1.25)


def stratified_folds(y: np.ndarray, *, folds: int, seed: int) -> np.ndarray:
    """Fold number per row: each class shuffled with `seed`, then dealt round-robin so folds keep the churn rate."""
    rng = np.random.default_rng(seed)
    assignment = np.empty(len(y), dtype=int)
    for label in (False, True):
        rows = np.flatnonzero(np.asarray(y).astype(bool) == label)
        rows = rows[rng.permutation(len(rows))]
        assignment[rows] = np.arange(len(rows)) % folds
    return assignment


def _newton(y: np.ndarray, design: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logit MLE of y on `design` with a fixed offset (a small, well-posed problem: no separation handling)."""
    beta = np.zeros(design.shape[1])
    for _ in range(50):
        p = expit(offset + design @ beta)
        information = (design * (p * (1 - p))[:, None]).T @ design
        step = np.linalg.solve(information, design.T @ (y - p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    p = expit(offset + design @ beta)
    return beta, np.linalg.inv((design * (p * (1 - p))[:, None]).T @ design)


@dataclass(frozen=True)
class Calibration:
    """How well predicted churn probabilities match what happened (see the module docstring)."""

    method: str
    n: int
    expected: float
    observed: float
    intercept: float | None
    intercept_ci: tuple[float | None, float | None]
    slope: float | None
    slope_ci: tuple[float | None, float | None]
    groups: tuple[dict[str, float | int], ...]

    @property
    def ratio(self) -> float | None:
        """Expected / observed churners."""
        return self.expected / self.observed if self.observed > 0 else None

    def miscalibrated(self) -> list[str]:
        """What is materially and significantly off, in words; empty when the predictions can be trusted."""
        found = []
        low, high = self.slope_ci
        if self.slope is not None and low is not None and high is not None and not low <= 1 <= high \
                and abs(self.slope - 1) > SLOPE_TOLERANCE:
            spread = "too extreme" if self.slope < 1 else "too timid"
            found.append(f"calibration slope {self.slope:.2f} (95% CI {low:.2f} to {high:.2f}; 1 is ideal): "
                         f"the predicted risks are {spread}")
        low, high = self.intercept_ci
        ratio = self.ratio
        if ratio is not None and low is not None and high is not None and not low <= 0 <= high \
                and not RATIO_RANGE[0] <= ratio <= RATIO_RANGE[1]:
            found.append(f"the model expects {self.expected:.0f} churners where {self.observed:.0f} left "
                         f"(×{ratio:.2f}; calibration intercept {self.intercept:.2f}, 95% CI {low:.2f} to {high:.2f})")
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method, "n": self.n, "expected": finite_or_none(self.expected),
            "observed": finite_or_none(self.observed), "ratio": finite_or_none(self.ratio),
            "intercept": finite_or_none(self.intercept), "intercept_ci": interval_or_none(*self.intercept_ci),
            "slope": finite_or_none(self.slope), "slope_ci": interval_or_none(*self.slope_ci),
            "groups": list(self.groups),
        }


def assess_calibration(y: np.ndarray, predicted: np.ndarray, *, method: str) -> Calibration:
    """Calibration intercept and slope (Wald 95% intervals), expected/observed and the decile table of
    `predicted` probabilities against 0/1 outcomes `y`."""
    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(predicted, dtype=float), 1e-12, 1 - 1e-12)
    lp = np.log(p / (1 - p))
    ones = np.ones((len(y), 1))
    intercept = slope = None
    intercept_ci: tuple[float | None, float | None] = (None, None)
    slope_ci: tuple[float | None, float | None] = (None, None)
    if 0 < y.sum() < len(y) and np.ptp(lp) > 0:
        try:
            a, cov_a = _newton(y, ones, lp)
            b, cov_b = _newton(y, np.column_stack([ones, lp]), np.zeros(len(y)))
        except np.linalg.LinAlgError:
            pass
        else:
            se_a, se_b = float(np.sqrt(cov_a[0, 0])), float(np.sqrt(cov_b[1, 1]))
            intercept, slope = float(a[0]), float(b[1])
            intercept_ci = (intercept - Z95 * se_a, intercept + Z95 * se_a)
            slope_ci = (slope - Z95 * se_b, slope + Z95 * se_b)
    order = np.argsort(p, kind="stable")
    groups = []
    for members in np.array_split(order, min(GROUPS, len(order))):
        if len(members):
            groups.append({"n": len(members), "predicted": float(p[members].mean()),
                           "observed": float(y[members].mean())})
    return Calibration(method, len(y), float(p.sum()), float(y.sum()), intercept, intercept_ci, slope, slope_ci,
                       tuple(groups))
