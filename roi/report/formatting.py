"""How the report writes numbers. Formatting only: every value comes from results.json as it stands.

The rules, stated once so tests can rebuild the expected strings independently:
- money: whole currency units with thousands separators, `f"${round(x):,}"`; negatives as `-$1,234`. The symbol is
  the results' currency (`finance.currency`: $ for USD, € for EUR, £ for GBP, ¥ for JPY, else the code and a
  space, `CHF 1,234`), set for the building of one report by `in_currency`.
- percent: a ratio written as a whole percentage, `f"{round(x * 100):,}%"` (0.123 → 12%, 2.5 → 250%).
- rate: a proportion to one decimal of a percent, `f"{x * 100:.1f}%"` (0.1234 → 12.3%).
- count: `f"{n:,}"`.
- share (a value already in percent, 0–100, such as a driver's share of explained variance): `f"{x:.1f}%"`.
- score (a 0–100 performance score): `f"{x:.0f}"`.
- months: one decimal, `f"{x:.1f}"`.
- statistic (AUC, Brier, coefficients, ratios): three decimals, `f"{x:.3f}"`.
- p-value: `<0.001` below one in a thousand, else three decimals.
- interval: the two ends joined by " to ", `f"{lo} to {hi}"` (clearer than a dash when an end is negative).
  A degenerate interval is words, never numbers: both ends equal → "zero width (not measurable)"; with a term's
  `ci_note` of "unbounded" (one end infinite in the analysis) → "no lower limit to {hi}" / "{lo} to no upper
  limit"; both ends missing → the words of the `ci_note` when results.json gives one ("not estimated", "no
  interval (standard error unknown)", "zero width (not measurable)"), else the em dash. A half interval without
  that note is an em dash (an end may be missing for another reason than being infinite).
A missing value (None, NaN, not a number) prints as an em dash, never as zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
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


SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_symbol: ContextVar[str] = ContextVar("currency_symbol", default="$")


def currency_symbol(code: str) -> str:
    return SYMBOLS.get(code, f"{code} ")


@contextmanager
def in_currency(results: Mapping[str, Any]) -> Iterator[str]:
    """Write money in the currency the results were computed in (`inputs.config.finance.currency`; USD when the
    results do not say) while the block runs; yields the symbol."""
    inputs = results.get("inputs") if isinstance(results, Mapping) else None
    config = inputs.get("config") if isinstance(inputs, Mapping) else None
    finance = config.get("finance") if isinstance(config, Mapping) else None
    code = finance.get("currency") if isinstance(finance, Mapping) else None
    symbol = currency_symbol(code if isinstance(code, str) and len(code) == 3 and code.isupper() else "USD")
    token = _symbol.set(symbol)
    try:
        yield symbol
    finally:
        _symbol.reset(token)


def symbol() -> str:
    """The currency symbol in use (see `in_currency`)."""
    return _symbol.get()


def money(value: Any) -> str:
    x = number(value)
    if x is None:
        return MISSING
    whole = round(x)
    sign = _symbol.get()
    return f"-{sign}{-whole:,}" if whole < 0 else f"{sign}{whole:,}"


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


ZERO_WIDTH_WORDS = "zero width (not measurable)"
NOTE_WORDS = {"not estimated": "not estimated", "no interval": "no interval (standard error unknown)",
              "zero width": ZERO_WIDTH_WORDS}
"""Words for results.json's `ci_note` (docs/results.md, "Terms") when the interval's ends are null."""


def interval(bounds: Any, fmt: Callable[[Any], str], note: Any = None) -> str:
    """`lo to hi` in the given format; words for a degenerate interval (zero width; one end missing with the
    `ci_note` "unbounded"; both missing with a `ci_note`); the missing mark when the bounds are absent,
    malformed, or half there without a note."""
    pair = bounds_of(bounds)
    if pair is not None:
        if pair[0] == pair[1]:
            return ZERO_WIDTH_WORDS
        return f"{fmt(pair[0])}{INTERVAL_JOIN}{fmt(pair[1])}"
    if note == "unbounded" and isinstance(bounds, Sequence) and not isinstance(bounds, str) and len(bounds) == 2:
        low, high = number(bounds[0]), number(bounds[1])
        if low is not None and high is None:
            return f"{fmt(low)}{INTERVAL_JOIN}no upper limit"
        if low is None and high is not None:
            return f"no lower limit{INTERVAL_JOIN}{fmt(high)}"
    return NOTE_WORDS.get(note, MISSING) if isinstance(note, str) else MISSING


def bounds_of(bounds: Any) -> tuple[float, float] | None:
    """(lo, hi) from a two-element list, or None."""
    if not isinstance(bounds, Sequence) or isinstance(bounds, str) or len(bounds) != 2:
        return None
    lo, hi = number(bounds[0]), number(bounds[1])
    if lo is None or hi is None:
        return None
    return lo, hi
