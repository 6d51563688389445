"""The realised effect of the CX programme on one outcome (churn or revenue): a randomised comparison, or a
difference-in-differences with its parallel-trends check.

* **Randomised** (`roi.yaml` `programme.randomised: true`): the difference between reached and not-reached
  customers after the start — for churn the difference in proportions with the unpooled (Wald) standard error,
  for revenue the difference in means with Welch's standard error and degrees of freedom. When accounts hold
  several customers, both are the slope of an OLS of the outcome on the programme flag with standard errors
  cluster-robust by account, and intervals from t(G − 1), G the number of accounts.
* **Difference-in-differences**: the outcome of each customer in the period just before the start (`_pre`) and
  the period after it (`_post`), stacked; per stage of the rollout g (customers sharing a `programme_start`)
  y = a_g + b_g·reached + l_g·post + τ_g·reached·post, by OLS on all stages at once, standard errors
  cluster-robust by account (else by customer, whose two periods are correlated), t(G − 1) intervals. The
  effect is τ = Σ_g w_g τ_g, w_g the stage's share of reached customers observed after the start; its standard
  error from the cluster-robust covariance (w'Vw). Churn per period is a repeated cross-section: a customer who
  left before the start has no post observation.
* **Parallel trends** (with two or more pre periods): over the pre periods only,
  y = a_gk (stage × period) + b_g·reached + δ_g·reached·t, t the period index (−1 just before the start, −2 the
  one before …); δ = Σ_g w_g δ_g is how much faster the reached group's outcome moved per period before anything
  happened. An interval excluding 0 (p < 0.05) is evidence against parallel trends. Not rejecting it does not
  prove it. The **trend-adjusted estimate** τ − δ is what is left of the effect if that drift had simply gone on
  for one more period; its interval ±1.96·√(se_τ² + se_δ²) treats the two estimates as independent.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from ..fitting import Z95

Evidence = Literal["supported", "none", "adverse"]


@dataclass(frozen=True)
class Effect:
    """The programme's estimated effect on one outcome (per customer, over the post period): change in the churn
    probability (a proportion) or in revenue (currency), with its 95% interval."""

    outcome: str
    estimate: float | None
    ci: tuple[float | None, float | None]
    se: float | None
    p: float | None
    method: str
    reached: int
    not_reached: int
    clusters: int | None = None
    df: float | None = None
    means: dict[str, float] = field(default_factory=dict)
    parallel_trends: dict[str, Any] | None = None
    reason: str | None = None

    @property
    def evidence(self) -> Evidence | None:
        """supported (interval wholly on the good side: less churn, more revenue), adverse (wholly on the bad
        side), none (it includes 0); None without an estimate."""
        low, high = self.ci
        if self.estimate is None or low is None or high is None:
            return None
        good_up = self.outcome == "revenue"
        if (low > 0 and good_up) or (high < 0 and not good_up):
            return "supported"
        if (high < 0 and good_up) or (low > 0 and not good_up):
            return "adverse"
        return "none"

    def to_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "estimate": self.estimate, "ci": list(self.ci), "se": self.se,
                "p": self.p, "df": self.df, "method": self.method, "reached": self.reached,
                "not_reached": self.not_reached, "clusters": self.clusters, "evidence": self.evidence,
                "means": dict(self.means), "parallel_trends": self.parallel_trends, "reason": self.reason}


def not_estimated(outcome: str, method: str, reason: str, reached: int = 0, not_reached: int = 0) -> Effect:
    return Effect(outcome, None, (None, None), None, None, method, reached, not_reached, reason=reason)


def clusters_of(frame: pd.DataFrame) -> np.ndarray:
    """Cluster codes: the account when accounts are given (a customer without one is its own cluster), else the
    customer."""
    key = frame["customer_id"].astype(str)
    if "account_id" in frame.columns and frame["account_id"].notna().any():
        key = frame["account_id"].astype(object).where(frame["account_id"].notna(), "customer:" + key).astype(str)
    return np.asarray(pd.factorize(key)[0])


def _has_shared_accounts(frame: pd.DataFrame) -> bool:
    return "account_id" in frame.columns and bool(frame["account_id"].dropna().duplicated().any())


def _clustered_combination(y: np.ndarray, X: np.ndarray, groups: np.ndarray,
                           weights: np.ndarray) -> tuple[float, float, tuple[float, float], float, int, float]:
    """OLS of y on X with cluster-robust covariance; the linear combination weights'β: estimate, se, 95% interval
    and p-value from t(G − 1), the number of clusters G and the degrees of freedom."""
    count = int(len(np.unique(groups)))
    if count < 2:
        raise ValueError("all customers are in one account: cluster-robust errors need at least two")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        test = fit.t_test(weights[None, :])
    estimate = float(np.squeeze(test.effect))
    se = float(np.squeeze(test.sd))
    df = float(count - 1)
    half = float(stats.t.ppf(0.975, df)) * se
    p = float(2 * stats.t.sf(abs(estimate / se), df)) if se > 0 else float("nan")
    return estimate, se, (estimate - half, estimate + half), p, count, df


def randomised_effect(frame: pd.DataFrame, outcome: str, column: str) -> Effect:
    """The plain comparison of reached and not-reached customers on `column` (see the module docstring)."""
    rows = frame[np.isfinite(frame[column].to_numpy(dtype=float))]
    reached = rows["programme"].to_numpy() == 1
    y = rows[column].to_numpy(dtype=float)
    n1, n0 = int(reached.sum()), int((~reached).sum())
    method = "difference in proportions" if outcome == "churned" else "difference in means"
    if n1 < 2 or n0 < 2:
        return not_estimated(outcome, method, f"{n1} reached and {n0} not-reached customers with {column}: a "
                             "comparison needs at least two in each group", n1, n0)
    m1, m0 = float(y[reached].mean()), float(y[~reached].mean())
    means = {"reached": m1, "not_reached": m0}
    if np.ptp(y) == 0:
        return not_estimated(outcome, method, f"{column} is the same for every customer", n1, n0)
    if _has_shared_accounts(rows):
        X = np.column_stack([np.ones(len(y)), reached.astype(float)])
        try:
            estimate, se, ci, p, count, dof = _clustered_combination(y, X, clusters_of(rows), np.array([0.0, 1.0]))
        except (np.linalg.LinAlgError, ValueError) as error:
            return not_estimated(outcome, method, f"the comparison could not be fitted ({error})", n1, n0)
        return Effect(outcome, estimate, ci, se, p, f"{method}, OLS with standard errors cluster-robust by account, "
                      "t(G − 1) interval", n1, n0, count, dof, means)
    estimate = m1 - m0
    df: float | None
    if outcome == "churned":
        se = float(np.sqrt(m1 * (1 - m1) / n1 + m0 * (1 - m0) / n0))
        df, quantile = None, Z95
        method += " (Wald interval, unpooled variance)"
    else:
        v1, v0 = float(y[reached].var(ddof=1)) / n1, float(y[~reached].var(ddof=1)) / n0
        se = float(np.sqrt(v1 + v0))
        df = (v1 + v0) ** 2 / (v1**2 / (n1 - 1) + v0**2 / (n0 - 1)) if v1 + v0 > 0 else None
        quantile = float(stats.t.ppf(0.975, df)) if df else Z95
        method += " (Welch interval)"
    if se == 0:
        return not_estimated(outcome, method, f"{column} does not vary within the groups", n1, n0)
    p = float(2 * (stats.t.sf(abs(estimate / se), df) if df else stats.norm.sf(abs(estimate / se))))
    return Effect(outcome, estimate, (estimate - quantile * se, estimate + quantile * se), se, p, method, n1, n0,
                  None, df, means)


def _stacked(frame: pd.DataFrame, columns: dict[int, str]) -> pd.DataFrame:
    """One row per customer and period with an observation: customer, account, stage, reached, period, y."""
    parts = []
    keep = [c for c in ("customer_id", "account_id", "stage", "programme") if c in frame.columns]
    for period, column in columns.items():
        part = frame[keep].assign(period=period, y=frame[column].to_numpy(dtype=float))
        parts.append(part[np.isfinite(part["y"].to_numpy())])
    return pd.concat(parts, ignore_index=True)


def _stage_weights(long: pd.DataFrame, stages: list[Any], post: int) -> np.ndarray:
    reached_after = long[(long["programme"] == 1) & (long["period"] == post)]
    counts = np.array([(reached_after["stage"] == s).sum() for s in stages], dtype=float)
    return counts / counts.sum()


def did_effect(frame: pd.DataFrame, outcome: str, pre: dict[int, str], post: str) -> Effect:
    """The difference-in-differences estimate on `outcome` from the pre-period columns `pre` (period index →
    column) and the post column (see the module docstring); `frame` has a `stage` column."""
    method = ("difference-in-differences (OLS with stage × group × period terms, standard errors cluster-robust "
              "by " + ("account" if _has_shared_accounts(frame) else "customer") + ", t(G − 1) interval)")
    long = _stacked(frame, {-1: pre[-1], 0: post})
    cells = long.groupby(["stage", "programme", "period"]).size()
    stages = [s for s in dict.fromkeys(frame["stage"]) if all(
        cells.get((s, group, period), 0) >= 2 for group in (0.0, 1.0) for period in (-1, 0))]
    n1 = int(frame.loc[frame["stage"].isin(stages), "programme"].sum())
    n0 = int((frame["stage"].isin(stages) & (frame["programme"] == 0)).sum())
    if not stages:
        return not_estimated(outcome, method, f"no stage of the rollout has at least two reached and two "
                             f"not-reached customers with both {pre[-1]} and {post}", n1, n0)
    long = long[long["stage"].isin(stages)].reset_index(drop=True)
    columns, names = [], []
    for s in stages:
        here = (long["stage"] == s).to_numpy(dtype=float)
        treated, after = long["programme"].to_numpy(dtype=float), (long["period"] == 0).to_numpy(dtype=float)
        columns += [here, here * treated, here * after, here * treated * after]
        names += [(s, "a"), (s, "b"), (s, "l"), (s, "tau")]
    X = np.column_stack(columns)
    w = _stage_weights(long, stages, 0)
    weights = np.zeros(X.shape[1])
    weights[[names.index((s, "tau")) for s in stages]] = w
    y = long["y"].to_numpy()
    if np.ptp(y) == 0:
        return not_estimated(outcome, method, f"{pre[-1]} and {post} are the same for every customer", n1, n0)
    try:
        estimate, se, ci, p, count, df = _clustered_combination(y, X, clusters_of(long), weights)
    except (np.linalg.LinAlgError, ValueError) as error:
        return not_estimated(outcome, method, f"the model could not be fitted ({error})", n1, n0)
    group_means = long.groupby(["programme", "period"])["y"].mean()
    means = {f"{'reached' if g == 1 else 'not_reached'}_{'post' if t == 0 else 'pre'}": float(v)
             for (g, t), v in group_means.items()}
    trends = parallel_trends(frame[frame["stage"].isin(stages)], pre, stages)
    if trends.get("checked"):
        # the differential pre-trend carried one period on (from the period before the start to the one after)
        adjusted = estimate - trends["difference_per_period"]
        spread = Z95 * float(np.hypot(se, trends["se"]))
        trends["trend_adjusted_estimate"] = adjusted
        trends["trend_adjusted_ci"] = [adjusted - spread, adjusted + spread]
    return Effect(outcome, estimate, ci, se, p, method, n1, n0, count, df, means, trends)


def parallel_trends(frame: pd.DataFrame, pre: dict[int, str], stages: list[Any]) -> dict[str, Any]:
    """The pre-period check: how much faster per period the reached group's outcome moved before the start."""
    if len(pre) < 2:
        return {"checked": False, "periods": len(pre), "note": "one pre period: the parallel-trends assumption "
                "cannot be checked and the estimate rests on it untested"}
    long = _stacked(frame, pre)
    columns, slopes = [], []
    for s in stages:
        here = (long["stage"] == s).to_numpy(dtype=float)
        treated = long["programme"].to_numpy(dtype=float)
        for period in sorted(pre):
            columns.append(here * (long["period"] == period).to_numpy(dtype=float))
        columns.append(here * treated)
        slopes.append(len(columns))
        columns.append(here * treated * long["period"].to_numpy(dtype=float))
    X = np.column_stack(columns)
    keep = X.any(axis=0)
    weights = np.zeros(X.shape[1])
    weights[slopes] = _stage_weights(long, stages, -1)
    X, weights = X[:, keep], weights[keep]
    try:
        estimate, se, ci, p, count, df = _clustered_combination(long["y"].to_numpy(), X, clusters_of(long), weights)
    except (np.linalg.LinAlgError, ValueError) as error:
        return {"checked": False, "periods": len(pre), "note": f"the pre-period trends could not be compared ({error})"}
    holds = not (p < 0.05)
    return {"checked": True, "periods": len(pre), "difference_per_period": estimate, "ci": list(ci), "se": se,
            "p": p, "clusters": count, "consistent": holds,
            "note": ("the reached and not-reached groups moved alike before the start (no evidence against parallel "
                     "trends; this does not prove them)") if holds else
                    ("the reached group's outcome already moved differently before the start: the parallel-trends "
                     "assumption fails and the difference-in-differences estimate is not credible")}
