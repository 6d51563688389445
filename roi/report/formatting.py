"""How the report writes numbers. Formatting only: every value comes from results.json as it stands.

The rules, stated once so tests can rebuild the expected strings independently:
- money: whole currency units with thousands separators, `f"${round(x):,}"`; negatives as `-$1,234`.
- percent: a ratio written as a whole percentage, `f"{round(x * 100):,}%"` (0.123 → 12%, 2.5 → 250%).
- rate: a proportion to one decimal of a percent, `f"{x * 100:.1f}%"` (0.1234 → 12.3%).
- count: `f"{n:,}"`.
- share (a value already in percent, 0–100, such as a driver's share of explained variance): `f"{x:.1f}%"`.
- score (a 0–100 performance score): `f"{x:.0f}"`.
- months: one decimal, `f"{x:.1f}"`.
- statistic (AUC, Brier, coefficients, ratios): three decimals, `f"{x:.3f}"`.
- p-value: `<0.001` below one in a thousand, else three decimals.
- interval: the two ends joined by " to ", `f"{lo} to {hi}"` (clearer than a dash when an end is negative).
A missing value (None, NaN, not a number) prints as an em dash, never as zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

MISSING = "—"
INTERVAL_JOIN = " to "


def number(value: Any) -> float | None:
    """The value as a finite float, or None when it is missing or not a number."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def money(value: Any) -> str:
    x = number(value)
    if x is None:
        return MISSING
    whole = round(x)
    return f"-${-whole:,}" if whole < 0 else f"${whole:,}"


def percent(value: Any) -> str:
    x = number(value)
    return MISSING if x is None else f"{round(x * 100):,}%"


def rate(value: Any) -> str:
    x = number(value)
    return MISSING if x is None else f"{x * 100:.1f}%"


def count(value: Any) -> str:
    x = number(value)
    return MISSING if x is None else f"{round(x):,}"


def share(value: Any) -> str:
    x = number(value)
    return MISSING if x is None else f"{x:.1f}%"


def score(value: Any) -> str:
    x = number(value)
    return MISSING if x is None else f"{x:.0f}"


def months(value: Any) -> str:
    x = number(value)
    return MISSING if x is None else f"{x:.1f}"


def stat(value: Any) -> str:
    x = number(value)
    return MISSING if x is None else f"{x:.3f}"


def p_value(value: Any) -> str:
    x = number(value)
    if x is None:
        return MISSING
    return "<0.001" if x < 0.001 else f"{x:.3f}"


def interval(bounds: Any, fmt: Callable[[Any], str]) -> str:
    """`lo to hi` in the given format, or the missing mark when the bounds are absent or malformed."""
    pair = bounds_of(bounds)
    if pair is None:
        return MISSING
    return f"{fmt(pair[0])}{INTERVAL_JOIN}{fmt(pair[1])}"


def bounds_of(bounds: Any) -> tuple[float, float] | None:
    """(lo, hi) from a two-element list, or None."""
    if not isinstance(bounds, Sequence) or isinstance(bounds, str) or len(bounds) != 2:
        return None
    lo, hi = number(bounds[0]), number(bounds[1])
    if lo is None or hi is None:
        return None
    return lo, hi
