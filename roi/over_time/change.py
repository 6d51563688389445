"""Is the change of a metric from one wave to the next larger than chance? The tests, from each wave's
sufficient statistics, and the adjustment of their p-values over the metrics compared between two waves.

The one implementation of these tests: the ROI analysis (`roi.over_time.waves`) and the web results page
(`webapp.results.waves`, which works from scorecards) both call it.

* a mean: **Welch's t-test** (unequal variances; scipy `ttest_ind_from_stats`), from each wave's mean,
  standard deviation (ddof 1) and n;
* a share: **two-proportion z-test** with the pooled variance (statsmodels `proportions_ztest`), from each wave's
  count and n;
* an NPS: **z-test of the difference of two NPS**, each with the multinomial variance (pP + pD − (pP − pD)²)/n
  (pP, pD the shares of promoters and detractors);
* over the metrics compared between the same two waves, the p-values adjusted by **Holm** (family-wise error)
  or **Benjamini–Hochberg** (false-discovery rate), statsmodels `multipletests`.

All tests are two-sided; a change is "larger than chance" at the 5% level. The difference is always the later
wave minus the earlier one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from scipy import stats

ALPHA = 0.05
WELCH = "Welch's t-test (unequal variances), two-sided"
TWO_PROPORTIONS = "two-proportion z-test (pooled variance), two-sided"
NPS_Z = "z-test of the NPS difference (multinomial variance, normal approximation), two-sided"
Adjustment = Literal["holm", "bh"]
ADJUSTMENT_WORDS = {"holm": "Holm", "bh": "Benjamini–Hochberg"}


@dataclass(frozen=True)
class WaveChange:
    """The change of one metric from the previous wave: difference (this − previous), the test's statistic and
    p-value (None with a `note` when no test is possible), and the p-value adjusted over the metrics compared
    between the same two waves (`adjustment` says how)."""

    difference: float | None
    statistic: float | None
    p_value: float | None
    method: str
    note: str | None = None
    p_adjusted: float | None = None
    adjustment: Adjustment | None = None

    @property
    def larger_than_chance(self) -> bool | None:
        """Whether p < 0.05 before adjustment (None without a test)."""
        return None if self.p_value is None else self.p_value < ALPHA

    def to_dict(self) -> dict[str, object]:
        return {"difference": self.difference, "statistic": self.statistic, "p": self.p_value,
                "p_adjusted": self.p_adjusted, "adjustment": self.adjustment, "method": self.method,
                "larger_than_chance": self.larger_than_chance, "note": self.note}


def no_test(difference: float | None, method: str, note: str) -> WaveChange:
    """A change that cannot be tested, with the reason."""
    return WaveChange(difference, None, None, method, note)


def welch_change(before: tuple[float, float, int], after: tuple[float, float, int]) -> WaveChange:
    """Welch's t-test between two means, each given as (mean, standard deviation with ddof 1, n)."""
    (mean0, sd0, n0), (mean1, sd1, n1) = before, after
    difference = mean1 - mean0
    if n0 < 2 or n1 < 2:
        return no_test(difference, WELCH, "needs at least two answers in each wave")
    if sd0 == 0 and sd1 == 0:
        return no_test(difference, WELCH, "every answer was the same in both waves: no variance to test with")
    result = stats.ttest_ind_from_stats(mean1, sd1, n1, mean0, sd0, n0, equal_var=False)
    return WaveChange(difference, float(result.statistic), float(result.pvalue), WELCH)


def share_change(before: tuple[int, int], after: tuple[int, int], *, scale: float = 100.0) -> WaveChange:
    """Two-proportion z-test (pooled variance) between two shares, each given as (count, n); the difference is
    in `scale` units of a proportion (100: percentage points)."""
    from statsmodels.stats.proportion import proportions_ztest

    (count0, n0), (count1, n1) = before, after
    if n0 == 0 or n1 == 0:
        return no_test(None, TWO_PROPORTIONS, "no answers in one of the waves")
    difference = scale * (count1 / n1 - count0 / n0)
    if count0 + count1 in (0, n0 + n1):
        return no_test(difference, TWO_PROPORTIONS, "the share is 0% or 100% in both waves: nothing to test")
    statistic, p_value = proportions_ztest([count1, count0], [n1, n0])
    return WaveChange(difference, float(statistic), float(p_value), TWO_PROPORTIONS)


def nps_change(before: tuple[float, float, int], after: tuple[float, float, int]) -> WaveChange:
    """z-test of the difference of two NPS, each given as (share of promoters, share of detractors, n), shares
    as proportions; the difference is in NPS points (−200 … 200)."""
    (p0, d0, n0), (p1, d1, n1) = before, after
    difference = 100 * ((p1 - d1) - (p0 - d0))
    if n0 < 2 or n1 < 2:
        return no_test(difference, NPS_Z, "needs at least two answers in each wave")
    variance = sum((p + d - (p - d) ** 2) / n for p, d, n in ((p0, d0, n0), (p1, d1, n1)))
    if variance <= 0:
        return no_test(difference, NPS_Z, "every answer fell in one group in both waves: no variance")
    statistic = (difference / 100) / math.sqrt(variance)
    return WaveChange(difference, statistic, float(2 * stats.norm.sf(abs(statistic))), NPS_Z)


def adjust_changes(changes: Sequence[WaveChange | None], method: Adjustment = "holm") -> list[WaveChange | None]:
    """The changes with `p_adjusted` set: the p-values of those that were tested, adjusted together (Holm or
    Benjamini–Hochberg); untested changes and None entries are returned as they are."""
    from statsmodels.stats.multitest import multipletests

    tested = [i for i, change in enumerate(changes) if change is not None and change.p_value is not None]
    out = list(changes)
    if not tested:
        return out
    p_values = [changes[i].p_value for i in tested]  # type: ignore[union-attr]
    adjusted = multipletests(p_values, method="holm" if method == "holm" else "fdr_bh")[1]
    for i, p in zip(tested, adjusted, strict=True):
        change = changes[i]
        assert change is not None
        out[i] = replace(change, p_adjusted=float(p), adjustment=method)
    return out
