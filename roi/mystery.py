"""Mystery shopping consistency (issue 11): shops of the same location or scenario repeated by several evaluators.

Input: one row per visit with `visit` (the visit reference), `shop` (the location or scenario shopped),
`evaluator`, and one categorical column per audited touchpoint (the mystery-shop form's `q_unexpected_<step>`:
good / bad / as_expected / not_reached). Per touchpoint:

* agreement — do evaluators who shopped the same shop report the same thing? Fleiss' kappa over the shops with
  at least two evaluators (each evaluator's first visit of a shop counts once), read with Landis & Koch's bands;
  a warning when fewer than `MIN_SHOPS` shops take part;
* variation — does the experience differ between shops? The share of visits with a problem (`bad`) per shop,
  a test of homogeneity across shops (chi-square; Fisher's exact test for two shops, or a permutation test of
  the chi-square statistic for more, when an expected count is under 5) and Cramér's V, by which the
  touchpoints are ranked (most varying first), with the shops at both extremes named.

Everything returned is plain data (`MysteryReport.as_dict()` is JSON-serialisable). docs/waves.md,
"Mystery shopping consistency", is the public description.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.inter_rater import fleiss_kappa

from surveys.errors import CxroiError

ID_COLUMNS = ("visit", "shop", "evaluator")
MIN_SHOPS = 5
"""Fewer shops with two or more evaluators than this: kappa is reported with a warning (too few to rely on)."""
MIN_EXPECTED = 5.0
"""The chi-square test is used only when every expected count is at least this; otherwise an exact test."""
PERMUTATIONS = 9999
"""Resamples of the permutation test (seeded: the same visits give the same p-value)."""
BANDS = ((0.0, "poor agreement (less than chance)"), (0.20, "slight"), (0.40, "fair"), (0.60, "moderate"),
         (0.80, "substantial"), (1.0, "almost perfect"))
"""Landis & Koch (1977): kappa below 0 poor, up to .20 slight, .40 fair, .60 moderate, .80 substantial, then
almost perfect."""


class MysteryInputError(CxroiError, ValueError):
    """The visits table cannot be compared; the message names the column (and row) at fault."""


@dataclass
class Agreement:
    kappa: float | None
    reading: str
    shops: int
    visits: int
    warning: str | None = None


@dataclass
class ShopShare:
    shop: str
    visits: int
    problems: int
    share: float


@dataclass
class Variation:
    problem: str
    test: str
    statistic: float | None
    p_value: float | None
    cramers_v: float
    shops: list[ShopShare]
    highest: list[str]
    lowest: list[str]


@dataclass
class TouchpointConsistency:
    touchpoint: str
    agreement: Agreement
    variation: Variation


@dataclass
class MysteryReport:
    visits: int
    shops: int
    evaluators: int
    touchpoints: list[TouchpointConsistency] = field(default_factory=list)
    """Most varying first (Cramér's V, then name)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def reading(kappa: float | None) -> str:
    """Landis & Koch's words for `kappa`."""
    if kappa is None:
        return "undefined: every visit gave the same answer, so agreement cannot be told from chance"
    if kappa < 0:
        return BANDS[0][1]
    for upper, words in BANDS[1:]:
        if kappa <= upper:
            return f"{words} agreement"
    return "almost perfect agreement"


def _checked(visits: pd.DataFrame, touchpoints: list[str]) -> pd.DataFrame:
    for column in (*ID_COLUMNS, *touchpoints):
        if column not in visits.columns:
            raise MysteryInputError(f"visits: missing column {column!r} (have: {', '.join(map(str, visits.columns))})")
    if not touchpoints:
        raise MysteryInputError("visits: no touchpoint column to compare")
    frame = visits[[*ID_COLUMNS, *touchpoints]].copy()
    for column in ID_COLUMNS:
        blank = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
        if blank.any():
            raise MysteryInputError(f"visits: column {column!r} is empty in row {int(np.flatnonzero(blank)[0]) + 1}")
        frame[column] = frame[column].astype(str).str.strip()
    repeated = frame["visit"].duplicated()
    if repeated.any():
        raise MysteryInputError(f"visits: column 'visit' repeats {frame['visit'][repeated].iloc[0]!r}")
    evaluators = frame["evaluator"].unique()
    if len(evaluators) < 2:
        named = f"one evaluator only ({evaluators[0]!r})" if len(evaluators) else "no evaluator"
        raise MysteryInputError(f"visits: column 'evaluator' names {named}; agreement needs at least two")
    return frame


def kappa_of(table: np.ndarray) -> float | None:
    """Fleiss' kappa of a shops × categories count table (each row: how many evaluators gave each answer).

    Equal evaluators per shop: statsmodels' `fleiss_kappa`. Otherwise the same statistic with each shop's
    agreement over its own number of evaluators (Fleiss, Levin & Paik 2003, 18.1), which equals it when the
    counts are equal. None when chance agreement is 1 (every answer the same)."""
    table = np.asarray(table, dtype=float)
    raters = table.sum(axis=1)
    shares = table.sum(axis=0) / table.sum()
    expected = float((shares ** 2).sum())
    if math.isclose(expected, 1.0):
        return None
    if np.all(raters == raters[0]):
        return float(fleiss_kappa(table, method="fleiss"))
    observed = float((((table * (table - 1)).sum(axis=1)) / (raters * (raters - 1))).mean())
    return (observed - expected) / (1 - expected)


def agreement(frame: pd.DataFrame, touchpoint: str) -> Agreement:
    """Fleiss' kappa of `touchpoint` between the evaluators of each shop (their first answered visit each)."""
    answered = frame[frame[touchpoint].notna()].drop_duplicates(["shop", "evaluator"])
    counts = answered.groupby("shop").size()
    repeated = answered[answered["shop"].isin(counts[counts >= 2].index)]
    shops = int(repeated["shop"].nunique())
    if shops == 0:
        return Agreement(None, "not measured: no shop was visited by two or more evaluators", 0, 0,
                         "no shop was visited by two or more evaluators")
    table = pd.crosstab(repeated["shop"], repeated[touchpoint].astype(str)).to_numpy()
    kappa = kappa_of(table)
    warning = (f"only {shops} shop(s) visited by two or more evaluators (at least {MIN_SHOPS} needed "
               "to rely on kappa)" if shops < MIN_SHOPS else None)
    return Agreement(None if kappa is None else round(kappa, 4), reading(kappa), shops, len(repeated), warning)


def _permutation_p(problems: np.ndarray, shop_codes: np.ndarray, observed: float) -> float:
    """The share of shuffles of the problems among the visits whose chi-square statistic reaches `observed`."""
    rng = np.random.default_rng(20261203)
    n_shops = int(shop_codes.max()) + 1
    visits = np.bincount(shop_codes, minlength=n_shops)
    total = problems.sum()
    expected = visits * total / len(problems)
    reached = 0
    for _ in range(PERMUTATIONS):
        hits = np.bincount(shop_codes, weights=rng.permutation(problems), minlength=n_shops)
        misses = visits - hits
        statistic = (((hits - expected) ** 2) / expected).sum() + \
            (((misses - (visits - expected)) ** 2) / (visits - expected)).sum()
        reached += statistic >= observed - 1e-9
    return (reached + 1) / (PERMUTATIONS + 1)


def variation(frame: pd.DataFrame, touchpoint: str, problem: str = "bad") -> Variation:
    """Share of `problem` answers per shop, a test of homogeneity across shops and Cramér's V."""
    answered = frame[frame[touchpoint].notna()]
    is_problem = (answered[touchpoint].astype(str) == problem).astype(int)
    grouped = is_problem.groupby(answered["shop"])
    shares = [ShopShare(shop, int(count), int(hits), round(hits / count, 4))
              for shop, count, hits in zip(grouped.size().index, grouped.size(), grouped.sum(), strict=True)]
    shares.sort(key=lambda s: (-s.share, s.shop))
    top = shares[0].share if shares else 0.0
    bottom = shares[-1].share if shares else 0.0
    highest = [s.shop for s in shares if s.share == top]
    lowest = [s.shop for s in shares if s.share == bottom]
    total = int(is_problem.sum())
    if len(shares) < 2 or total in (0, len(answered)):
        why = "no test: fewer than two shops" if len(shares) < 2 else f"no test: every visit or none was {problem!r}"
        return Variation(problem, why, None, None, 0.0, shares, highest, lowest)
    table = np.array([[s.problems, s.visits - s.problems] for s in sorted(shares, key=lambda s: s.shop)])
    statistic, chi_p, _, expected = stats.chi2_contingency(table, correction=False)
    v = math.sqrt(statistic / table.sum())  # r × 2 table: min(r, c) - 1 = 1
    if expected.min() >= MIN_EXPECTED:
        test, p_value = "chi-square", float(chi_p)
    elif len(shares) == 2:
        test, p_value = "Fisher's exact", float(stats.fisher_exact(table).pvalue)
    else:
        codes = pd.Categorical(answered["shop"], categories=sorted(s.shop for s in shares)).codes
        test = f"permutation ({PERMUTATIONS} shuffles; expected counts under {MIN_EXPECTED:g})"
        p_value = _permutation_p(is_problem.to_numpy(dtype=float), np.asarray(codes), float(statistic))
    return Variation(problem, test, round(float(statistic), 4), round(p_value, 4), round(v, 4),
                     shares, highest, lowest)


def consistency(visits: pd.DataFrame, touchpoints: list[str], *, problem: str = "bad") -> MysteryReport:
    """Agreement and variation of every touchpoint, most varying first. Raises `MysteryInputError`."""
    frame = _checked(visits, list(touchpoints))
    rows = [TouchpointConsistency(name, agreement(frame, name), variation(frame, name, problem))
            for name in touchpoints]
    rows.sort(key=lambda row: (-row.variation.cramers_v, row.touchpoint))
    return MysteryReport(len(frame), int(frame["shop"].nunique()), int(frame["evaluator"].nunique()), rows)


def _names(shops: list[str], shown: int = 3) -> str:
    return ", ".join(shops[:shown]) + (f" and {len(shops) - shown} more" if len(shops) > shown else "")


def as_text(report: MysteryReport) -> str:
    """The report as a plain table, most varying touchpoint first."""
    lines = [f"{report.visits} visits of {report.shops} shops by {report.evaluators} evaluators",
             f"{'touchpoint':<28} {'kappa':>7}  {'shops':>5}  {'V':>6}  {'p':>7}  highest / lowest share"]
    notes: list[str] = []
    for row in report.touchpoints:
        a, v = row.agreement, row.variation
        kappa = "-" if a.kappa is None else f"{a.kappa:.2f}"
        p = "-" if v.p_value is None else f"{v.p_value:.4f}"
        ends = (f"{_names(v.highest)} {v.shops[0].share:.0%} / {_names(v.lowest)} {v.shops[-1].share:.0%}"
                if v.shops and v.shops[0].share != v.shops[-1].share else "-")
        lines.append(f"{row.touchpoint:<28} {kappa:>7}  {a.shops:>5}  {v.cramers_v:>6.2f}  {p:>7}  {ends}")
        notes.append(f"{row.touchpoint}: {a.reading}; {v.test}")
        if a.warning:
            notes.append(f"  warning: {a.warning}")
    return "\n".join([*lines, "", *notes])
